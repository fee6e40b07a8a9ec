"""Where a dataset's files are looked for, and checksummed downloads.

Lookup order (ARCHITECTURE.md):
  1. an explicit folder (`DataConfig.path`, `--data-path`, or `KIND:PATH` names)
  2. `$VAEKIT_DATA_DIR/<subdir>/`
  3. the user cache `~/.cache/vaekit/<subdir>/` (or `$XDG_CACHE_HOME/vaekit`)
  4. data shipped inside the package (MNIST only)
  5. a download from the official source, verified by SHA-256 (only when online and
     `$VAEKIT_NO_DOWNLOAD` is unset)
  6. a DataError that says where to put the files.
"""

from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from vaekit.errors import DataError
from vaekit.fileio import verify_sha256

PACKAGE_DATA = Path(__file__).resolve().parent
SHIPPED = ("mnist",)  # datasets whose files ship inside the package, in PACKAGE_DATA/<name>


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vaekit"


def search_dirs(subdir: str, explicit: str | Path | None = None) -> list[Path]:
    """Folders where the files of a dataset kept under `subdir` may be, in lookup order."""
    dirs = []
    if explicit:
        dirs.append(Path(explicit))
    if os.environ.get("VAEKIT_DATA_DIR"):
        dirs.append(Path(os.environ["VAEKIT_DATA_DIR"]) / subdir)
    dirs.append(cache_dir() / subdir)
    if subdir in SHIPPED:
        dirs.append(PACKAGE_DATA / subdir)
    return dirs


def find_file(dirs: list[Path], *names: str) -> Path | None:
    for d in dirs:
        for name in names:
            if (d / name).is_file():
                return d / name
    return None


def find_dir(dirs: list[Path], name: str = "") -> Path | None:
    for d in dirs:
        if (d / name).is_dir():
            return d / name
    return None


def not_found(what: str, dirs: list[Path]) -> DataError:
    where = ", ".join(str(d) for d in dirs)
    return DataError(
        f"{what} not found (looked in: {where}); put the files in one of these folders, "
        "pass --data-path, or set $VAEKIT_DATA_DIR"
    )


def download(url: str, target: Path, sha256: str) -> Path | None:
    """Fetch `url` into `target` (atomically), verify its SHA-256; None when offline."""
    if os.environ.get("VAEKIT_NO_DOWNLOAD"):
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=30) as resp:
            while chunk := resp.read(1 << 20):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        verify_sha256(tmp, sha256)
        os.replace(tmp, target)
        return target
    except (urllib.error.URLError, OSError, TimeoutError):
        return None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
