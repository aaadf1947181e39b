"""Denoising whole photographs: tiled inference of any size, colour in a decorrelated space, a
guard that keeps clean photos as they are and holds the result to what noise explains
(``denoising_guard``), the
classical filters a photographer would compare against, and PSNR/SSIM."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ae_core.apps.denoising_guard import guarded
from ae_core.models import Autoencoder
from ae_core.models.noise_level import denoising_levels

CLASSICAL = ("median", "gaussian", "non-local means", "total variation")

# A decorrelated colour space, as CBM3D uses (Dabov et al. 2007): luminance (the mean) and two
# opponent chroma planes, scaled to span [0, 1] like a gray image (chroma shifted by 0.5). White
# noise of std s per RGB channel becomes white noise of std s * |row| in each plane, and colour
# noise that hits R, G and B together mostly lands in one plane.
OPPONENT = np.array([[1 / 3, 1 / 3, 1 / 3], [1 / 2, 0, -1 / 2], [1 / 4, -1 / 2, 1 / 4]], np.float32)
_OFFSET = np.array([0, 0.5, 0.5], np.float32)
HALF_CHROMA_PIXELS = 4_000_000  # above this, chroma planes are denoised at half resolution


def noise_level(image: np.ndarray) -> float:
    """A photo's noise level in [0, 1] units (x 255 for 8-bit units): the median of the map a
    denoiser is told (``denoising_levels``).

    Parameters
    ----------
    image : np.ndarray of shape (H, W, C)
        Values in [0, 1].

    Returns
    -------
    float
    """
    return float(np.median(denoising_levels(image)[0]))


def to_opponent(image: np.ndarray) -> np.ndarray:
    """RGB to the opponent colour planes: luminance, then two chroma planes offset by 0.5.

    Parameters
    ----------
    image : np.ndarray
        Float32 RGB, shape (..., 3), values in [0, 1].

    Returns
    -------
    np.ndarray
        Same shape: ``image @ OPPONENT.T`` plus (0, 0.5, 0.5).
    """
    return image @ OPPONENT.T + _OFFSET


def from_opponent(planes: np.ndarray) -> np.ndarray:
    """Opponent colour planes back to RGB (the inverse of ``to_opponent``).

    Parameters
    ----------
    planes : np.ndarray
        Shape (..., 3), as ``to_opponent`` returns.

    Returns
    -------
    np.ndarray
        RGB, same shape, float32; not clipped.
    """
    return (planes - _OFFSET) @ np.linalg.inv(OPPONENT).T.astype(np.float32)


@torch.no_grad()
def denoise_image(
    model: Autoencoder,
    image: np.ndarray,
    sigma: float | None = None,
    strength: float = 1.0,
    tile: int = 512,
    overlap: int = 16,
    on_progress: Callable[[int, int], None] | None = None,
    guard: bool = True,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Denoise an (H, W, C) float image in [0, 1] with a photo denoiser, tile by tile.

    A colour photo given to a grayscale model is denoised in the opponent colour space
    (``OPPONENT``), each plane with its own noise level (chroma at half resolution above
    ``HALF_CHROMA_PIXELS``). ``sigma`` is the noise level in [0, 1]
    units per RGB channel (None: a noise-level map is estimated for every plane, so noise that
    grows with brightness is followed); ``strength`` multiplies it for the user who disagrees.
    ``guard`` keeps a clean photo as it is and, per 32-pixel cell, gives back what was removed
    beyond noise of the measured level (``denoising_guard``). The image is cut into ``tile`` x
    ``tile`` pieces with ``overlap``
    pixels of context on every side, so seams do not show and memory stays that of one tile.
    ``on_progress(done, total)`` is called after each tile.

    Parameters
    ----------
    model : Autoencoder
        A photo denoiser (``PhotoDenoiser``) of 1 channel, or of the image's channel count.
    image : np.ndarray of shape (H, W, C)
    sigma : float, optional
        In [0, 1].
    strength : float, default 1.0
        In [0, 4].
    tile : int, default 512
        Even, at least 2.
    overlap : int, default 16
        Even, at least 0.
    on_progress : callable, optional
    guard : bool, default True
    device : str or torch.device, default "cpu"

    Returns
    -------
    np.ndarray of shape (H, W, C)
        Float32, clipped to [0, 1].

    Raises
    ------
    ValueError
        If the image is not (H, W, C), ``tile``, ``overlap``, ``sigma`` or ``strength`` is out of range,
        or the model cannot take the image's channels.
    """
    image = np.asarray(image, np.float32)
    if image.ndim != 3:
        raise ValueError(f"denoise_image needs an (H, W, C) image, got shape {image.shape}")
    if tile % 2 or overlap % 2 or tile < 2 or overlap < 0:
        raise ValueError(f"tile and overlap must be even (tile at least 2), got tile={tile}, overlap={overlap}")
    if sigma is not None and not 0 <= sigma <= 1:
        raise ValueError(f"sigma must be in [0, 1] (8-bit units / 255), got {sigma}")
    if not 0 <= strength <= 4:
        raise ValueError(f"strength must be in [0, 4], got {strength}")
    model_channels = model.input_shape[0]
    if model_channels != 1 and image.shape[2] != model_channels:
        raise ValueError(f"a {model_channels}-channel denoiser cannot take a {image.shape[2]}-channel image")
    colour = model_channels == 1 and image.shape[2] == 3
    planes = to_opponent(image) if colour else image
    # White noise of std s per RGB channel has std s * unit in each plane.
    unit = np.linalg.norm(OPPONENT, axis=1) if colour else np.ones(planes.shape[2], np.float32)
    if sigma is None:
        levels, bounds = denoising_levels(planes)  # (rows, cols, C) each
    else:
        levels = bounds = np.full((1, 1, planes.shape[2]), sigma, np.float32) * unit
    levels, bounds = levels * strength, bounds * strength
    network = model.fused().to(device) if hasattr(model, "fused") else model.to(device).eval()
    groups = [[c] for c in range(planes.shape[2])] if model_channels == 1 else [list(range(planes.shape[2]))]
    # Chroma of a big colour photo is denoised at half resolution (a quarter of the work; chroma
    # carries little fine detail, which is why JPEG keeps it at half resolution too).
    halved = [colour and g[0] > 0 and image.shape[0] * image.shape[1] > HALF_CHROMA_PIXELS for g in groups]
    sizes = [(s // 2 if half else s for s in image.shape[:2]) for half in halved]
    total = sum(len(range(0, h, tile)) * len(range(0, w, tile)) for h, w in sizes)
    done = [0]

    def progress() -> None:
        done[0] += 1
        if on_progress is not None:
            on_progress(done[0], total)

    out = np.empty_like(planes)
    for group, half in zip(groups, halved):
        level = levels[:, :, group].mean(axis=2)
        if half:
            h, w = planes.shape[0] // 2 * 2, planes.shape[1] // 2 * 2
            small = planes[:h, :w, group].reshape(h // 2, 2, w // 2, 2, 1).mean(axis=(1, 3))
            result = _upsampled(_tiled(network, small, level / 2, tile, overlap, device, progress), planes.shape[:2])
        else:
            result = _tiled(network, planes[:, :, group], level, tile, overlap, device, progress)
        bound = bounds[:, :, group].mean(axis=2)
        out[:, :, group] = guarded(planes[:, :, group], result, bound, level) if guard else result
    return np.clip(from_opponent(out) if colour else out, 0, 1)


def _upsampled(plane: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """An (h, w, 1) plane at half resolution, bilinearly back to ``size`` (an odd side repeats its edge)."""
    tensor = torch.from_numpy(np.ascontiguousarray(plane[:, :, 0]))[None, None]
    up = F.interpolate(tensor, scale_factor=2, mode="bilinear", align_corners=False)[0, 0].numpy()
    return np.pad(up, ((0, size[0] - up.shape[0]), (0, size[1] - up.shape[1])), mode="edge")[:, :, None]


def _tiled(network, plane, level, tile, overlap, device, progress) -> np.ndarray:
    """``network`` over (H, W, C) ``plane`` in tiles, told the noise-level map ``level`` (rows, cols)."""
    h, w = plane.shape[:2]
    longest = max(h, w) + max(h, w) % 2
    step = min(tile, longest)  # a small image is one small tile, not a mostly padded large one
    side = step + 2 * overlap
    pad = ((overlap, overlap + side), (overlap, overlap + side))
    # Reflect-pad so every tile, border ones included, sees real image context.
    padded = np.pad(plane, (*pad, (0, 0)), mode="reflect")
    level_map = F.interpolate(torch.from_numpy(np.ascontiguousarray(level))[None, None], size=(h, w), mode="bilinear")
    padded_level = np.pad(level_map[0, 0].numpy(), pad, mode="reflect")
    result = np.empty_like(plane)
    for top in range(0, h, step):
        for left in range(0, w, step):
            piece = torch.from_numpy(
                np.ascontiguousarray(padded[top : top + side, left : left + side].transpose(2, 0, 1))
            )
            told = torch.from_numpy(np.ascontiguousarray(padded_level[top : top + side, left : left + side]))
            piece = piece[None].to(device).contiguous(memory_format=torch.channels_last)
            clean = network.decode(network.encode(piece, told[None, None].to(device)))[0].cpu().numpy()
            rows, cols = min(step, h - top), min(step, w - left)
            result[top : top + rows, left : left + cols] = clean.transpose(1, 2, 0)[
                overlap : overlap + rows, overlap : overlap + cols
            ]
            progress()
    return result


def classical(noisy: np.ndarray, name: str, sigma: float) -> np.ndarray:
    """One of the classical filters of ``CLASSICAL`` with its usual setting for noise ``sigma``.

    "median" is 3x3, "gaussian" has sigma 1 pixel, "non-local means" uses h = 0.8 sigma (fast mode),
    "total variation" (Chambolle) a weight of ``sigma``.

    Parameters
    ----------
    noisy : np.ndarray of shape (H, W, C)
    name : str
        A name of ``CLASSICAL``.
    sigma : float
        The noise level in [0, 1] units.

    Returns
    -------
    np.ndarray
        Float32, shaped like ``noisy``.

    Raises
    ------
    ValueError
        For an unknown filter name.
    """
    from scipy.ndimage import median_filter
    from skimage.filters import gaussian
    from skimage.restoration import denoise_nl_means, denoise_tv_chambolle

    filters = {
        "median": lambda: median_filter(noisy, size=(3, 3, 1)),
        "gaussian": lambda: gaussian(noisy, sigma=1.0, channel_axis=-1),
        # h = 0.8 sigma with fast mode: scikit-image's recommended setting.
        "non-local means": lambda: denoise_nl_means(
            noisy, h=0.8 * sigma, sigma=sigma, patch_size=5, patch_distance=6, fast_mode=True, channel_axis=-1
        ),
        "total variation": lambda: denoise_tv_chambolle(noisy, weight=max(sigma, 1e-3), channel_axis=-1),
    }
    if name not in filters:
        raise ValueError(f"classical filter must be one of {', '.join(CLASSICAL)}, got {name!r}")
    return np.asarray(filters[name](), np.float32).reshape(noisy.shape)


def quality(clean: np.ndarray, image: np.ndarray) -> dict[str, float]:
    """PSNR (dB) and SSIM of ``image`` against ``clean``, both (H, W, C) in [0, 1].

    ``image`` is clipped to [0, 1] first.

    Parameters
    ----------
    clean : np.ndarray
    image : np.ndarray

    Returns
    -------
    dict
        ``psnr`` and ``ssim``.
    """
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    image = np.clip(image, 0, 1)
    return {
        "psnr": float(peak_signal_noise_ratio(clean, image, data_range=1.0)),
        "ssim": float(structural_similarity(clean, image, data_range=1.0, channel_axis=-1)),
    }


def noisy_copy(clean: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """``clean`` plus white Gaussian noise of std ``sigma``, not clipped (the benchmark convention).

    Parameters
    ----------
    clean : np.ndarray
    sigma : float
        In [0, 1] units.
    seed : int, default 0

    Returns
    -------
    np.ndarray
        Float32, shaped like ``clean``.
    """
    return (clean + sigma * np.random.default_rng(seed).standard_normal(clean.shape)).astype(np.float32)


def compare_filters(
    clean: np.ndarray, noisy: np.ndarray, denoised: np.ndarray | None, sigma: float, filters=CLASSICAL
) -> dict[str, dict[str, float]]:
    """PSNR/SSIM against ``clean`` of the ``noisy`` photo (``"noisy"``), of the network's result
    (``"network"``, when ``denoised`` is given) and of each named classical filter run on
    ``noisy`` with its usual setting for noise ``sigma``; all (H, W, C) in [0, 1].

    Parameters
    ----------
    clean, noisy : np.ndarray
    denoised : np.ndarray or None
    sigma : float
    filters : sequence of str, default ``CLASSICAL``

    Returns
    -------
    dict
        Name to ``{"psnr": ..., "ssim": ...}``.
    """
    scores = {"noisy": quality(clean, noisy)}
    if denoised is not None:
        scores["network"] = quality(clean, denoised)
    for name in filters:
        scores[name] = quality(clean, classical(noisy, name, sigma))
    return scores


def benchmark(model: Autoencoder | None, photos: dict[str, np.ndarray], sigma: float = 25 / 255, filters=()) -> dict:
    """Mean PSNR/SSIM over ``photos`` (name -> clean image) at noise ``sigma`` for the model
    (told the true sigma, as benchmarks do) and for each named classical filter.

    Photo i gets noise seeded with i.

    Parameters
    ----------
    model : Autoencoder or None
        None scores only the noisy photos and the filters.
    photos : dict of str to np.ndarray
        Clean (H, W, C) images in [0, 1].
    sigma : float, default 25/255
    filters : sequence of str, default ()
        Names of ``CLASSICAL``.

    Returns
    -------
    dict
        "noisy", "network" (with a model) and each filter, to mean ``psnr`` and ``ssim`` rounded to 3 decimals.
    """
    scores: dict[str, list[dict[str, float]]] = {}
    for i, clean in enumerate(photos.values()):
        noisy = noisy_copy(clean, sigma, seed=i)
        denoised = None if model is None else denoise_image(model, noisy, sigma)
        for name, measured in compare_filters(clean, noisy, denoised, sigma, filters).items():
            scores.setdefault(name, []).append(measured)
    return {
        name: {metric: round(float(np.mean([r[metric] for r in rows])), 3) for metric in ("psnr", "ssim")}
        for name, rows in scores.items()
    }
