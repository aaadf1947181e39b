"""Images as arrays: reading user images safely (every failure becomes one clear ``ValueError``),
encoding them, and tiling many into one picture for pages and exports."""

from __future__ import annotations

import io
import os
import warnings
from contextlib import contextmanager
from typing import IO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from skimage.transform import resize
from skimage.util import montage

from ae_core.system import limits

MIN_SIDE = 2
GRAY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")
Source = bytes | str | os.PathLike | IO[bytes]


def image_size(source: Source, *, name: str | None = None) -> tuple[int, int, int]:
    """``(height, width, bands)`` of an image as shown (EXIF rotation applied), read from its
    header without decoding it; ``bands`` is 1 for grey modes, else 3.

    Parameters
    ----------
    source : bytes, str, PathLike or binary file
        The image's bytes, its path, or an open file.
    name : str, optional
        Names the image in error messages.

    Returns
    -------
    tuple of int

    Raises
    ------
    ValueError
        If it is not a readable image, is animated, or has more pixels than the ``image_pixels`` limit.
    """
    with _opened(source, name) as (image, label):
        width, height = image.size
        # EXIF sits in the header of these formats (a PNG's may follow its pixels: not read here).
        if image.format in ("JPEG", "MPO", "TIFF", "WEBP") and image.getexif().get(0x0112) in (5, 6, 7, 8):
            width, height = height, width
        return height, width, 1 if image.mode in GRAY_MODES else 3


def read_image(
    source: Source,
    *,
    name: str | None = None,
    max_pixels: int | None = None,
    size: tuple[int, int] | None = None,
) -> np.ndarray:
    """Decode an image into a float32 ``(H, W, C)`` array in [0, 1], C = 1 or 3.

    EXIF orientation is applied, 16-bit and floating-point images are read by their real range,
    transparency is flattened onto white, and animated images, tiny images and images of more
    than ``max_pixels`` (default ``limits``' ``image_pixels``) are refused with a ``ValueError``
    naming the file. ``size`` (height, width) resizes while still in Pillow, so a large image
    costs its 8-bit pixels once, not float copies of them.

    Parameters
    ----------
    source : bytes, str, PathLike or binary file
        The image's bytes, its path, or an open file.
    name : str, optional
        Names the image in error messages.
    max_pixels : int, optional
    size : tuple of int, optional

    Returns
    -------
    np.ndarray of shape (H, W, C)

    Raises
    ------
    ValueError
        As said above, and for a damaged or truncated file.
    """
    with _opened(source, name, max_pixels) as (image, label):
        try:
            image = ImageOps.exif_transpose(image)
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ValueError(f"{label}: the image is damaged or truncated ({exc})") from None
        if min(image.size) < MIN_SIDE:
            raise ValueError(f"{label}: the image is only {image.size[0]}x{image.size[1]} pixels")
        return _to_array(image, label, size)


@contextmanager
def _opened(source: Source, name: str | None, max_pixels: int | None = None):
    label = name or (str(source) if isinstance(source, (str, os.PathLike)) else "the upload")
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    most = limits.limit("image_pixels") if max_pixels is None else max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream)
            width, height = image.size
            if width * height > most:
                raise ValueError(
                    f"{label}: {width}x{height} is {width * height:,} pixels; the limit is {most:,} pixels per image"
                )
            if getattr(image, "n_frames", 1) > 1 and image.format in ("GIF", "PNG", "WEBP"):
                raise ValueError(f"{label}: animated images are not supported; save one frame as PNG")
            with image:
                yield image, label
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError(f"{label}: {_reason(exc)}") from None
    except (OSError, SyntaxError, EOFError) as exc:
        raise ValueError(f"{label}: the image is damaged or truncated ({exc})") from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnidentifiedImageError):
        return "not an image (or a format Pillow cannot read)"
    return f"too many pixels, refused as a possible decompression bomb ({exc})"


