"""The course's "autoencoder vs PCA" exercises: same code size, error against code size, and
the linear autoencoder's subspace against PCA's (principal angles)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA

from ae_core.models import Autoencoder, build_model
from ae_core.models.dense import LinearAE
from ae_core.models.metrics import reconstruction_errors
from ae_core.train.loop import fit


@dataclass(frozen=True)
class PCABaseline:
    """PCA with ``k`` components fitted on training data, used like an autoencoder."""

    pca: PCA
    shape: tuple[int, ...]

    @classmethod
    def fit(cls, x_train: np.ndarray, k: int) -> PCABaseline:
        flat = _flat(x_train)
        if not 1 <= k <= min(flat.shape):
            raise ValueError(f"PCA code size must be in 1..{min(flat.shape)} for this data, got {k}")
        return cls(PCA(k, random_state=0).fit(flat), tuple(x_train.shape[1:]))

    def embed(self, x: np.ndarray) -> np.ndarray:
        return self.pca.transform(_flat(x)).astype(np.float32)

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        return self.pca.inverse_transform(self.embed(x)).reshape(len(x), *self.shape).astype(np.float32)

    def errors(self, x: np.ndarray) -> np.ndarray:
        """Summed squared error per sample, as ``evaluation.reconstruction_errors``."""
        return ((self.reconstruct(x) - x) ** 2).reshape(len(x), -1).sum(axis=1)


def principal_angles(model: Autoencoder, baseline: PCABaseline) -> np.ndarray:
    """Angles in degrees between the subspace a linear autoencoder's decoder spans and PCA's.

    All near 0 means the autoencoder found PCA's subspace (Baldi & Hornik 1989), though not
    necessarily PCA's axes within it.
    """
    if not isinstance(model, LinearAE):
        raise ValueError(f"principal angles need a 'linear' model, got {model.registry_name!r}")
    if model.latent_dim != baseline.pca.n_components_:
        raise ValueError(
            f"the model's code has {model.latent_dim} numbers, PCA {baseline.pca.n_components_}; they must match"
        )
    basis = next(m for m in model.decoder.modules() if hasattr(m, "weight")).weight.detach().cpu().numpy()
    return np.degrees(subspace_angles(basis, baseline.pca.components_.T))


def train_linear_autoencoder(x_train: np.ndarray, k: int, seed: int = 0, threads: int | None = None) -> LinearAE:
    """A ``linear`` autoencoder trained by ``fit``'s default recipe for it, which is the CLI's:
    full-batch L-BFGS on exactly PCA's data (see ``LinearAE``)."""
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
    """
    if not sizes or min(sizes) < 1:
        raise ValueError(f"code sizes must be positive integers, got {sizes}")
    pca_errors, ae_errors = [], []
    for i, k in enumerate(sizes):
        pca_errors.append(float(PCABaseline.fit(x_train, k).errors(x_test).mean()))
        ae = build_model(model, x_train.shape[1:], int(k), seed=seed)
        fit(ae, x_train, epochs=epochs, seed=seed, threads=threads)
        ae_errors.append(float(reconstruction_errors(ae, x_test).mean()))
        if on_size is not None:
            on_size(i + 1, len(sizes))
    return {"code_size": list(map(int, sizes)), "pca": pca_errors, "autoencoder": ae_errors}


def _flat(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, np.float64).reshape(len(x), -1)
