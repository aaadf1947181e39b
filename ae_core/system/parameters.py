"""Checking an estimator's numeric parameters in its ``fit``, as scikit-learn's ``check_scalar``
does, but always with a ValueError (what pages catch and show in one line)."""

from __future__ import annotations

import math
import numbers


def check_parameter(
    value,
    name: str,
    kind: type = numbers.Integral,
    min_val: float | None = None,
    max_val: float | None = None,
    include_boundaries: str = "both",
    allow_none: bool = False,
) -> None:
    """Raise a ValueError naming ``name`` when ``value`` is not a finite ``kind`` within the bounds.

    Parameters
    ----------
    value : object
        The parameter's value.
    name : str
        The parameter's name, said in the message.
    kind : type
        The type it must be: ``numbers.Integral`` (default) or ``numbers.Real``.
    min_val, max_val : float or None
        Bounds; None: unbounded on that side.
    include_boundaries : str
        "both", "left", "right" or "neither", as for ``sklearn.utils.check_scalar``.
    allow_none : bool
        Whether None is allowed too.

    Raises
    ------
    ValueError
        Such as "epochs == 0, must be >= 1." or "epochs must be an instance of int, not float."
    """
    if value is None and allow_none:
        return
    from sklearn.utils import check_scalar  # scikit-learn only when an estimator is fitted

    if isinstance(value, bool) or (isinstance(value, numbers.Real) and not math.isfinite(value)):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    try:
        check_scalar(value, name, kind, min_val=min_val, max_val=max_val, include_boundaries=include_boundaries)
    except TypeError as exc:
        raise ValueError(f"{exc} (got {value!r})") from None
