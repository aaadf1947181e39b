"""Checkpoints as zip files: download one, and check an uploaded one before anything is kept."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from ae_core.checkpoints.folder import CONFIG, OPTIMIZER, WEIGHTS, CheckpointError, _load_weights, _recover, read_config
from ae_core.models import model_from_config

ALLOWED_FILES = (CONFIG, WEIGHTS, OPTIMIZER)
MAX_ZIP_BYTES = 1 << 30  # uncompressed size accepted from an uploaded zip


def export_zip(directory: str | os.PathLike) -> bytes:
    """The checkpoint's files (config and weights only) as zip bytes, for download."""
    path = _recover(Path(directory))
    read_config(path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in (CONFIG, WEIGHTS):
            archive.write(path / name, arcname=name)
    return buffer.getvalue()


def import_zip(source: str | os.PathLike | bytes, destination: str | os.PathLike) -> Path:
    """Unpack an uploaded checkpoint zip into ``destination`` after checking every entry.

    Only ``config.json`` and ``*.safetensors`` files are accepted (at the top level or in one
    folder); anything else -- pickles, paths that climb out, huge members -- is refused and
    nothing is written.
    """
    data = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        archive = zipfile.ZipFile(data)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CheckpointError(f"the upload is not a readable zip file ({exc})") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        by_name = {}
        for member in members:
            name = member.filename.replace("\\", "/").split("/")[-1]
            if name not in ALLOWED_FILES or member.filename.count("/") > 1 or ".." in member.filename:
                raise CheckpointError(
                    f"the zip holds {member.filename!r}; only {', '.join(ALLOWED_FILES)} are accepted"
                )
            by_name[name] = member
        if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
            raise CheckpointError(f"the zip unpacks to more than {MAX_ZIP_BYTES >> 20} MiB; refused")
        missing = [n for n in (CONFIG, WEIGHTS) if n not in by_name]
        if missing:
            raise CheckpointError(f"the zip is missing {', '.join(missing)}")
        staging = Path(tempfile.mkdtemp(prefix=".import-"))
        try:
            for name, member in by_name.items():
                (staging / name).write_bytes(archive.read(member))
            config = read_config(staging)
            model = model_from_config(config["model"])
            _load_weights(model, staging / WEIGHTS)
            target = Path(destination)
            if target.exists() and any(target.iterdir()):
                raise CheckpointError(f"destination {str(target)!r} already holds files; refusing to overwrite")
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                target.rmdir()
            shutil.move(str(staging), str(target))
            return target
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"the zip's checkpoint is not valid: {exc}") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
