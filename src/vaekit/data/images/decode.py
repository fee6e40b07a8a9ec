"""Helpers shared by the image readers: image decoding and scaling.

The readers in `faces`, `folders` and `archives` return numpy arrays, never tensors:
pixels are uint8, channels-last (N, H, W, C) with C = 1 (grey) or 3 (RGB), labels are
int64 (N,). The registry turns them into float tensors. Every malformed or unusable input
raises `DataError` with a one-line message that names the file; exceptions from PIL,
scipy, numpy or zipfile never escape.

Sizes are checked before memory is allocated, and module-level limits refuse absurd
inputs (they are plain module attributes, so a caller with a genuine need can raise them;
each lives in the module that reads it).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from vaekit.errors import DataError, one_line
from vaekit.fileio import file_size

MAX_IMAGE_PIXELS = 89_478_485  # PIL's own default; a lower PIL.Image.MAX_IMAGE_PIXELS wins
MAX_IMAGE_FILE_BYTES = 256 * 2**20
MAX_OUTPUT_BYTES = 8 * 2**30  # the pixel array a reader may allocate in one go

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"})
_PIL_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")  # decoders tried, whatever the suffix
# PIL's bilinear filter widens its support when shrinking, i.e. it antialiases like
# torchvision's Resize(antialias=True).
_RESAMPLE = Image.Resampling.BILINEAR


FITS = ("none", "pad", "crop", "stretch")  # config.CHOICES["data.fit"]


def _target_size(size: int | tuple[int, ...]) -> tuple[int, int]:
    """(H, W) from an int or a 1-tuple (square) or an (H, W) pair of positive ints."""
    pair = (size, size) if isinstance(size, int) else tuple(size)
    if len(pair) == 1:
        pair = (pair[0], pair[0])
    if len(pair) != 2 or not all(
        isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in pair
    ):
        raise ValueError(f"size must be a positive int or an (H, W) pair of them, got {size!r}")
    return pair[0], pair[1]


def check_image_options(
    size: int | tuple[int, ...], channels: int, fit: str, max_images: int | None
) -> tuple[int, int]:
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels!r}")
    if fit not in FITS:
        raise ValueError(f"fit must be one of {', '.join(FITS)}, got {fit!r}")
    if max_images is not None and (not isinstance(max_images, int) or max_images < 1):
        raise ValueError(f"max_images must be None or a positive int, got {max_images!r}")
    return _target_size(size)


def same_aspect(height: int, width: int, target_h: int, target_w: int) -> bool:
    """Whether (height, width) scales to the target with one factor, up to rounding."""
    return round(width * target_h / height) == target_w or round(height * target_w / width) \
        == target_h


def aspect_hint(height: int, width: int, target_h: int, target_w: int) -> str:
    """The one-line refusal for fit='none', with the ways on."""
    return (f"{height}x{width} images do not scale to {target_h}x{target_w} without changing "
            f"their aspect ratio; choose --fit pad (keep the whole image, add black borders), "
            f"--fit crop (cut the centre out) or --fit stretch, or an --image-size with their "
            f"aspect (e.g. {target_h} {max(1, round(width * target_h / height))})")


def describe_fit(sizes: dict[tuple[int, int], int], target: tuple[int, int], fit: str) -> str:
    """What fitting did to images of `sizes` ({(h, w): count}), in words, for the log."""
    th, tw = target
    n = sum(sizes.values())
    common = max(sizes, key=sizes.get)
    shown = f"{common[0]}x{common[1]}" + (f" (and {len(sizes) - 1} other sizes)"
                                          if len(sizes) > 1 else "")
    if set(sizes) == {target}:
        return f"{n} images of {th}x{tw}, kept as they are"
    changed = [s for s in sizes if not same_aspect(*s, th, tw)]
    how = {"none": "scaled, aspect ratio kept",
           "pad": "scaled to fit inside, aspect kept, black borders added",
           "crop": "scaled to cover, aspect kept, centre cut out",
           "stretch": "stretched to the size, aspect ratio changed"}[fit]
    if fit != "none" and not changed:
        how = "scaled, aspect ratio kept (nothing padded, cut or stretched)"
    return f"{n} images of {shown} -> {th}x{tw}: {how}"


def fit_image(img: Image.Image, height: int, width: int, fit: str) -> Image.Image:
    """Bring an image to (height, width) as `fit` says (FITS). none and the aspect-keeping
    cases scale by one factor; pad and crop add black borders or cut the centre out only
    when the aspect ratio differs. ValueError for fit='none' when it differs."""
    w, h = img.size
    if (w, h) == (width, height):
        return img
    if fit == "stretch" or same_aspect(h, w, height, width):
        return img.resize((width, height), _RESAMPLE)
    if fit == "none":
        raise ValueError(aspect_hint(h, w, height, width))
    if fit == "crop":
        scale = max(width / w, height / h)
        new_w, new_h = max(width, round(w * scale)), max(height, round(h * scale))
        img = img.resize((new_w, new_h), _RESAMPLE)
        left, top = round((new_w - width) / 2), round((new_h - height) / 2)
        return img.crop((left, top, left + width, top + height))
    scale = min(width / w, height / h)  # pad: the whole image inside the target
    new_w, new_h = min(width, max(1, round(w * scale))), min(height, max(1, round(h * scale)))
    canvas = Image.new(img.mode, (width, height))  # zeros: black, as transparent pixels
    canvas.paste(img.resize((new_w, new_h), _RESAMPLE),
                 ((width - new_w) // 2, (height - new_h) // 2))
    return canvas


def _to_8bit(img: Image.Image) -> Image.Image:
    """An 'L' or 'RGB' image; transparency is composited onto black (premultiplied)."""
    if img.mode.startswith("I"):
        # 16-bit greyscale PNG: PIL's convert('L') clips above 255, so rescale 0..65535.
        wide = np.asarray(img).astype(np.int64)
        if wide.size and (wide.min() < 0 or wide.max() > 65535):
            raise ValueError(f"{img.mode} pixel values outside 0..65535")
        return Image.fromarray(((wide * 255 + 32767) // 65535).astype(np.uint8), "L")
    if img.mode in ("L", "RGB") and "transparency" not in img.info:
        return img
    if img.mode in ("1", "CMYK", "YCbCr") and "transparency" not in img.info:
        return img.convert("RGB")
    # Palettes, alpha and tRNS chunks all become straight RGBA first. Black keeps the
    # convention of MNIST-like data (ink on a dark background) and equals pixel * alpha.
    rgba = np.asarray(img.convert("RGBA")).astype(np.uint16)
    rgb = (rgba[..., :3] * rgba[..., 3:] + 127) // 255
    return Image.fromarray(rgb.astype(np.uint8), "RGB")



def image_size_of(path: Path) -> tuple[int, int]:
    """(height, width) of an image file as a viewer shows it, read from its header."""
    file_size(path, limit=MAX_IMAGE_FILE_BYTES, what="image")
    try:
        with Image.open(path, formats=_PIL_FORMATS) as img:
            w, h = img.size
            if img.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # EXIF: turned by 90 degrees
                w, h = h, w
    except Exception as exc:  # PIL raises many types on bad input
        raise DataError(f"{path}: cannot decode image ({one_line(exc)})") from exc
    return h, w


def load_image(path: Path, *, height: int, width: int, channels: int, fit: str
               ) -> tuple[np.ndarray, tuple[int, int]]:
    """One image file as (height, width, channels) uint8 and its own (h, w), or DataError
    naming the file."""
    file_size(path, limit=MAX_IMAGE_FILE_BYTES, what="image")
    limit = MAX_IMAGE_PIXELS
    if Image.MAX_IMAGE_PIXELS is not None:
        limit = min(limit, Image.MAX_IMAGE_PIXELS)
    try:
        with warnings.catch_warnings():
            # PIL only warns below twice its limit; a bomb is an error here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=_PIL_FORMATS) as img:
                if img.width * img.height > limit:
                    raise DataError(
                        f"{path}: {img.width}x{img.height} pixels is more than the limit of "
                        f"{limit} (a decompression bomb?)"
                    )
                img.load()  # decode now, so truncation is reported here
                # Photos carry their rotation in EXIF; use the orientation a viewer shows.
                img = _to_8bit(ImageOps.exif_transpose(img))
                img = img.convert("L" if channels == 1 else "RGB")
                own = (img.height, img.width)
                try:
                    img = fit_image(img, height, width, fit)
                except ValueError as exc:
                    raise DataError(f"{path}: {exc}") from None
                pixels = np.asarray(img, dtype=np.uint8)
    except DataError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DataError(f"{path}: too many pixels, refused ({one_line(exc)})") from exc
    except Exception as exc:  # PIL raises OSError, SyntaxError, ValueError, ... on bad input
        raise DataError(f"{path}: cannot decode image ({one_line(exc)})") from exc
    return pixels.reshape(height, width, channels), own


def load_images(
    paths: Sequence[Path],
    names: Sequence[str],
    *,
    source: Path,
    size: tuple[int, int],
    channels: int,
    fit: str,
    max_images: int | None,
    skip_bad: bool,
) -> tuple[np.ndarray, list[int], list[str]]:
    """Decode `paths` in order into (N, H, W, C) uint8; returns (images, kept, skipped).

    kept holds the indices into `paths` of the returned images; with skip_bad=True an
    unreadable file is left out (named in skipped) and reading goes on until max_images
    good images are found.
    """
    height, width = size
    count = len(paths) if max_images is None else min(len(paths), max_images)
    nbytes = count * height * width * channels
    if nbytes > MAX_OUTPUT_BYTES:
        raise DataError(
            f"{count} images of {height}x{width}x{channels} need {nbytes} bytes, more than "
            f"the {MAX_OUTPUT_BYTES}-byte limit; pass max_images or a smaller size"
        )
    images = np.empty((count, height, width, channels), dtype=np.uint8)
    kept: list[int] = []
    skipped: list[str] = []
    for index, path in enumerate(paths):
        if len(kept) == count:
            break
        try:
            images[len(kept)] = load_image(
                path, height=height, width=width, channels=channels, fit=fit
            )[0]
        except DataError:
            if not skip_bad:
                raise
            skipped.append(names[index])
            continue
        kept.append(index)
    if not kept:
        raise DataError(f"{source}: none of the {len(skipped)} images could be read")
    if len(kept) < count:
        images = images[: len(kept)].copy()
    return images, kept, skipped


def is_image_name(name: str) -> bool:
    # Dot files are skipped: macOS '._x.jpg' resource forks look like images but are not.
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS
