"""What lives in a code space: sampling, paths between codes, single-dimension traversals,
manifold grids, and exporting image strips. Pages call these; none of them draws anything."""

from __future__ import annotations

import copy
import io

import numpy as np
import torch
from PIL import Image
from sklearn.base import BaseEstimator
from sklearn.mixture import GaussianMixture
from sklearn.utils.validation import check_is_fitted

from ae_core.data.images import encode_png, image_grid
from ae_core.models import Autoencoder, gaussian_kl, interpolate
from ae_core.system.parameters import check_parameter

SAMPLE_SOURCES = ("prior", "gaussian", "mixture")


class CodeDistribution(BaseEstimator):
    """A density over codes to sample from: a Gaussian or a Gaussian mixture fitted to the codes
    of the training data (how to sample from a plain autoencoder), or the VAE prior N(0, I).

    Parameters
    ----------
    kind : str
        One of ``SAMPLE_SOURCES``: "prior" (N(0, I)), "gaussian" (one full-covariance Gaussian)
        or "mixture" (a Gaussian mixture).
    n_components : int
        Components of the mixture (at most one per code); used by "mixture" only.
    seed : int
        Random seed of the mixture's fit.

    Attributes
    ----------
    latent_dim_ : int
        Numbers per code.
    mixture_ : sklearn.mixture.GaussianMixture or None
        The fitted density; None for "prior".
    """

    def __init__(self, kind: str = "gaussian", n_components: int = 10, seed: int = 0):
        self.kind = kind
        self.n_components = n_components
        self.seed = seed

    def fit(self, codes: np.ndarray, y=None) -> CodeDistribution:
        """Fit the density to ``codes`` ``(N, latent_dim)``; returns ``self``.

        Parameters
        ----------
        codes : array-like of shape (N, latent_dim)
        y : ignored

        Returns
        -------
        CodeDistribution
            ``self``, with ``latent_dim_`` and ``mixture_``.

        Raises
        ------
        ValueError
            If ``kind`` or ``n_components`` is not valid, or ``codes`` is not a non-empty 2-D array.
        """
        if self.kind not in SAMPLE_SOURCES:
            raise ValueError(f"sample source must be one of {SAMPLE_SOURCES}, got {self.kind!r}")
        check_parameter(self.n_components, "n_components", min_val=1)
        codes = np.asarray(codes, np.float64)
        if codes.ndim != 2 or len(codes) == 0:
            raise ValueError(f"need codes as a non-empty (N, latent_dim) array, got shape {codes.shape}")
        self.latent_dim_ = codes.shape[1]
        self.mixture_ = None
        if self.kind != "prior":
            components = 1 if self.kind == "gaussian" else min(self.n_components, len(codes))
            self.mixture_ = GaussianMixture(
                components, covariance_type="full", random_state=self.seed, reg_covar=1e-4
            ).fit(codes)
        return self

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` codes drawn from the fitted density, float32 ``(n, latent_dim)``; the same for the same ``seed``.

        Parameters
        ----------
        n : int
        seed : int, default 0

        Returns
        -------
        np.ndarray of shape (n, latent_dim)

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        """
        check_is_fitted(self, "latent_dim_")
        if self.kind == "prior":
            return np.random.default_rng(seed).standard_normal((n, self.latent_dim_)).astype(np.float32)
        # A shallow copy takes the seed, so a distribution shared by every session is never changed.
        mixture = copy.copy(self.mixture_)
        mixture.random_state = seed
        return mixture.sample(n)[0].astype(np.float32)


def dimension_order(
    model: Autoencoder, codes: np.ndarray, x: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Code dimensions from most to least informative, with the score used.

    For VAEs the score is each dimension's mean KL to the prior (dimensions with KL near 0 are
    unused, "collapsed"); for other models it is the variance of the codes.

    Parameters
    ----------
    model : Autoencoder
    codes : np.ndarray of shape (N, latent_dim)
    x : np.ndarray, optional
        Samples, for the KL of a VAE (the first 2,000 are used); without them the variance is used.

    Returns
    -------
    tuple
        ``(order, score, name)``: dimension indices, each dimension's score, and "KL" or "variance".
    """
    if model.variational and x is not None:
        with torch.no_grad():  # a variational encoder acts the same in either mode: the model is left as it is
            mu, logvar = model.encode_distribution(torch.as_tensor(np.asarray(x[:2000], np.float32)))
            kl = gaussian_kl(mu, logvar).mean(dim=0).numpy()
        return np.argsort(-kl), kl, "KL"
    variance = np.asarray(codes).var(axis=0)
    return np.argsort(-variance), variance, "variance"


def decoded_path(model: Autoencoder, ends: np.ndarray, steps: int, kind: str = "linear") -> np.ndarray:
    """What the decoder makes of the codes on the way from ``ends[0]``'s code to ``ends[1]``'s:
    ``steps`` outputs along a straight line or a great circle (``models.interpolate``).

    Parameters
    ----------
    model : Autoencoder
    ends : np.ndarray
        Two samples.
    steps : int
    kind : str, default "linear"
        As ``interpolate`` takes it.

    Returns
    -------
    np.ndarray of shape (steps, *model.input_shape)

    Raises
    ------
    ValueError
        If ``ends`` does not hold two samples.
    """
    if len(ends) != 2:
        raise ValueError(f"a path needs two end samples, got {len(ends)}")
    z = model.embed(ends)
    return model.decode_numpy(interpolate(z[0], z[1], steps, kind))


def pixel_blend(ends: np.ndarray, steps: int) -> np.ndarray:
    """For contrast with ``decoded_path``: ``steps`` cross-fades of the two samples' own pixels.

    Parameters
    ----------
    ends : np.ndarray
        Two samples.
    steps : int

    Returns
    -------
    np.ndarray of shape (steps, ...)
        Float32, from ``ends[0]`` to ``ends[1]``.

    Raises
    ------
    ValueError
        If ``ends`` does not hold two samples.
    """
    if len(ends) != 2:
        raise ValueError(f"a blend needs two end samples, got {len(ends)}")
    ends = np.asarray(ends, np.float32)
    weights = np.linspace(0, 1, steps).reshape(-1, *[1] * (ends.ndim - 1))
    return (weights * (ends[1] - ends[0]) + ends[0]).astype(np.float32)


def traversal_values(codes: np.ndarray, dims: list[int], steps: int, reach: float = 3.0) -> np.ndarray:
    """The values each traversal slider runs over: row ``i`` is ``steps`` values of dimension
    ``dims[i]`` from ``reach`` standard deviations below its mean over ``codes`` to as many above.

    Parameters
    ----------
    codes : np.ndarray of shape (N, latent_dim)
    dims : list of int
    steps : int
    reach : float, default 3.0

    Returns
    -------
    np.ndarray of shape (len(dims), steps)
    """
    codes = np.asarray(codes)
    centre, spread = codes.mean(axis=0), codes.std(axis=0) + 1e-6
    return centre[dims][:, None] + np.linspace(-reach, reach, steps)[None] * spread[dims][:, None]


def grid_columns(values: np.ndarray, columns: int = 9) -> np.ndarray:
    """Every k-th of each row's slider values, ``columns`` of them from the first to the last,
    for a printed grid (the sliders' ``steps`` must be ``(columns - 1) * k + 1``).

    Parameters
    ----------
    values : np.ndarray of shape (rows, steps)
    columns : int, default 9

    Returns
    -------
    np.ndarray of shape (rows, columns)

    Raises
    ------
    ValueError
        If ``columns`` < 2 or ``steps`` cannot be cut evenly.
    """
    steps = np.shape(values)[1]
    if columns < 2 or (steps - 1) % (columns - 1):
        raise ValueError(f"{steps} slider steps cannot be cut into {columns} evenly spaced grid columns")
    return np.asarray(values)[:, :: (steps - 1) // (columns - 1)]


def traversal_codes(z: np.ndarray, dims: list[int], values: np.ndarray) -> np.ndarray:
    """A grid of codes: row i varies dimension ``dims[i]`` of ``z`` over ``values[i]``.

    Parameters
    ----------
    z : np.ndarray of shape (latent_dim,)
        The base code.
    dims : list of int
    values : np.ndarray of shape (len(dims), steps), or (steps,) for the same values on every row

    Returns
    -------
    np.ndarray of shape (len(dims) * steps, latent_dim)
        Float32, row by row.
    """
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

    Parameters
    ----------
    model : Autoencoder
    base : np.ndarray of shape (latent_dim,)
    dims : list of int
    values : np.ndarray of shape (len(dims), steps)
    positions : list of int or None

    Returns
    -------
    tuple
        ``(z, image, sheet)``: the code, its decoding, and the sheet of shape (len(dims), steps, *input_shape).

    Raises
    ------
    ValueError
        If ``positions`` or the rows of ``values`` do not match ``dims``.
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


def code_box(codes: np.ndarray, percent: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Where most codes lie: the ``percent``-th and ``(100 - percent)``-th percentile of each
    dimension (a manifold grid over this box stays on the data).

    Parameters
    ----------
    codes : np.ndarray of shape (N, latent_dim)
    percent : float, default 1.0

    Returns
    -------
    tuple of np.ndarray
        ``(low, high)``, each of shape (latent_dim,).
    """
    return np.percentile(codes, percent, axis=0), np.percentile(codes, 100 - percent, axis=0)


def manifold_codes(low: np.ndarray, high: np.ndarray, steps: int) -> np.ndarray:
    """Codes on a ``steps`` x ``steps`` grid over a 2-D code plane (rows from high y to low y).

    Parameters
    ----------
    low, high : np.ndarray of shape (2,)
        The box's corners, as ``code_box`` returns them.
    steps : int

    Returns
    -------
    np.ndarray of shape (steps * steps, 2)
        Float32, row by row.

    Raises
    ------
    ValueError
        If the code is not 2-dimensional.
    """
    if len(low) != 2:
        raise ValueError(f"a manifold grid needs a 2-dimensional code, got {len(low)} dimensions")
    xs = np.linspace(low[0], high[0], steps)
    ys = np.linspace(high[1], low[1], steps)
    return np.array([[x, y] for y in ys for x in xs], np.float32)


def strip_png(images: np.ndarray, min_side: int = 64) -> bytes:
    """A row of images as PNG bytes, each at least ``min_side`` pixels high.

    Parameters
    ----------
    images : np.ndarray of shape (N, C, H, W)
        Values in [0, 1].
    min_side : int, default 64

    Returns
    -------
    bytes
    """
    return encode_png(image_grid(images, columns=len(images), min_side=min_side))


def strip_gif(images: np.ndarray, seconds_per_frame: float = 0.12, bounce: bool = True) -> bytes:
    """The images as an animated GIF (forward then back when ``bounce``).

    Parameters
    ----------
    images : np.ndarray of shape (N, C, H, W)
        Values in [0, 1]; each frame is enlarged to at least 128 pixels high.
    seconds_per_frame : float, default 0.12
    bounce : bool, default True

    Returns
    -------
    bytes
        A looping GIF.
    """
    frames = [Image.fromarray(image_grid(img[None], columns=1, pad=0, min_side=128)) for img in images]
    if bounce and len(frames) > 2:
        frames += frames[-2:0:-1]
    buffer = io.BytesIO()
    frames[0].save(
        buffer, format="GIF", save_all=True, append_images=frames[1:], duration=int(seconds_per_frame * 1000), loop=0
    )
    return buffer.getvalue()
