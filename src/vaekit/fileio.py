"""Atomic file writes: a reader sees the old file or the new one, never half of either.

Write to a temporary file in the same folder, flush, fsync, then os.replace (atomic on
POSIX and Windows), then fsync the folder so the rename itself survives a power cut.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any


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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
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
