"""Reading user images safely: every failure becomes one clear ``ValueError``."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from skimage.transform import resize

MAX_PIXELS = 40_000_000  # larger images are refused (decompression-bomb guard)
MIN_SIDE = 2


def read_image(
    source: bytes | str | os.PathLike, *, name: str | None = None, max_pixels: int = MAX_PIXELS
) -> np.ndarray:
    """Decode an image into a float32 ``(H, W, C)`` array in [0, 1], C = 1 or 3.

    EXIF orientation is applied, 16-bit images keep their precision, transparency is
    flattened onto white, and animated images, tiny images and images of more than
    ``max_pixels`` pixels are refused with a ``ValueError`` naming the file.
    """
    label = name or (str(source) if not isinstance(source, bytes) else "the upload")
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise ValueError(f"{label}: {width}x{height} pixels is more than the limit of {max_pixels:,} pixels")
            if getattr(image, "n_frames", 1) > 1 and image.format in ("GIF", "PNG", "WEBP"):
                raise ValueError(f"{label}: animated images are not supported; save one frame as PNG")
            image = ImageOps.exif_transpose(image)
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError(f"{label}: {_reason(exc)}") from None
    except (OSError, SyntaxError) as exc:
        raise ValueError(f"{label}: the image is damaged or truncated ({exc})") from None
    if min(image.size) < MIN_SIDE:
        raise ValueError(f"{label}: the image is only {image.size[0]}x{image.size[1]} pixels")
    return _to_array(image)


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnidentifiedImageError):
        return "not an image (or a format Pillow cannot read)"
    return f"too many pixels, refused as a possible decompression bomb ({exc})"


def _to_array(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if array.max() > 255 else 255.0
        return (array / peak).clip(0, 1).astype(np.float32)[..., None]
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    array = np.asarray(image, dtype=np.float32) / 255.0
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[2] == 3 and np.allclose(array[..., 0], array[..., 1]) and np.allclose(array[..., 1], array[..., 2]):
        array = array[..., :1]
    return array


def to_chw(image: np.ndarray, shape: tuple[int, int, int]) -> tuple[np.ndarray, bool]:
    """Fit an ``(H, W, C)`` image to a model's ``(C, H, W)`` input: channels converted, resized
    if needed. Returns the array and whether it had to be resized."""
    channels, height, width = shape
    if image.shape[2] != channels:
        image = image.mean(axis=2, keepdims=True) if channels == 1 else np.repeat(image, 3, axis=2)
    resized = image.shape[:2] != (height, width)
    if resized:
        image = resize(image, (height, width, channels), anti_aliasing=True, preserve_range=True)
    return np.ascontiguousarray(image.transpose(2, 0, 1)).clip(0, 1).astype(np.float32), resized


def image_for_model(data: bytes, name: str, input_shape: tuple[int, ...]) -> tuple[np.ndarray, str]:
    """An uploaded image as a batch of one model input, and a note on what was changed."""
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
    """An ``(H, W, C)`` float image in [0, 1] as 8-bit PNG bytes."""
    array = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(array[..., 0] if array.shape[2] == 1 else array).save(buffer, format="PNG")
    return buffer.getvalue()


def drawing_for_model(drawing: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    """A drawn digit (2-D grey levels, ink bright on black) as a batch of one model input,
    framed the way MNIST and scikit-learn's digits are: the ink's bounding box, centred in a
    square with a margin of a fifth of its side, resized to the model's input."""
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
