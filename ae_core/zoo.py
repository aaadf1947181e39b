"""Where models live: the shipped ``pretrained/`` folder and the user's own saved models."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ae_core.checkpoints import CheckpointError, read_config
from ae_core.home import home_dir

PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"
DEFAULT_MODEL = "mnist-sample-conv"  # 28x28 digits: legible on a projector; digits-* are the tiny 8x8 option
DEFAULT_DETECTOR = "mnist-sample-detector"  # the Anomaly studio's first view: MNIST digits without the 2
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def user_models_dir() -> Path:
    """Where trained and imported models are saved."""
    return home_dir() / "models"


def user_data_dir() -> Path:
    """Where uploaded training data is kept (models name it in their dataset spec)."""
    return home_dir() / "data"


@dataclass(frozen=True)
class ModelEntry:
    name: str
    path: Path
    source: str  # "pretrained" or "saved"
    config: dict[str, Any]

    @property
    def label(self) -> str:
        model = self.config["model"]
        return f"{self.name} ({model['name']}, code {model['latent_dim']}, {self.source})"


def list_models(*folders: Path) -> list[ModelEntry]:
    """Every readable checkpoint in the given folders (default: pretrained, then saved).

    Damaged checkpoints are skipped rather than breaking the list; hidden folders (atomic-save
    leftovers) are ignored.
    """
    folders = folders or (PRETRAINED_DIR, user_models_dir())
    entries = []
    for folder in folders:
        if not folder.is_dir():
            continue
        source = "pretrained" if folder.resolve() == PRETRAINED_DIR else "saved"
        for path in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
            try:
                entries.append(ModelEntry(path.name, path, source, read_config(path)))
            except CheckpointError:
                continue
    return entries


def check_model_name(name: str, folder: Path) -> str:
    """A valid, unused folder name for a new model; raises ValueError otherwise."""
    name = (name or "").strip()
    if not NAME_PATTERN.match(name):
        raise ValueError(
            f"model name {name!r} is not allowed: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if (folder / name).exists():
        raise ValueError(f"a model named {name!r} already exists; choose another name")
    return name


def saved_model_path(name: str, folder: Path | None = None) -> Path:
    """The folder of a saved (not shipped) model; ValueError if there is none by that name."""
    path = (folder or user_models_dir()) / name
    if "/" in name or name.startswith(".") or not (path / "config.json").is_file():
        raise ValueError(f"there is no saved model named {name!r}")
    return path


def rename_model(name: str, new_name: str, folder: Path | None = None) -> Path:
    """Rename a saved model (one atomic rename); ValueError for a bad or taken new name."""
    path = saved_model_path(name, folder)
    target = path.parent / check_model_name(new_name, path.parent)
    os.replace(path, target)
    return target


def delete_model(name: str, folder: Path | None = None) -> None:
    """Delete a saved model: renamed to a hidden name first (one atomic step), then removed."""
    path = saved_model_path(name, folder)
    trash = path.parent / f".{name}.deleted-{os.getpid()}"
    os.replace(path, trash)
    shutil.rmtree(trash, ignore_errors=True)
