"""User files: ``npz:``, ``csv:``, ``folder:`` and ``.zip`` of images. Nothing is unpickled;
every problem is one ``ValueError`` naming the file."""

from __future__ import annotations

import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ae_core.data.base import TABLE_SCALING, Dataset, option, seeded_split
from ae_core.data.images import image_size, read_image, to_chw
from ae_core.system import limits

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
LABEL_COLUMNS = ("label", "labels", "y", "class", "target")
MAX_SIDE = 128  # images are resized to at most this side unless ?size= says otherwise
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
)


def load_npz(path: str, options: dict[str, str], scaler: dict | None = None) -> Dataset:
    """A dataset from a NumPy ``.npz`` archive (never unpickled).

    It holds ``x_train`` and ``x_test`` (optionally ``y_train``, ``y_test``), or ``x`` (optionally ``y``),
    which gets a seeded split. Tables (N, D) are scaled; images become (N, C, H, W) in [0, 1].

    Parameters
    ----------
    path : str
        The file.
    options : dict
        ``test`` (share, default 0.2) and ``seed`` (default 0) for a split; ``scale`` for tables.
    scaler : dict, optional
        A model's stored scaler: tables are scaled with it instead of a new one.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        If the file is not a readable .npz, holds object arrays, lacks the arrays above, or its values are
        not finite numbers.
    """
    file = _existing(path)
    if not zipfile.is_zipfile(file):
        raise ValueError(f"{file}: not a readable .npz file (an .npz is a zip archive of .npy arrays)")
    try:
        _check_npz_headers(file)
        with np.load(file, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise ValueError(
                f"{file}: holds object arrays, which are never unpickled; save plain numeric arrays"
            ) from None
        raise
    except ZIP_ERRORS as exc:
        raise ValueError(f"{file}: not a readable .npz file ({exc})") from None
    if {"x_train", "x_test"} <= set(arrays):
        x_train, x_test = arrays["x_train"], arrays["x_test"]
        y_train, y_test = arrays.get("y_train"), arrays.get("y_test")
    elif "x" in arrays or "x_train" in arrays:
        # One array (or only a training split): make a seeded test split of it.
        x, y = (arrays["x"], arrays.get("y")) if "x" in arrays else (arrays["x_train"], arrays.get("y_train"))
        train, test = seeded_split(len(x), option(options, "test", 0.2, float), option(options, "seed", 0))
        x_train, x_test = x[train], x[test]
        y = None if y is None else _labels(y, len(x), file)
        y_train, y_test = (None, None) if y is None else (y[train], y[test])
    else:
        raise ValueError(
            f"{file}: needs arrays 'x_train' and 'x_test' (with 'y_train', 'y_test') or 'x' (with 'y'); found {sorted(arrays)}"
        )
    for name, array in (("x_train", x_train), ("x_test", x_test)):
        if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
            raise ValueError(f"{file}: {name} has dtype {array.dtype}; numbers are needed")
    if y_train is not None:
        y_train, y_test = _labels(y_train, len(x_train), file), _labels(y_test, len(x_test), file)
    return _finish(f"npz:{path}", x_train, x_test, y_train, y_test, file, options, scaler)


def load_csv(path: str, options: dict[str, str], scaler: dict | None = None) -> Dataset:
    """A dataset from a CSV table with a header line: numeric feature columns and an optional label.

    Parameters
    ----------
    path : str
        The file.
    options : dict
        ``label`` names the label column (default: the first called label, labels, y, class or target); ``test``
        (default 0.2) and ``seed`` (default 0) set the split; ``scale`` the scaling.
    scaler : dict, optional
        A model's stored scaler, used instead of fitting a new one.

    Returns
    -------
    Dataset
        Scaled float32 rows (N, D), labels coded 0..k-1 in sorted order, with feature and label names.

    Raises
    ------
    ValueError
        If the file is not a readable CSV, has fewer than two rows, a feature column holds text, the label
        column is missing, or a size limit is exceeded.
    """
    import pandas as pd

    file = _existing(path)
    limits.check("table_bytes", file.stat().st_size, f"{file.name} is {{amount}}")
    try:
        frame = pd.read_csv(file)
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(
            f"{file}: not a readable CSV file ({(str(exc).splitlines() or [type(exc).__name__])[0]})"
        ) from None
    if len(frame) < 2:
        raise ValueError(f"{file}: needs a header line and at least two rows of numbers; found {len(frame)} rows")
    limits.check("dataset_bytes", frame.size * 4, "this table decodes to {amount}")
    label = options.get("label") or next((c for c in frame.columns if str(c).lower() in LABEL_COLUMNS), None)
    if label is not None and label not in frame.columns:
        raise ValueError(f"{file}: no column named {label!r}; columns: {', '.join(map(str, frame.columns))}")
    features = frame.drop(columns=[label]) if label is not None else frame
    for column in features.columns:
        if not pd.api.types.is_numeric_dtype(features[column]):
            bad = features[column][pd.to_numeric(features[column], errors="coerce").isna() & features[column].notna()]
            row = bad.index[0] + 2 if len(bad) else "?"
            raise ValueError(
                f"{file}: column {column!r} has text ({bad.iloc[0]!r} on line {row}); only numbers can be features"
            )
    if features.shape[1] == 0 or len(features) < 2:
        raise ValueError(f"{file}: needs at least one numeric column and two rows")
    x = features.to_numpy(np.float64)
    y, names = None, None
    if label is not None:
        codes, uniques = pd.factorize(frame[label], sort=True)
        y, names = codes.astype(np.int64), [str(u) for u in uniques]
    train, test = seeded_split(len(x), option(options, "test", 0.2, float), option(options, "seed", 0))
    dataset = _finish(
        f"csv:{path}",
        x[train],
        x[test],
        None if y is None else y[train],
        None if y is None else y[test],
        file,
        options,
        scaler,
    )
    return replace(dataset, label_names=names, feature_names=[str(c) for c in features.columns])


def load_image_folder(path: str, options: dict[str, str]) -> Dataset:
    """A dataset of the images in a folder and its subfolders; a subfolder's name is its images' class.

    Parameters
    ----------
    path : str
        The folder.
    options : dict
        ``size`` (side in pixels, 2 to 1024; default the most common size, capped), ``gray`` (1 for one
        channel), ``test`` (default 0.2) and ``seed`` (default 0).

    Returns
    -------
    Dataset
        Images (N, C, H, W) in [0, 1], all resized to one size.

    Raises
    ------
    ValueError
        If the folder does not exist, an image cannot be read, or a size limit is exceeded.
    """
    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"{root}: no such folder")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    limits.check("archive_files", len(files), f"{root} holds {{amount}}", unit="images")
    items = [(p.relative_to(root).as_posix(), lambda p=p: p.open("rb")) for p in files]
    return _images_dataset(f"folder:{path}", items, root, options)


