"""``load_dataset(spec)``: every dataset Latent Lab can train on, by one spec string."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import numpy as np

from ae_core.data.base import Dataset, parse_spec, seeded_split
from ae_core.data.builtin import (
    SHAPE_KINDS,
    load_digits_dataset,
    load_mnist_sample_dataset,
    load_photos_dataset,
    load_shapes_dataset,
    photo,
    render_shapes,
)
from ae_core.data.download import FAMILIES, load_idx_family
from ae_core.data.files import load_csv, load_image_folder, load_image_zip, load_npz

# name -> one-line description, shown by `python -m ae_core datasets` and the app.
DATASETS: dict[str, str] = {
    "mnist-sample": "6,000 bundled MNIST digits, 28x28: the default (offline)",
    "digits": "scikit-learn's 1,797 handwritten digits, 8x8 (offline)",
    "shapes": "procedural shapes with known factors, e.g. shapes?n=6000&size=32&seed=0 (offline)",
    "photos": "patches of bundled sample photos, e.g. photos?patch=32&n=8000&color=0 (offline)",
    "mnist": "MNIST digits, 28x28: downloaded once and cached, or mnist:FOLDER of IDX files",
    "fashion-mnist": "Fashion-MNIST clothing, 28x28: downloaded once and cached, or fashion-mnist:FOLDER",
    "kmnist": "Kuzushiji-MNIST characters, 28x28: downloaded once and cached, or kmnist:FOLDER",
    "npz": "npz:PATH with x_train, y_train, x_test, y_test (mnist.npz layout) or x[, y]",
    "csv": "csv:PATH of numeric columns; an optional label column (label=NAME)",
    "folder": "folder:PATH of images; subfolders are the classes",
    "zip": "zip:PATH of images; subfolders are the classes",
}


UPLOAD_KINDS = {".zip": "zip", ".npz": "npz", ".csv": "csv"}

# name -> the options it reads (besides normal=, which every labelled dataset takes).
OPTIONS: dict[str, tuple[str, ...]] = {
    "mnist-sample": (),
    "digits": ("seed",),
    "shapes": ("n", "size", "seed"),
    "photos": ("patch", "n", "color", "seed"),
    **{family: ("mirror", "cache") for family in FAMILIES},
    "npz": ("test", "seed", "scale"),
    "csv": ("label", "test", "seed", "scale"),
    "folder": ("size", "gray", "test", "seed"),
    "zip": ("size", "gray", "test", "seed"),
}


def store_upload(data: bytes, filename: str, folder: str | os.PathLike) -> Dataset:
    """Keep an uploaded dataset file (zip of images, npz or csv) and load it.

    The file is stored under a name derived from its content, so the same upload is kept once
    and a model's dataset spec keeps pointing at it. A file that does not load is not kept.

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        Its name in the browser; the suffix (.zip, .npz, .csv) picks the loader.
    folder : str or PathLike
        Where uploads are kept (created if needed).

    Returns
    -------
    Dataset
        Its spec names the stored file.

    Raises
    ------
    ValueError
        If the suffix is not accepted or the file does not load (the message names ``filename``).
    """
    suffix = Path(filename).suffix.lower()
    if suffix not in UPLOAD_KINDS:
        raise ValueError(
            f"{filename!r}: upload a {', '.join(UPLOAD_KINDS)} file, not {suffix or 'a file without extension'!r}"
        )
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(filename).stem).strip("-")[:40] or "data"
    target = Path(folder) / f"{stem}-{hashlib.sha256(data).hexdigest()[:10]}{suffix}"
    fresh = not target.exists()
    if fresh:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        partial.write_bytes(data)
        os.replace(partial, target)
    try:
        return load_dataset(f"{UPLOAD_KINDS[suffix]}:{target}")
    except BaseException as exc:
        if fresh:
            target.unlink(missing_ok=True)  # a file that does not load is not kept
        if isinstance(exc, ValueError):
            raise ValueError(str(exc).replace(str(target), repr(filename)).replace(target.name, filename)) from None
        raise


def load_dataset(spec: str, scaler: dict | None = None) -> Dataset:
    """Load a dataset from a spec ``"name[:argument][?key=value&...]"``.

    Examples: ``"digits"``, ``"shapes?n=10000"``, ``"mnist"``, ``"npz:data/mnist.npz"``,
    ``"csv:table.csv?label=class"``, ``"folder:photos/"``, ``"my_images.zip"``.
    Raises ``ValueError`` with one line naming the problem; nothing is written except the
    download cache of the MNIST family. ``scaler`` (a checkpoint's) scales tabular data the way
    the model was trained instead of fitting a new scaling.

    Any dataset takes ``normal=A,B``: the training split keeps only those classes (a one-class
    set-up for anomaly detection) while the test split keeps every class.

    Parameters
    ----------
    spec : str
        The dataset spec.
    scaler : dict, optional
        A checkpoint's stored scaler.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        If the spec, an option or the data is not valid, or a limit is exceeded.
    """
    name, argument, options = parse_spec(spec)
    if "normal" in options:
        base = _load(_without_option(spec, "normal"), scaler)
        return keep_classes(base, options["normal"], spec)
    return _load(spec, scaler)


def keep_classes(dataset: Dataset, classes: str, spec: str) -> Dataset:
    """The one-class version of ``dataset``: training samples of ``classes`` only.

    The test split is kept whole; the spec gets ``normal=`` with the sorted class numbers, and
    ``extra["normal_classes"]`` lists them.

    Parameters
    ----------
    dataset : Dataset
        A labelled dataset.
    classes : str
        Comma-separated class names or numbers, e.g. ``"0,1"`` or ``"cat,dog"``.
    spec : str
        The spec asked for; unused.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        If the dataset has no labels or an item is not one of its classes.
    """
    if dataset.y_train is None:
        raise ValueError(f"dataset {dataset.spec!r} has no labels, so normal={classes!r} cannot pick classes")
    names = dataset.label_names or []
    chosen = []
    for item in (c.strip() for c in classes.split(",") if c.strip()):
        if item in names:
            chosen.append(names.index(item))
        elif item.lstrip("-").isdigit() and int(item) in set(dataset.y_train.tolist()):
            chosen.append(int(item))
        else:
            raise ValueError(
                f"normal={classes!r}: {item!r} is not a class of {dataset.spec!r}; classes: {names or sorted(set(dataset.y_train.tolist()))}"
            )
    keep = np.isin(dataset.y_train, chosen)
    canonical = (
        dataset.spec + ("&" if "?" in dataset.spec else "?") + "normal=" + ",".join(map(str, sorted(set(chosen))))
    )
    return replace(
        dataset,
        spec=canonical,
        x_train=dataset.x_train[keep],
        y_train=dataset.y_train[keep],
        extra={**dataset.extra, "normal_classes": sorted(set(chosen))},
    )


def _without_option(spec: str, key: str) -> str:
    head, _, query = spec.partition("?")
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != key]
    return head + ("?" + urlencode(kept, safe=",:/") if kept else "")


def _load(spec: str, scaler: dict | None) -> Dataset:
    name, argument, options = parse_spec(spec)
    if argument is None and name.endswith(".zip"):
        name, argument = "zip", spec.partition("?")[0]
    unknown = sorted(set(options) - set(OPTIONS.get(name, options)))
    if unknown:
        takes = ", ".join(OPTIONS[name]) or "none"
        raise ValueError(f"dataset {name!r} has no option {unknown[0]!r}; its options: {takes} (and normal=)")
    if name == "mnist-sample":
        return load_mnist_sample_dataset(options)
    if name == "digits":
        return load_digits_dataset(options)
    if name == "shapes":
        return load_shapes_dataset(options)
    if name == "photos":
        return load_photos_dataset(options)
    if name in FAMILIES:
        return load_idx_family(name, argument, options)
    loaders = {"npz": load_npz, "csv": load_csv, "folder": load_image_folder, "zip": load_image_zip}
    if name in loaders:
        if not argument:
            raise ValueError(f"dataset {name!r} needs a path: '{name}:PATH'")
        dataset = (
            loaders[name](argument, options, scaler) if name in ("npz", "csv") else loaders[name](argument, options)
        )
        # Keep the options (split, seed, label column...) so the spec reloads the very same split.
        return replace(dataset, spec=spec.strip()) if options else dataset
    raise ValueError(f"unknown dataset {spec!r}; valid: {', '.join(DATASETS)}")


__all__ = [
    "DATASETS",
    "SHAPE_KINDS",
    "Dataset",
    "load_dataset",
    "parse_spec",
    "photo",
    "render_shapes",
    "seeded_split",
    "store_upload",
]
