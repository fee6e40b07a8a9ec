"""Readers for labelled-image archives: SVHN's .mat files and CIFAR-10's binary batches.

Nothing is ever unpickled: CIFAR-10 is read in its *binary* format. SVHN needs scipy, and
every MAT-file header is checked here first, because scipy trusts them (a corrupt one can
crash Python). The module-level limits refuse absurd inputs (plain module attributes, so a
caller with a genuine need can raise them).
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

from vaekit.errors import DataError, one_line
from vaekit.fileio import file_size, read_bounded

MAX_CIFAR_FILE_BYTES = 256 * 2**20  # an official batch is 30.7 MB
MAX_MAT_FILE_BYTES = 4 * 2**30  # SVHN's extra_32x32.mat is 1.3 GB
MAX_SVHN_IMAGES = 1_000_000  # 'extra' has 531,131

_CIFAR_RECORD = 1 + 3 * 32 * 32
# MAT-file v5 element types and array classes (MathWorks, "MAT-File Format").
_MAT_INT8, _MAT_INT32, _MAT_UINT32, _MAT_MATRIX, _MAT_COMPRESSED = 1, 5, 6, 14, 15
_MAT_ITEMSIZE = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8}
_MAT_NUMERIC_CLASSES = frozenset(range(6, 16))  # double, single, int8 .. uint64
_MAT_UINT8_CLASS = 9
_MAT_HEAD_BYTES = 1024  # flags + up to 32 dims + a 63-byte name + the data tag fit in this


class LabelledImages(NamedTuple):
    """images (N, H, W, C) uint8 and labels (N,) int64."""

    images: np.ndarray
    labels: np.ndarray


class _MatVariable(NamedTuple):
    """What a MAT v5 matrix header declares (class ids and data types per the MAT spec)."""

    class_id: int
    complex: bool
    dims: tuple[int, ...]
    data_type: int | None  # element type of the real part; None for non-numeric classes
    data_bytes: int
    fits: bool  # the declared real part lies inside the element


def _mat_tag(buf: bytes, offset: int, order: str) -> tuple[int, int, int, int]:
    """(type, byte count, data offset, next offset) of the sub-element at `offset`."""
    (word,) = struct.unpack_from(f"{order}I", buf, offset)
    if word >> 16:  # "small data element": count and type share a word, data the next 4 bytes
        if word >> 16 > 4:
            raise ValueError(f"small element of {word >> 16} bytes at {offset}")
        return word & 0xFFFF, word >> 16, offset + 4, offset + 8
    (nbytes,) = struct.unpack_from(f"{order}I", buf, offset + 4)
    return word, nbytes, offset + 8, offset + 8 + nbytes + (-nbytes % 8)


def _mat_header(head: bytes, total: int, order: str) -> tuple[str, _MatVariable]:
    """Parse flags, dims, name and the real part's tag of a matrix whose content starts
    `head` (the first bytes of `total`); struct.error/ValueError when malformed."""
    kind, nbytes, at, after = _mat_tag(head, 0, order)
    if (kind, nbytes) != (_MAT_UINT32, 8):
        raise ValueError("bad array-flags element")
    (flags,) = struct.unpack_from(f"{order}I", head, at)
    class_id, is_complex = flags & 0xFF, bool(flags & 0x800)
    kind, nbytes, at, after = _mat_tag(head, after, order)
    if kind != _MAT_INT32 or nbytes % 4 or not 2 <= nbytes // 4 <= 32:
        raise ValueError("bad dimensions element")
    dims = struct.unpack_from(f"{order}{nbytes // 4}i", head, at)
    if min(dims) < 0:
        raise ValueError(f"negative dimension in {dims}")
    kind, nbytes, at, after = _mat_tag(head, after, order)
    if kind != _MAT_INT8 or not 0 < nbytes <= 63:
        raise ValueError("bad array-name element")
    name = head[at : at + nbytes].decode("latin-1")
    data_type, data_bytes, fits = None, 0, True
    if class_id in _MAT_NUMERIC_CLASSES:
        data_type, data_bytes, at, _ = _mat_tag(head, after, order)
        fits = at + data_bytes <= total
    return name, _MatVariable(class_id, is_complex, dims, data_type, data_bytes, fits)


def _inflate_head(f: BinaryIO, nbytes: int, want: int) -> bytes:
    """The first `want` bytes of the zlib stream of `nbytes` bytes at f's position."""
    inflater, out, left = zlib.decompressobj(), b"", nbytes
    while len(out) < want and left > 0:
        chunk = f.read(min(65536, left))
        if not chunk:
            break
        left -= len(chunk)
        out += inflater.decompress(chunk, want - len(out))
    return out


