"""Readers for folders of image files: plain or class-per-subfolder, and CelebA.

Images are decoded, converted and scaled by `vaekit.data.images.decode`. CelebA's
`list_attr_celeba.txt` table is parsed here; MAX_ATTRIBUTE_FILE_BYTES refuses absurd ones
(a plain module attribute, so a caller with a genuine need can raise it).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from vaekit.data.images.decode import (
    IMAGE_EXTENSIONS,
    _target_size,
    check_image_options,
    image_size_of,
    is_image_name,
    load_images,
)
from vaekit.errors import DataError, one_line
from vaekit.fileio import read_bounded

MAX_ATTRIBUTE_FILE_BYTES = 256 * 2**20  # list_attr_celeba.txt is 26.7 MB


class CelebAAttributes(NamedTuple):
    """The attribute table: filenames (N), attribute names (A), values (N, A) int8 in {-1, +1}."""

    filenames: list[str]
    attribute_names: list[str]
    values: np.ndarray


@dataclass(frozen=True)
class ImageFolderData:
    """images (N, H, W, C) uint8; labels (N,) int64 indices into class_names, or None.

    files are the images' paths relative to the folder (POSIX style) in the order of
    `images`; skipped lists the unreadable files left out when skip_bad=True.
    """

    images: np.ndarray
    labels: np.ndarray | None
    class_names: tuple[str, ...]
    files: tuple[str, ...]
    skipped: tuple[str, ...]


@dataclass(frozen=True)
class CelebAData:
    """images (N, H, W, C) uint8 and attributes (N, A) int8 in {-1, +1}, row for row.

    filenames are the rows' names from the attribute file; skipped lists the unreadable
    images left out when skip_bad=True (their rows are dropped too).
    """

    images: np.ndarray
    attributes: np.ndarray
    attribute_names: tuple[str, ...]
    filenames: tuple[str, ...]
    skipped: tuple[str, ...]


def _sorted_entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return sorted((e for e in entries if not e.name.startswith(".")), key=lambda e: e.name)
    except OSError as exc:
        raise DataError(f"{folder}: cannot list folder ({one_line(exc)})") from exc


def _images_below(folder: Path) -> list[Path]:
    """Image files anywhere below `folder`, sorted by name level by level (no symlinked dirs)."""
    found: list[Path] = []
    for entry in _sorted_entries(folder):
        if entry.is_dir(follow_symlinks=False):
            found.extend(_images_below(Path(entry.path)))
        elif is_image_name(entry.name) and entry.is_file():
            found.append(Path(entry.path))
    return found


class FolderListing(NamedTuple):
    """The image files of a folder in reading order: paths, their names relative to the
    folder (POSIX style), labels (indices into class_names) or None, class names."""

    paths: list[Path]
    names: list[str]
    labels: list[int] | None
    class_names: tuple[str, ...]


def list_image_folder(path: str | os.PathLike) -> FolderListing:
    """The images of a folder, as `read_image_folder` reads them (see its layout rules)."""
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root}: no such folder")
    entries = _sorted_entries(root)
    class_dirs = [e for e in entries if e.is_dir()]
    files: list[Path] = []
    labels: list[int] = []
    if class_dirs:
        loose = [e.name for e in entries if not e.is_dir() and is_image_name(e.name)]
        if loose:
            raise DataError(
                f"{root}: has class subfolders and loose images ({loose[0]}, ...); "
                "move the images into a class folder"
            )
        for label, entry in enumerate(class_dirs):
            found = _images_below(Path(entry.path))
            if not found:
                raise DataError(f"{entry.path}: class folder holds no images")
            files.extend(found)
            labels.extend([label] * len(found))
    else:
        files = [Path(e.path) for e in entries if is_image_name(e.name) and e.is_file()]
    if not files:
        raise DataError(f"{root}: no images ({', '.join(sorted(IMAGE_EXTENSIONS))})")
    names = [p.relative_to(root).as_posix() for p in files]
    return FolderListing(files, names, labels if class_dirs else None,
                         tuple(e.name for e in class_dirs))


def target_size(size: int | tuple[int, ...] | None, first: Path, fit: str) -> tuple[int, int]:
    """(H, W) for `size`; None: the first image's own size (nothing is then padded, cut or
    stretched, so a fit other than none has nothing to do)."""
    if size is not None:
        return _target_size(size)
    if fit != "none":
        raise DataError(f"--fit {fit} needs a target size: pass --image-size H W")
    return image_size_of(first)


def read_image_folder(
    path: str | os.PathLike,
    *,
    size: int | tuple[int, ...] | None,
    channels: int = 3,
    fit: str = "none",
    max_images: int | None = None,
    skip_bad: bool = False,
) -> ImageFolderData:
    """Read PNG/JPEG/BMP/GIF/WebP files (suffix case-insensitive) into (N, H, W, C) uint8.

    Layout: if the folder has subfolders, each one is a class (labels index the sorted
    names, as torchvision's ImageFolder) and its images are found recursively; loose
    images beside class folders, or a class folder without images, are an error.
    Otherwise the folder's own images are read and labels is None. Files whose name
    starts with '.' are ignored. Order is sorted by name, so it is the same everywhere.

    size: int (square) or (H, W). crop='center' scales the image so it covers the
    target, aspect kept, then cuts out the centre; crop='none' stretches to the size.
    channels=1 uses PIL's ITU-R 601-2 luma; grey images are repeated for channels=3.
    Transparent pixels are composited onto black; 16-bit PNGs are rescaled to 8 bits;
    animated files give their first frame.

    max_images keeps the first that many images in order (with class folders, early
    classes come first). skip_bad=True leaves out unreadable files, named in `skipped`.
    """
    listing = list_image_folder(path)
    height, width = check_image_options(target_size(size, listing.paths[0], fit), channels,
                                        fit, max_images)
    images, kept, skipped = load_images(
        listing.paths,
        listing.names,
        source=Path(path),
        size=(height, width),
        channels=channels,
        fit=fit,
        max_images=max_images,
        skip_bad=skip_bad,
    )
    labels = listing.labels
    return ImageFolderData(
        images=images,
        labels=None if labels is None else np.asarray([labels[i] for i in kept], dtype=np.int64),
        class_names=listing.class_names,
        files=tuple(listing.names[i] for i in kept),
        skipped=tuple(skipped),
    )


def read_celeba_attributes(path: str | os.PathLike) -> CelebAAttributes:
    """Read a `list_attr_celeba.txt` table.

    Line 1 is the number of rows N, line 2 the A attribute names, then N lines of
    `filename v1 ... vA` with values -1 or 1, separated by one or more blanks. Returns
    filenames (N), attribute names (A) and values (N, A) int8 in {-1, +1}.
    """
    path = Path(path)
    raw = read_bounded(path, limit=MAX_ATTRIBUTE_FILE_BYTES, what="attribute")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({one_line(exc)})") from exc
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) < 2:
        raise DataError(f"{path}: needs a count line and an attribute-name line")
    count = lines[0].strip()
    # ASCII digits only: int() would also take '1_000' or Arabic-Indic digits.
    if not re.fullmatch(r"[0-9]{1,9}", count) or int(count) == 0:
        raise DataError(f"{path}: line 1 must be the number of images, got {count[:40]!r}")
    n = int(count)
    attribute_names = lines[1].split()
    if not attribute_names or len(set(attribute_names)) != len(attribute_names):
        raise DataError(f"{path}: line 2 must hold distinct attribute names")
    rows = lines[2:]
    if len(rows) != n:
        raise DataError(f"{path}: line 1 says {n} images but {len(rows)} rows follow")
    filenames: list[str] = []
    tokens: list[str] = []
    for number, line in enumerate(rows, start=3):
        fields = line.split()
        if len(fields) != len(attribute_names) + 1:
            raise DataError(
                f"{path}: line {number} has {len(fields)} fields; expected a filename and "
                f"{len(attribute_names)} values"
            )
        name = fields[0]
        # The names are joined to an image folder: keep them inside it.
        if name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name) or "\0" in name:
            raise DataError(f"{path}: line {number} has an unsafe filename {name[:40]!r}")
        filenames.append(name)
        tokens.extend(fields[1:])
    if len(set(filenames)) != n:
        raise DataError(f"{path}: some filenames appear more than once")
    table = np.asarray(tokens).reshape(n, len(attribute_names))
    positive, negative = table == "1", table == "-1"
    if not (positive | negative).all():
        row, col = np.argwhere(~(positive | negative))[0]
        raise DataError(
            f"{path}: line {row + 3} has {table[row, col][:20]!r} for "
            f"{attribute_names[col]}; expected -1 or 1"
        )
    return CelebAAttributes(filenames, attribute_names, np.where(positive, 1, -1).astype(np.int8))


def celeba_image_dir(folder: str | os.PathLike, images_subdir: str | None = None) -> Path:
    """Where a CelebA-style folder keeps its images (see `read_celeba_folder`)."""
    root = Path(folder)
    if not root.is_dir():
        raise DataError(f"{root}: no such folder")
    if images_subdir is None:
        image_dir = root / "img_align_celeba" if (root / "img_align_celeba").is_dir() else root
    else:
        image_dir = root / images_subdir
    if not image_dir.is_dir():
        raise DataError(f"{image_dir}: no such image folder")
    return image_dir


def read_celeba_folder(
    folder: str | os.PathLike,
    *,
    size: int | tuple[int, ...] | None,
    channels: int = 3,
    attributes_file: str = "list_attr_celeba.txt",
    images_subdir: str | None = None,
    max_images: int | None = None,
    fit: str = "crop",
    skip_bad: bool = False,
) -> CelebAData:
    """Read the images listed in a CelebA attribute table, with their attributes.

    attributes_file is relative to folder (or absolute). Images are looked for in
    folder/images_subdir; with images_subdir=None that is folder/img_align_celeba when it
    exists, else folder itself. Images are fitted as in `read_image_folder`; the default
    fit='crop' keeps the aligned 178x218 faces' central square at a square size. Rows keep
    the table's order; max_images keeps the first that many.
    """
    root = Path(folder)
    image_dir = celeba_image_dir(root, images_subdir)
    table = read_celeba_attributes(root / attributes_file)
    paths = [image_dir / name for name in table.filenames]
    height, width = check_image_options(target_size(size, paths[0], fit), channels, fit,
                                        max_images)
    images, kept, skipped = load_images(
        paths,
        table.filenames,
        source=image_dir,
        size=(height, width),
        channels=channels,
        fit=fit,
        max_images=max_images,
        skip_bad=skip_bad,
    )
    return CelebAData(
        images=images,
        attributes=table.values[kept],
        attribute_names=tuple(table.attribute_names),
        filenames=tuple(table.filenames[i] for i in kept),
        skipped=tuple(skipped),
    )
