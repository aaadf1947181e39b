"""Where models live: the shipped ``pretrained/`` folder and the user's own saved models."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ae_core.checkpoints import CheckpointError, read_config

PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"
DEFAULT_MODEL = "digits-conv"


def user_models_dir() -> Path:
    """$LATENT_LAB_HOME/models (default ~/.latent-lab/models): where trained models are saved."""
    home = os.environ.get("LATENT_LAB_HOME") or Path.home() / ".latent-lab"
    return Path(home) / "models"


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
