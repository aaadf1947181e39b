"""Turning model inputs and outputs into pictures (uint8 arrays) for pages and exports."""

from __future__ import annotations

import numpy as np
from skimage.util import montage


def image_grid(images: np.ndarray, columns: int | None = None, pad: int = 1, min_side: int = 64) -> np.ndarray:
    """Tile ``(N, C, H, W)`` images in [0, 1] into one uint8 picture.

    Small images are enlarged by an integer factor (nearest neighbour, so pixels stay crisp)
    until each tile is at least ``min_side`` pixels high.
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
