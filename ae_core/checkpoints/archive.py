"""Checkpoints as zip files: download one, and check an uploaded one before anything is kept."""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path

import torch

from ae_core.checkpoints.config import CheckpointConfig, build_checked
from ae_core.checkpoints.folder import (
    CONFIG,
    OPTIMIZER,
    WEIGHTS,
    Checkpoint,
    CheckpointError,
    load_folder,
    load_weights,
    parse_config,
    read_config,
    recover,
)
from ae_core.data.trust import check_uploaded_spec
from ae_core.system import limits
from ae_core.system.paths import owner_hash, user_data_dir

ALLOWED_FILES = (CONFIG, WEIGHTS, OPTIMIZER)


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> Checkpoint:
    """Load a checkpoint folder, or a zip of one, into an eval-mode model.

    Parameters
    ----------
    path : str or PathLike
        A checkpoint folder or a zip file (unpacked into a temporary folder, trusted).
    device : str or torch.device, default "cpu"
        Where the model is put.

    Returns
    -------
    Checkpoint
        Its ``path`` is the one given.

    Raises
    ------
    CheckpointError
        (a ValueError) if the checkpoint is missing or damaged.
    """
    path = Path(path)
    if not (path.is_file() and zipfile.is_zipfile(path)):
        return load_folder(path, device)
    # Unpacked into a temporary folder that is gone once the model is in memory.
    with tempfile.TemporaryDirectory(prefix="latent-lab-") as scratch:
        loaded = load_folder(import_zip(path, Path(scratch) / "checkpoint", trusted=True), device)
    return Checkpoint(loaded.model, loaded.config, path)


