"""Filling missing values with a mask-aware autoencoder, beside mean and k-nearest-neighbour
imputation, on data where the truth is known."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ae_core.models import Autoencoder, build_model
from ae_core.system.parameters import check_parameter
from ae_core.train.loop import fit


def hide_values(x: np.ndarray, fraction: float, seed: int = 0) -> np.ndarray:
    """A copy of ``x`` with ``fraction`` of its values set to NaN at random (the truth is ``x``).

    Parameters
    ----------
    x : array-like
    fraction : float
        In (0, 1): each value is hidden with this probability.
    seed : int, default 0

    Returns
    -------
    np.ndarray
        Float32, shaped like ``x``.

    Raises
    ------
    ValueError
        If ``fraction`` is not in (0, 1).
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    hidden = np.asarray(x, np.float32).copy()
    hidden[np.random.default_rng(seed).random(hidden.shape) < fraction] = np.nan
    return hidden


def hide_box(images: np.ndarray, top: int, left: int, size: int) -> np.ndarray:
    """A copy of ``(N, C, H, W)`` images with a square region set to NaN (to be inpainted).

    Parameters
    ----------
    images : array-like of shape (N, C, H, W)
    top, left : int
        The box's top-left pixel.
    size : int
        Its side in pixels (cut off at the image's edge).

    Returns
    -------
    np.ndarray
        Float32, shaped like ``images``.

    Raises
    ------
    ValueError
        If ``size`` is below 1.
    """
    if size < 1:
        raise ValueError(f"the box needs a positive size, got {size}")
    hidden = np.asarray(images, np.float32).copy()
    hidden[..., top : top + size, left : left + size] = np.nan
    return hidden


class AutoencoderImputer(BaseEstimator):
    """A ``masked`` autoencoder trained on data with NaN gaps, hiding a further 25% of the known
    values each step so that filling gaps is what it learns.

    Parameters
    ----------
    latent_dim : int
        Size of the code.
    epochs : int
        Training epochs.
    seed : int
        Seed of the weights, the hidden values and the batch order.
    threads : int or None
        CPU threads for training; None: torch's setting as it is.

    Attributes
    ----------
    model_ : Autoencoder
        The trained autoencoder (``impute(x, "autoencoder", model_)`` is ``transform(x)``).
    """

    def __init__(self, latent_dim: int = 32, epochs: int = 150, seed: int = 0, threads: int | None = None):
        self.latent_dim = latent_dim
        self.epochs = epochs
        self.seed = seed
        self.threads = threads

    def fit(self, x_with_gaps: np.ndarray, y=None) -> AutoencoderImputer:
        """Train on ``x_with_gaps`` (NaN where a value is missing); returns ``self``.

        The model is a ``masked`` autoencoder with one hidden layer of 128 ReLU units, trained with
        batch size 64 and learning rate 3e-3.

        Parameters
        ----------
        x_with_gaps : array-like of shape (N, ...)
        y : ignored

        Returns
        -------
        AutoencoderImputer
            ``self``, with ``model_``.

        Raises
        ------
        ValueError
            If a parameter is not valid or the data has no samples or no known value.
        """
        check_parameter(self.latent_dim, "latent_dim", min_val=1)
        check_parameter(self.epochs, "epochs", min_val=1)
        check_parameter(self.seed, "seed")
        check_parameter(self.threads, "threads", min_val=1, allow_none=True)
        x_with_gaps = np.asarray(x_with_gaps, np.float32)
        if x_with_gaps.ndim < 2 or len(x_with_gaps) == 0 or np.isnan(x_with_gaps).all():
            raise ValueError(f"an imputer needs samples with some known values, got shape {x_with_gaps.shape}")
        self.model_ = build_model(
            "masked",
            x_with_gaps.shape[1:],
            self.latent_dim,
            seed=self.seed,
            hidden_dims=(128,),
            activation="relu",
            code_activation="relu",
            hide_fraction=0.25,
        )
        fit(
            self.model_,
            x_with_gaps,
            epochs=self.epochs,
            batch_size=64,
            lr=3e-3,
            weight_decay=1e-4,
            seed=self.seed,
            threads=self.threads,
        )
        return self

    def transform(self, x_with_gaps: np.ndarray) -> np.ndarray:
        """``x_with_gaps`` with its NaNs filled by the trained autoencoder (known values stay).

        Parameters
        ----------
        x_with_gaps : array-like of shape (N, ...)

        Returns
        -------
        np.ndarray
            Float32, same shape.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        """
        check_is_fitted(self, "model_")
        return impute(np.asarray(x_with_gaps, np.float32), "autoencoder", self.model_)