def _resized(image: Image.Image, size: tuple[int, int] | None) -> Image.Image:
    if size is None or image.size == (size[1], size[0]):
        return image
    return image.resize((size[1], size[0]), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _to_array(image: Image.Image, label: str, size: tuple[int, int] | None) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit files are read by their bit depth, not by the values they happen to hold.
        image = _resized(image if image.mode == "I" else image.convert("I"), size)
        array = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if array.max(initial=0) <= 65535 else float(2**32 - 1)
        return (array / peak).clip(0, 1).astype(np.float32)[..., None]
    if image.mode == "F":
        array = np.asarray(_resized(image, size), dtype=np.float32)
        if not np.isfinite(array).all():
            raise ValueError(f"{label}: the image holds NaN or infinite values")
        low, high = float(array.min()), float(array.max())
        peak = next((p for p in (1.0, 255.0, 65535.0) if high <= p), None)
        if low < 0 or peak is None:
            raise ValueError(
                f"{label}: its values range from {low:g} to {high:g}; expected [0, 1], [0, 255] or [0, 65535]"
            )
        return (array / peak).astype(np.float32)[..., None]
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    # Checked and scaled from the 8-bit pixels, so a 40-megapixel photo costs one float copy.
    pixels = np.asarray(_resized(image, size))
    pixels = pixels[..., None] if pixels.ndim == 2 else pixels
    if pixels.shape[2] == 3 and all(np.array_equal(pixels[..., 0], pixels[..., c]) for c in (1, 2)):
        pixels = pixels[..., :1]
    array = pixels.astype(np.float32)
    array /= 255.0
    return array


def to_chw(image: np.ndarray, shape: tuple[int, int, int]) -> tuple[np.ndarray, bool]:
    """Fit an ``(H, W, C)`` image to a model's ``(C, H, W)`` input: channels converted, resized
    if needed. Returns the array and whether it had to be resized.

    Parameters
    ----------
    image : np.ndarray of shape (H, W, C)
        Values in [0, 1]; colour becomes gray by the channel mean, gray becomes colour by repetition.
    shape : tuple of int
        The model's (C, H, W).

    Returns
    -------
    tuple
        The float32 array of ``shape``, clipped to [0, 1], and a bool.
    """
    channels, height, width = shape
    if image.shape[2] != channels:
        image = image.mean(axis=2, keepdims=True) if channels == 1 else np.repeat(image, 3, axis=2)
    resized = image.shape[:2] != (height, width)
    if resized:
        image = resize(image, (height, width, channels), anti_aliasing=True, preserve_range=True)
    return np.ascontiguousarray(image.transpose(2, 0, 1)).clip(0, 1).astype(np.float32), resized


def image_for_model(data: bytes, name: str, input_shape: tuple[int, ...]) -> tuple[np.ndarray, str]:
    """An uploaded image as a batch of one model input, and a note on what was changed.

    Parameters
    ----------
    data : bytes
        The image file.
    name : str
        Its name, for messages.
    input_shape : tuple of int
        The model's (C, H, W).

    Returns
    -------
    tuple
        The batch, float32 of shape (1, C, H, W) in [0, 1], and the note (e.g. "resized from 640x480 to
        28x28; converted to grayscale"; empty when nothing changed).

    Raises
    ------
    ValueError
        If the model takes table rows, or the image cannot be read.
    """
    if len(input_shape) != 3:
        raise ValueError(f"this model takes table rows of {input_shape[0]} numbers, not images")
    image = read_image(data, name=name)
    x, resized = to_chw(image, tuple(input_shape))
    notes = []
    if resized:
        notes.append(f"resized from {image.shape[1]}x{image.shape[0]} to {input_shape[2]}x{input_shape[1]}")
    if image.shape[2] != input_shape[0]:
        notes.append("converted to grayscale" if input_shape[0] == 1 else "converted to colour")
    return x[None], "; ".join(notes)


def encode_png(image: np.ndarray) -> bytes:
    """A picture as 8-bit PNG bytes: an ``(H, W, C)`` float image in [0, 1] (C = 1 or 3), or
    the ``uint8`` picture ``image_grid`` makes (``(H, W)`` or ``(H, W, 3)``), written as it is.

    Parameters
    ----------
    image : np.ndarray
        Float values are clipped to [0, 1].

    Returns
    -------
    bytes
    """
    array = np.asarray(image)
    if array.dtype != np.uint8:
        array = (np.clip(array, 0, 1) * 255).round().astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def crop_at(image: np.ndarray, across: float, down: float, side: int) -> np.ndarray:
    """The ``side`` x ``side`` part of an (H, W, ...) image (all of a shorter side) whose
    position is given in percent: 0 at the left or top edge, 100 at the right or bottom,
    50 the centre.

    Parameters
    ----------
    image : np.ndarray of shape (H, W, ...)
    across, down : float
        Percent, 0 to 100.
    side : int
        Pixels.

    Returns
    -------
    np.ndarray
        A view of ``image``.

    Raises
    ------
    ValueError
        If a position is outside 0-100.
    """
    if not (0 <= across <= 100 and 0 <= down <= 100):
        raise ValueError(f"a crop's position is in percent, 0 to 100; got across={across}, down={down}")
    height, width = image.shape[:2]
    top, left = int((height - min(side, height)) * down / 100), int((width - min(side, width)) * across / 100)
    return image[top : top + side, left : left + side]


def drawing_for_model(drawing: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    """A drawn digit (2-D grey levels, ink bright on black) as a batch of one model input,
    framed the way MNIST and scikit-learn's digits are: the ink's bounding box, centred in a
    square with a margin of a fifth of its side, resized to the model's input.

    Parameters
    ----------
    drawing : np.ndarray of shape (H, W)
        Values in [0, 1]; ink is above 0.05.
    input_shape : tuple of int
        The model's (C, H, W).

    Returns
    -------
    np.ndarray of shape (1, C, H, W)
        Float32.

    Raises
    ------
    ValueError
        If the model takes table rows or the drawing is empty.
    """
    if len(input_shape) != 3:
        raise ValueError(f"this model takes table rows of {input_shape[0]} numbers, not drawings")
    drawing = np.asarray(drawing, np.float32)
    ink = np.argwhere(drawing > 0.05)
    if len(ink) == 0:
        raise ValueError("the drawing is empty; draw something first")
    (top, left), (bottom, right) = ink.min(axis=0), ink.max(axis=0) + 1
    crop = drawing[top:bottom, left:right]
    side = int(max(crop.shape) * 1.4) + 1
    square = np.zeros((side, side), np.float32)
    y, x = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    square[y : y + crop.shape[0], x : x + crop.shape[1]] = crop
    x_in, _ = to_chw(square[..., None], tuple(input_shape))
    return x_in[None]


def image_grid(images: np.ndarray, columns: int | None = None, pad: int = 1, min_side: int = 64) -> np.ndarray:
    """Tile ``(N, C, H, W)`` images in [0, 1] into one uint8 picture.

    Small images are enlarged by an integer factor (nearest neighbour, so pixels stay crisp)
    until each tile is at least ``min_side`` pixels high.

    Parameters
    ----------
    images : np.ndarray of shape (N, C, H, W)
        C is 1 or 3; values are clipped to [0, 1].
    columns : int, optional
        Tiles per row (default: all in one row).
    pad : int, default 1
        White pixels between tiles.
    min_side : int, default 64

    Returns
    -------
    np.ndarray
        uint8, (height, width) for grey images or (height, width, 3) for colour.

    Raises
    ------
    ValueError
        If ``images`` is not (N, C, H, W) with 1 or 3 channels.
    """
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"image_grid needs (N, C, H, W) images with 1 or 3 channels, got shape {images.shape}")
    n, channels = len(images), images.shape[1]
    columns = columns or n
    rows = -(-n // columns)
    factor = max(1, -(-min_side // images.shape[2]))
    tiles = images.repeat(factor, axis=2).repeat(factor, axis=3).clip(0, 1)
    if channels == 1:
        grid = montage(tiles[:, 0], grid_shape=(rows, columns), padding_width=pad, fill=1.0)
    else:
        grid = montage(
            tiles.transpose(0, 2, 3, 1),
            grid_shape=(rows, columns),
            padding_width=pad,
            fill=(1.0, 1.0, 1.0),
            channel_axis=-1,
        )
    return (grid * 255).round().astype(np.uint8)
