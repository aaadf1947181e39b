"""The feature scaler of tables, a scikit-learn estimator kept in checkpoints as a small dict.

It loads scikit-learn, so it is imported only when a table is loaded (not on a page's first view).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

KINDS = ("minmax", "standard")


class Scaler(BaseEstimator):
    """Affine feature scaling ``(x - offset_) / scale_``: "minmax" to [0, 1] or "standard".

    Parameters
    ----------
    kind : str
        "minmax" (to [0, 1], new data clipped into it, as BCE needs) or "standard" (z-scores).

    Attributes
    ----------
    offset_, scale_ : ndarray of shape (n_features,)
        Per feature: the minimum and range, or the mean and standard deviation (1 where that is 0).
    """

    def __init__(self, kind: str = "minmax"):
        self.kind = kind

    def fit(self, x: np.ndarray, y=None) -> Scaler:
        """Find each feature's offset and scale in ``x`` ``(N, features)``; returns ``self``.

        Parameters
        ----------
        x : array-like of shape (N, features)
        y : ignored

        Returns
        -------
        Scaler
            ``self``, with ``offset_`` and ``scale_``.

        Raises
        ------
        ValueError
            If ``kind`` is not "minmax" or "standard".
        """
        if self.kind not in KINDS:
            raise ValueError(f"scaling must be 'minmax' or 'standard', got {self.kind!r}")
        x = np.asarray(x, dtype=np.float64)
        if self.kind == "minmax":
            offset, span = x.min(axis=0), x.max(axis=0) - x.min(axis=0)
        else:
            offset, span = x.mean(axis=0), x.std(axis=0)
        self.offset_, self.scale_ = offset, np.where(span > 0, span, 1.0)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """``x`` scaled, float32.

        "minmax" values are clipped to [0, 1], also where new data leaves the training range.

        Parameters
        ----------
        x : array-like of shape (..., features)

        Returns
        -------
        np.ndarray
            Float32, same shape.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        ValueError
            If the feature count differs from the fitted one.
        """
        check_is_fitted(self, "offset_")
        x = np.asarray(x, dtype=np.float64)
        if x.shape[-1] != len(self.offset_):
            raise ValueError(f"data has {x.shape[-1]} features, the scaler was fitted on {len(self.offset_)}")
        out = (x - self.offset_) / self.scale_
        # Min-max data stays in [0, 1] (what BCE needs) even where new data exceeds the training range.
        return (out.clip(0, 1) if self.kind == "minmax" else out).astype(np.float32)

    def inverse_transform(self, x: np.ndarray) -> np.ndarray:
        """Scaled values back in the original units, float64.

        Parameters
        ----------
        x : array-like of shape (..., features)

        Returns
        -------
        np.ndarray
            Float64, same shape.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        """
        check_is_fitted(self, "offset_")
        return np.asarray(x, dtype=np.float64) * self.scale_ + self.offset_

    def to_dict(self) -> dict[str, Any]:
        """The fitted scaler as JSON-ready data (what a checkpoint stores).

        Returns
        -------
        dict
            ``kind``, ``offset`` and ``scale`` (lists of floats).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        """
        check_is_fitted(self, "offset_")
        return {"kind": self.kind, "offset": self.offset_.tolist(), "scale": self.scale_.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scaler:
        """The fitted scaler that ``to_dict`` wrote (as unpickling would give it back).

        Parameters
        ----------
        data : dict
            ``kind``, ``offset`` and ``scale``.

        Returns
        -------
        Scaler
            Fitted.
        """
        scaler = cls(data["kind"])
        scaler.offset_ = np.asarray(data["offset"], np.float64)
        scaler.scale_ = np.asarray(data["scale"], np.float64)
        return scaler
