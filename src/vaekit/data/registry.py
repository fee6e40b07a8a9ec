"""Dataset names -> loaders, and where their files are looked for.

Lookup order for a named dataset's files (ARCHITECTURE.md):
  1. an explicit folder (`DataConfig.path`, `--data-path`)
  2. `$VAEKIT_DATA_DIR/<name>/`
  3. the user cache `~/.cache/vaekit/<name>/` (or `$XDG_CACHE_HOME/vaekit`)
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
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from vaekit.data.dataset import Dataset, Split, check_finite_unit_interval
from vaekit.data.idx import KNOWN_SHA256, read_known_idx, verify_sha256
from vaekit.errors import DataError

PACKAGE_DATA = Path(__file__).resolve().parent

IDX_STEMS = {
    "train_x": "train-images-idx3-ubyte",
    "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte",
    "test_y": "t10k-labels-idx1-ubyte",
}
DOWNLOAD_URLS = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion-mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
}
LABEL_NAMES = {
    "mnist": tuple(str(i) for i in range(10)),
    "fashion-mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vaekit"


def search_dirs(name: str, explicit: str | Path | None = None) -> list[Path]:
    """Folders where the files of dataset `name` may be, in lookup order."""
    dirs = []
    if explicit:
        dirs.append(Path(explicit))
    if os.environ.get("VAEKIT_DATA_DIR"):
        dirs.append(Path(os.environ["VAEKIT_DATA_DIR"]) / name)
    dirs.append(cache_dir() / name)
    if name == "mnist":
        dirs.append(PACKAGE_DATA / "mnist")
    return dirs


def _find_file(dirs: list[Path], stem: str) -> Path | None:
    for d in dirs:
        for candidate in (d / f"{stem}.gz", d / stem):
            if candidate.is_file():
                return candidate
    return None


def _download(name: str, stem: str) -> Path | None:
    """Fetch an official file into the cache, verify it, return its path (None offline)."""
    if os.environ.get("VAEKIT_NO_DOWNLOAD"):
        return None
    url = DOWNLOAD_URLS[name] + f"{stem}.gz"
    target = cache_dir() / name / f"{stem}.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{stem}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=30) as resp:
            while chunk := resp.read(1 << 20):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        verify_sha256(tmp, KNOWN_SHA256[name][stem][0])
        os.replace(tmp, target)
        return target
    except (urllib.error.URLError, OSError, TimeoutError):
        return None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _load_idx_dataset(name: str, path: str | None) -> Dataset:
    dirs = search_dirs(name, path)
    arrays: dict[str, np.ndarray] = {}
    for key, stem in IDX_STEMS.items():
        file = _find_file(dirs, stem) or _download(name, stem)
        if file is None:
            where = ", ".join(str(d) for d in dirs)
            raise DataError(
                f"{name}: file {stem}.gz not found (looked in: {where}); put the official "
                f"files in one of these folders or set $VAEKIT_DATA_DIR"
            )
        arrays[key] = read_known_idx(file, name, stem)
    for split in ("train", "test"):
        x, y = arrays[f"{split}_x"], arrays[f"{split}_y"]
        if x.ndim != 3 or y.ndim != 1 or x.shape[0] != y.shape[0]:
            raise DataError(f"{name}: {split} images {x.shape} do not match labels {y.shape}")
    return Dataset(
        name=name,
        train=Split(_to_unit(arrays["train_x"]), torch.from_numpy(arrays["train_y"]).long()),
        test=Split(_to_unit(arrays["test_x"]), torch.from_numpy(arrays["test_y"]).long()),
        label_names=LABEL_NAMES[name],
    )


def _to_unit(images: np.ndarray, scale: float = 255.0) -> torch.Tensor:
    """(N, H, W) or (N, H, W, C) uint8 -> (N, C, H, W) float32 in [0, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(images)).float().div_(scale)
    if x.ndim == 3:
        return x.unsqueeze(1)
    return x.permute(0, 3, 1, 2).contiguous()


def _load_digits(path: str | None) -> Dataset:
    """scikit-learn's bundled 8x8 digits (1,797 images, values 0..16), split 1500/297."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DataError(
            "the 'digits' dataset needs scikit-learn: pip install 'vaekit[digits]'"
        ) from None
    bunch = load_digits()
    images = torch.from_numpy(bunch.images.astype(np.float32) / 16.0).unsqueeze(1)
    labels = torch.from_numpy(bunch.target.astype(np.int64))
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))
    train, test = order[:1500], order[1500:]
    return Dataset(
        name="digits",
        train=Split(images[train], labels[train]),
        test=Split(images[test], labels[test]),
        label_names=LABEL_NAMES["mnist"],
    )


LOADERS: dict[str, Callable[[str | None], Dataset]] = {
    "mnist": lambda path: _load_idx_dataset("mnist", path),
    "fashion-mnist": lambda path: _load_idx_dataset("fashion-mnist", path),
    "digits": _load_digits,
}


def load_dataset(name: str, *, path: str | None = None) -> Dataset:
    """Load a named dataset (see LOADERS) with images as float32 in [0, 1]."""
    if name not in LOADERS:
        raise DataError(f"unknown dataset {name!r} (valid: {', '.join(sorted(LOADERS))})")
    data = LOADERS[name](path)
    for split_name, split in (("train", data.train), ("test", data.test)):
        check_finite_unit_interval(f"{name} {split_name}", split.x)
    return data
