"""The dataset container, dataset specs, tables' default scaling and a seeded split (the scaler
itself is in ``scaling``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """Float32 samples with a fixed train/test split.

    ``x_*`` hold images as ``(N, C, H, W)`` with values in [0, 1], or tables as ``(N, D)``,
    standardised by default (``TABLE_SCALING``). ``scaler`` (a dict) maps raw tabular features
    to these values and is stored in checkpoints so new data is scaled the same way.
    """

    spec: str
    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray | None = None
    y_test: np.ndarray | None = None
    label_names: list[str] | None = None
    scaler: dict[str, Any] | None = None
    factors: dict[str, np.ndarray] | None = None  # known generating factors (shapes), train then test
    feature_names: list[str] | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of one sample: (C, H, W) or (D,)."""
        return tuple(self.x_train.shape[1:])

    @property
    def kind(self) -> str:
        """ "image" for (C, H, W) samples, "tabular" otherwise."""
        return "image" if len(self.shape) == 3 else "tabular"

    @property
    def has_labels(self) -> bool:
        """Whether it has class labels."""
        return self.y_train is not None

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray | None]:
        """``(x, y)`` of "train", "test" or "all".

        Parameters
        ----------
        name : str
            "all" is the training samples followed by the test samples.

        Returns
        -------
        tuple
            The samples and their labels (None when unlabelled).

        Raises
        ------
        ValueError
            For another name.
        """
        if name == "train":
            return self.x_train, self.y_train
        if name == "test":
            return self.x_test, self.y_test
        if name == "all":
            y = None if self.y_train is None else np.concatenate([self.y_train, self.y_test])
            return np.concatenate([self.x_train, self.x_test]), y
        raise ValueError(f"split must be 'train', 'test' or 'all', got {name!r}")

    def random_test_rows(self, count: int, seed: int = 0) -> np.ndarray:
        """``count`` distinct test samples' row numbers picked at random by ``seed`` (all of
        them, shuffled, when the test split is smaller): the same rows for the same seed.

        Parameters
        ----------
        count : int
        seed : int, default 0

        Returns
        -------
        np.ndarray
            Row numbers into ``x_test``.
        """
        n = len(self.x_test)
        return np.random.default_rng(seed).choice(n, size=min(count, n), replace=False)


def parse_spec(spec: str) -> tuple[str, str | None, dict[str, str]]:
    """``"name[:argument][?key=value&...]"`` -> (name, argument, options).

    Parameters
    ----------
    spec : str

    Returns
    -------
    tuple
        The name (lower-cased), the argument (None without a colon) and the options as strings.

    Raises
    ------
    ValueError
        If ``spec`` is not a non-empty string.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"dataset spec must be a non-empty string like 'digits' or 'npz:PATH', got {spec!r}")
    head, _, query = spec.strip().partition("?")
    name, sep, argument = head.partition(":")
    options = dict(parse_qsl(query, keep_blank_values=True)) if query else {}
    return name.lower(), (argument if sep else None), options


def option(options: dict[str, str], key: str, default, cast=int):
    """A typed option from a spec, with an error naming the bad value.

    Parameters
    ----------
    options : dict of str to str
        As ``parse_spec`` returns them.
    key : str
    default : any
        Returned as it is when the option is not given.
    cast : callable, default int

    Returns
    -------
    any

    Raises
    ------
    ValueError
        If the value cannot be cast.
    """
    if key not in options:
        return default
    try:
        return cast(options[key])
    except ValueError:
        raise ValueError(f"dataset option {key}={options[key]!r} is not a valid {cast.__name__}") from None


def seeded_split(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic train/test indices.

    Parameters
    ----------
    n : int
        Samples, at least 2.
    test_fraction : float
        In (0, 1); the test split gets at least 1 and at most ``n - 1`` samples.
    seed : int

    Returns
    -------
    tuple of np.ndarray
        Sorted training and test indices.

    Raises
    ------
    ValueError
        If ``test_fraction`` is out of range or ``n`` < 2.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test fraction must be in (0, 1), got {test_fraction}")
    if n < 2:
        raise ValueError(f"need at least 2 samples to split into train and test, got {n}")
    perm = np.random.default_rng(seed).permutation(n)
    n_test = min(max(1, round(n * test_fraction)), n - 1)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


# Tables get z-scores unless a spec asks for ``scale=minmax``: the field's choice (PyOD and
# scikit-learn standardise), and min-max scaling clips new data into the training range, which
# hides exactly the extreme values an anomalous row is made of.
TABLE_SCALING = "standard"
