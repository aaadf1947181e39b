"""The checkpoint folder: ``config.json`` and ``weights.safetensors`` (plus
``optimizer.safetensors`` while training), written atomically, loaded without unpickling."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load, load_file, save_file

from ae_core.checkpoints.config import FORMAT, FORMAT_VERSION, CheckpointConfig, build_checked
from ae_core.models import Autoencoder
from ae_core.system import limits

CONFIG, WEIGHTS, OPTIMIZER = "config.json", "weights.safetensors", "optimizer.safetensors"
SNAPSHOTS = "snapshots"  # per-epoch weights kept on request, carried across saves (see snapshots.py)


class CheckpointError(ValueError):
    """A checkpoint is missing, damaged, from elsewhere, or does not fit the data."""


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: the model (weights in place), its ``config.json`` as a dict, and its folder."""

    model: Autoencoder
    config: dict[str, Any]
    path: Path

    @cached_property
    def parsed(self) -> CheckpointConfig:
        """``config`` typed (``config`` itself stays the file's dict, for the callers that write it)."""
        return CheckpointConfig.parse(self.config)

    @property
    def dataset(self) -> str | None:
        """The spec of the dataset it was trained on, or None."""
        return self.parsed.dataset

    @property
    def scaler(self) -> dict[str, Any] | None:
        """The stored scaler of a tabular model (``Scaler.to_dict()``), or None."""
        return self.parsed.scaler

    @property
    def metrics(self) -> dict[str, Any]:
        """The metrics saved with it (name to value; a value may be None)."""
        return self.parsed.metrics


