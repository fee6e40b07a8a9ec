"""Image grids and strips as PNG (arrays in, files out; no model code here)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from vaekit.fileio import atomic_write_bytes


def to_uint8(images: np.ndarray) -> np.ndarray:
    """(N, C, H, W) floats in [0, 1] -> (N, H, W, C) uint8."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[:, None]
    return (np.clip(images, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8).transpose(0, 2, 3, 1)


def grid(images: np.ndarray, *, nrow: int, pad: int = 2, scale: int = 1) -> np.ndarray:
    """Tile (N, C, H, W) images in [0, 1] into one (rows*H, nrow*W, C) uint8 picture,
    row-major, with `pad` pixels of white between tiles; `scale` repeats pixels."""
    tiles = to_uint8(images)
    n, h, w, c = tiles.shape
    rows = -(-n // nrow)
    out = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad, c), 255, np.uint8)
    for i in range(n):
        r, col = divmod(i, nrow)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        out[y : y + h, x : x + w] = tiles[i]
    if scale > 1:
        out = out.repeat(scale, axis=0).repeat(scale, axis=1)
    return out


def _pil(picture: np.ndarray) -> Image.Image:
    return Image.fromarray(picture[..., 0] if picture.shape[-1] == 1 else picture)


def save_png(picture: np.ndarray, path: str | Path) -> Path:
    """Write an (H, W, C) uint8 picture atomically as PNG."""
    buffer = io.BytesIO()
    _pil(picture).save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)


def save_grid(images: np.ndarray, path: str | Path, *, nrow: int, scale: int = 2) -> Path:
    return save_png(grid(images, nrow=nrow, scale=scale), path)


def save_gif(frames: np.ndarray, path: str | Path, *, scale: int = 4, ms: int = 120) -> Path:
    """Animated GIF of (N, C, H, W) frames in [0, 1], forwards then back (a loop)."""
    tiles = to_uint8(frames)
    if scale > 1:
        tiles = tiles.repeat(scale, axis=1).repeat(scale, axis=2)
    pictures = [_pil(t) for t in tiles]
    pictures = pictures + pictures[-2:0:-1]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=ms, loop=0)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)
