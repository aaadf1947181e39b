"""Synthetic real-camera noise: what a sensor and its processing do to a clean photo.

A simplified form of the two published recipes:

- CBDNet (Guo et al. 2019, "Toward Convolutional Blind Denoising of Real Photographs"):
  noise that depends on the signal (Poisson-Gaussian, variance ``shot * L + read`` of the
  irradiance ``L``), added to a Bayer mosaic, then demosaicing, the camera response and JPEG.
- "Unprocessing" (Brooks et al. 2019, "Unprocessing Images for Learned Raw Denoising"): a
  clean sRGB photo is turned back into raw-like linear data (inverse gamma, inverse white
  balance), noise is drawn with shot and read levels sampled as in that paper (log-uniform shot
  level, read level log-linear in it), and the photo is processed forward again.

Simplifications (said so because they matter): a 2.2 power law stands in for the camera
response curve, there is no colour-correction matrix and no tone curve, and demosaicing is
bilinear. Each step still leaves its mark on the noise: brighter pixels get more noise,
channels differ (white-balance gains amplify red and blue), demosaicing spreads each pixel's
noise over its neighbours (spatially correlated noise), the result is clipped to [0, 1],
quantized to 8 bits and, optionally, JPEG-compressed (which removes fine noise and leaves
blocky, coarser noise).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import convolve

GAMMA = 2.2
# Bilinear demosaicing kernels for an RGGB mosaic (green on a quincunx, red/blue on a square grid).
_GREEN = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]], np.float32) / 4
_RED_BLUE = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 4


@dataclass(frozen=True)
class CameraNoise:
    """One camera's noise: Poisson-Gaussian levels on linear raw data in [0, 1] and processing.

    Parameters
    ----------
    shot : float, default 1e-3
        Variance per unit of signal (photon noise).
    read : float, default 1e-5
        Signal-independent variance.
    red_gain, blue_gain : float, default 2.0 and 1.7
        White-balance gains (green is 1) -- they scale each channel's noise.
    jpeg_quality : int or None, default 90
        1-100, or None for a PNG-like lossless save.

    Raises
    ------
    ValueError
        If a noise level is negative, a gain is not positive, or ``jpeg_quality`` is outside 1-100.
    """

    shot: float = 1e-3
    read: float = 1e-5
    red_gain: float = 2.0
    blue_gain: float = 1.7
    jpeg_quality: int | None = 90

    def __post_init__(self):
        if self.shot < 0 or self.read < 0:
            raise ValueError(f"shot and read noise must be >= 0, got shot={self.shot}, read={self.read}")
        if not (self.red_gain > 0 and self.blue_gain > 0):
            raise ValueError(f"white-balance gains must be positive, got {self.red_gain}, {self.blue_gain}")
        if self.jpeg_quality is not None and not 1 <= self.jpeg_quality <= 100:
            raise ValueError(f"jpeg_quality must be in [1, 100] or None, got {self.jpeg_quality}")


def random_camera(rng: np.random.Generator, jpeg_probability: float = 0.5) -> CameraNoise:
    """A camera drawn as Brooks et al. 2019 draw theirs (Sec. 3.2): log shot level uniform in
    [log 1e-4, log 1.2e-2], log read level = 2.18 log shot + 1.2 + N(0, 0.26^2), white-balance
    gains uniform in [1.9, 2.4] (red) and [1.5, 1.9] (blue); JPEG quality uniform in [60, 100]
    with probability ``jpeg_probability``, as CBDNet compresses part of its training data.

    Parameters
    ----------
    rng : np.random.Generator
    jpeg_probability : float, default 0.5

    Returns
    -------
    CameraNoise
    """
    log_shot = rng.uniform(np.log(1e-4), np.log(1.2e-2))
    log_read = 2.18 * log_shot + 1.2 + rng.normal(0, 0.26)
    jpeg = int(rng.integers(60, 101)) if rng.random() < jpeg_probability else None
    return CameraNoise(
        float(np.exp(log_shot)),
        float(np.exp(log_read)),
        float(rng.uniform(1.9, 2.4)),
        float(rng.uniform(1.5, 1.9)),
        jpeg,
    )


def add_camera_noise(image: np.ndarray, camera: CameraNoise, rng: np.random.Generator) -> np.ndarray:
    """``image`` (H, W, C) in [0, 1], C = 1 or 3, as ``camera`` would have photographed it.

    Parameters
    ----------
    image : np.ndarray of shape (H, W, C)
    camera : CameraNoise
    rng : np.random.Generator
        For the noise.

    Returns
    -------
    np.ndarray
        Float32, shaped like ``image``: the noisy half of ``camera_pair``.

    Raises
    ------
    ValueError
        As ``camera_pair``.
    """
    return camera_pair(image, camera, rng)[1]


def camera_pair(image: np.ndarray, camera: CameraNoise, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(reference, noisy): ``image`` through the camera's processing without and with noise.

    The reference is what a real-noise benchmark's ground truth is (the mean of many shots):
    mosaicked and demosaiced like the noisy photo, but noise-free, not quantized, not JPEG'd;
    so a denoiser is judged, and trained, on removing the noise, not on undoing demosaicing.
    A grayscale image is treated as a colour photo of a gray scene and brought back to gray
    (the mean of the channels) at the end, so it carries luminance noise as a camera's would.
    The sides are cropped to even lengths for the 2 x 2 Bayer pattern and padded back after.

    Parameters
    ----------
    image : np.ndarray of shape (H, W, C)
        C = 1 or 3, values in [0, 1].
    camera : CameraNoise
    rng : np.random.Generator

    Returns
    -------
    tuple of np.ndarray
        Both float32, shaped like ``image``.

    Raises
    ------
    ValueError
        If the image is not (H, W, 1) or (H, W, 3), or is smaller than 2 x 2 pixels.
    """
    image = np.asarray(image, np.float32)
    if image.ndim != 3 or image.shape[2] not in (1, 3):
        raise ValueError(f"add_camera_noise needs an (H, W, 1) or (H, W, 3) image, got shape {image.shape}")
    h, w = image.shape[:2]
    if h < 2 or w < 2:
        raise ValueError(f"add_camera_noise needs at least 2 x 2 pixels, got {h} x {w}")
    rgb = np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image
    rgb = rgb[: h // 2 * 2, : w // 2 * 2]
    gains = np.array([camera.red_gain, 1.0, camera.blue_gain], np.float32)
    linear = np.clip(rgb, 0, 1) ** GAMMA / gains  # unprocess: inverse camera response, inverse white balance
    raw = mosaic(linear)
    variance = camera.shot * raw + camera.read
    noisy_raw = raw + np.sqrt(variance) * rng.standard_normal(raw.shape).astype(np.float32)
    reference, processed = (np.clip(demosaic(r) * gains, 0, 1) ** (1 / GAMMA) for r in (raw, noisy_raw))
    processed = np.round(processed * 255) / 255  # 8-bit quantization
    if camera.jpeg_quality is not None:
        processed = jpeg(processed, camera.jpeg_quality)

    def back(out: np.ndarray) -> np.ndarray:
        out = out.mean(axis=2, keepdims=True) if image.shape[2] == 1 else out
        return np.pad(out, ((0, h - out.shape[0]), (0, w - out.shape[1]), (0, 0)), mode="edge").astype(np.float32)

    return back(reference), back(processed)


def mosaic(rgb: np.ndarray) -> np.ndarray:
    """An RGGB Bayer mosaic (H, W) of an (H, W, 3) image with even sides.

    Parameters
    ----------
    rgb : np.ndarray of shape (H, W, 3)

    Returns
    -------
    np.ndarray of shape (H, W)
    """
    raw = rgb[:, :, 1].copy()
    raw[0::2, 0::2] = rgb[0::2, 0::2, 0]
    raw[1::2, 1::2] = rgb[1::2, 1::2, 2]
    return raw


def demosaic(raw: np.ndarray) -> np.ndarray:
    """Bilinear demosaicing of an RGGB mosaic: each missing value is the mean of its neighbours.

    Parameters
    ----------
    raw : np.ndarray of shape (H, W)

    Returns
    -------
    np.ndarray of shape (H, W, 3)
    """
    masks = np.zeros((3, *raw.shape), np.float32)
    masks[0, 0::2, 0::2] = 1
    masks[1, 0::2, 1::2] = masks[1, 1::2, 0::2] = 1
    masks[2, 1::2, 1::2] = 1
    kernels = (_RED_BLUE, _GREEN, _RED_BLUE)
    planes = [convolve(raw * m, k, mode="mirror") for m, k in zip(masks, kernels)]
    return np.stack(planes, axis=2)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """``image`` (H, W, 3) in [0, 1] saved as JPEG at ``quality`` (Pillow, 4:2:0) and read back.

    Parameters
    ----------
    image : np.ndarray of shape (H, W, 3)
    quality : int
        1 to 100.

    Returns
    -------
    np.ndarray of shape (H, W, 3)
        Float32 in [0, 1].
    """
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)).save(buffer, "JPEG", quality=int(quality))
    return np.asarray(Image.open(buffer).convert("RGB"), np.float32) / 255


