"""Files in and out, the one way every module does it.

Writes are atomic: a reader sees the old file or the new one, never half of either. Write
to a temporary file in the same folder, flush, fsync, then os.replace (atomic on POSIX and
Windows), then fsync the folder so the rename itself survives a power cut. New files get
the permissions of any file the user creates (0666 minus the umask).

Reads of user-supplied files are bounded: `file_size` and `read_bounded` refuse a file
larger than the reader's limit before anything is allocated, and every failure is a
one-line DataError naming the file. `verify_sha256` checks downloads and official files.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import secrets
import time
import zlib
from pathlib import Path
from typing import Any

from vaekit.errors import DataError, one_line


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _test_pause() -> float:
    """Crash tests set VAEKIT_TEST_WRITE_PAUSE (seconds) to pause every write half-way,
    so that a process can be killed while a checkpoint is being written."""
    try:
        return float(os.environ.get("VAEKIT_TEST_WRITE_PAUSE", "0"))
    except ValueError:
        return 0.0


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # open(..., "xb") creates the file with mode 0666 & ~umask, as any new file
    # (tempfile.mkstemp would make it 0600); "x" refuses to reuse an existing name.
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        with open(tmp, "xb") as fh:
            pause = _test_pause()
            if pause > 0:
                fh.write(data[: len(data) // 2])
                fh.flush()
                time.sleep(pause)
                data = data[len(data) // 2 :]
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


# --- bounded reads ------------------------------------------------------------------------


def file_size(path: str | Path, *, limit: int, what: str) -> int:
    """The size of a regular file in bytes, or DataError when missing or above `limit`."""
    path = Path(path)
    try:
        if not path.is_file():
            raise DataError(f"{path}: no such {what} file")
        size = path.stat().st_size
    except OSError as exc:
        raise DataError(f"{path}: cannot read {what} file ({one_line(exc)})") from None
    if size > limit:
        raise DataError(f"{path}: {size} bytes is more than the {limit}-byte limit for {what}")
    return size


def read_bounded(path: str | Path, *, limit: int, what: str, gunzip: bool = False) -> bytes:
    """The bytes of a regular file, refused (DataError) when larger than `limit`.

    With gunzip=True a gzip file (recognised by its magic bytes, whatever its name) is
    decompressed, and `limit` bounds the decompressed bytes, so a deflate bomb stops at
    limit + 1 bytes.
    """
    path = Path(path)
    if not gunzip:
        file_size(path, limit=limit, what=what)
    try:
        with open(path, "rb") as fh:
            if gunzip and fh.read(2) == b"\x1f\x8b":
                fh.seek(0)
                with gzip.GzipFile(fileobj=fh) as gz:
                    data = gz.read(limit + 1)
            else:
                fh.seek(0)
                data = fh.read(limit + 1)
    except FileNotFoundError:
        raise DataError(f"{path}: no such {what} file") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read {what} file ({one_line(exc)})") from None
    if len(data) > limit:
        raise DataError(f"{path}: holds more than the {limit}-byte limit for {what}")
    return data


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: str | Path, expected: str) -> None:
    """Raise DataError unless the file's SHA-256 equals `expected`."""
    path = Path(path)
    try:
        actual = sha256_file(path)
    except FileNotFoundError:
        raise DataError(f"file not found: {path}") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    if actual != expected:
        raise DataError(
            f"{path}: checksum mismatch (sha256 {actual[:12]}…, expected {expected[:12]}…); "
            "the file is corrupted or not the official one"
        )
