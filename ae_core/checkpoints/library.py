"""Where models live: the shipped ``pretrained/`` folder and the user's own saved models."""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ae_core.checkpoints.config import CheckpointConfig
from ae_core.checkpoints.folder import CheckpointError, parse_config
from ae_core.system.paths import owner_hash, user_models_dir

PRETRAINED_DIR = Path(__file__).resolve().parents[2] / "pretrained"
SHIPPED_RECOMMENDERS = PRETRAINED_DIR / "recommenders"  # shipped recommenders, not models: never listed
DEFAULT_MODEL = "mnist-sample-conv"  # 28x28 digits: legible on a projector; digits-* are the tiny 8x8 option
DEFAULT_DETECTOR = "mnist-sample-detector"  # the Anomaly studio's first view: MNIST digits without the 2
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class ModelEntry:
    """One model of the library: name, folder, source ("pretrained" or "saved") and its parsed config."""

    name: str
    path: Path
    source: str  # "pretrained" or "saved"
    config: dict[str, Any]  # empty for a broken entry
    parsed: CheckpointConfig | None = None
    error: str | None = None  # why a broken entry cannot be used

    @property
    def broken(self) -> bool:
        """Whether its config could not be read (``error`` says why)."""
        return self.error is not None

    @property
    def label(self) -> str:
        """What a picker shows: ``name (model type, code size, source)``, or ``name (broken)``."""
        if self.parsed is None:
            return f"{self.name} (broken)"
        model = self.parsed.model
        return f"{self.name} ({model.name}, code {model.latent_dim}, {self.source})"


STALE_SECONDS = 600  # a save or an import takes seconds; hidden leftovers older than this are debris
SWAP_SECONDS = 30  # a save's two renames are microseconds apart: an older lone ".old" was interrupted


def list_models(*folders: Path, broken: bool = False) -> list[ModelEntry]:
    """Every checkpoint in the given folders (default: pretrained, then saved).

    A damaged checkpoint never breaks the list: it is left out, or with ``broken`` listed with
    the reason it cannot be used (so it can be deleted). Half-done saves are recovered and
    leftovers of interrupted saves, imports and deletes are cleaned first.

    Parameters
    ----------
    *folders : Path
        Folders of checkpoint folders; missing ones are skipped. ``PRETRAINED_DIR`` lists as "pretrained",
        any other as "saved" (and is tidied).
    broken : bool, default False
        Also list damaged checkpoints, with ``error`` set.

    Returns
    -------
    list of ModelEntry
        By folder, then by name; hidden folders are skipped.
    """
    folders = folders or (PRETRAINED_DIR, user_models_dir())
    entries = []
    for folder in folders:
        if not folder.is_dir():
            continue
        source = "pretrained" if folder.resolve() == PRETRAINED_DIR else "saved"
        if source == "saved":
            tidy(folder)
        for path in sorted(
            p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and p != SHIPPED_RECOMMENDERS
        ):
            try:
                config = parse_config(path)
            except CheckpointError as exc:
                if broken:
                    reason = (
                        str(exc).replace(f"checkpoint {str(path)!r}: ", "").replace(f"checkpoint {str(path)!r} ", "")
                    )
                    entries.append(ModelEntry(path.name, path, source, {}, None, reason))
                continue
            entries.append(ModelEntry(path.name, path, source, config.raw, config))
    return entries


def tidy(folder: Path, now: float | None = None) -> None:
    """Put back a checkpoint whose save stopped between its two renames; remove stale leftovers
    (``.NAME.tmp-*``, ``.NAME.old-*``, ``.NAME.deleted-*``, ``.import-*``).

    A lone ``.old`` is put back after 30 seconds; temporary and import leftovers are removed after
    10 minutes, deleted ones at once.

    Parameters
    ----------
    folder : Path
        A folder of saved models.
    now : float, optional
        The time in seconds since the epoch (default: now; for tests).
    """
    now = time.time() if now is None else now
    for path in sorted(folder.glob(".*")):
        match = re.match(r"^\.(.+)\.(old|tmp|deleted)-[^.]+$", path.name)
        try:
            age = now - path.stat().st_ctime  # a rename updates ctime: the time it became a leftover
            if match and match[2] == "old" and not (folder / match[1]).exists() and age > SWAP_SECONDS:
                os.replace(path, folder / match[1])  # the save was interrupted: the old one is the model
            elif (match or path.name.startswith(".import-")) and (
                age > STALE_SECONDS or match and match[2] == "deleted"
            ):
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