def export_zip(directory: str | os.PathLike) -> bytes:
    """The checkpoint's files (config and weights only) as zip bytes, for download.

    Parameters
    ----------
    directory : str or PathLike
        A checkpoint folder.

    Returns
    -------
    bytes
        A deflated zip of ``config.json`` and ``weights.safetensors``.

    Raises
    ------
    CheckpointError
        If the folder's config is missing or not valid.
    """
    path = recover(Path(directory))
    read_config(path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in (CONFIG, WEIGHTS):
            archive.write(path / name, arcname=name)
    return buffer.getvalue()


def import_zip(
    source: str | os.PathLike | bytes,
    destination: str | os.PathLike,
    *,
    trusted: bool = False,
    owner: str | None = None,
    teacher: bool = False,
    data_dir: str | os.PathLike | None = None,
) -> Path:
    """Unpack an uploaded checkpoint zip into ``destination`` after checking every entry.

    Only ``config.json`` and ``*.safetensors`` files are accepted (at the top level or in one
    folder); anything else -- pickles, paths that climb out, encrypted or oddly compressed
    members, sizes over ``ae_core.system.limits`` -- is refused and nothing is written. Unless
    ``trusted`` (the command line), the config may name only a built-in dataset or a file that
    the browser ``owner`` uploaded (its folder of ``data_dir``, default the app's data folder;
    any uploaded file if ``teacher``), and it is marked as uploaded, by whom.

    Parameters
    ----------
    source : str, PathLike or bytes
        The zip file, or its bytes.
    destination : str or PathLike
        The checkpoint folder to create; it must not exist or be empty.
    trusted : bool, default False
        Skip the dataset check and the upload mark.
    owner : str, optional
        The uploading browser's id.
    teacher : bool, default False
        The uploader is the teacher.
    data_dir : str or PathLike, optional
        The folder of uploaded data.

    Returns
    -------
    Path
        ``destination``.

    Raises
    ------
    CheckpointError
        (a ValueError) if the zip is unreadable, holds a refused entry, its config or weights are not
        valid, it names a dataset the uploader may not use, or ``destination`` already holds files.
    """
    data = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        archive = zipfile.ZipFile(data)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise CheckpointError(f"the upload is not a readable zip file ({exc})") from None
    with archive:
        by_name = _checked_members(archive)
        Path(destination).parent.mkdir(parents=True, exist_ok=True)
        # Unpacked beside the destination (a hidden name the listing skips), never elsewhere.
        staging = Path(tempfile.mkdtemp(prefix=".import-", dir=Path(destination).parent))
        try:
            for name, member in by_name.items():
                (staging / name).write_bytes(_read_member(archive, member))
            config = parse_config(staging)
            if not trusted:
                config = _as_upload(config, staging, data_dir, "teacher" if teacher else owner and owner_hash(owner))
            model = build_checked(config.model)
            load_weights(model, staging / WEIGHTS)
            target = Path(destination)
            if target.exists() and any(target.iterdir()):
                raise CheckpointError(f"destination {str(target)!r} already holds files; refusing to overwrite")
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                target.rmdir()
            shutil.move(str(staging), str(target))
            return target
        except (KeyError, TypeError, ValueError) as exc:
            message = str(exc).replace(f"checkpoint {str(staging)!r}: ", "").replace(str(staging), "the zip")
            raise CheckpointError(f"the zip's checkpoint is not valid: {message}") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _checked_members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > len(ALLOWED_FILES):
        raise CheckpointError(f"the zip holds {len(members)} files; a checkpoint has {', '.join(ALLOWED_FILES)}")
    by_name = {}
    for member in members:
        name = member.filename.replace("\\", "/").split("/")[-1]
        if name not in ALLOWED_FILES or member.filename.count("/") > 1 or ".." in member.filename:
            raise CheckpointError(f"the zip holds {member.filename!r}; only {', '.join(ALLOWED_FILES)} are accepted")
        if member.flag_bits & 0x1:
            raise CheckpointError(f"{member.filename!r} in the zip is encrypted; zip the checkpoint without a password")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise CheckpointError(
                f"{member.filename!r} in the zip uses compression method {member.compress_type}; "
                "only stored and deflate (what every zip tool writes by default) are read"
            )
        budget = "config_bytes" if name == CONFIG else "weights"
        if budget == "config_bytes":
            limits.check("config_bytes", member.file_size, f"{member.filename!r} in the zip is {{amount}}")
        else:
            # 4 bytes per parameter, plus room for the safetensors header.
            most = limits.limit("parameters") * 4 + (1 << 20)
            if member.file_size > most:
                raise CheckpointError(
                    f"{member.filename!r} in the zip is {limits.human_bytes(member.file_size)}; weights of a model "
                    f"within the limit of {limits.limit('parameters'):,} parameters are at most {limits.human_bytes(most)}"
                )
        by_name[name] = member
    missing = [n for n in (CONFIG, WEIGHTS) if n not in by_name]
    if missing:
        raise CheckpointError(f"the zip is missing {', '.join(missing)}")
    return by_name


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    try:
        return archive.read(member)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
        raise CheckpointError(f"{member.filename!r} in the zip is damaged ({exc})") from None


def check_upload_dataset(
    config: CheckpointConfig, data_dir: str | os.PathLike | None = None, *, teacher: bool = False
) -> None:
    """For a model that came from a browser: ``ValueError`` unless its dataset is built-in or a
    file its uploader uploaded (any uploaded file when the uploader, or ``teacher``, is the teacher).
    Models trained on this server name what they like; they are not checked.

    Parameters
    ----------
    config : CheckpointConfig
        The model's parsed config.
    data_dir : str or PathLike, optional
        The folder of uploaded data (default: the app's).
    teacher : bool, default False
        Whether the person using it is the teacher.

    Raises
    ------
    ValueError
        If an uploaded model names a dataset file its uploader did not upload.
    """
    if config.origin != "upload" or not config.dataset:
        return
    uploader = config.extra.get("uploader")
    teacher = teacher or uploader == "teacher"
    check_uploaded_spec(config.dataset, data_dir or user_data_dir(), uploader, teacher=teacher)


def _as_upload(config: CheckpointConfig, staging: Path, data_dir, uploader: str | None) -> CheckpointConfig:
    """Check what an uploaded config may name, and mark it as uploaded by ``uploader`` (a hashed
    browser id, "teacher" or None)."""
    extra = {key: value for key, value in config.extra.items() if key not in ("origin", "uploader")}
    extra = {**extra, "origin": "upload", **({"uploader": uploader} if uploader else {})}
    checked = CheckpointConfig.parse({**config.raw, "extra": extra})
    check_upload_dataset(checked, data_dir)
    (staging / CONFIG).write_text(json.dumps(checked.raw, indent=2))
    return checked
