"""Results shipped inside a checkpoint folder, so a page shows them at once instead of after
tens of seconds: small results in ``views.json`` (keyed by what was asked) and map embeddings in
``maps.npz``. ``scripts/precompute_views.py`` writes them; pages offer "recompute"."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

VIEWS_FILE = "views.json"
MAPS_FILE = "maps.npz"
CHECK_ROWS = 16  # codes kept beside a map to check it belongs to the codes asked about


def _key(name: str, params: dict[str, Any]) -> str:
    return json.dumps([name, params], sort_keys=True)


def _read_views(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((Path(folder) / VIEWS_FILE).read_text())
    except (OSError, ValueError):
        return {}


def _write_atomically(target: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    with os.fdopen(fd, "wb") as handle:
        write(handle)
    os.chmod(tmp, 0o644)  # readable like the rest of a checkpoint folder (mkstemp makes it private)
    os.replace(tmp, target)


def load_view(folder: Path, name: str, **params) -> Any | None:
    """The shipped result of ``name`` for exactly these parameters, or None.

    Parameters
    ----------
    folder : Path
        A checkpoint folder (its ``views.json`` is read).
    name : str
    **params
        The parameters it was computed with.

    Returns
    -------
    any or None
    """
    return _read_views(folder).get(_key(name, params))


def save_view(folder: Path, name: str, result: Any, **params) -> None:
    """Store the result of ``name`` for these parameters in the folder's ``views.json`` (atomically).

    Parameters
    ----------
    folder : Path
        A checkpoint folder.
    name : str
        The view's name.
    result : any
        A JSON-serialisable value; replaces an earlier one for the same name and parameters.
    **params
        The parameters it was computed with (part of the key).
    """
    views = _read_views(folder) | {_key(name, params): result}
    _write_atomically(Path(folder) / VIEWS_FILE, lambda h: h.write(json.dumps(views, indent=1).encode()))


def map_rows(n: int, limit: int) -> np.ndarray:
    """The rows of an ``n``-sample split that a map of at most ``limit`` points shows.

    Parameters
    ----------
    n : int
    limit : int

    Returns
    -------
    np.ndarray
        All rows when ``n <= limit``, else ``limit`` rows drawn with seed 0, sorted.
    """
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, limit, replace=False))


def map_name(method: str, dims: int, split: str, limit: int) -> str:
    """The key of a shipped map: ``"{method}-{dims}d-{split}-{limit}"``.

    Parameters
    ----------
    method : str
        The projection method.
    dims : int
        2 or 3.
    split : str
        "train", "test" or "all".
    limit : int
        The most points the map shows.

    Returns
    -------
    str
    """
    return f"{method}-{dims}d-{split}-{limit}"


def load_map(folder: Path, name: str, codes: np.ndarray) -> np.ndarray | None:
    """A shipped embedding of ``codes``, or None when there is none or it was made from other codes
    (a retrained model, another machine whose encoder rounds differently beyond 1e-3).

    Parameters
    ----------
    folder : Path
        A checkpoint folder (its ``maps.npz`` is read).
    name : str
        As ``map_name`` makes it.
    codes : np.ndarray of shape (N, latent_dim)
        The codes the map is wanted for; the first 16 are compared with the stored ones.

    Returns
    -------
    np.ndarray of shape (N, dims) or None
    """
    try:
        with np.load(Path(folder) / MAPS_FILE, allow_pickle=False) as archive:
            embedding, head = archive[name], archive[f"{name}-codes"]
    except (OSError, KeyError, ValueError):
        return None
    if len(embedding) != len(codes) or not np.allclose(head, codes[:CHECK_ROWS], atol=1e-3):
        return None
    return embedding


def save_map(folder: Path, name: str, codes: np.ndarray, embedding: np.ndarray) -> None:
    """Store an embedding in the folder's ``maps.npz`` (atomically), with the first 16 codes to check it.

    Parameters
    ----------
    folder : Path
        A checkpoint folder.
    name : str
        As ``map_name`` makes it; replaces an earlier map of that name.
    codes : np.ndarray
        The codes it was made from, shape (N, latent_dim).
    embedding : np.ndarray
        Shape (N, dims), stored as float32.
    """
    path = Path(folder) / MAPS_FILE
    arrays = {}
    if path.exists():
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    arrays |= {name: np.asarray(embedding, np.float32), f"{name}-codes": np.asarray(codes[:CHECK_ROWS], np.float32)}
    _write_atomically(path, lambda h: np.savez_compressed(h, **arrays))
