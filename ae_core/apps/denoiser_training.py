"""Data for training and judging the photo denoiser on a folder of grayscale photos
(such as the 400 180 x 180 training crops of Zhang et al.'s DnCNN): a fixed, seeded held-out
list, augmented training patches, and PSNR on 8-bit noisy copies."""

from __future__ import annotations

from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def photo_files(folder: str | Path) -> list[Path]:
    """The image files of ``folder``, sorted by name.

    Parameters
    ----------
    folder : str or Path

    Returns
    -------
    list of Path
        Files ending in one of ``IMAGE_SUFFIXES`` (subfolders are not searched).

    Raises
    ------
    ValueError
        If it is not a folder or holds no such file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{str(folder)!r} is not a folder of photos")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"{str(folder)!r} holds no photos ({', '.join(IMAGE_SUFFIXES)})")
    return files


def split_held_out(files: list[Path], count: int = 20, seed: int = 16) -> tuple[list[Path], list[Path]]:
    """(training, held-out): ``count`` files drawn with a fixed seed, so every script holds out the same.

    Parameters
    ----------
    files : list of Path
    count : int, default 20
        From 1 to ``len(files) - 1``.
    seed : int, default 16

    Returns
    -------
    tuple of list of Path
        Each in the order of ``files``.

    Raises
    ------
    ValueError
        If ``count`` is out of range.
    """
    if not 0 < count < len(files):
        raise ValueError(f"held-out count must be in [1, {len(files) - 1}], got {count}")
    chosen = set(np.random.default_rng(seed).choice(len(files), count, replace=False).tolist())
    return [f for i, f in enumerate(files) if i not in chosen], [f for i, f in enumerate(files) if i in chosen]


def read_gray(path: str | Path) -> np.ndarray:
    """A photo as float32 (H, W, 1) in [0, 1] (colour ones averaged to gray).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    np.ndarray of shape (H, W, 1)
    """
    from PIL import Image

    with Image.open(path) as image:
        array = np.asarray(image.convert("RGB"), np.float32) / 255
    return array.mean(axis=2, keepdims=True)


def training_patches(images: list[np.ndarray], count: int, patch: int, seed: int = 0) -> np.ndarray:
    """``count`` random ``patch`` x ``patch`` crops (N, 1, patch, patch), flipped and rotated at
    random (the eight symmetries of the square, as DnCNN augments), drawn evenly from ``images``.

    Parameters
    ----------
    images : list of np.ndarray
        (H, W, 1) photos; those smaller than ``patch`` are skipped.
    count : int
    patch : int
        Side in pixels.
    seed : int, default 0

    Returns
    -------
    np.ndarray of shape (count, 1, patch, patch)
        Float32.

    Raises
    ------
    ValueError
        If no image is large enough.
    """
    rng = np.random.default_rng(seed)
    usable = [im for im in images if min(im.shape[:2]) >= patch]
    if not usable:
        raise ValueError(f"no image is at least {patch} x {patch} pixels")
    out = np.empty((count, 1, patch, patch), np.float32)
    for i, which in enumerate(rng.integers(0, len(usable), count)):
        image = usable[which]
        top, left = rng.integers(0, image.shape[0] - patch + 1), rng.integers(0, image.shape[1] - patch + 1)
        crop = np.rot90(image[top : top + patch, left : left + patch, 0], int(rng.integers(4)))
        out[i, 0] = crop[:, ::-1] if rng.random() < 0.5 else crop
    return out


def eight_bit_noisy(clean: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """``clean`` plus white Gaussian noise of std ``sigma``, saved as an 8-bit photo would be
    (clipped to [0, 1], rounded to 1/255): the convention of the issue's measurements.

    Parameters
    ----------
    clean : np.ndarray
        Values in [0, 1].
    sigma : float
        In [0, 1] units.
    seed : int

    Returns
    -------
    np.ndarray
        Shaped like ``clean``.
    """
    noise = np.random.default_rng(seed).standard_normal(clean.shape).astype(np.float32)
    return np.round(np.clip(clean + sigma * noise, 0, 1) * 255) / 255


def noisy_versions(photos: dict[str, np.ndarray], kind: str, sigma: float = 25 / 255) -> tuple[dict, dict]:
    """(references, noisy): seeded noisy copies of ``photos`` and what they are judged against.

    ``gaussian``: white noise of std ``sigma``, saved as 8-bit, against the photo; ``camera``: a
    random camera of ``ae_core.models.camera_noise`` per photo, against that camera's noise-free output.

    Parameters
    ----------
    photos : dict of str to np.ndarray
        Clean (H, W, C) images in [0, 1].
    kind : str
        "gaussian" or "camera".
    sigma : float, default 25/255
        For "gaussian".

    Returns
    -------
    tuple of dict
        Both keyed by the photos' names.

    Raises
    ------
    ValueError
        For another ``kind``.
    """
    from ae_core.models.camera_noise import camera_pair, random_camera

    if kind not in ("gaussian", "camera"):
        raise ValueError(f"noise kind must be 'gaussian' or 'camera', got {kind!r}")
    references, noisy = {}, {}
    for i, (name, clean) in enumerate(photos.items()):
        if kind == "gaussian":
            references[name], noisy[name] = clean, eight_bit_noisy(clean, sigma, seed=i)
        else:
            rng = np.random.default_rng(1000 + i)
            references[name], noisy[name] = camera_pair(clean, random_camera(rng), rng)
    return references, noisy


def compare(methods: dict, photos: dict[str, np.ndarray], noisy: dict[str, np.ndarray], sigma: float | None) -> dict:
    """Mean PSNR, photos made worse than the noisy input, and seconds per photo of each method.

    ``methods`` maps a name to ``f(noisy_image, sigma) -> image``; ``sigma`` is what each is told
    (None: each estimates it, or is told the noise-level estimate).

    Parameters
    ----------
    methods : dict of str to callable
    photos : dict of str to np.ndarray
        The references.
    noisy : dict of str to np.ndarray
        The noisy copies, by the same names.
    sigma : float or None

    Returns
    -------
    dict
        "noisy input" to ``{"psnr"}``; each method to ``{"psnr", "worse", "s_per_photo"}`` (PSNR in dB,
        rounded to 3 decimals).
    """
    import time

    from ae_core.apps.denoising import quality

    rows = {"noisy input": {"psnr": float(np.mean([quality(photos[n], noisy[n])["psnr"] for n in photos]))}}
    for name, method in methods.items():
        scores, worse, start = [], 0, time.perf_counter()
        for n, clean in photos.items():
            psnr = quality(clean, method(noisy[n], sigma))["psnr"]
            scores.append(psnr)
            worse += psnr < quality(clean, noisy[n])["psnr"]
        seconds = (time.perf_counter() - start) / len(photos)
        rows[name] = {"psnr": round(float(np.mean(scores)), 3), "worse": int(worse), "s_per_photo": round(seconds, 3)}
    return rows