def check_model_name(name: str, folder: Path) -> str:
    """A valid, unused folder name for a new model; raises ValueError otherwise.

    Parameters
    ----------
    name : str
        Stripped of surrounding spaces; 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit.
    folder : Path
        The models folder it would go in.

    Returns
    -------
    str
        The stripped name.

    Raises
    ------
    ValueError
        If the name is not allowed or a model of that name exists.
    """
    name = (name or "").strip()
    if not NAME_PATTERN.match(name):
        raise ValueError(
            f"model name {name!r} is not allowed: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if (folder / name).exists():
        raise ValueError(f"a model named {name!r} already exists; choose another name")
    return name


def saved_model_path(name: str, folder: Path | None = None) -> Path:
    """The folder of a saved (not shipped) model; ValueError if there is none by that name.

    Parameters
    ----------
    name : str
    folder : Path, optional
        The models folder (default: the user's).

    Returns
    -------
    Path

    Raises
    ------
    ValueError
        If the name holds "/", starts with "." or has no checkpoint config.
    """
    path = (folder or user_models_dir()) / name
    if "/" in name or name.startswith(".") or not (path / "config.json").is_file():
        raise ValueError(f"there is no saved model named {name!r}")
    return path


def rename_model(name: str, new_name: str, folder: Path | None = None) -> Path:
    """Rename a saved model (one atomic rename); ValueError for a bad or taken new name.

    Its owner record moves with it.

    Parameters
    ----------
    name : str
    new_name : str
    folder : Path, optional
        The models folder (default: the user's).

    Returns
    -------
    Path
        The model's new folder.

    Raises
    ------
    ValueError
        If there is no saved model ``name`` or ``new_name`` is not allowed or taken.
    """
    path = saved_model_path(name, folder)
    target = path.parent / check_model_name(new_name, path.parent)
    os.replace(path, target)
    owner = _owner_file(path.parent, name)
    if owner.is_file():
        os.replace(owner, _owner_file(path.parent, target.name))
    return target


def delete_model(name: str, folder: Path | None = None) -> None:
    """Delete a saved model (a broken one too): renamed to a hidden name first (one atomic
    step), then removed, with its owner record.

    Parameters
    ----------
    name : str
    folder : Path, optional
        The models folder (default: the user's).

    Raises
    ------
    ValueError
        If there is no such model folder.
    """
    path = (folder or user_models_dir()) / name
    if "/" in name or name.startswith(".") or not path.is_dir():
        raise ValueError(f"there is no saved model named {name!r}")
    trash = path.parent / f".{name}.deleted-{os.getpid()}"
    os.replace(path, trash)
    shutil.rmtree(trash, ignore_errors=True)
    _owner_file(path.parent, name).unlink(missing_ok=True)


# -- whose model is whose ---------------------------------------------------------------------
# A browser that trains or uploads a model claims it with its owner id; only that browser (or
# whoever holds the teacher code) may rename or delete it. The id is stored hashed, beside the
# models, so it survives the checkpoint's atomic re-saves.


def claim_model(name: str, owner: str, folder: Path | None = None) -> None:
    """Record ``owner`` (a browser's id) as the owner of saved model ``name``.

    The id is stored hashed; an empty ``owner`` records nothing.

    Parameters
    ----------
    name : str
    owner : str
    folder : Path, optional
        The models folder (default: the user's).
    """
    if not owner:
        return
    file = _owner_file(folder or user_models_dir(), name)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(owner_hash(owner))


def may_manage(entry: ModelEntry, owner: str, teacher: bool = False) -> bool:
    """Whether a browser with id ``owner`` may rename and delete ``entry``: never a shipped
    model; any saved one for the teacher; otherwise only the ones it trained or uploaded.

    Parameters
    ----------
    entry : ModelEntry
    owner : str
        The browser's id (unhashed).
    teacher : bool, default False

    Returns
    -------
    bool
    """
    if entry.source == "pretrained":
        return False
    if teacher:
        return True
    file = _owner_file(entry.path.parent, entry.name)
    return bool(owner) and file.is_file() and file.read_text().strip() == owner_hash(owner)


def _owner_file(folder: Path, name: str) -> Path:
    return folder / ".owners" / name
