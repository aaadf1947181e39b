"""The "never worse" guard: how much of a denoiser's result to keep, judged without the clean photo.

Per 32-pixel cell the result is blended with the photo, ``noisy - weight * removed``. For noise
``n`` of std ``s`` and the removed part ``r = noisy - result``, the blend's squared error is
``|n - w r|^2``, least at ``w = <n, r> / |r|^2``; Stein's lemma gives ``E <n, r> = s^2 (N -
div result)`` (SURE: Stein 1981; for denoisers Ramani, Blu & Unser 2008, "Monte-Carlo SURE").
The divergence term is left out, so the weight is

    w = min(1, s^2 / mean(r^2)):

what was removed should look like noise of the estimated level; where it carries more (texture,
edges), that much of it is given back. Leaving the divergence out keeps slightly more of the
result than SURE's optimum (by 1 / (1 - d), d = div / N, which measured 0.04-0.37 for the
shipped network), and saves the second pass of the network that measuring it takes
(Monte-Carlo SURE gained 0.12 dB at sigma 25 and 0.04 dB on camera noise, for 40% more time on
a 512 x 512 photo).

``s``, the level to hold to, is chosen per cell between two readings: the noise map the network
was told, which texture raises (the grain of a lawn reads as noise), and the smallest
principal component's level (``pca_noise_level``), which texture raises far less but which
reads camera noise (correlated by demosaicing and JPEG) low. Which one is right shows in what
the network removed: told a level it finds in the photo, it removes about that much (0.65-0.95
of it, measured on camera noise), told a level that texture raised, it finds less (under 0.5
of it). So ``s`` is the lower reading where the network removed under ``FOUND[0]`` of the
told level, the told one above ``FOUND[1]``, and in between in proportion. A level read too
high would let texture go, one read too low only keeps some noise. The rule uses only what a
network removed, so it holds for other weights; ``FOUND`` was measured on the shipped ones.

Below ``LOW`` the told level leaves the photo as it came (8-bit photos read 1-3 of texture and
quantization even when clean); from ``LOW`` to ``HIGH`` the result is blended in gradually.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

LOW, HIGH = 1.5 / 255, 4 / 255
CELL = 32  # pixels per side of one blending cell
FOUND = (0.6, 0.9)  # removed RMS / told level: below, the told level is texture; above, noise


def _resized(grid: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A (rows, cols) map resized bilinearly to ``size``."""
    tensor = torch.from_numpy(np.ascontiguousarray(grid, np.float32))[None, None]
    return F.interpolate(tensor, size=size, mode="bilinear", align_corners=False)[0, 0].numpy()


def guarded(noisy: np.ndarray, result: np.ndarray, level: np.ndarray, told: np.ndarray) -> np.ndarray:
    """``noisy - weight * (noisy - result)``, the weight per ``CELL`` as the module docstring says.

    Parameters
    ----------
    noisy, result : np.ndarray of shape (H, W, C)
    level : np.ndarray of shape (rows, cols)
        The lower noise reading (any grid; resized to the cells).
    told : np.ndarray of shape (rows, cols)
        The noise level the denoiser was told (any grid): from its least noisy quarter, below
        ``LOW`` nothing is changed.

    Returns
    -------
    np.ndarray of shape (H, W, C)
    """
    removed = noisy - result
    h, w = noisy.shape[:2]
    energy = torch.from_numpy(np.ascontiguousarray((removed**2).mean(axis=2)))[None, None]
    energy = F.avg_pool2d(energy, CELL, ceil_mode=True)[0, 0].numpy()  # a partial cell: the mean of its pixels
    lower, told_cells = _resized(level, energy.shape), _resized(told, energy.shape)
    found = np.sqrt(energy) / np.maximum(told_cells, 1e-6)
    trusted = lower + (told_cells - lower) * np.clip((found - FOUND[0]) / (FOUND[1] - FOUND[0]), 0, 1)
    weight = np.clip(trusted**2 / np.maximum(energy, 1e-12), 0, 1)
    # How clean the photo is, from its least noisy quarter: texture cannot raise that reading.
    weight *= np.clip((np.quantile(told, 0.25) - LOW) / (HIGH - LOW), 0, 1)
    # Blended smoothly between cell centres, so no cell's edge shows.
    return noisy - _resized(weight, (h, w))[:, :, None] * removed
