"""Weight snapshots of chosen epochs, kept inside a checkpoint folder (``snapshots/epoch-NNNN.safetensors``)."""

from __future__ import annotations

import os
from pathlib import Path

from safetensors.torch import save_file

from ae_core.checkpoints.config import CheckpointConfig, build_checked
from ae_core.checkpoints.folder import SNAPSHOTS, Checkpoint, CheckpointError, load_weights
from ae_core.models import Autoencoder


def save_snapshot(model: Autoencoder, directory: str | os.PathLike, epoch: int) -> Path:
    """Keep the weights of one epoch in ``directory/snapshots/epoch-NNNN.safetensors`` (written to
    a temporary name and renamed, so a half-written snapshot never exists).

    Parameters
    ----------
    model : Autoencoder
    directory : str or PathLike
        The checkpoint folder.
    epoch : int

    Returns
    -------
    Path
        The snapshot file.
    """
    folder = Path(directory) / SNAPSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"epoch-{epoch:04d}.safetensors"
    partial = folder / f".{final.name}.partial"
    save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, partial)
    os.replace(partial, final)
    return final


def list_snapshots(directory: str | os.PathLike) -> dict[int, Path]:
    """Epoch -> weights file of the snapshots kept in a checkpoint.

    Parameters
    ----------
    directory : str or PathLike
        The checkpoint folder.

    Returns
    -------
    dict of int to Path
        Empty when it kept none.
    """
    folder = Path(directory) / SNAPSHOTS
    found = {}
    for file in sorted(folder.glob("epoch-*.safetensors")) if folder.is_dir() else []:
        try:
            found[int(file.stem.split("-")[1])] = file
        except (IndexError, ValueError):
            continue
    return found


def load_snapshot(checkpoint: Checkpoint, epoch: int) -> Autoencoder:
    """The checkpoint's model with the weights it had after ``epoch``.

    Parameters
    ----------
    checkpoint : Checkpoint
    epoch : int

    Returns
    -------
    Autoencoder
        A new model, prepared for inference.

    Raises
    ------
    CheckpointError
        (a ValueError) if no snapshot of that epoch was kept or it does not fit.
    """
    snapshots = list_snapshots(checkpoint.path)
    if epoch not in snapshots:
        raise CheckpointError(
            f"checkpoint {checkpoint.path.name!r} kept no snapshot of epoch {epoch}; has {sorted(snapshots)}"
        )
    model = build_checked(CheckpointConfig.parse(checkpoint.config).model)
    load_weights(model, snapshots[epoch])
    return model.for_inference()
