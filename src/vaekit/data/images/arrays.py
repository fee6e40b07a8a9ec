"""Images from arrays: `npz:PATH[:KEY]`, `npy:PATH`, and numpy arrays or tensors passed
from Python.

Layouts: (N, H, W) grey, or (N, H, W, C) with C = 1 or 3. Arrays and tensors passed from
Python may also be channels-first (N, C, H, W): a 4-D array is channels-last when its last
axis is 1 or 3, else channels-first when its second axis is. Values: uint8 (0..255, kept
as uint8 and memory-mapped where the file allows, see `npyfile`) or floats in [0, 1]
(read as float32); any other dtype or range is refused in one line.

The split: an archive with `x_train` and `x_test` (Keras' layout, labels `y_train` and
`y_test` when there) or `train` and `test` (labels `train_labels` and `test_labels`) keeps
it. Otherwise one array is split by `random_split`: a permutation of the examples seeded
with 0, its first round(N * test_fraction) examples held out as the test set.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from vaekit.config import DataConfig
from vaekit.data.dataset import Dataset, Split, random_split
from vaekit.data.images.decode import describe_fit, fit_image, same_aspect
from vaekit.data.images.npyfile import npz_shapes, open_npy, read_npz
from vaekit.errors import DataError

SPLIT_LAYOUTS = (  # (train key, test key, train labels, test labels)
    ("x_train", "x_test", "y_train", "y_test"),
    ("train", "test", "train_labels", "test_labels"),
)
FLOAT_CHECK_ROWS = 4096  # float arrays are range-checked this many examples at a time


def split_key(spec: str) -> tuple[str, str | None]:
    """'PATH[:KEY]' -> (PATH, KEY). A path that exists as given wins (paths may hold ':')."""
    if os.path.exists(os.path.expanduser(spec)) or ":" not in spec:
        return os.path.expanduser(spec), None
    path, _, key = spec.rpartition(":")
    return os.path.expanduser(path), key or None


def _channels_first(a: np.ndarray | torch.Tensor, where: str) -> tuple[int, ...]:
    """The permutation that makes an image array (N, C, H, W)."""
    shape = tuple(a.shape)
    if len(shape) == 3:
        return (0, 1, 2)  # (N, H, W): unsqueezed below
    if len(shape) == 4 and shape[3] in (1, 3):
        return (0, 3, 1, 2)
    if len(shape) == 4 and shape[1] in (1, 3):
        return (0, 1, 2, 3)
    raise DataError(f"{where}: images must be (N, H, W) or (N, H, W, C) with C = 1 or 3; got "
                    f"shape {list(shape)}")


def _check_floats(a: np.ndarray, where: str) -> None:
    lo, hi = np.inf, -np.inf
    for i in range(0, a.shape[0], FLOAT_CHECK_ROWS):  # a memory-mapped array, part by part
        part = np.asarray(a[i : i + FLOAT_CHECK_ROWS])
        if not np.isfinite(part).all():
            raise DataError(f"{where}: holds NaN or infinite values")
        lo, hi = min(lo, float(part.min())), max(hi, float(part.max()))
    if lo < 0 or hi > 1:
        raise DataError(f"{where}: float images must lie in [0, 1], found [{lo:g}, {hi:g}] "
                        "(8-bit pixels: pass them as uint8, or divide by 255)")


def image_tensor(a: np.ndarray | torch.Tensor, where: str) -> tuple[torch.Tensor, float | None]:
    """An image array as (N, C, H, W): uint8 pixels (shared with `a`, no copy) with their
    scale 255, or float32 in [0, 1] with scale None."""
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    a = np.asarray(a) if not isinstance(a, np.ndarray) else a
    if a.ndim == 0 or a.shape[0] == 0:
        raise DataError(f"{where}: holds no images (shape {list(a.shape)})")
    order = _channels_first(a, where)
    if a.dtype == np.uint8:
        x, scale = torch.from_numpy(a), 255.0
    elif a.dtype.kind == "f":
        _check_floats(a, where)
        x, scale = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)), None
    else:
        raise DataError(f"{where}: images must be uint8 (0..255) or floats in [0, 1], got "
                        f"{a.dtype}")
    x = x.unsqueeze(1) if x.ndim == 3 else x.permute(*order)
    return x, scale


def _resize(x: torch.Tensor, scale: float | None, size: tuple[int, int], fit: str,
            where: str) -> torch.Tensor:
    """Every image (N, C, H, W) fitted to `size` by `decode.fit_image` (PIL, per channel
    for floats), as the folder reader does it."""
    from PIL import Image

    n, c, h, w = x.shape
    if fit == "none" and not same_aspect(h, w, *size):
        from vaekit.data.images.decode import aspect_hint

        raise DataError(f"{where}: {aspect_hint(h, w, *size)}")
    out = np.empty((n, c, *size), dtype=np.uint8 if scale else np.float32)
    for i in range(n):
        pixels = x[i].numpy()
        if scale:  # uint8: one L or RGB image
            img = Image.fromarray(pixels[0] if c == 1 else pixels.transpose(1, 2, 0),
                                  "L" if c == 1 else "RGB")
            fitted = np.asarray(fit_image(img, size[0], size[1], fit))
            out[i] = fitted[None] if c == 1 else fitted.transpose(2, 0, 1)
        else:  # floats: one 32-bit float image per channel
            for k in range(c):
                img = fit_image(Image.fromarray(pixels[k], "F"), size[0], size[1], fit)
                out[i, k] = np.clip(np.asarray(img), 0.0, 1.0)
    return torch.from_numpy(out)


def _labels(y: np.ndarray | torch.Tensor | None, n: int, where: str) -> torch.Tensor | None:
    if y is None:
        return None
    y = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if y.shape != (n,) or y.dtype.kind not in "iu":
        raise DataError(f"{where}: labels must be ({n},) integers, got shape {list(y.shape)} "
                        f"and dtype {y.dtype}")
    if n and y.min() < 0:
        raise DataError(f"{where}: labels must be >= 0 (class indices)")
    return torch.from_numpy(y.astype(np.int64))


def _size_of(cfg: DataConfig) -> tuple[int, int] | None:
    size = cfg.image_size
    if size is None:
        return None
    size = (size,) if isinstance(size, int) else tuple(size)
    return (size[0], size[-1])


def _split(images, labels, cfg: DataConfig, where: str) -> tuple[Split, float | None, str]:
    """One array -> (Split of all examples, scale, what was done to the images)."""
    x, scale = image_tensor(images, where)
    y = _labels(labels, x.shape[0], f"{where} labels")
    own = tuple(x.shape[2:])
    size = _size_of(cfg)
    if size is None and cfg.fit != "none":
        raise DataError(f"--fit {cfg.fit} needs a target size: pass --image-size H W")
    if size is not None and size != own:
        x = _resize(x, scale, size, cfg.fit, where)
    note = describe_fit({own: x.shape[0]}, size or own, cfg.fit)
    return Split(x, y, scale=scale), scale, note


def array_dataset(name: str, train, test=None, *, train_labels=None, test_labels=None,
                  cfg: DataConfig, source: str | None = None) -> Dataset:
    """A Dataset from image arrays: `train` (and `test`, else a seeded split of `train`)."""
    full, scale, note = _split(train, train_labels, cfg, name)
    notes = [f"{name}: {note}"]
    if test is None:
        train_idx, test_idx = random_split(len(full), cfg.test_fraction)
        train_split, test_split = full.select(train_idx), full.select(test_idx)
        notes.append(f"no test split in the data: {len(test_idx)} of {len(full)} examples "
                     f"held out at random (seed 0, test_fraction {cfg.test_fraction:g})")
    else:
        train_split = full
        test_split, test_scale, _ = _split(test, test_labels, cfg, f"{name} test")
        if test_scale != scale or test_split.data.shape[1:] != full.data.shape[1:]:
            raise DataError(f"{name}: the train and test arrays differ in dtype or shape")
    c = full.data.shape[1]
    kind = f"{'uint8' if scale else 'float'} {'grey' if c == 1 else 'RGB'}"
    notes[0] = f"{name}: {kind} images; {note}"
    return Dataset(name=name, train=train_split, test=test_split, levels=256 if scale else None,
                   source=source, notes=tuple(notes))


def load_npz(cfg: DataConfig, spec: str | None) -> Dataset:
    """`npz:PATH[:KEY]`: the archive's split layout (SPLIT_LAYOUTS), or the array KEY, or
    its only array of images; labels from `data.labels_key`."""
    if not spec:
        raise DataError("npz datasets need a path: --data npz:PATH[:KEY]")
    path, key = split_key(spec)
    path = str(Path(path).resolve())
    source = f"npz:{path}" + (f":{key}" if key else "")
    shapes = npz_shapes(path)
    if key is None:
        for train_key, test_key, train_y, test_y in SPLIT_LAYOUTS:
            if train_key in shapes and test_key in shapes:
                if cfg.labels_key:
                    raise DataError(f"{path}: holds {train_key}/{test_key}; their labels are "
                                    f"{train_y}/{test_y}, not --labels-key")
                wanted = [k for k in (train_key, test_key, train_y, test_y) if k in shapes]
                arrays = read_npz(path, wanted)
                return array_dataset(source, arrays[train_key], arrays[test_key],
                                     train_labels=arrays.get(train_y),
                                     test_labels=arrays.get(test_y), cfg=cfg, source=source)
        images = [k for k, shape in shapes.items() if len(shape) in (3, 4)]
        if len(images) != 1:
            listed = ", ".join(f"{k} {list(s)}" for k, s in shapes.items()) or "none"
            raise DataError(f"{path}: name the images' key, npz:{path}:KEY (keys: {listed})")
        key = images[0]
    wanted = [key] + ([cfg.labels_key] if cfg.labels_key else [])
    arrays = read_npz(path, wanted)
    return array_dataset(source, arrays[key], train_labels=arrays.get(cfg.labels_key),
                         cfg=cfg, source=source)


def load_npy(cfg: DataConfig, spec: str | None) -> Dataset:
    """`npy:PATH`: one array of images, memory-mapped, split at random (seeded)."""
    if not spec:
        raise DataError("npy datasets need a path: --data npy:PATH")
    if cfg.labels_key:
        raise DataError("a .npy file holds one array; labels need an .npz (--labels-key)")
    path = str(Path(os.path.expanduser(spec)).resolve())
    source = f"npy:{path}"
    return array_dataset(source, open_npy(path), cfg=cfg, source=source)
