"""Seeded input corruptions for denoising autoencoders and the noise lab.

Every function takes a float tensor (or array) with values in [0, 1] and returns a corrupted
copy of the same shape; a batch is corrupted sample by sample with one generator, so a seed
gives the same noise every time.
"""

from __future__ import annotations

import numpy as np
import torch

NOISE_KINDS = ("gaussian", "masking", "salt_pepper", "speckle", "poisson", "occlusion")


def add_noise(
    x: torch.Tensor | np.ndarray,
    kind: str,
    level: float,
    *,
    seed: int | None = None,
    generator: torch.Generator | None = None,
    clip: bool = True,
):
    """Corrupt ``x`` with noise of ``kind`` at ``level``.

    Parameters
    ----------
    x : tensor or np.ndarray
        Values in [0, 1].
    kind : str
        One of ``NOISE_KINDS``.
    level : float
        In [0, 1]. gaussian/speckle: standard deviation; masking: fraction of values set to 0;
        salt_pepper: fraction of values set to 0 or 1; poisson: noise std at intensity 1
        (peak = 1 / level**2 photons); occlusion: side of a random square box as a fraction of
        the image side.
    seed : int, optional
    generator : torch.Generator, optional
        A seed or a ``torch.Generator`` makes the noise repeatable (the generator wins if both are given).
    clip : bool, default True
        Keep the result in [0, 1].

    Returns
    -------
    tensor or np.ndarray
        Of the same type and shape as ``x`` (numpy output is float32).

    Raises
    ------
    ValueError
        For an unknown kind or a level outside [0, 1].
    """
    if kind not in NOISE_KINDS:
        raise ValueError(f"noise kind must be one of {NOISE_KINDS}, got {kind!r}")
    if not 0.0 <= float(level) <= 1.0:
        raise ValueError(f"noise level must be in [0, 1], got {level}")
    is_numpy = not torch.is_tensor(x)
    t = torch.as_tensor(np.asarray(x, dtype=np.float32)) if is_numpy else x
    if generator is None and seed is not None:
        generator = torch.Generator(device=t.device).manual_seed(int(seed))
    out = _NOISE[kind](t, float(level), generator)
    if clip:
        out = out.clamp(0.0, 1.0)
    return out.numpy() if is_numpy else out


def occlude(x: torch.Tensor | np.ndarray, top: int, left: int, height: int, width: int, value: float = 0.0):
    """Cover a user-placed box of an image (..., H, W) with ``value``.

    Parameters
    ----------
    x : tensor or np.ndarray of shape (..., H, W)
    top, left : int
        The box's top-left pixel (negative values are cut at the edge).
    height, width : int
        Positive sizes in pixels.
    value : float, default 0.0

    Returns
    -------
    tensor or np.ndarray
        A copy, of the same type as ``x`` (numpy output is float32).

    Raises
    ------
    ValueError
        If the box has no positive size.
    """
    if min(height, width) <= 0:
        raise ValueError(f"occlusion box must have a positive size, got {height}x{width}")
    is_numpy = not torch.is_tensor(x)
    t = torch.as_tensor(np.array(x, dtype=np.float32)) if is_numpy else x.clone()
    t[..., max(top, 0) : top + height, max(left, 0) : left + width] = value
    return t.numpy() if is_numpy else t


def random_uniform(shape, generator: torch.Generator | None, device) -> torch.Tensor:
    """Uniform draws in [0, 1) of ``shape``, returned on ``device``.

    They are drawn where ``generator`` lives (a CPU generator may serve a batch on a GPU, and
    ``fit``'s GPU generator draws without the host), or on ``device`` without one.

    Parameters
    ----------
    shape : int or tuple of int
    generator : torch.Generator or None
    device : torch.device or str

    Returns
    -------
    tensor
        float32, on ``device``.
    """
    return torch.rand(shape, generator=generator, device=_source(generator, device)).to(device)


def random_normal(shape, generator: torch.Generator | None, device) -> torch.Tensor:
    """Standard normal draws of ``shape`` on ``device``: as ``random_uniform`` (same arguments, same place)."""
    return torch.randn(shape, generator=generator, device=_source(generator, device)).to(device)


def _source(generator: torch.Generator | None, device) -> torch.device:
    return generator.device if generator is not None else torch.device(device)


def _rand(t: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
    return random_uniform(t.shape, g, t.device).to(t.dtype)


def _randn(t: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
    return random_normal(t.shape, g, t.device).to(t.dtype)


def _gaussian(t, level, g):
    return t + level * _randn(t, g)


def _speckle(t, level, g):
    return t + t * level * _randn(t, g)


def _masking(t, level, g):
    return t * (_rand(t, g) >= level)


def _salt_pepper(t, level, g):
    u = _rand(t, g)
    salt = _rand(t, g) < 0.5
    hit = u < level
    return torch.where(hit, salt.to(t.dtype), t)


def _poisson(t, level, g):
    if level == 0:
        return t.clone()
    peak = 1.0 / level**2
    return torch.poisson(t.clamp(min=0) * peak, generator=g) / peak


def _occlusion(t, level, g):
    """A random square box per sample, of side ``level`` times the image side."""
    if t.dim() < 3 or level == 0:
        return t.clone()
    out = t.clone()
    height, width = t.shape[-2:]
    box_h, box_w = max(1, round(level * height)), max(1, round(level * width))
    flat = out.reshape(-1, *t.shape[-3:]) if t.dim() >= 4 else out.unsqueeze(0)
    tops = torch.randint(0, height - box_h + 1, (len(flat),), generator=g, device=t.device)
    lefts = torch.randint(0, width - box_w + 1, (len(flat),), generator=g, device=t.device)
    for sample, top, left in zip(flat, tops.tolist(), lefts.tolist()):
        sample[..., top : top + box_h, left : left + box_w] = 0.0
    return out


_NOISE = {
    "gaussian": _gaussian,
    "masking": _masking,
    "salt_pepper": _salt_pepper,
    "speckle": _speckle,
    "poisson": _poisson,
    "occlusion": _occlusion,
}
