"""The course's "autoencoder vs PCA" exercises: same code size, error against code size, and
the linear autoencoder's subspace against PCA's (principal angles)."""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np
from scipy.linalg import subspace_angles
from sklearn.base import BaseEstimator
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_is_fitted

from ae_core.models import Autoencoder, build_model
from ae_core.models.dense import LinearAE
from ae_core.models.metrics import reconstruction_errors
from ae_core.train.loop import fit


class PCABaseline(BaseEstimator):
    """PCA with ``n_components`` components fitted on training data, used like an autoencoder.

    Parameters
    ----------
    n_components : int
        The code size: principal components kept, 1 to min(samples, features) of the data.

    Attributes
    ----------
    pca_ : sklearn.decomposition.PCA
        The fitted PCA.
    shape_ : tuple of int
        The shape of one sample, as reconstructions are shaped.
    """

    def __init__(self, n_components: int = 2):
        self.n_components = n_components

    def fit(self, x_train: np.ndarray, y=None) -> PCABaseline:
        """Fit PCA to ``x_train`` (samples of any shape); returns ``self``.

        Parameters
        ----------
        x_train : array-like of shape (N, ...)
            Flattened to vectors.
        y : ignored

        Returns
        -------
        PCABaseline
            ``self``, with ``pca_`` and ``shape_``.

        Raises
        ------
        ValueError
            If ``n_components`` is not an integer in 1..min(samples, features).
        """
        flat = _flat(x_train)
        k = self.n_components
        if not isinstance(k, numbers.Integral) or not 1 <= k <= min(flat.shape):
            raise ValueError(f"PCA code size must be in 1..{min(flat.shape)} for this data, got n_components={k!r}")
        self.pca_ = PCA(int(k), random_state=0).fit(flat)
        self.shape_ = tuple(np.shape(x_train)[1:])
        return self

    def embed(self, x: np.ndarray) -> np.ndarray:
        """The codes of ``x``: its first ``n_components`` principal components.

        Parameters
        ----------
        x : array-like of shape (N, ...)

        Returns
        -------
        np.ndarray of shape (N, n_components)
            Float32.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        """
        check_is_fitted(self, "pca_")
        return self.pca_.transform(_flat(x)).astype(np.float32)

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        """``x`` rebuilt from its codes, shaped like ``x``.

        Parameters
        ----------
        x : array-like of shape (N, ...)

        Returns
        -------
        np.ndarray
            Float32, shape (N, *shape_).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        """
        codes = self.embed(x)
        return self.pca_.inverse_transform(codes).reshape(len(x), *self.shape_).astype(np.float32)

    def errors(self, x: np.ndarray) -> np.ndarray:
        """Summed squared error per sample, as ``evaluation.reconstruction_errors``.

        Parameters
        ----------
        x : array-like of shape (N, ...)

        Returns
        -------
        np.ndarray of shape (N,)

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        """
        return ((self.reconstruct(x) - x) ** 2).reshape(len(x), -1).sum(axis=1)


def principal_angles(model: Autoencoder, baseline: PCABaseline) -> np.ndarray:
    """Angles in degrees between the subspace a linear autoencoder's decoder spans and PCA's.

    All near 0 means the autoencoder found PCA's subspace (Baldi & Hornik 1989), though not
    necessarily PCA's axes within it.

    Parameters
    ----------
    model : Autoencoder
        A ``linear`` model.
    baseline : PCABaseline
        Fitted, with as many components as the model's code.

    Returns
    -------
    np.ndarray of shape (latent_dim,)
        Largest first (``scipy.linalg.subspace_angles``).

    Raises
    ------
    ValueError
        If the model is not ``linear`` or the code sizes differ.
    """
    if not isinstance(model, LinearAE):
        raise ValueError(f"principal angles need a 'linear' model, got {model.registry_name!r}")
    if model.latent_dim != baseline.pca_.n_components_:
        raise ValueError(
            f"the model's code has {model.latent_dim} numbers, PCA {baseline.pca_.n_components_}; they must match"
        )
    basis = next(m for m in model.decoder.modules() if hasattr(m, "weight")).weight.detach().cpu().numpy()
    return np.degrees(subspace_angles(basis, baseline.pca_.components_.T))


def train_linear_autoencoder(x_train: np.ndarray, k: int, seed: int = 0, threads: int | None = None) -> LinearAE:
    """A ``linear`` autoencoder trained by ``fit``'s default recipe for it, which is the CLI's:
    full-batch L-BFGS on exactly PCA's data (see ``LinearAE``).

    Parameters
    ----------
    x_train : np.ndarray of shape (N, ...)
    k : int
        Code size.
    seed : int, default 0
    threads : int, optional
        CPU threads for training.

    Returns
    -------
    LinearAE
    """
    model = build_model("linear", x_train.shape[1:], int(k), seed=seed)
    fit(model, x_train, seed=seed, threads=threads)
    return model


def error_against_code_size(
    x_train: np.ndarray,
    x_test: np.ndarray,
    sizes: list[int],
    model: str = "deep",
    epochs: int = 40,
    seed: int = 0,
    threads: int | None = None,
    on_size: Callable[[int, int], None] | None = None,
) -> dict[str, list[float]]:
    """Mean test reconstruction error (summed squared error per sample) of PCA and of an
    autoencoder of type ``model`` trained for each code size (the course exercise).

    ``on_size(i, total)`` is called after each size, for a progress bar.

    Parameters
    ----------
    x_train, x_test : np.ndarray
        Training and test samples.
    sizes : list of int
        Code sizes, each >= 1.
    model : str, default "deep"
        A model type of ``MODELS``.
    epochs : int, default 40
    seed : int, default 0
    threads : int, optional
    on_size : callable, optional

    Returns
    -------
    dict
        ``code_size``, ``pca`` and ``autoencoder``: lists in the order of ``sizes``.

    Raises
    ------
    ValueError
        If ``sizes`` is empty or holds a size below 1.
    """
    if not sizes or min(sizes) < 1:
        raise ValueError(f"code sizes must be positive integers, got {sizes}")
    pca_errors, ae_errors = [], []
    for i, k in enumerate(sizes):
        pca_errors.append(float(PCABaseline(int(k)).fit(x_train).errors(x_test).mean()))
        ae = build_model(model, x_train.shape[1:], int(k), seed=seed)
        fit(ae, x_train, epochs=epochs, seed=seed, threads=threads)
        ae_errors.append(float(reconstruction_errors(ae, x_test).mean()))
        if on_size is not None:
            on_size(i + 1, len(sizes))
    return {"code_size": list(map(int, sizes)), "pca": pca_errors, "autoencoder": ae_errors}


def _flat(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, np.float64).reshape(len(x), -1)
