"""What one upload or one file may cost, checked before the work is done.

Every loader asks here before it allocates: decoded pixels, array sizes from a header, a model's
parameter count from its configuration, ratings and users x items of a ratings matrix, config and archive
sizes. The defaults keep one classroom upload well under 1.5 GB of memory; a bigger server raises
them with environment variables (``LATENT_LAB_LIMIT_<NAME>``, e.g. ``LATENT_LAB_LIMIT_ARCHIVE_PIXEL_BYTES=4e9``).
"""

from __future__ import annotations

import os

# name -> (default, what it bounds). Sizes are bytes unless the name says otherwise.
LIMITS: dict[str, tuple[float, str]] = {
    "image_pixels": (40e6, "pixels of one image (width x height)"),
    "archive_pixel_bytes": (1e9, "decoded 8-bit pixels of all images in one zip or folder"),
    "archive_files": (100_000, "files in one zip"),
    "archive_bytes": (2e9, "unpacked size of one zip"),
    "dataset_bytes": (600e6, "float32 samples of one uploaded dataset after decoding"),
    "array_bytes": (600e6, "arrays of one npz/npy file, from their headers"),
    "table_bytes": (100e6, "one CSV or ratings file"),
    "config_bytes": (2e6, "one checkpoint's config.json"),
    "parameters": (50e6, "parameters of one model (4 bytes each)"),
    "ratings": (5e6, "ratings of one ratings file (kept sparse: about 30 bytes each)"),
    "rating_cells": (30e6, "users x items of one ratings matrix (not stored: the cells each training epoch computes)"),
}


def limit(name: str) -> int:
    """The limit called ``name`` (see ``LIMITS``), or ``$LATENT_LAB_LIMIT_<NAME>`` when set.

    Parameters
    ----------
    name : str
        A key of ``LIMITS``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If the environment variable is not a positive number.
    """
    default, _ = LIMITS[name]
    raw = os.environ.get(f"LATENT_LAB_LIMIT_{name.upper()}")
    if raw is None:
        return int(default)
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"LATENT_LAB_LIMIT_{name.upper()}={raw!r} is not a number") from None
    if not value > 0:
        raise ValueError(f"LATENT_LAB_LIMIT_{name.upper()} must be positive, got {raw!r}")
    return int(value)


def check(name: str, amount: float, what: str, unit: str = "bytes") -> None:
    """Raise ``ValueError`` when ``amount`` is over the limit ``name``; ``what`` holds ``{amount}``:
    ``check("archive_pixel_bytes", n, "this archive decodes to {amount} of pixels")`` ->
    "this archive decodes to 6.3 GB of pixels; the limit is 1 GB (...)".

    Parameters
    ----------
    name : str
        A key of ``LIMITS``.
    amount : float
    what : str
        The message's start, with ``{amount}`` where the amount goes.
    unit : str, default "bytes"
        How amounts are written ("bytes" in kB/MB/GB, else the number and this word).

    Raises
    ------
    ValueError
        If ``amount`` is over the limit.
    """
    allowed = limit(name)
    if amount > allowed:
        raise ValueError(
            f"{what.format(amount=_amount(amount, unit))}; the limit is {_amount(allowed, unit)} "
            f"(a server admin can raise it with LATENT_LAB_LIMIT_{name.upper()})"
        )


def human_bytes(n: float) -> str:
    """``6.3 GB``, ``512 MB``, ``12 kB`` (decimal units).

    Parameters
    ----------
    n : float
        Bytes.

    Returns
    -------
    str
        Three significant digits; below 1 kB, e.g. ``"512 bytes"``.
    """
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


def _amount(n: float, unit: str) -> str:
    if unit == "bytes":
        return human_bytes(n)
    for suffix, size in ((" billion", 1e9), (" million", 1e6)):
        if n >= size:
            return f"{n / size:.3g}{suffix} {unit}"
    return f"{int(n):,} {unit}"
