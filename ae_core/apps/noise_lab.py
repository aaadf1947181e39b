"""The noise lab: a plain and a denoising autoencoder trained on the same data, given the same
corrupted input, measured against the clean original (PSNR, SSIM) and over a sweep of noise
levels."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ae_core.apps.denoising import quality
from ae_core.checkpoints.library import ModelEntry
from ae_core.models import Autoencoder
from ae_core.models.noise import add_noise, occlude


def lab_models(entries: Iterable[ModelEntry], dataset: str) -> tuple[list[str], list[str]]:
    """The names of the models the lab can compare on ``dataset``: ``(plain, denoising)``.

    Both lists hold the autoencoders trained on exactly that dataset spec (photo denoisers,
    which take whole photos, are left out); the denoising ones were trained on corrupted
    inputs (a ``noise`` option), the plain ones on clean inputs.

    Parameters
    ----------
    entries : iterable of ModelEntry
        As ``list_models`` returns them; broken ones are skipped.
    dataset : str
        A dataset spec.

    Returns
    -------
    tuple of list of str
    """
    same_data = [
        e
        for e in entries
        if e.parsed is not None and e.parsed.dataset == dataset and e.parsed.model.name != "photo_denoiser"
    ]
    denoising = [e.name for e in same_data if e.parsed.model.denoising]
    plain = [e.name for e in same_data if not e.parsed.model.denoising]
    return plain, denoising


def corrupt(
    clean: np.ndarray, kind: str, level: float, seed: int = 0, corner: tuple[int, int] | None = None
) -> np.ndarray:
    """``clean`` (N, C, H, W) with noise ``kind`` at ``level`` (see ``models.noise.add_noise``).

    For ``"occlusion"`` with a ``corner`` (top, left, in pixels) the box is placed there, a
    square whose side is ``level`` times the shorter image side; without one it lands at random.

    Parameters
    ----------
    clean : np.ndarray of shape (N, C, H, W)
    kind : str
        A noise kind of ``models.noise``.
    level : float
    seed : int, default 0
    corner : tuple of int, optional

    Returns
    -------
    np.ndarray
        Shaped like ``clean``.
    """
    if kind == "occlusion" and corner is not None:
        side = max(1, round(level * min(clean.shape[-2:])))
        return occlude(clean, corner[0], corner[1], side, side)
    return add_noise(clean, kind, level, seed=seed)


def batch_quality(clean: np.ndarray, images: np.ndarray) -> dict[str, float]:
    """Mean PSNR/SSIM over a batch of ``(N, C, H, W)`` images against their clean versions.

    Parameters
    ----------
    clean : np.ndarray of shape (N, C, H, W)
    images : np.ndarray of the same shape
        Clipped to [0, 1] before scoring.

    Returns
    -------
    dict
        ``psnr`` (dB) and ``ssim``.
    """
    rows = [quality(c.transpose(1, 2, 0), i.transpose(1, 2, 0)) for c, i in zip(clean, images)]
    return {metric: float(np.mean([r[metric] for r in rows])) for metric in ("psnr", "ssim")}


def compare_on(
    models: dict[str, Autoencoder], clean: np.ndarray, noisy: np.ndarray
) -> dict[str, tuple[np.ndarray, dict[str, float] | None]]:
    """What the lab shows side by side: name -> (images, their PSNR/SSIM against ``clean``),
    for ``"clean"`` (no scores), ``"noisy"`` and each model's reconstruction of ``noisy``
    (clipped to [0, 1], as a picture is shown).

    Parameters
    ----------
    models : dict of str to Autoencoder
    clean : np.ndarray of shape (N, C, H, W)
    noisy : np.ndarray of the same shape

    Returns
    -------
    dict
        Name to ``(images, scores or None)``.
    """
    outputs = {name: np.clip(model.reconstruct(noisy), 0, 1) for name, model in models.items()}
    return {
        "clean": (clean, None),
        **{name: (images, batch_quality(clean, images)) for name, images in {"noisy": noisy, **outputs}.items()},
    }


def sweep_levels(kind: str, count: int = 10) -> np.ndarray:
    """The noise levels of the lab's curve: up to 0.9, or 0.6 for occlusion (a box of 0.9 of
    the side leaves nothing to rebuild from).

    Parameters
    ----------
    kind : str
    count : int, default 10

    Returns
    -------
    np.ndarray of shape (count,)
        Evenly spaced from 0.05.
    """
    return np.linspace(0.05, 0.9 if kind != "occlusion" else 0.6, count)


def psnr_against_noise(
    models: dict[str, Autoencoder], x: np.ndarray, kind: str, levels, seed: int = 0
) -> dict[str, list[float]]:
    """Mean PSNR of each model's reconstruction of noisy ``x`` at each noise level (and of the
    noisy input itself), for the noise lab's curve.

    Parameters
    ----------
    models : dict of str to Autoencoder
    x : np.ndarray of shape (N, C, H, W)
        Clean images in [0, 1].
    kind : str
        A noise kind.
    levels : iterable of float
    seed : int, default 0
        The same noise seed at every level.

    Returns
    -------
    dict of str to list of float
        "noisy input" and each model name, one PSNR (dB) per level.
    """

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