def impute(
    x_with_gaps: np.ndarray, method: str, model: Autoencoder | None = None, reference: np.ndarray | None = None
) -> np.ndarray:
    """Fill the NaNs of ``x_with_gaps`` by "autoencoder" (needs ``model``), "mean" or "knn"
    (scikit-learn's imputers, fitted on ``reference``, default the data itself); known values stay.

    Parameters
    ----------
    x_with_gaps : np.ndarray of shape (N, ...)
        NaN where a value is missing.
    method : str
        "autoencoder", "mean" or "knn" (5 neighbours).
    model : Autoencoder, optional
        The trained model, for "autoencoder".
    reference : np.ndarray, optional
        Extra samples the mean and kNN imputers are fitted on, besides the data itself.

    Returns
    -------
    np.ndarray
        Float32, same shape.

    Raises
    ------
    ValueError
        For an unknown method, or "autoencoder" without a model.
    """
    from sklearn.impute import KNNImputer, SimpleImputer

    shape = x_with_gaps.shape
    flat = x_with_gaps.reshape(len(x_with_gaps), -1)
    if method == "autoencoder":
        if model is None:
            raise ValueError("autoencoder imputation needs a trained model")
        filled = model.reconstruct(x_with_gaps).reshape(flat.shape)
    elif method in ("mean", "knn"):
        base = flat if reference is None else np.concatenate([reference.reshape(len(reference), -1), flat])
        imputer = (
            SimpleImputer(strategy="mean", keep_empty_features=True)
            if method == "mean"
            else KNNImputer(n_neighbors=5, keep_empty_features=True)
        )
        filled = imputer.fit(base).transform(flat)
    else:
        raise ValueError(f"method must be autoencoder, mean or knn, got {method!r}")
    return np.where(np.isnan(flat), filled, flat).reshape(shape).astype(np.float32)


def imputation_error(truth: np.ndarray, x_with_gaps: np.ndarray, filled: np.ndarray) -> float:
    """Root mean squared error over the values that were missing.

    Parameters
    ----------
    truth : np.ndarray
        The complete data.
    x_with_gaps : np.ndarray
        The same with NaN gaps.
    filled : np.ndarray
        The gaps filled.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``x_with_gaps`` has no missing value.
    """
    gaps = np.isnan(x_with_gaps)
    if not gaps.any():
        raise ValueError("there are no missing values to score")
    return float(np.sqrt(np.mean((filled[gaps] - truth[gaps]) ** 2)))


def example_table() -> np.ndarray:
    """scikit-learn's wine measurements (178 x 13), each column scaled to [0, 1]: an offline table.

    Returns
    -------
    np.ndarray of shape (178, 13)
    """
    from sklearn.datasets import load_wine

    from ae_core.data.scaling import Scaler

    table = load_wine().data
    return Scaler().fit(table).transform(table)


def rows_of(dataset) -> np.ndarray:
    """All rows (train and test) of a tabular dataset, as the imputation page's table.

    Parameters
    ----------
    dataset : Dataset

    Returns
    -------
    np.ndarray of shape (N, D)
        Training rows, then test rows.

    Raises
    ------
    ValueError
        If the dataset holds images.
    """
    if dataset.kind != "tabular":
        raise ValueError(f"imputation of a table needs tabular data; {dataset.spec!r} holds images")
    return np.concatenate([dataset.x_train, dataset.x_test])


def compare_imputers(
    truth: np.ndarray, x_with_gaps: np.ndarray, model: Autoencoder, reference: np.ndarray | None = None
) -> dict[str, dict]:
    """Each of "autoencoder", "mean" and "knn": its filled values, RMSE on the hidden values and
    the seconds it took (kNN compares every sample with every reference sample, which shows).
    Each method first fills one sample untimed, so one-off set-up (torch's first call) is not
    counted.

    Parameters
    ----------
    truth : np.ndarray
        The complete data.
    x_with_gaps : np.ndarray
        The same with NaN gaps.
    model : Autoencoder
        A trained model for "autoencoder".
    reference : np.ndarray, optional
        Extra samples for the mean and kNN imputers.

    Returns
    -------
    dict
        Method to ``{"filled": array, "rmse": float, "seconds": float}``.
    """
    import time

    results = {}
    for method in ("autoencoder", "mean", "knn"):
        impute(x_with_gaps[:1], method, model, None if reference is None else reference[:10])
        start = time.perf_counter()
        filled = impute(x_with_gaps, method, model, reference)
        seconds = time.perf_counter() - start
        results[method] = {"filled": filled, "rmse": imputation_error(truth, x_with_gaps, filled), "seconds": seconds}
    return results