def load_image_zip(path: str, options: dict[str, str]) -> Dataset:
    """A dataset of the images in a zip archive; a folder's name inside it is its images' class.

    Parameters
    ----------
    path : str
        The zip file.
    options : dict
        As for ``load_image_folder``.

    Returns
    -------
    Dataset
        Images (N, C, H, W) in [0, 1], all resized to one size.

    Raises
    ------
    ValueError
        If the file is not a readable zip, an image cannot be read, or a size limit is exceeded.
    """
    file = _existing(path)
    try:
        with zipfile.ZipFile(file) as archive:
            members = [
                m
                for m in archive.infolist()
                if not m.is_dir()
                and Path(m.filename).suffix.lower() in IMAGE_SUFFIXES
                and not Path(m.filename).name.startswith(".")
            ]
            limits.check("archive_files", len(members), "this zip holds {amount}", unit="images")
            limits.check("archive_bytes", sum(m.file_size for m in members), "this zip unpacks to {amount} of images")
            for member in members:
                if member.flag_bits & 0x1:
                    raise ValueError(f"{file}: {member.filename!r} is encrypted; zip the images without a password")
                if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise ValueError(
                        f"{file}: {member.filename!r} uses compression method {member.compress_type}; "
                        "only stored and deflate (what every zip tool writes by default) are read"
                    )
            items = [(m.filename, lambda m=m: archive.open(m)) for m in members]
            return _images_dataset(f"zip:{path}", items, file, options)
    except ZIP_ERRORS as exc:
        raise ValueError(f"{file}: not a readable zip file ({exc})") from None


def _images_dataset(spec: str, items: list[tuple[str, Callable]], source: Path, options: dict[str, str]) -> Dataset:
    """Images of many sizes as one dataset: every header is read first, so what decoding will
    cost is checked before any image is decoded; each is then decoded and resized on its own."""
    if len(items) < 2:
        raise ValueError(f"{source}: needs at least two images ({', '.join(IMAGE_SUFFIXES)}), found {len(items)}")
    sizes = []
    for name, open_item in items:
        with open_item() as stream:
            sizes.append(image_size(stream, name=f"{source.name}/{name}"))
    limits.check(
        "archive_pixel_bytes", sum(h * w * c for h, w, c in sizes), "this archive decodes to {amount} of pixels"
    )
    common = Counter((h, w) for h, w, _ in sizes).most_common(1)[0][0]
    side = option(options, "size", 0)
    if side and not 2 <= side <= 1024:
        raise ValueError(f"dataset option size={side} must be from 2 to 1024 pixels")
    height, width = (side, side) if side else (min(common[0], MAX_SIDE), min(common[1], MAX_SIDE))
    gray = option(options, "gray", 0)
    most_channels = 1 if gray or all(c == 1 for *_, c in sizes) else 3
    limits.check(
        "dataset_bytes", len(items) * most_channels * height * width * 4, "these images decode to {amount} of samples"
    )
    images = []
    for name, open_item in items:
        with open_item() as stream:
            images.append(read_image(stream, name=f"{source.name}/{name}", size=(height, width)))
    channels = 3 if any(img.shape[2] == 3 for img in images) and not gray else 1
    x = np.stack([to_chw(img, (channels, height, width))[0] for img in images])
    classes = sorted({name.split("/")[-2] if "/" in name else "" for name, _ in items})
    y, names = None, None
    if len(classes) > 1 or classes != [""]:
        names = classes
        y = np.array([classes.index(name.split("/")[-2] if "/" in name else "") for name, _ in items], np.int64)
    train, test = seeded_split(len(x), option(options, "test", 0.2, float), option(options, "seed", 0))
    return Dataset(
        spec,
        x[train],
        x[test],
        None if y is None else y[train],
        None if y is None else y[test],
        names,
        description=f"{len(x)} images from {source.name}, resized to {height}x{width}.",
    )