# The page's opening example: a fairly high-ISO, JPEG-compressed photo (read level from the
# shot level by Brooks et al.'s relation, without its random part).
EXAMPLE_CAMERA = CameraNoise(shot=5e-3, read=float(np.exp(2.18 * np.log(5e-3) + 1.2)), jpeg_quality=90)


def camera_pairs(patches: np.ndarray, seed: int = 0, workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``camera_pair`` of every patch, each through a camera of its own (``random_camera``), made
    in ``workers`` processes: a pool of training pairs made once, so that training draws camera
    noise without making it on the host batch by batch (the GPU's wait).

    Parameters
    ----------
    patches : np.ndarray of shape (N, C, H, W)
        Clean patches in [0, 1], C = 1 or 3.
    seed : int, default 0
        The pairs are the same for the same seed, whatever ``workers``.
    workers : int, optional
        Processes (default: the cores this process may use; 1 makes them here).

    Returns
    -------
    tuple of np.ndarray
        ``(references, noisy)``, both float32 shaped like ``patches``.
    """
    from concurrent.futures import ProcessPoolExecutor

    from ae_core.system.cores import available_cores

    patches = np.asarray(patches, np.float32)
    chunks = [(patches[i : i + 512], seed, i) for i in range(0, len(patches), 512)]
    workers = min(workers or available_cores(), len(chunks)) or 1
    if workers == 1:
        parts = [_pairs(chunk) for chunk in chunks]
    else:
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_pairs, chunks))
    if not parts:
        return patches.copy(), patches.copy()
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _pairs(chunk: tuple[np.ndarray, int, int]) -> tuple[np.ndarray, np.ndarray]:
    patches, seed, start = chunk
    references, noisy = np.empty_like(patches), np.empty_like(patches)
    for i, patch in enumerate(patches):
        rng = np.random.default_rng([seed, start + i])
        pair = camera_pair(patch.transpose(1, 2, 0), random_camera(rng), rng)
        references[i], noisy[i] = (p.transpose(2, 0, 1) for p in pair)
    return references, noisy