def _scan_mat_v5(path: Path, size: int) -> dict[str, _MatVariable]:
    """The variables of a MAT-file v5 with every header checked, without reading data.

    scipy's reader trusts headers: it allocates whatever a tag declares and indexes a
    type table with the tag's type unchecked (a corrupt type crashes the interpreter).
    So every top-level element must fit in the file and every variable must have sane
    flags, dims and name elements before scipy sees the file.
    """
    found: dict[str, _MatVariable] = {}
    try:
        with path.open("rb") as f:
            header = f.read(128)
            if header.startswith(b"MATLAB 7.3 MAT-file"):
                raise DataError(f"{path}: MATLAB v7.3 (HDF5) .mat files are not supported; use v5")
            if len(header) < 128 or not header.startswith(b"MATLAB 5.0 MAT-file"):
                raise DataError(f"{path}: not a MATLAB v5 .mat file")
            order = {b"IM": "<", b"MI": ">"}.get(header[126:128])
            if order is None:
                raise DataError(f"{path}: bad byte-order mark in the .mat header")
            position = 128
            while position < size:
                if len(found) >= 1000 or size - position < 8:
                    raise DataError(f"{path}: malformed .mat file (bad element at {position})")
                f.seek(position)
                kind, nbytes = struct.unpack(f"{order}II", f.read(8))
                if kind not in (_MAT_MATRIX, _MAT_COMPRESSED) or nbytes > size - position - 8:
                    raise DataError(
                        f"{path}: malformed .mat file (element at byte {position} declares "
                        f"{nbytes} bytes, type {kind})"
                    )
                if kind == _MAT_MATRIX:
                    head, total = f.read(min(nbytes, _MAT_HEAD_BYTES)), nbytes
                else:
                    inner = _inflate_head(f, nbytes, 8 + _MAT_HEAD_BYTES)
                    inner_kind, total = struct.unpack_from(f"{order}II", inner)
                    if inner_kind != _MAT_MATRIX:
                        raise ValueError(f"compressed element of type {inner_kind}")
                    head = inner[8:]
                name, variable = _mat_header(head, total, order)
                if name in found:
                    raise DataError(f"{path}: variable {name!r} appears twice")
                found[name] = variable
                position += 8 + nbytes
    except DataError:
        raise
    except (OSError, ValueError, struct.error, zlib.error) as exc:
        raise DataError(f"{path}: malformed .mat file ({one_line(exc)})") from exc
    return found


def _check_svhn_variable(path: Path, name: str, variable: _MatVariable | None, dims) -> None:
    """DataError unless `variable` is a real numeric matrix of `dims` whose data fits."""
    if variable is None:
        raise DataError(f"{path}: needs variables X and y; {name} is missing")
    itemsize = _MAT_ITEMSIZE.get(variable.data_type)
    if (
        variable.class_id not in _MAT_NUMERIC_CLASSES
        or variable.complex
        or variable.dims not in dims
        or itemsize is None
        or variable.data_bytes != math.prod(variable.dims) * itemsize
        or not variable.fits
    ):
        raise DataError(
            f"{path}: {name} is not a real numeric array of shape {dims[0]} with matching "
            f"data (class {variable.class_id}, dims {variable.dims})"
        )


# ---------------------------------------------------------------------------- SVHN