def _finish(spec, x_train, x_test, y_train, y_test, file: Path, options, scaler_dict=None) -> Dataset:
    """Check shapes and values, bring images to (N, C, H, W) in [0, 1], scale tables."""
    x_train, x_test = np.asarray(x_train), np.asarray(x_test)
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(f"{file}: train samples have shape {x_train.shape[1:]} but test samples {x_test.shape[1:]}")
    for name, array in (("train", x_train), ("test", x_test)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        if bad:
            raise ValueError(f"{file}: the {name} data has {bad} missing or infinite values (NaN/inf)")
    if len(x_train) < 2 or len(x_test) < 1:
        raise ValueError(f"{file}: needs at least 2 training and 1 test sample")
    if x_train.ndim == 2:
        from ae_core.data.scaling import Scaler  # scikit-learn: only once a table is loaded

        # New data for a trained model is scaled with the model's stored scaler, not refitted.
        scaler = (
            Scaler.from_dict(scaler_dict) if scaler_dict else Scaler(options.get("scale", TABLE_SCALING)).fit(x_train)
        )
        return Dataset(
            spec, scaler.transform(x_train), scaler.transform(x_test), y_train, y_test, scaler=scaler.to_dict()
        )
    x_train, x_test = _to_nchw(x_train, file), _to_nchw(x_test, file)
    if x_train.dtype == np.uint8:
        return Dataset(spec, x_train.astype(np.float32) / 255, x_test.astype(np.float32) / 255, y_train, y_test)
    low, high = float(min(x_train.min(), x_test.min())), float(max(x_train.max(), x_test.max()))
    divisor = 1.0 if low >= 0 and high <= 1 else 255.0 if low >= 0 and high <= 255 else None
    if divisor is None:
        raise ValueError(f"{file}: image values range from {low:g} to {high:g}; expected [0, 1] or [0, 255]")
    return Dataset(spec, x_train.astype(np.float32) / divisor, x_test.astype(np.float32) / divisor, y_train, y_test)


def _to_nchw(x: np.ndarray, file: Path) -> np.ndarray:
    if x.ndim == 3:
        return x[:, None]
    if x.ndim == 4 and x.shape[1] in (1, 3):
        return x
    if x.ndim == 4 and x.shape[3] in (1, 3):
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    raise ValueError(
        f"{file}: samples of shape {x.shape[1:]} are neither tables (N, D) nor images with 1 or 3 channels"
    )


def _labels(y, n: int, file: Path) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"{file}: labels have shape {y.shape} but there are {n} samples")
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0):
            return y.astype(np.int64)
        raise ValueError(f"{file}: labels must be integers, got dtype {y.dtype}")
    return y.astype(np.int64)


def _check_npz_headers(file: Path) -> None:
    """Read every array's shape and dtype from its .npy header, before anything is loaded."""
    total = 0
    with zipfile.ZipFile(file) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        limits.check("archive_files", len(members), f"{file.name} holds {{amount}}", unit="arrays")
        for member in members:
            if member.flag_bits & 0x1 or member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ValueError(f"{file}: {member.filename!r} is encrypted or compressed in a way numpy cannot read")
            with archive.open(member) as stream:
                try:
                    version = np.lib.format.read_magic(stream)
                    read = (
                        np.lib.format.read_array_header_1_0
                        if version == (1, 0)
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, _, dtype = read(stream, max_header_size=10_000)
                except (ValueError, SyntaxError, TypeError) as exc:
                    raise ValueError(f"{file}: {member.filename!r} is not a .npy array ({exc})") from None
            if dtype.hasobject:
                raise ValueError(f"{file}: holds object arrays, which are never unpickled; save plain numeric arrays")
            total += int(np.prod(shape, dtype=object)) * max(dtype.itemsize, 4)  # float32 copies are made
    limits.check("array_bytes", total, f"{file.name} declares {{amount}} of arrays")


def _existing(path: str) -> Path:
    file = Path(path).expanduser()
    if not file.is_file():
        raise ValueError(f"{file}: no such file")
    return file
