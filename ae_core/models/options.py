"""Model options: the settings every model type shares (``AEOptions``; each type subclasses it)
and building them from the plain values of a config file or the command line."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ae_core.models.noise import NOISE_KINDS

RECON_LOSSES = ("bce", "mse")
OUTPUTS = ("sigmoid", "linear")


@dataclass(frozen=True)
class AEOptions:
    """Options shared by every model. Subclasses add their own fields."""

    recon_loss: str = "bce"  # "bce" for data in [0, 1], "mse" otherwise
    output: str = "sigmoid"  # decoder output: "sigmoid" keeps x_hat in [0, 1], "linear" does not
    noise: str = "none"  # input corruption while training (denoising): none|gaussian|masking|salt_pepper|...
    noise_level: float = 0.0  # sigma, fraction masked, or amount, depending on `noise`

    def validate(self) -> None:
        """Check the shared options: loss, output, noise kind and level.

        Raises
        ------
        ValueError
            If ``recon_loss`` or ``output`` is unknown, "bce" is asked with a linear output, ``noise`` is unknown,
            or ``noise_level`` is outside [0, 1].
        """
        if self.recon_loss not in RECON_LOSSES:
            raise ValueError(f"recon_loss must be one of {RECON_LOSSES}, got {self.recon_loss!r}")
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {self.output!r}")
        if self.recon_loss == "bce" and self.output != "sigmoid":
            raise ValueError("recon_loss 'bce' needs output 'sigmoid' (data in [0, 1]); use recon_loss 'mse'")
        if self.noise not in ("none", *NOISE_KINDS):
            raise ValueError(f"noise must be one of {('none', *NOISE_KINDS)}, got {self.noise!r}")
        if not 0.0 <= self.noise_level <= 1.0:
            raise ValueError(f"noise_level must be in [0, 1], got {self.noise_level}")


def make_options(cls: type[AEOptions], values: dict[str, Any], model_name: str) -> AEOptions:
    """Build a model type's options from a dict (JSON or command-line strings) and check them.

    Parameters
    ----------
    cls : type
        The model type's ``Options`` dataclass.
    values : dict
        Option values; strings and lists are coerced to each field's type.
    model_name : str
        For the error message.

    Returns
    -------
    AEOptions

    Raises
    ------
    ValueError
        Naming unknown options, or the first value out of range.
    """
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for model {model_name!r}; valid: {sorted(known)}")
    coerced = {}
    for key, value in values.items():
        default = known[key].default
        if isinstance(default, tuple):
            value = tuple(
                int(v)
                for v in (value if isinstance(value, (list, tuple)) else str(value).split(",") if str(value) else ())
            )
        elif isinstance(default, bool):
            value = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
        elif isinstance(default, float):
            value = float(value)
        elif isinstance(default, int):
            value = int(value)
        coerced[key] = value
    options = cls(**coerced)
    options.validate()
    return options


def jsonable(value: Any) -> Any:
    """``value`` with its tuples turned into lists, at any depth (for JSON).

    Parameters
    ----------
    value : any
        Tuples, dicts and anything else; dicts are copied, other values are kept as they are.

    Returns
    -------
    any
    """
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value
