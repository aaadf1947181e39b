"""Paths between two codes: a straight line or a great circle."""

from __future__ import annotations

import numpy as np


def interpolate(z0: np.ndarray, z1: np.ndarray, steps: int, kind: str = "linear") -> np.ndarray:
    """Codes on the way from ``z0`` to ``z1``.

    Parameters
    ----------
    z0, z1 : array
        The two codes.
    steps : int
        Codes returned, both ends included (at least 2).
    kind : {"linear", "slerp"}
        A straight line, or a great circle (slerp; the line when the codes are parallel).

    Returns
    -------
    numpy.ndarray
        float32 codes, shape ``(steps, len(z0))``.

    Raises
    ------
    ValueError
        For fewer than 2 steps or an unknown kind.
    """
    if steps < 2:
        raise ValueError(f"steps must be at least 2, got {steps}")
    if kind not in ("linear", "slerp"):
        raise ValueError(f"kind must be 'linear' or 'slerp', got {kind!r}")
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if kind == "slerp":
        # Shoemake (1985); falls back to the line when the two codes are (anti)parallel.
        cos = np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1) + 1e-12)
        omega = np.arccos(np.clip(cos, -1.0, 1.0))
        if np.sin(omega) > 1e-6:
            out = (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)
            return out.astype(np.float32)
    return ((1 - t) * z0 + t * z1).astype(np.float32)
