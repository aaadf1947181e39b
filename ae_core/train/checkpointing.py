"""Training runs that write checkpoints: the callbacks ``loop.fit`` takes to save its best epoch
as it goes and to continue a saved run. (The loop itself knows nothing of files.)"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import torch

from ae_core.checkpoints import load_training_state, save_checkpoint
from ae_core.models import Autoencoder


def save_best_to(
    directory: str | os.PathLike, **meta: Any
) -> Callable[[Autoencoder, torch.optim.Optimizer | None, dict[str, Any]], None]:
    """An ``on_improve`` callback for ``fit``: save the model, its optimizer state and the
    training section to ``directory`` (atomically), with ``meta`` (dataset, scaler, ...).

    Parameters
    ----------
    directory : str or PathLike
    **meta
        Keyword arguments of ``save_checkpoint``.

    Returns
    -------
    callable
        ``save(model, optimizer, training)``.
    """

    def save(model: Autoencoder, optimizer: torch.optim.Optimizer | None, training: dict[str, Any]) -> None:
        save_checkpoint(model, directory, training=training, optimizer=optimizer, **meta)

    return save


def resume_from(directory: str | os.PathLike) -> Callable[[Autoencoder, torch.optim.Optimizer], dict[str, Any]]:
    """A ``resume`` callback for ``fit``: continue the run saved in ``directory`` (weights,
    optimizer state, epoch count and history).

    Parameters
    ----------
    directory : str or PathLike

    Returns
    -------
    callable
        ``load(model, optimizer)``, which returns the saved training section.
    """

    def load(model: Autoencoder, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        return load_training_state(directory, model, optimizer)

    return load
