"""Which dataset specs a file from a browser may name.

A model zip's ``config.json`` names the dataset it was trained on. On a shared server that name
is data, not an instruction: it may name a built-in dataset (no folder, mirror or cache option)
or a file the same browser uploaded (its folder of the data folder, ``paths.upload_dir``), never
another browser's upload, another path or a URL; the teacher may name any upload. The command
line, run by the machine's own user, is not limited.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ae_core.data.base import parse_spec

BUILT_IN = ("digits", "mnist-sample", "shapes", "photos", "mnist", "fashion-mnist", "kmnist")
UPLOADED = ("npz", "csv", "zip")  # what store_upload keeps in the data folder
FORBIDDEN_OPTIONS = ("mirror", "cache")
_FOLDER = re.compile(r"[0-9a-f]{64}")  # paths.owner_hash: a browser's folder of the data folder


def check_uploaded_spec(
    spec: str, data_dir: str | os.PathLike, uploader: str | None = None, *, teacher: bool = False
) -> str:
    """``spec`` if a browser's file may name it; ``ValueError`` in one line otherwise.

    ``uploader`` is the uploading browser's hashed id (``paths.owner_hash``): files in its folder
    of ``data_dir`` may be named. With ``teacher``, any file in ``data_dir`` may. With neither,
    only built-in datasets.

    Parameters
    ----------
    spec : str
        A dataset spec.
    data_dir : str or PathLike
        The folder of uploaded data.
    uploader : str, optional
    teacher : bool, default False

    Returns
    -------
    str
        ``spec`` unchanged.

    Raises
    ------
    ValueError
        If it sets ``mirror`` or ``cache``, gives a built-in dataset a folder, or names a file outside
        what the uploader may use.
    """
    name, argument, options = parse_spec(spec)
    forbidden = sorted(set(options) & set(FORBIDDEN_OPTIONS))
    if forbidden:
        raise ValueError(f"an uploaded model may not set the dataset option {forbidden[0]!r} (dataset {spec!r})")
    if name in BUILT_IN:
        if argument is not None:
            raise ValueError(f"an uploaded model may name {name!r} but not a folder for it (dataset {spec!r})")
        return spec
    if name in UPLOADED and argument:
        root = Path(data_dir).resolve()
        target = (root / argument).resolve()  # an absolute argument stays itself
        if teacher and target.is_relative_to(root) and target != root:
            return spec
        if uploader and _FOLDER.fullmatch(uploader) and target.parent == root / uploader:
            return spec
    raise ValueError(
        f"an uploaded model may only use a built-in dataset ({', '.join(BUILT_IN)}) or data uploaded from the "
        f"same browser, not {spec.partition('?')[0]!r}"
    )
