""".npy and .npz files, read without pickle: headers parsed by numpy.lib.format, object
arrays refused, every declared size checked against the bytes that hold it.

A .npy file, and a member stored uncompressed in an .npz (numpy.savez), are memory-mapped:
nothing is read until it is used, so arrays larger than memory open at once. Compressed
members (numpy.savez_compressed) are inflated into memory, up to MAX_INFLATED_BYTES (a
plain module attribute, so a caller with a genuine need can raise it).
"""

from __future__ import annotations

import math
import struct
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from vaekit.errors import DataError, one_line
from vaekit.fileio import file_size

MAX_INFLATED_BYTES = 8 * 2**30  # compressed .npz members are inflated into memory
MAX_FILE_BYTES = 2**40  # a .npy / .npz file itself (memory-mapped, so only a sanity bound)
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # a ZIP local file header (30 bytes)


def _header(f: BinaryIO, where: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran_order, dtype) from a .npy header; refuses object dtypes."""
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise DataError(f"{where}: unsupported .npy version {version}")
    except DataError:
        raise
    except Exception as exc:  # numpy raises ValueError, EOFError, ... on corrupt headers
        raise DataError(f"{where}: not a .npy array ({one_line(exc)})") from exc
    if dtype.hasobject:
        raise DataError(f"{where}: holds Python objects; refusing to unpickle")
    return shape, fortran, dtype


def _memmap(path: Path, offset: int, shape, fortran: bool, dtype) -> np.ndarray:
    # mode "c" (copy-on-write): the array is writable in memory, the file never changes.
    if math.prod(shape) == 0:
        return np.empty(shape, dtype=dtype, order="F" if fortran else "C")
    return np.memmap(path, dtype=dtype, mode="c", offset=offset, shape=tuple(shape),
                     order="F" if fortran else "C")


def open_npy(path: str | Path) -> np.ndarray:
    """A .npy file as a memory-mapped array (read-only on disk)."""
    path = Path(path)
    size = file_size(path, limit=MAX_FILE_BYTES, what=".npy")
    try:
        with open(path, "rb") as f:
            shape, fortran, dtype = _header(f, str(path))
            offset = f.tell()
    except OSError as exc:
        raise DataError(f"{path}: cannot read .npy file ({one_line(exc)})") from None
    if offset + math.prod(shape) * dtype.itemsize > size:
        raise DataError(f"{path}: declares {shape} {dtype} but holds fewer bytes")
    return _memmap(path, offset, shape, fortran, dtype)


def _member(zf: zipfile.ZipFile, path: Path, name: str, *, limit: int) -> np.ndarray:
    """One .npy member: memory-mapped when stored, inflated (at most `limit` bytes) else."""
    info = zf.getinfo(name)
    where = f"{path}: member {name}"
    with zf.open(info) as f:
        shape, fortran, dtype = _header(f, where)
        nbytes = math.prod(shape) * dtype.itemsize
        # zipfile never returns more than the declared uncompressed size, so this bounds
        # both the allocation and any deflate bomb.
        if nbytes > info.file_size:
            raise DataError(f"{where} declares {shape} but holds fewer bytes")
        inner = f.tell()
        if info.compress_type == zipfile.ZIP_STORED:
            with open(path, "rb") as raw:  # the member's bytes start after its local header
                raw.seek(info.header_offset)
                fields = _LOCAL_HEADER.unpack(raw.read(_LOCAL_HEADER.size))
                start = info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]
            return _memmap(path, start + inner, shape, fortran, dtype)
        if nbytes > limit:
            raise DataError(f"{where} inflates to {nbytes} bytes, more than the {limit}-byte "
                            "limit; store it uncompressed (numpy.savez) to memory-map it")
        data = f.read(nbytes)
    if len(data) != nbytes:
        raise DataError(f"{where} is truncated")
    # bytearray: a writable copy, which torch.from_numpy takes without a warning
    return np.frombuffer(bytearray(data), dtype=dtype).reshape(shape, order="F" if fortran else "C")


def read_npz(path: str | Path, names: Sequence[str] | None = None, *,
             limit: int = MAX_INFLATED_BYTES) -> dict[str, np.ndarray]:
    """The arrays `names` (all when None) of an .npz archive, by key (member name less
    '.npy'). A missing key is a DataError that lists the keys there are."""
    path = Path(path)
    file_size(path, limit=MAX_FILE_BYTES, what=".npz")
    try:
        with zipfile.ZipFile(path) as zf:
            keys = [m[:-4] for m in zf.namelist() if m.endswith(".npy")]
            wanted = keys if names is None else list(names)
            for name in wanted:
                if name not in keys:
                    raise DataError(f"{path}: missing key {name!r} (keys: "
                                    f"{', '.join(keys) or 'none'})")
            declared = sum(zf.getinfo(f"{name}.npy").file_size for name in wanted
                           if zf.getinfo(f"{name}.npy").compress_type != zipfile.ZIP_STORED)
            if declared > limit:
                raise DataError(f"{path}: compressed members inflate to {declared} bytes, "
                                f"above the {limit}-byte limit")
            return {name: _member(zf, path, f"{name}.npy", limit=limit) for name in wanted}
    except DataError:
        raise
    except Exception as exc:  # zipfile and numpy raise many types on corrupt archives
        raise DataError(f"{path}: not a readable .npz archive ({one_line(exc)})") from exc


def npz_shapes(path: str | Path) -> dict[str, tuple[int, ...]]:
    """Each key's declared shape, read from the headers only."""
    path = Path(path)
    file_size(path, limit=MAX_FILE_BYTES, what=".npz")
    try:
        with zipfile.ZipFile(path) as zf:
            shapes = {}
            for member in zf.namelist():
                if member.endswith(".npy"):
                    with zf.open(member) as f:
                        shapes[member[:-4]] = tuple(_header(f, f"{path}: member {member}")[0])
            return shapes
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{path}: not a readable .npz archive ({one_line(exc)})") from exc
