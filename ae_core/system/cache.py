"""A small on-disk cache of arrays (e.g. map projections) keyed by content fingerprints, so a
map asked for again -- also after a restart -- comes back at once."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from ae_core.system.paths import cache_dir


def fingerprint(*parts: str | bytes | Path) -> str:
    """A hex digest of strings, bytes and file contents together.

    Parameters
    ----------
    *parts : str, bytes or Path
        A Path is read as its file's contents; other values as their text.

    Returns
    -------
    str
        The first 32 hex digits of the SHA-256 of all parts.
    """
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            with open(part, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
        else:
            digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def load_arrays(key: str, kind: str = "maps") -> dict[str, np.ndarray] | None:
    """The arrays saved under ``key`` in the cache's ``kind`` folder, or None.

    Parameters
    ----------
    key : str
    kind : str, default "maps"

    Returns
    -------
    dict of str to np.ndarray or None
        None when there is none or the file cannot be read.
    """
    path = cache_dir(kind) / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError):
        return None


def save_arrays(key: str, arrays: dict[str, np.ndarray], kind: str = "maps") -> None:
    """Write atomically; a full or read-only disk only costs the cache, never the caller.

    Stores ``arrays`` as ``<kind>/<key>.npz`` in the cache, replacing what was there.

    Parameters
    ----------
    key : str
    arrays : dict of str to np.ndarray
    kind : str, default "maps"
    """
    folder = cache_dir(kind)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, folder / f"{key}.npz")
    except OSError:
        return
