"""MNIST, Fashion-MNIST and Kuzushiji-MNIST: IDX files downloaded once, checksum-verified,
cached; or read from a local folder."""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from ae_core.data.base import Dataset
from ae_core.system.paths import cache_dir

FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

# name -> (default mirror, md5 of the four FILES, label names); checksums as published with
# torchvision's dataset classes.
FAMILIES: dict[str, tuple[str, tuple[str, ...], list[str]]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        (
            "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "d53e105ee54ea40749a09fcbcd1e9432",
            "9fb629c4189551a2d022fa330f9573f3",
            "ec29112dd5afa0611ce80d1b7f02629c",
        ),
        [str(d) for d in range(10)],
    ),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        (
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "25c81989df183df01b3e8a0aad5dffbe",
            "bef4ecab320f06d8554ea6380940ec79",
            "bb300cfdad3c16e7a12a480ee83cd310",
        ),
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
    ),
    "kmnist": (
        "http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
        (
            "bdb82020997e1d708af4cf47b453dcf7",
            "e144d726b3acfaa3e44228e80efcd344",
            "5c965bf0a639b31b8f53240b1b52f4d7",
            "7320c461ea6c1c855c0b718fb2a4b134",
        ),
        ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"],
    ),
}


def download_folder(name: str, options: dict[str, str]) -> Path:
    """Where the files of dataset ``name`` are kept: inside the ``cache`` option's folder, or
    inside the data folder's cache (``ae_core.system.paths.cache_dir``).

    Parameters
    ----------
    name : str
    options : dict
        The spec's options.

    Returns
    -------
    Path
    """
    return Path(options["cache"]) / name if options.get("cache") else cache_dir(name)


def mirror_for(name: str, options: dict[str, str]) -> str:
    """The ``mirror`` option, $LATENT_LAB_MIRROR_<NAME> (e.g. ..._FASHION_MNIST), or the default.

    Parameters
    ----------
    name : str
        A key of ``FAMILIES``.
    options : dict

    Returns
    -------
    str
        A URL ending in "/".
    """
    env = "LATENT_LAB_MIRROR_" + name.upper().replace("-", "_")
    mirror = options.get("mirror") or os.environ.get(env) or FAMILIES[name][0]
    return mirror if mirror.endswith("/") else mirror + "/"


def load_idx_family(name: str, local_dir: str | None, options: dict[str, str]) -> Dataset:
    """An MNIST-format dataset (IDX files): from a local folder, or downloaded once and checked.

    Parameters
    ----------
    name : str
        A key of ``FAMILIES`` (e.g. "mnist", "fashion-mnist").
    local_dir : str or None
        A folder holding the four IDX files (gzipped or not); None downloads them.
    options : dict
        ``cache`` and ``mirror`` for the download.

    Returns
    -------
    Dataset
        Images (N, 1, 28, 28) in [0, 1] with the family's own train/test split and labels.

    Raises
    ------
    ValueError
        If a file is missing, fails its checksum, or image and label files disagree in length.
    """
    mirror, checksums, label_names = FAMILIES[name]
    if local_dir:
        paths = [_local_file(Path(local_dir), f) for f in FILES]
    else:
        folder = download_folder(name, options)
        paths = [fetch(mirror_for(name, options) + f, folder / f, md5) for f, md5 in zip(FILES, checksums)]
    x_train, y_train, x_test, y_test = (read_idx(p) for p in paths)
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise ValueError(f"{name}: image and label files disagree in length")
    return Dataset(
        name,
        (x_train[:, None] / 255.0).astype(np.float32),
        (x_test[:, None] / 255.0).astype(np.float32),
        y_train.astype(np.int64),
        y_test.astype(np.int64),
        label_names,
        description=f"{name}: {len(x_train):,} training and {len(x_test):,} test images, 28x28.",
    )


def fetch(url: str, destination: Path, md5: str | None) -> Path:
    """Download ``url`` to ``destination`` once; verify its MD5; never leave a partial file.

    A file already there with the right checksum (any file when ``md5`` is None) is kept.

    Parameters
    ----------
    url : str
    destination : Path
        Its folder is created if needed.
    md5 : str or None
        The expected hex digest; None skips the check.

    Returns
    -------
    Path
        ``destination``.

    Raises
    ------
    ValueError
        If the download fails (30 s timeout) or its checksum differs.
    """
    if destination.is_file() and (md5 is None or _md5(destination) == md5):
        return destination
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".download-", dir=destination.parent)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=30) as response:
            while chunk := response.read(1 << 20):
                out.write(chunk)
        if md5 is not None and _md5(Path(tmp)) != md5:
            raise ValueError(f"download of {url} failed its checksum (expected md5 {md5}); the mirror may be wrong")
        os.replace(tmp, destination)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ValueError(
            f"could not download {url} ({reason}); check the connection or the mirror, "
            f"or put the files in a folder and use '<name>:FOLDER'"
        ) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return destination


def read_idx(path: Path) -> np.ndarray:
    """Parse an IDX file (optionally gzipped) of unsigned bytes.

    Parameters
    ----------
    path : Path

    Returns
    -------
    np.ndarray
        uint8, of the shape the header gives.

    Raises
    ------
    ValueError
        If the gzip is damaged, it is not an IDX file of unsigned bytes, or its size disagrees with its header.
    """
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path}: damaged gzip file ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    start = 4 + 4 * ndim
    expected = int(np.prod(dims))
    if len(raw) - start != expected:
        raise ValueError(f"{path}: holds {len(raw) - start} values, its header promises {expected}")
    return np.frombuffer(raw, np.uint8, offset=start).reshape(dims)


def _local_file(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    raise ValueError(f"{folder}: missing {name} (or its unzipped form)")


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
