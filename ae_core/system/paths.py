"""The one data folder everything the app writes goes under: $LATENT_LAB_HOME (default
~/.latent-lab). Saved models in ``models/``, uploaded data in ``data/``, and caches (downloaded
datasets, computed maps) in ``cache/``, which $LATENT_LAB_CACHE alone may move elsewhere."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def home_dir() -> Path:
    """$LATENT_LAB_HOME, or ~/.latent-lab.

    Returns
    -------
    Path
        Not created here.
    """
    return Path(os.environ.get("LATENT_LAB_HOME") or Path.home() / ".latent-lab")


def user_models_dir() -> Path:
    """Where trained and imported models are saved.

    Returns
    -------
    Path
        ``home_dir() / "models"``.
    """
    return home_dir() / "models"


def user_data_dir() -> Path:
    """Where uploaded training data is kept (models name it in their dataset spec): one folder
    per browser (``upload_dir``); files directly in it are uploads from before that.

    Returns
    -------
    Path
        ``home_dir() / "data"``.
    """
    return home_dir() / "data"


def upload_dir(owner: str) -> Path:
    """The folder of the data folder where the browser with id ``owner`` keeps its uploads.

    Parameters
    ----------
    owner : str
        The browser's id (unhashed).

    Returns
    -------
    Path
        ``user_data_dir() / owner_hash(owner)``.

    Raises
    ------
    ValueError
        If ``owner`` is empty.
    """
    if not owner:
        raise ValueError("an upload needs the id of the browser it comes from")
    return user_data_dir() / owner_hash(owner)


def owner_hash(owner: str) -> str:
    """A browser's id as it is kept on disk: beside the models it claims and as the name of its
    upload folder. Hashed, so that neither gives the id itself away.

    Parameters
    ----------
    owner : str

    Returns
    -------
    str
        The SHA-256 hex digest (64 characters).
    """
    return hashlib.sha256(owner.encode()).hexdigest()


def cache_dir(*parts: str) -> Path:
    """$LATENT_LAB_CACHE, or the data folder's ``cache/``: safe to delete, refilled on demand.
    ``parts`` name a folder or file inside it (``cache_dir("maps")``, ``cache_dir("mnist")``).

    Parameters
    ----------
    *parts : str

    Returns
    -------
    Path
        Not created here.
    """
    return Path(os.environ.get("LATENT_LAB_CACHE") or home_dir() / "cache").joinpath(*parts)
