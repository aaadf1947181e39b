"""The one data folder everything the app writes goes under: $LATENT_LAB_HOME (default
~/.latent-lab). Saved models in ``models/``, uploaded data in ``data/``, and caches (downloaded
datasets, computed maps) in ``cache/``, which $LATENT_LAB_CACHE alone may move elsewhere."""

from __future__ import annotations

import os
from pathlib import Path


def home_dir() -> Path:
    """$LATENT_LAB_HOME, or ~/.latent-lab."""
    return Path(os.environ.get("LATENT_LAB_HOME") or Path.home() / ".latent-lab")


def user_models_dir() -> Path:
    """Where trained and imported models are saved."""
    return home_dir() / "models"


def user_data_dir() -> Path:
    """Where uploaded training data is kept (models name it in their dataset spec)."""
    return home_dir() / "data"


def cache_dir(*parts: str) -> Path:
    """$LATENT_LAB_CACHE, or the data folder's ``cache/``: safe to delete, refilled on demand.
    ``parts`` name a folder or file inside it (``cache_dir("maps")``, ``cache_dir("mnist")``)."""
    return Path(os.environ.get("LATENT_LAB_CACHE") or home_dir() / "cache").joinpath(*parts)
