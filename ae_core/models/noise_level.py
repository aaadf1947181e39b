"""How noisy is a photo: a noise-level map that also sees spatially correlated noise.

Donoho's estimator (median absolute finest diagonal wavelet coefficient / 0.6745) reads white
noise well, but a camera's noise is not white: demosaicing spreads it over neighbouring pixels
and JPEG removes its finest part, so the finest band under-reads it (by half or more). Following
the multi-scale, local estimators of Liu et al. (2013, "Single-image noise level estimation for
blind denoising") and Chen et al. (2015, "An efficient statistical method for image noise level
estimation") in a simple form:

- the same robust estimate is made on the image and on its 2 x 2 average (rescaled by 2, so
  white noise reads the same at both scales); correlated noise reads higher at the coarser
  scale, and the larger of the two is kept;
- it is made per block (local median absolute deviation). Image detail leaks into a textured
  block's reading, so, as Liu et al. do, the map is a noise level *function* of brightness
  fitted to the blocks that read lowest: blocks are grouped by mean brightness and each group's
  lower quartile is its level (a camera's noise grows with brightness, so one number does not
  describe it, but it does not jump from block to block at the same brightness), and no
  block reads more than twice the median block.

The reading is a white-noise-equivalent level in [0, 1] units; the network is trained with the
same reading on camera noise, so it learns what each reading means.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

BLOCK = 32  # pixels per side of one map cell
GROUP = 12  # cells per brightness group of the noise level function
SPREAD = 2.0  # no cell's level above this times the median cell's
WHITE = (1.8, 2.4)  # flatness of the weak-texture patch spectrum: below, white noise; above, not
WEAK_ROUNDS = 4  # selections of weakly textured patches for it
WHITE_CAP = 1.1  # white noise is told at most this times its PCA reading
_MAD = 0.6745  # median |N(0, 1)|


def _haar_diagonal(x: torch.Tensor) -> torch.Tensor:
    """Finest diagonal Haar coefficients (orthonormal: white noise keeps its std)."""
    h, w = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
    x = x[..., :h, :w]
    return (x[..., 0::2, 0::2] - x[..., 0::2, 1::2] - x[..., 1::2, 0::2] + x[..., 1::2, 1::2]) / 2


def _block_mad(coefficients: torch.Tensor, side: int, rows: int, cols: int) -> torch.Tensor:
    """Median |c| / 0.6745 over each ``side`` x ``side`` block of coefficients (N, C, H, W)."""
    c = coefficients[..., : rows * side, : cols * side].abs()
    n, ch = c.shape[:2]
    blocks = c.reshape(n, ch, rows, side, cols, side).permute(0, 1, 2, 4, 3, 5).reshape(n, ch, rows, cols, -1)
    return blocks.median(dim=-1).values / _MAD


def noise_map(x: torch.Tensor, block: int = BLOCK) -> torch.Tensor:
    """Noise level of each ``block`` x ``block`` cell of each image plane of ``x`` (N, C, H, W).

    Returns (N, C, rows, cols), rows = H // block (at least 1). Images smaller than a block
    use one cell of their own size.

    Parameters
    ----------
    x : tensor of shape (N, C, H, W)
        Values in [0, 1], sides of at least 8 pixels.
    block : int, default 32
        Rounded down to a multiple of 4, at least 8.

    Returns
    -------
    tensor of shape (N, C, rows, cols)
        In [0, 1] units.

    Raises
    ------
    ValueError
        If ``x`` is not 4-D or a side is under 8 pixels.
    """
    if x.dim() != 4:
        raise ValueError(f"noise_map needs a batch (N, C, H, W), got shape {tuple(x.shape)}")
    if min(x.shape[-2:]) < 8:
        raise ValueError(f"noise estimation needs at least 8 x 8 pixels, got {tuple(x.shape[-2:])}")
    block = max(8, min(block, min(x.shape[-2:])) // 4 * 4)
    rows, cols = x.shape[-2] // block, x.shape[-1] // block
    fine = _block_mad(_haar_diagonal(x), block // 2, rows, cols)
    coarse = 2 * _block_mad(_haar_diagonal(F.avg_pool2d(x, 2)), block // 4, rows, cols)
    readings = torch.maximum(fine, coarse)
    if rows * cols < 2 * GROUP:
        return readings
    brightness = F.avg_pool2d(x[..., : rows * block, : cols * block], block)
    levels = torch.stack(
        [_brightness_function(r, b) for r, b in zip(readings.flatten(0, 1), brightness.flatten(0, 1))]
    ).reshape(readings.shape)
    # A brightness group made only of textured blocks still over-reads; a camera's level varies
    # with brightness, but within a factor of about two of its median (after the camera's gamma).
    ceiling = SPREAD * levels.flatten(2).median(dim=-1).values[..., None, None]
    return torch.minimum(levels, ceiling)


def _brightness_function(readings: torch.Tensor, brightness: torch.Tensor) -> torch.Tensor:
    """Each cell's level read off a piecewise-linear function of brightness through the lower
    quartile of each group of about ``GROUP`` cells of similar brightness."""
    order = brightness.flatten().argsort()
    groups = torch.tensor_split(order, max(1, len(order) // GROUP))
    anchors = np.array([float(brightness.flatten()[g].mean()) for g in groups])
    levels = np.array([float(readings.flatten()[g].quantile(0.25)) for g in groups])
    fitted = np.interp(brightness.flatten().numpy(), anchors, levels)
    return torch.from_numpy(fitted.astype(np.float32)).reshape(readings.shape)


def estimate_noise(x: torch.Tensor) -> torch.Tensor:
    """One noise level per image plane of ``x`` (N, C, H, W) -> (N, C): the median of its map.

    Parameters
    ----------
    x : tensor of shape (N, C, H, W)
        Values in [0, 1].

    Returns
    -------
    tensor of shape (N, C)
        In [0, 1] units.
    """
    levels = noise_map(x)
    return levels.flatten(2).median(dim=-1).values


def image_noise_map(image: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """The noise-level map (rows, cols, C) of an (H, W, C) image in [0, 1].

    Parameters
    ----------
    image : np.ndarray of shape (H, W, C)
    block : int, default 32
        Pixels per side of one map cell.

    Returns
    -------
    np.ndarray of shape (H // block, W // block, C)
        At least one cell per side.
    """
    planes = torch.from_numpy(np.ascontiguousarray(np.asarray(image, np.float32).transpose(2, 0, 1)[None]))
    return noise_map(planes, block)[0].permute(1, 2, 0).numpy()


def pca_noise_level(x: torch.Tensor, patch: int = 7, max_patches: int = 65_536) -> torch.Tensor:
    """One noise level per image plane of ``x`` (N, C, H, W) -> (N, C): the square root of the
    smallest eigenvalue of the covariance of its ``patch`` x ``patch`` patches (Pyatykh, Hesser &
    Zheng 2013, "Image noise level estimation by principal component analysis").

    Natural image patches fill only some directions of patch space; white noise fills all of
    them equally, so the quietest direction holds the noise and little else. Texture raises
    this reading far less than it raises a per-block deviation (``noise_map``), but noise
    correlated by demosaicing or JPEG, weak in the finest directions, reads lower: it is a
    bound to hold a denoiser's result to, not the level to tell it.

    Parameters
    ----------
    x : tensor of shape (N, C, H, W)
        Values in [0, 1], sides of at least ``patch`` pixels.
    patch : int, default 7
        Side of the square patches.
    max_patches : int, default 65536
        Patches are taken on a grid coarse enough for at most about this many per plane.

    Returns
    -------
    tensor of shape (N, C)
        In [0, 1] units.

    Raises
    ------
    ValueError
        If ``x`` is not 4-D or a side is under ``patch`` pixels.
    """
    return patch_spectrum(x, patch, max_patches)[..., 0].sqrt()


def patch_spectrum(
    x: torch.Tensor, patch: int = 7, max_patches: int = 65_536, rounds: int = 0, confidence: float = 0.99
) -> torch.Tensor:
    """The eigenvalues, smallest first, of the covariance of the ``patch`` x ``patch`` patches of
    each image plane of ``x`` (N, C, H, W) -> (N, C, patch**2).

    With ``rounds`` > 0, only the weakly textured patches count (Liu, Tanaka & Okutomi 2013,
    "Single-image noise level estimation for blind denoising"): that many times, the patches
    whose gradient energy noise of the current level (the smallest eigenvalue) explains, below
    its ``confidence`` quantile (a gamma distribution), are kept and the covariance is made
    again. What is left is mostly noise: white noise spreads evenly over all directions (a flat
    spectrum), noise correlated by demosaicing or JPEG does not.

    Parameters
    ----------
    x : tensor of shape (N, C, H, W)
        Values in [0, 1], sides of at least ``patch`` pixels.
    patch : int, default 7
    max_patches : int, default 65536
        Patches are taken on a grid coarse enough for at most about this many per plane.
    rounds : int, default 0
        Selections of weakly textured patches.
    confidence : float, default 0.99

    Returns
    -------
    tensor of shape (N, C, patch**2)
        Variances in [0, 1]**2 units, float64.

    Raises
    ------
    ValueError
        If ``x`` is not 4-D or a side is under ``patch`` pixels.
    """
    if x.dim() != 4 or min(x.shape[-2:]) < patch:
        raise ValueError(
            f"PCA noise estimation needs a batch (N, C, H, W) of at least {patch} x {patch}, got {tuple(x.shape)}"
        )
    count = (x.shape[-2] - patch + 1) * (x.shape[-1] - patch + 1)
    stride = max(1, int(np.ceil(np.sqrt(count / max_patches))))
    size = patch * patch
    if rounds:
        from scipy.special import gammaincinv

        # Gradient energy of a patch of unit white noise: gamma(size / 2, 2 * trace / size), where
        # trace = 4 * patch * (patch - 1) sums the squared weights of the two difference operators.
        unit_threshold = float(gammaincinv(size / 2, confidence)) * 8 * patch * (patch - 1) / size
    spectra = torch.empty((*x.shape[:2], size), dtype=torch.float64)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            patches = F.unfold(x[n : n + 1, c : c + 1].float(), patch, stride=stride)[0].T
            spectrum = _covariance_spectrum(patches)
            if rounds:
                square = patches.reshape(-1, patch, patch)
                energy = square.diff(dim=1).pow(2).sum(dim=(1, 2)) + square.diff(dim=2).pow(2).sum(dim=(1, 2))
            for _ in range(rounds):
                weak = energy < unit_threshold * float(spectrum[0])
                if int(weak.sum()) < 2 * size:  # too few for a covariance: keep the last one
                    break
                spectrum = _covariance_spectrum(patches[weak])
            spectra[n, c] = spectrum
    return spectra


def _covariance_spectrum(patches: torch.Tensor) -> torch.Tensor:
    """Eigenvalues (ascending, at least 0) of the covariance of (L, D) patches."""
    centred = patches - patches.mean(dim=0)
    return torch.linalg.eigvalsh((centred.T @ centred).double() / len(centred)).clamp(min=0)


def denoising_levels(image: np.ndarray, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """What to tell a denoiser about the (H, W, C) image in [0, 1], and the lower reading to hold
    its result to (``ae_core.apps.denoising_guard``): two maps (rows, cols, C).

    The map (``image_noise_map``) sees correlated noise, but texture raises it: on grass or
    foliage under white noise it reads up to twice the level, and a denoiser told that wipes the
    texture. The PCA reading (``pca_noise_level``) reads white noise within a few percent on
    texture, but reads correlated noise low. Which of the two holds shows in the spectrum of the
    weakly textured patches (``patch_spectrum``): the square root of its middle eigenvalue over
    its smallest is 1.0-1.75 for white noise (the 20 held-out train400 crops at sigma 5, 15 and
    25, but for one crop at sigma 5: 2.45) and 2.4-7 for synthetic camera noise (those crops, and
    flower, grass and gravel). Where it is below ``WHITE[0]`` the map is capped at ``WHITE_CAP``
    times the PCA reading, above ``WHITE[1]`` it is left as it is, in between the cap is blended
    in; an image without noise (a smallest eigenvalue of 0) keeps the map.

    Parameters
    ----------
    image : np.ndarray of shape (H, W, C)
        Sides of at least 14 pixels.
    block : int, default 32
        Pixels per side of one map cell.

    Returns
    -------
    tuple of np.ndarray
        ``(told, lower)``, each (rows, cols, C), in [0, 1] units.
    """
    levels = image_noise_map(image, block)
    planes = torch.from_numpy(np.ascontiguousarray(np.asarray(image, np.float32).transpose(2, 0, 1)[None]))
    fine = pca_noise_level(planes)[0].numpy()
    spectrum = patch_spectrum(planes, rounds=WEAK_ROUNDS)[0].numpy()
    middle, smallest = spectrum[:, spectrum.shape[1] // 2], spectrum[:, 0]
    flatness = np.sqrt(middle / np.where(smallest > 0, smallest, np.nan))  # nan: no noise at all
    white = np.nan_to_num(np.clip((WHITE[1] - flatness) / (WHITE[1] - WHITE[0]), 0, 1), nan=0.0)
    capped = np.minimum(levels, WHITE_CAP * fine)
    told = levels + white * (capped - levels)
    return told, np.minimum(told, fine)