def read_svhn_mat(path: str | os.PathLike) -> LabelledImages:
    """Read an SVHN cropped-digit .mat (train_32x32.mat, test_32x32.mat, extra_32x32.mat).

    The file holds X (32, 32, 3, N) uint8 and y (N, 1) with digits 1..10, where 10 means
    the digit 0. Returns images (N, 32, 32, 3) uint8 and labels (N,) int64 in 0..9.
    Needs scipy (MATLAB v5 format; v7.3/HDF5 files are refused). Every variable header
    is checked here first, because scipy trusts them (a corrupt one can crash Python).
    """
    path = Path(path)
    try:
        import scipy.io
    except ImportError as exc:
        raise DataError(f"{path}: reading SVHN .mat files needs scipy: pip install scipy") from exc
    size = file_size(path, limit=MAX_MAT_FILE_BYTES, what=".mat")
    variables = _scan_mat_v5(path, size)
    x_info = variables.get("X")
    n = x_info.dims[-1] if x_info is not None and len(x_info.dims) == 4 else 0
    _check_svhn_variable(path, "X", x_info, [(32, 32, 3, n)])
    if x_info.class_id != _MAT_UINT8_CLASS or not 0 < n <= MAX_SVHN_IMAGES:
        raise DataError(f"{path}: X must be uint8 (32, 32, 3, N) with 0 < N <= {MAX_SVHN_IMAGES}")
    _check_svhn_variable(path, "y", variables.get("y"), [(n, 1), (1, n)])
    try:
        data = scipy.io.loadmat(str(path), variable_names=["X", "y"])
    except Exception as exc:  # scipy raises ValueError, OSError, ... on corrupt data
        raise DataError(f"{path}: not a readable .mat file ({one_line(exc)})") from exc
    x, y = data.get("X"), data.get("y")
    if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.shape != (32, 32, 3, n):
        raise DataError(f"{path}: X does not hold (32, 32, 3, {n}) uint8 pixels")
    if not isinstance(y, np.ndarray) or y.dtype.kind not in "iuf" or y.size != n:
        raise DataError(f"{path}: y does not hold {n} numeric labels")
    y = y.reshape(n)
    if not np.isin(y, np.arange(1, 11)).all():
        raise DataError(f"{path}: labels must be integers 1..10 (10 = digit 0)")
    labels = y.astype(np.int64) % 10  # SVHN writes the digit 0 as 10
    return LabelledImages(np.ascontiguousarray(x.transpose(3, 0, 1, 2)), labels)


# ---------------------------------------------------------------------------- CIFAR-10


def read_cifar10_binary(path: str | os.PathLike) -> LabelledImages:
    """Read one CIFAR-10 *binary* batch (e.g. data_batch_1.bin); never the pickled one.

    Each 3073-byte record is a label byte 0..9 then 1024 red, 1024 green and 1024 blue
    bytes, each plane row-major 32x32. Returns images (N, 32, 32, 3) uint8 (RGB) and
    labels (N,) int64.
    """
    path = Path(path)
    raw = read_bounded(path, limit=MAX_CIFAR_FILE_BYTES, what="CIFAR-10 batch")
    if not raw or len(raw) % _CIFAR_RECORD:
        raise DataError(
            f"{path}: {len(raw)} bytes is not a positive multiple of the {_CIFAR_RECORD}-byte "
            "CIFAR-10 record (is it the python/pickle or CIFAR-100 version?)"
        )
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _CIFAR_RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise DataError(f"{path}: record {bad} has label {labels[bad]}; expected 0..9")
    planes = records[:, 1:].reshape(-1, 3, 32, 32)  # (N, C, H, W)
    return LabelledImages(np.ascontiguousarray(planes.transpose(0, 2, 3, 1)), labels)


def read_cifar10_batches(folder: str | os.PathLike, *, split: str = "train") -> LabelledImages:
    """Read the official binary archive's folder: data_batch_1..5.bin or test_batch.bin.

    folder is `cifar-10-batches-bin` itself or a folder that contains it. Returns the
    batches concatenated in order (50,000 train or 10,000 test images in the original).
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = Path(folder)
    if (root / "cifar-10-batches-bin").is_dir():
        root = root / "cifar-10-batches-bin"
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] if split == "train" else ["test_batch.bin"]
    if not root.is_dir():
        raise DataError(f"{root}: no such folder (expected cifar-10-batches-bin/{names[0]})")
    parts = [read_cifar10_binary(root / name) for name in names]
    return LabelledImages(
        np.concatenate([p.images for p in parts]), np.concatenate([p.labels for p in parts])
    )