def save_checkpoint(
    model: Autoencoder,
    directory: str | os.PathLike,
    *,
    dataset: str | None = None,
    scaler: dict[str, Any] | None = None,
    label_names: list[str] | None = None,
    metrics: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` and its metadata to ``directory``, replacing it atomically.

    The new checkpoint is written beside the target and swapped in by renames, so a crash at
    any moment leaves either the old checkpoint or the new one, never a mix. Snapshots already in
    the folder are carried over.

    Parameters
    ----------
    model : Autoencoder
    directory : str or PathLike
        The checkpoint folder (created with its parents).
    dataset : str, optional
        The spec of the training data.
    scaler : dict, optional
        A tabular model's ``Scaler.to_dict()``.
    label_names : list of str, optional
    metrics : dict, optional
    training : dict, optional
        Epochs, history, stop reason, ...
    optimizer : torch.optim.Optimizer, optional
        Saved too (``optimizer.safetensors``) so training can resume.
    extra : dict, optional
        Anything else JSON-serialisable.

    Returns
    -------
    Path
        ``directory``.
    """
    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": model.config,
        "dataset": dataset,
        "scaler": scaler,
        "label_names": label_names,
        "metrics": metrics or {},
        "training": training,
        "extra": extra or {},
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "versions": {"torch": torch.__version__, "python": platform.python_version(), "format": FORMAT_VERSION},
    }
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        save_file(state, tmp / WEIGHTS, metadata={"format": "pt"})
        if optimizer is not None:
            tensors, groups = _flatten_optimizer(optimizer)
            save_file(tensors, tmp / OPTIMIZER)
            config["training"] = {**(config["training"] or {}), "optimizer_param_groups": groups}
        (tmp / CONFIG).write_text(json.dumps(config, indent=2, default=_json_default))
        for f in tmp.iterdir():
            os.chmod(f, 0o644)
            with open(f, "rb") as handle:
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a checkpoint is an ordinary folder
        if (target / SNAPSHOTS).is_dir():
            shutil.copytree(target / SNAPSHOTS, tmp / SNAPSHOTS)
        _swap_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def load_folder(directory: str | os.PathLike, device: str | torch.device = "cpu") -> Checkpoint:
    """Load a checkpoint directory into a model prepared for inference (``for_inference``: eval
    mode, channels-last on a CPU for images), so it can be shared as it is (zips:
    ``archive.load_checkpoint``).

    Parameters
    ----------
    directory : str or PathLike
    device : str or torch.device, default "cpu"

    Returns
    -------
    Checkpoint

    Raises
    ------
    CheckpointError
        (a ValueError) if the folder, its config or its weights are missing, damaged or do not fit.
    """
    path = recover(Path(directory))
    config = parse_config(path)
    try:
        model = build_checked(config.model)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {str(path)!r}: its model settings are not valid: {exc}") from None
    load_weights(model, path / WEIGHTS)
    model.to(device).for_inference()
    return Checkpoint(model, config.raw, path)


def read_config(directory: str | os.PathLike) -> dict[str, Any]:
    """The validated ``config.json`` of a checkpoint directory, as a dict.

    Parameters
    ----------
    directory : str or PathLike

    Returns
    -------
    dict

    Raises
    ------
    CheckpointError
        As ``parse_config``.
    """
    return parse_config(directory).raw


def parse_config(directory: str | os.PathLike) -> CheckpointConfig:
    """The ``config.json`` of a checkpoint directory, size- and type-checked.

    Parameters
    ----------
    directory : str or PathLike

    Returns
    -------
    CheckpointConfig

    Raises
    ------
    CheckpointError
        (a ValueError) if the folder or its config is missing, the config is over the ``config_bytes``
        limit, is not JSON, or a field is not valid.
    """
    path = Path(directory)
    if not path.is_dir():
        raise CheckpointError(f"checkpoint {str(path)!r} does not exist or is not a directory")
    file = path / CONFIG
    if not file.is_file():
        raise CheckpointError(f"checkpoint {str(path)!r} has no {CONFIG}; is it a Latent Lab checkpoint?")
    try:
        limits.check("config_bytes", file.stat().st_size, f"its {CONFIG} is {{amount}}")
        return CheckpointConfig.parse(json.loads(file.read_bytes()))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError(f"checkpoint {str(path)!r}: {CONFIG} is not valid JSON ({exc})") from None
    except ValueError as exc:
        raise CheckpointError(f"checkpoint {str(path)!r}: {CONFIG}: {exc}") from None


def check_compatible(config: dict[str, Any], sample_shape, what: str = "the data") -> None:
    """Raise a clear error when a checkpoint's model does not take samples of ``sample_shape``.

    Parameters
    ----------
    config : dict
        The checkpoint's config.
    sample_shape : sequence of int
        The shape of one sample of the data.
    what : str, default "the data"
        Names the data in the message.

    Raises
    ------
    CheckpointError
        (a ValueError) if the shapes differ.
    """
    expected = tuple(config["model"]["input_shape"])
    if tuple(sample_shape) != expected:
        raise CheckpointError(
            f"this model expects inputs of shape {expected} but {what} has shape {tuple(sample_shape)}"
        )


def load_training_state(directory, model: Autoencoder, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """Put a checkpoint's weights and optimizer state into ``model`` and ``optimizer``; return its
    ``training`` section (epoch count, history, best epoch) as saved.

    Parameters
    ----------
    directory : str or PathLike
        The checkpoint folder.
    model : Autoencoder
        Of the same type and input shape.
    optimizer : torch.optim.Optimizer
        Its state is restored only when the checkpoint saved one.

    Returns
    -------
    dict
        Empty when the checkpoint has no training section.

    Raises
    ------
    CheckpointError
        If the checkpoint is of another model type or shape, or its weights do not fit.
    """
    path = recover(Path(directory))
    config = read_config(path)
    check_compatible(config, model.input_shape, "the model being trained")
    if config["model"]["name"] != model.registry_name:
        raise CheckpointError(
            f"cannot resume a {model.registry_name!r} model from a {config['model']['name']!r} checkpoint"
        )
    load_weights(model, path / WEIGHTS)
    training = config.get("training") or {}
    if (path / OPTIMIZER).is_file() and "optimizer_param_groups" in training:
        _restore_optimizer(optimizer, load_file(str(path / OPTIMIZER)), training["optimizer_param_groups"])
    return training


def load_weights(model: Autoencoder, file: Path) -> None:
    """Load a safetensors weights file into ``model``, after checking that it fits.

    Parameters
    ----------
    model : Autoencoder
        Built from the checkpoint's config; its parameters are replaced in place.
    file : Path
        The ``weights.safetensors`` file.

    Raises
    ------
    CheckpointError
        (a ValueError) if the file is missing or unreadable, or its tensors' names or shapes do not match
        the model's (the message lists up to four of each).
    """
    if not file.is_file():
        raise CheckpointError(f"checkpoint {str(file.parent)!r} has no {WEIGHTS}")
    try:
        state = load(file.read_bytes())
    except (SafetensorError, ValueError, OSError) as exc:
        raise CheckpointError(f"{str(file)!r} is not a readable safetensors file ({exc})") from None
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or unexpected or wrong:
        detail = "; ".join(
            f"{label}: {', '.join(keys[:4])}{' ...' if len(keys) > 4 else ''}"
            for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong))
            if keys
        )
        raise CheckpointError(
            f"the weights in {str(file.parent)!r} do not fit model {model.registry_name!r} ({detail})"
        )
    model.load_state_dict(state)


def _swap_into_place(tmp: Path, target: Path) -> None:
    if not target.exists():
        os.replace(tmp, target)
        return
    old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
    os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def recover(path: Path) -> Path:
    """If a save was interrupted between its two renames, put the previous checkpoint back.

    Parameters
    ----------
    path : Path
        A checkpoint folder.

    Returns
    -------
    Path
        ``path``.
    """
    if not path.exists() and path.parent.is_dir():
        olds = sorted(path.parent.glob(f".{path.name}.old-*"), key=lambda p: p.stat().st_mtime)
        if olds:
            os.replace(olds[-1], path)
    return path


def _flatten_optimizer(optimizer: torch.optim.Optimizer):
    state = optimizer.state_dict()
    tensors = {}
    for index, values in state["state"].items():
        for name, value in values.items():
            tensor = value if torch.is_tensor(value) else torch.tensor(value)
            tensors[f"{index}.{name}"] = tensor.detach().cpu().contiguous()
    return tensors, state["param_groups"]


def _restore_optimizer(optimizer, tensors, groups) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    try:
        optimizer.load_state_dict({"state": state, "param_groups": groups})
    except (ValueError, KeyError) as exc:
        raise CheckpointError(f"the optimizer state in the checkpoint does not fit this model ({exc})") from None


def _json_default(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in {CONFIG}")
