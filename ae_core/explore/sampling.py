"""What lives in a code space: sampling, single-dimension traversals, manifold grids, and
exporting image strips. Pages call these; none of them draws anything."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image
from sklearn.mixture import GaussianMixture

from ae_core.data.images import image_grid
from ae_core.models import Autoencoder

SAMPLE_SOURCES = ("prior", "gaussian", "mixture")


class CodeDistribution:
    """A density over codes to sample from: a Gaussian or a Gaussian mixture fitted to the codes
    of the training data (how to sample from a plain autoencoder), or the VAE prior N(0, I)."""

    def __init__(self, kind: str = "gaussian", n_components: int = 10, seed: int = 0):
        if kind not in SAMPLE_SOURCES:
            raise ValueError(f"sample source must be one of {SAMPLE_SOURCES}, got {kind!r}")
        self.kind, self.n_components, self.seed = kind, n_components, seed

    def fit(self, codes: np.ndarray) -> CodeDistribution:
        codes = np.asarray(codes, np.float64)
        self.latent_dim_ = codes.shape[1]
        if self.kind != "prior":
            components = 1 if self.kind == "gaussian" else min(self.n_components, len(codes))
            self.mixture_ = GaussianMixture(
                components, covariance_type="full", random_state=self.seed, reg_covar=1e-4
            ).fit(codes)
        return self

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        if self.kind == "prior":
            return np.random.default_rng(seed).standard_normal((n, self.latent_dim_)).astype(np.float32)
        self.mixture_.random_state = seed
        return self.mixture_.sample(n)[0].astype(np.float32)


def dimension_order(
    model: Autoencoder, codes: np.ndarray, x: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Code dimensions from most to least informative, with the score used.

    For VAEs the score is each dimension's mean KL to the prior (dimensions with KL near 0 are
    unused, "collapsed"); for other models it is the variance of the codes.
    """
    if model.variational and x is not None:
        with torch.no_grad():  # a variational encoder acts the same in either mode: the model is left as it is
            mu, logvar = model.encode_distribution(torch.as_tensor(np.asarray(x[:2000], np.float32)))
            kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).mean(dim=0).numpy()
        return np.argsort(-kl), kl, "KL"
    variance = np.asarray(codes).var(axis=0)
    return np.argsort(-variance), variance, "variance"


def traversal_codes(z: np.ndarray, dims: list[int], values: np.ndarray) -> np.ndarray:
    """A grid of codes: row i varies dimension ``dims[i]`` of ``z`` over ``values[i]``."""
    values = np.asarray(values, np.float32)
    if values.ndim == 1:
        values = np.tile(values, (len(dims), 1))
    grid = np.repeat(np.asarray(z, np.float32)[None, None], len(dims), 0).repeat(values.shape[1], 1)
    for row, dim in enumerate(dims):
        grid[row, :, dim] = values[row]
    return grid.reshape(-1, len(z))


def traversal_sheet(
    model: Autoencoder, base: np.ndarray, dims: list[int], values: np.ndarray, positions: list[int | None]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What live traversal sliders show: the code, its decoded image, and a sheet of images.

    Slider ``i`` turns dimension ``dims[i]`` over ``values[i]``; ``positions[i]`` is its index there,
    or None while it still has ``base``'s own value. ``sheet[i, k]`` is the image with slider ``i``
    moved to ``k`` and every other slider where it is: moving one slider only picks a tile.
    """
    values = np.asarray(values, np.float32)
    if len(positions) != len(dims) or values.shape[0] != len(dims):
        raise ValueError(
            f"{len(dims)} sliders need as many positions and value rows, got {len(positions)} and {values.shape[0]}"
        )
    z = np.asarray(base, np.float32).copy()
    for row, (dim, k) in enumerate(zip(dims, positions)):
        if k is not None:
            z[dim] = values[row, int(k)]
    images = model.decode_numpy(np.concatenate([z[None], traversal_codes(z, dims, values)]))
    return z, images[0], images[1:].reshape(len(dims), values.shape[1], *images.shape[1:])


def manifold_codes(low: np.ndarray, high: np.ndarray, steps: int) -> np.ndarray:
    """Codes on a ``steps`` x ``steps`` grid over a 2-D code plane (rows from high y to low y)."""
    if len(low) != 2:
        raise ValueError(f"a manifold grid needs a 2-dimensional code, got {len(low)} dimensions")
    xs = np.linspace(low[0], high[0], steps)
    ys = np.linspace(high[1], low[1], steps)
    return np.array([[x, y] for y in ys for x in xs], np.float32)


def strip_png(images: np.ndarray, min_side: int = 64) -> bytes:
    """A row of images as PNG bytes, each at least ``min_side`` pixels high."""
    buffer = io.BytesIO()
    Image.fromarray(image_grid(images, columns=len(images), min_side=min_side)).save(buffer, format="PNG")
    return buffer.getvalue()


def strip_gif(images: np.ndarray, seconds_per_frame: float = 0.12, bounce: bool = True) -> bytes:
    """The images as an animated GIF (forward then back when ``bounce``)."""
    frames = [Image.fromarray(image_grid(img[None], columns=1, pad=0, min_side=128)) for img in images]
    if bounce and len(frames) > 2:
        frames += frames[-2:0:-1]
    buffer = io.BytesIO()
    frames[0].save(
        buffer, format="GIF", save_all=True, append_images=frames[1:], duration=int(seconds_per_frame * 1000), loop=0
    )
    return buffer.getvalue()
