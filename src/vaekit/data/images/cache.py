"""Image files decoded once into a memory-mapped cache, reused by every later command.

The cache of a set of files lives in `locate.cache_dir()/images/KEY/`: `pixels.u8` holds
the decoded images as raw uint8 (N, C, H, W) in file order, `meta.json` says what they
are. KEY is the SHA-256 of the preprocessing (size, channels, fit, Pillow's version, this
format's version) and of every file's name, size in bytes and modification time in
nanoseconds -- not of the files' bytes, which would cost a full read of the data on every
start: a file that is edited gets a new modification time, a file added, removed or
renamed changes the list. A later command lists and stats the files (about a second for
100,000), finds the same KEY, and memory-maps the images: nothing is decoded again and
nothing is read until a batch needs it.

The cache is built in a temporary folder and renamed into place when complete, so a
killed build leaves nothing that looks finished; a lock file makes concurrent builders
(the processes of one torchrun job) wait for the first instead of decoding the same
files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import PIL
import torch

from vaekit.data.images.decode import load_image
from vaekit.data.locate import cache_dir
from vaekit.errors import DataError, one_line
from vaekit.fileio import atomic_write_json

FORMAT = "vaekit-image-cache"
VERSION = 1
PIXELS_FILE, META_FILE = "pixels.u8", "meta.json"
MAX_CACHE_BYTES = 1 << 40  # a plain module attribute: raise it for a genuine need
Progress = Callable[[int, int], None]  # (images done, images in all)


@dataclass(frozen=True)
class CachedImages:
    """pixels: (N, C, H, W) uint8, memory-mapped from `path`; sizes: {(h, w): count} of
    the files' own sizes; built: True when this call decoded the files."""

    pixels: torch.Tensor
    sizes: dict[tuple[int, int], int]
    path: Path
    built: bool


def cache_key(paths: Sequence[Path], names: Sequence[str], *, size: tuple[int, int],
              channels: int, fit: str) -> str:
    """The SHA-256 of the preprocessing and of each file's (name, size, mtime_ns)."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"format": FORMAT, "version": VERSION, "pillow": PIL.__version__,
                              "size": list(size), "channels": channels, "fit": fit}).encode())
    for path, name in zip(paths, names):
        try:
            st = os.stat(path)
        except OSError as exc:
            raise DataError(f"{path}: cannot read image file ({one_line(exc)})") from None
        digest.update(f"\0{name}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on lock_path (POSIX); elsewhere, no lock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: concurrent builders both decode
        yield
        return
    with open(lock_path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _open(folder: Path, shape: tuple[int, ...]) -> CachedImages | None:
    """The finished cache in `folder`, or None when there is none (or it is damaged)."""
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("version") != VERSION or \
                tuple(meta["shape"]) != shape:
            return None
        if (folder / PIXELS_FILE).stat().st_size != int(np.prod(shape)):
            return None
        sizes = {(int(h), int(w)): int(c) for h, w, c in meta["sizes"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    pixels = np.memmap(folder / PIXELS_FILE, dtype=np.uint8, mode="c", shape=shape)
    return CachedImages(torch.from_numpy(pixels), sizes, folder, built=False)


def _build(folder: Path, paths: Sequence[Path], shape: tuple[int, ...], *, fit: str,
           source: str, progress: Progress | None) -> None:
    """Decode every file into a temporary folder, then rename it to `folder`."""
    n, c, h, w = shape
    tmp = folder.parent / f".{folder.name}.{secrets.token_hex(4)}.tmp"
    tmp.mkdir(parents=True)
    try:
        out = np.memmap(tmp / PIXELS_FILE, dtype=np.uint8, mode="w+", shape=shape)
        sizes: dict[tuple[int, int], int] = {}
        for i, path in enumerate(paths):
            pixels, own = load_image(path, height=h, width=w, channels=c, fit=fit)
            out[i] = pixels.transpose(2, 0, 1)  # (H, W, C) -> (C, H, W)
            sizes[own] = sizes.get(own, 0) + 1
            if progress is not None and ((i + 1) % 256 == 0 or i + 1 == n):
                progress(i + 1, n)
        out.flush()
        del out
        atomic_write_json(tmp / META_FILE, {
            "format": FORMAT, "version": VERSION, "shape": list(shape), "source": source,
            "sizes": [[a, b, k] for (a, b), k in sorted(sizes.items())]})
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def cached_images(paths: Sequence[Path], names: Sequence[str], *, size: tuple[int, int],
                  channels: int, fit: str, source: str,
                  progress: Progress | None = None) -> CachedImages:
    """The images of `paths` (decoded as `decode.load_image` does, fitted to `size`), from
    the cache when it holds them, else decoded now (calling progress(done, total)) and
    cached for next time. Unreadable files are errors that name the file."""
    shape = (len(paths), channels, *size)
    nbytes = int(np.prod(shape))
    if nbytes > MAX_CACHE_BYTES:
        raise DataError(f"{source}: {len(paths)} images of {size[0]}x{size[1]}x{channels} "
                        f"need {nbytes} bytes, more than the {MAX_CACHE_BYTES}-byte limit")
    root = cache_dir() / "images"
    folder = root / cache_key(paths, names, size=size, channels=channels, fit=fit)[:32]
    found = _open(folder, shape)
    if found is not None:
        return found
    try:
        root.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(root).free
    except OSError as exc:
        raise DataError(f"{root}: cannot create the image cache ({one_line(exc)})") from None
    if nbytes > free:
        raise DataError(f"{source}: the image cache needs {nbytes / 1e9:.1f} GB in {root}, "
                        f"which has {free / 1e9:.1f} GB free; set $XDG_CACHE_HOME elsewhere")
    with _locked(root / f"{folder.name}.lock"):
        found = _open(folder, shape)  # another process may have built it meanwhile
        if found is not None:
            return found
        if folder.exists():  # a damaged cache: build it again
            shutil.rmtree(folder)
        _build(folder, paths, shape, fit=fit, source=source, progress=progress)
    built = _open(folder, shape)
    if built is None:  # pragma: no cover - just written
        raise DataError(f"{folder}: the image cache could not be read back")
    return CachedImages(built.pixels, built.sizes, folder, built=True)

