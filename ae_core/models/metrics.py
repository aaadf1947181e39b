"""Reconstruction metrics, computed the same way everywhere (CLI, pages, benchmarks, tests)."""

from __future__ import annotations

import numpy as np
import torch

from ae_core.models import Autoencoder


@torch.no_grad()
def reconstruction_errors(model: Autoencoder, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Summed squared error of each sample's reconstruction (no noise, no sampling).

    Parameters
    ----------
    model : Autoencoder
    x : np.ndarray of shape (N, *model.input_shape)
    batch_size : int, default 1024

    Returns
    -------
    np.ndarray of shape (N,)
    """
    x_hat = model.reconstruct(x, batch_size)
    return ((x_hat - np.asarray(x, np.float32)) ** 2).reshape(len(x), -1).sum(axis=1)


@torch.no_grad()
def evaluate(model: Autoencoder, x: np.ndarray, batch_size: int = 1024) -> dict[str, float]:
    """Reconstruction quality on ``x``.

    Returns ``sse_per_sample`` (mean over samples of the summed squared error, the number
    Hinton & Salakhutdinov 2006 report for MNIST), ``mse`` (per element), ``bce`` (per element,
    reconstructions clipped to (0, 1); only meaningful for data in [0, 1]) and ``n``.

    Parameters
    ----------
    model : Autoencoder
    x : np.ndarray of shape (N, *model.input_shape)
    batch_size : int, default 1024

    Returns
    -------
    dict
        The four values above (``n`` an int, the others floats).

    Raises
    ------
    ValueError
        If ``x`` is empty.
    """
    x = np.asarray(x, np.float32)
    if len(x) == 0:
        raise ValueError("cannot evaluate on an empty set of samples")
    x_hat = model.reconstruct(x, batch_size).astype(np.float64)
    flat, flat_hat = x.reshape(len(x), -1).astype(np.float64), x_hat.reshape(len(x), -1)
    squared = (flat_hat - flat) ** 2
    p = np.clip(flat_hat, 1e-7, 1 - 1e-7)
    bce = -(flat * np.log(p) + (1 - flat) * np.log(1 - p))
    return {
        "sse_per_sample": float(squared.sum(axis=1).mean()),
        "mse": float(squared.mean()),
        "bce": float(bce.mean()),
        "n": int(len(x)),
    }
