"""Denoising whole photographs: tiled inference of any size, noise-level estimation, the
classical filters a photographer would compare against, and PSNR/SSIM."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ae_core.models import Autoencoder
from ae_core.models.denoiser import estimate_noise

CLASSICAL = ("median", "gaussian", "non-local means", "total variation")


def noise_level(image: np.ndarray) -> float:
    """Estimated standard deviation of white Gaussian noise in an (H, W, C) image in [0, 1]."""
    planes = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)[:, None], dtype=np.float32))
    return float(estimate_noise(planes).mean())


@torch.no_grad()
def denoise_image(
    model: Autoencoder,
    image: np.ndarray,
    sigma: float | None = None,
    tile: int = 512,
    overlap: int = 16,
    on_progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Denoise an (H, W, C) float image in [0, 1] with a photo denoiser, tile by tile.

    A grayscale model denoises colour images channel by channel. The image is cut into
    ``tile`` x ``tile`` pieces, each processed with ``overlap`` extra pixels of context on every
    side that are then dropped, so seams do not show; memory stays that of one tile whatever the
    image size. ``sigma`` is the noise level in [0, 1] units (None: estimated).
    ``on_progress(done, total)`` is called after each tile.
    """
    image = np.asarray(image, np.float32)
    if image.ndim != 3:
        raise ValueError(f"denoise_image needs an (H, W, C) image, got shape {image.shape}")
    if tile % 2 or overlap % 2 or tile < 2 or overlap < 0:
        raise ValueError(f"tile and overlap must be even (tile at least 2), got tile={tile}, overlap={overlap}")
    sigma = noise_level(image) if sigma is None else float(sigma)
    if not 0 <= sigma <= 1:
        raise ValueError(f"sigma must be in [0, 1] (8-bit units / 255), got {sigma}")
    model_channels = model.input_shape[0]
    planes = [image] if image.shape[2] == model_channels else [image[:, :, [c]] for c in range(image.shape[2])]
    if model_channels != 1 and image.shape[2] != model_channels:
        raise ValueError(f"a {model_channels}-channel denoiser cannot take a {image.shape[2]}-channel image")
    model.eval()
    h, w = image.shape[:2]
    longest = max(h, w) + max(h, w) % 2
    step = min(tile, longest)  # a small image is one small tile, not a mostly padded large one
    piece_side = step + 2 * overlap
    tops, lefts = range(0, h, step), range(0, w, step)
    total, done = len(planes) * len(tops) * len(lefts), 0
    out = []
    for plane in planes:
        # Reflect-pad so every tile, border ones included, sees real image context.
        padded = np.pad(
            plane, ((overlap, overlap + piece_side), (overlap, overlap + piece_side), (0, 0)), mode="reflect"
        )
        result = np.empty_like(plane)
        for top in tops:
            for left in lefts:
                piece = padded[top : top + piece_side, left : left + piece_side].transpose(2, 0, 1)[None]
                clean = model.decode(model.encode(torch.from_numpy(np.ascontiguousarray(piece)), sigma))[0].numpy()
                rows, cols = min(step, h - top), min(step, w - left)
                result[top : top + rows, left : left + cols] = clean.transpose(1, 2, 0)[
                    overlap : overlap + rows, overlap : overlap + cols
                ]
                done += 1
                if on_progress is not None:
                    on_progress(done, total)
        out.append(result)
    return np.clip(np.concatenate(out, axis=2), 0, 1)


def classical(noisy: np.ndarray, name: str, sigma: float) -> np.ndarray:
    """One of the classical filters of ``CLASSICAL`` with its usual setting for noise ``sigma``."""
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
    """PSNR (dB) and SSIM of ``image`` against ``clean``, both (H, W, C) in [0, 1]."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    image = np.clip(image, 0, 1)
    return {
        "psnr": float(peak_signal_noise_ratio(clean, image, data_range=1.0)),
        "ssim": float(structural_similarity(clean, image, data_range=1.0, channel_axis=-1)),
    }


def noisy_copy(clean: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """``clean`` plus white Gaussian noise of std ``sigma``, not clipped (the benchmark convention)."""
    return (clean + sigma * np.random.default_rng(seed).standard_normal(clean.shape)).astype(np.float32)


def benchmark(model: Autoencoder | None, photos: dict[str, np.ndarray], sigma: float = 25 / 255, filters=()) -> dict:
    """Mean PSNR/SSIM over ``photos`` (name -> clean image) at noise ``sigma`` for the model
    (told the true sigma, as benchmarks do) and for each named classical filter."""
    scores: dict[str, list[dict[str, float]]] = {}
    for i, clean in enumerate(photos.values()):
        noisy = noisy_copy(clean, sigma, seed=i)
        scores.setdefault("noisy", []).append(quality(clean, noisy))
        if model is not None:
            scores.setdefault("network", []).append(quality(clean, denoise_image(model, noisy, sigma)))
        for name in filters:
            scores.setdefault(name, []).append(quality(clean, classical(noisy, name, sigma)))
    return {
        name: {metric: round(float(np.mean([r[metric] for r in rows])), 3) for metric in ("psnr", "ssim")}
        for name, rows in scores.items()
    }


def batch_quality(clean: np.ndarray, images: np.ndarray) -> dict[str, float]:
    """Mean PSNR/SSIM over a batch of ``(N, C, H, W)`` images against their clean versions."""
    rows = [quality(c.transpose(1, 2, 0), i.transpose(1, 2, 0)) for c, i in zip(clean, images)]
    return {metric: float(np.mean([r[metric] for r in rows])) for metric in ("psnr", "ssim")}


def psnr_against_noise(
    models: dict[str, Autoencoder], x: np.ndarray, kind: str, levels, seed: int = 0
) -> dict[str, list[float]]:
    """Mean PSNR of each model's reconstruction of noisy ``x`` at each noise level (and of the
    noisy input itself), for the noise lab's curve."""
    from ae_core.noise import add_noise

    def psnr(images: np.ndarray) -> float:
        mse = ((np.clip(images, 0, 1) - x) ** 2).reshape(len(x), -1).mean(axis=1)
        return float(np.mean(10 * np.log10(1 / np.maximum(mse, 1e-10))))

    curves: dict[str, list[float]] = {"noisy input": [], **{name: [] for name in models}}
    for level in levels:
        noisy = add_noise(x, kind, float(level), seed=seed)
        curves["noisy input"].append(psnr(noisy))
        for name, model in models.items():
            curves[name].append(psnr(model.reconstruct(noisy)))
    return curves
