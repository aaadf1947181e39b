""" "Never worse": how much of a denoiser's result to keep, judged without the clean photo.

Per 32-pixel cell, the result is blended with the photo, ``noisy - weight * removed``, with the
weight that minimises Stein's unbiased risk estimate (SURE; Stein 1981, used for denoisers by
Ramani, Blu & Unser 2008, "Monte-Carlo SURE"). For noise ``n`` of std ``s`` and removed part
``r = noisy - result``, the squared error of the blend is ``|n - w r|^2``, and
``E <n, r> = s^2 (N - div result)`` (Stein's lemma), so the best weight is

    w = s^2 (1 - d) / mean(r^2),    d = div(result) / N,

clipped to [0, 1]: a result that removed more than noise can explain (texture) is held back,
one that removed about the noise is kept. ``d``, how much each output pixel follows its own
input, is measured, not assumed: the denoiser is run once more on a few windows of the photo
with a small random probe added (Monte-Carlo divergence), so the guard fits any weights.
``s`` is the lower of two noise readings (``noise_map`` and ``pca_noise_level``): a level read
too high would let texture go, one read too low only keeps some noise. Below ``LOW`` the photo
is returned as it came (8-bit photos read 1-3 of texture and quantization even when clean);
from ``LOW`` to ``HIGH`` the result is blended in gradually.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

LOW, HIGH = 1.5 / 255, 4 / 255
CELL = 32  # pixels per side of one blending cell
WINDOW, MARGIN = 128, 24  # probe windows' side, and context a window's measured part keeps (> receptive field)
PROBE = 2e-3  # size of the random probe, in [0, 1] units


def full_size(level: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A (rows, cols) noise-level map resized bilinearly to ``size`` (pixels).

    Parameters
    ----------
    level : np.ndarray of shape (rows, cols)
    size : tuple of int

    Returns
    -------
    np.ndarray of shape ``size``, float32
    """
    tensor = torch.from_numpy(np.ascontiguousarray(level, np.float32))[None, None]
    return F.interpolate(tensor, size=size, mode="bilinear", align_corners=False)[0, 0].numpy()


def divergence(
    denoise: Callable[[np.ndarray, np.ndarray], np.ndarray], noisy: np.ndarray, result: np.ndarray, level: np.ndarray
) -> float:
    """``d``: the mean over pixels of d result_i / d noisy_i, by a Monte-Carlo probe on a few windows.

    ``denoise(window, window_level)`` must compute what produced ``result`` from ``noisy``
    (H, W, C), told the full-size noise-level map ``level`` (H, W). Up to four ``WINDOW``-pixel
    windows, one per quarter of the photo, are denoised again with seeded Gaussian noise of
    std ``PROBE`` added; where a window keeps ``MARGIN`` pixels of context, its change against
    ``result``, correlated with the probe, is the divergence (Ramani et al. 2008, eq. 14).

    Parameters
    ----------
    denoise : callable
    noisy, result : np.ndarray of shape (H, W, C)
    level : np.ndarray of shape (H, W)

    Returns
    -------
    float
        Usually between 0 (all smoothing) and 1 (the photo passed through).
    """
    h, w = noisy.shape[:2]
    rng = np.random.default_rng(0)
    total, count = 0.0, 0
    side_h, side_w = min(WINDOW, h) // 2 * 2, min(WINDOW, w) // 2 * 2
    corners = {
        (_start((2 * i + 1) * h // 4 - side_h // 2, h - side_h), _start((2 * j + 1) * w // 4 - side_w // 2, w - side_w))
        for i in (0, 1)
        for j in (0, 1)
    }
    for top, left in sorted(corners):
        rows, cols = slice(top, top + side_h), slice(left, left + side_w)
        probe = rng.standard_normal((side_h, side_w, noisy.shape[2])).astype(np.float32)
        changed = denoise(noisy[rows, cols] + PROBE * probe, level[rows, cols])
        # Only where the window's own edges are far enough not to matter (the photo's edges are the same).
        inner = tuple(
            slice(MARGIN if start > 0 else 0, side - MARGIN if start + side < size else side)
            for start, side, size in ((top, side_h, h), (left, side_w, w))
        )
        change = (changed - result[rows, cols])[inner] * probe[inner] / PROBE
        total, count = total + float(change.sum()), count + change.size
    return total / max(count, 1)


def _start(wanted: int, last: int) -> int:
    """``wanted`` moved into [0, ``last``] and to an even pixel (the 2 x 2 grid of half-resolution planes)."""
    return min(max(0, wanted), last) // 2 * 2


def guarded(noisy: np.ndarray, result: np.ndarray, level: np.ndarray, follows: float, told: np.ndarray) -> np.ndarray:
    """``noisy - weight * (noisy - result)`` with SURE's weight per ``CELL`` (see the module docstring).

    Parameters
    ----------
    noisy, result : np.ndarray of shape (H, W, C)
    level : np.ndarray of shape (rows, cols)
        The noise level to hold the result to (any grid; resized to the cells).
    follows : float
        ``d``, as ``divergence`` measures it.
    told : np.ndarray
        The noise-level map the denoiser was told (any grid): below ``LOW`` nothing is changed.

    Returns
    -------
    np.ndarray of shape (H, W, C)
    """
    removed = noisy - result
    h, w = noisy.shape[:2]
    energy = torch.from_numpy(np.ascontiguousarray((removed**2).mean(axis=2)))[None, None]
    energy = F.avg_pool2d(energy, CELL, ceil_mode=True)[0, 0].numpy()  # a partial cell: the mean of its pixels
    cell_level = full_size(level, energy.shape)
    weight = np.clip(cell_level**2 * (1 - follows) / np.maximum(energy, 1e-12), 0, 1)
    # How clean the photo is, from its least noisy quarter: texture cannot raise that reading.
    weight *= np.clip((np.quantile(told, 0.25) - LOW) / (HIGH - LOW), 0, 1)
    # Blended smoothly between cell centres, so no cell's edge shows.
    return noisy - full_size(weight, (h, w))[:, :, None] * removed
