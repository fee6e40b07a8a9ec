"""The dataset every loader returns: splits of examples, ready to index by batch.

Images are kept as the loader found them: 8-bit pixels stay uint8 (a quarter of float32's
memory, and memory-mapped when they come from the image cache or a .npy file), and become
float32 in [0, 1] only when read. `Split.x` is that float view, for every caller that
wants images in [0, 1]: a plain tensor for small splits (converted once), a lazy
`UnitImages` view for large ones (indexing converts only the rows asked for).
`Split.batch(index)` converts a batch, which is how training reads its data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from vaekit.errors import DataError

KINDS = ("image", "melody", "text")
# Splits whose float32 images take at most this many bytes are converted once, whole, when
# `x` is first read (MNIST's 60,000 images: 188 MB); larger ones get a lazy view.
EAGER_FLOAT_BYTES = 512 * 2**20


class UnitImages:
    """A float32 view in [0, 1] of integer pixels (N, C, H, W): `pixels[rows] / scale`.

    Indexing (`view[i]`, `view[a:b]`, `view[index_tensor]`) converts only the rows asked
    for. Anything else a tensor offers (`view.to(...)`, `torch.cat([view, ...])`) converts
    the whole split first, as the float tensor would have been: fine for a test split,
    slow and large for a training set bigger than memory -- read those by batches.
    """

    dtype = torch.float32

    def __init__(self, pixels: torch.Tensor, scale: float,
                 rows: torch.Tensor | None = None) -> None:
        self.pixels, self.scale, self.rows = pixels, float(scale), rows

    @property
    def shape(self) -> torch.Size:
        n = self.pixels.shape[0] if self.rows is None else self.rows.shape[0]
        return torch.Size((n, *self.pixels.shape[1:]))

    @property
    def ndim(self) -> int:
        return self.pixels.ndim

    @property
    def device(self) -> torch.device:
        return self.pixels.device

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: Any) -> torch.Tensor:
        if self.rows is None:
            return to_float(self.pixels[index], self.scale)
        return to_float(self.pixels[self.rows[index]], self.scale)

    def materialize(self) -> torch.Tensor:
        return self[:]

    def __getattr__(self, name: str) -> Any:  # any other tensor attribute: the whole split
        if name.startswith("__") or name in ("pixels", "scale", "rows"):
            raise AttributeError(name)
        return getattr(self.materialize(), name)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        def real(a: Any) -> Any:
            if isinstance(a, UnitImages):
                return a.materialize()
            if isinstance(a, list | tuple):
                return type(a)(real(v) for v in a)
            return a

        return func(*real(args), **{k: real(v) for k, v in (kwargs or {}).items()})

    def __repr__(self) -> str:
        return f"UnitImages(shape={tuple(self.shape)}, {self.pixels.dtype} / {self.scale:g})"


def to_float(pixels: torch.Tensor, scale: float) -> torch.Tensor:
    """Integer pixels -> float32 in [0, 1] (a new contiguous tensor)."""
    return pixels.to(torch.float32).div_(scale).contiguous()


@dataclass(frozen=True, eq=False)
class Split:
    """One split.

    data: what is stored -- images (N, C, H, W) as float32 in [0, 1], or as integer pixel
        levels (uint8, maybe memory-mapped) with `scale` set (the image is data / scale);
        or sequences (N, T) int64 token classes.
    y: (N,) int64 class labels, or None.
    attrs: named per-example values (e.g. Olivetti's "glasses", "subject"), each (N,).
    scale: for integer pixels, the divisor that maps them to [0, 1] (255 for 8 bits).
    rows: for integer pixels, the rows of `data` this split holds (None: all). Selecting
        from stored pixels records rows instead of copying them, so a split of a
        memory-mapped cache stays on disk.

    `x` is the examples as models take them (images float32 in [0, 1]); `batch(index)`
    converts only a batch. y and attrs always have one entry per example of the split.
    """

    data: torch.Tensor
    y: torch.Tensor | None = None
    attrs: dict[str, torch.Tensor] = field(default_factory=dict)
    scale: float | None = None
    rows: torch.Tensor | None = None
    _float: list = field(default_factory=list, init=False, repr=False)  # the cached x

    def __post_init__(self) -> None:
        if self.scale is not None and self.data.is_floating_point():
            raise ValueError("Split.scale is for integer pixels; float images are in [0, 1]")
        if self.rows is not None and self.scale is None:
            raise ValueError("Split.rows is for integer pixels")

    def __len__(self) -> int:
        return self.data.shape[0] if self.rows is None else self.rows.shape[0]

    @property
    def x(self) -> torch.Tensor:
        """The examples: images float32 in [0, 1] (N, C, H, W), or tokens (N, T)."""
        if self.scale is None:
            return self.data
        if len(self) * self.data[0].numel() * 4 > EAGER_FLOAT_BYTES:
            return UnitImages(self.data, self.scale, self.rows)  # type: ignore[return-value]
        if not self._float:
            stored = self.data if self.rows is None else self.data[self.rows]
            self._float.append(to_float(stored, self.scale))
        return self._float[0]

    def batch(self, index: torch.Tensor | slice) -> torch.Tensor:
        """The examples at `index`, as `x` holds them (only those rows are converted)."""
        if self.rows is not None:
            index = self.rows[index]
        if isinstance(index, torch.Tensor):
            stored = self.data.index_select(0, index.to(self.data.device))
        else:
            stored = self.data[index]
        return stored if self.scale is None else to_float(stored, self.scale)

    def select(self, index: torch.Tensor | slice) -> Split:
        y = None if self.y is None else self.y[index]
        attrs = {k: v[index] for k, v in self.attrs.items()}
        if self.scale is None:
            return Split(self.data[index], y, attrs)
        rows = self.rows if self.rows is not None else torch.arange(self.data.shape[0])
        return Split(self.data, y, attrs, scale=self.scale, rows=rows[index])

    def head(self, n: int | None) -> Split:
        """The first n examples (all when n is None)."""
        if n is None or n >= len(self):
            return self
        return self.select(slice(0, n))


@dataclass(frozen=True)
class Dataset:
    """A dataset in memory. Build one in Python (a name, a train and a test Split) to train
    on your own tensors: `vaekit.train(config, run_dir, dataset=Dataset(...))`, or pass
    arrays: `vaekit.train(config, run_dir, data=array)`."""

    name: str
    train: Split
    test: Split
    label_names: tuple[str, ...] | None = None
    kind: str = "image"  # image | melody | text
    # Sequences: the token vocabulary as a JSON document, saved as vocab.json in a run.
    vocab_json: dict[str, Any] | None = None
    pad_token: int | None = None  # sequences: the padding class, not scored
    vocab_size: int | None = None
    # Images: intensity levels of the pixels (x = k / (levels - 1)), e.g. 256 for 8 bits;
    # None when unknown. Lets evaluation bound the NLL of the discrete pixels.
    levels: int | None = None
    # The name that reopens this dataset (vaekit.data.registry); set by the registry.
    # None for data built in Python: a run records it as "python:NAME".
    source: str | None = None
    # Validation examples carved from the training data (vaekit.data.prepare); None: none.
    valid: Split | None = None
    # What the loader did to the images (resized, padded, read from the cache), to show.
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise DataError(f"dataset kind must be one of {', '.join(KINDS)}; got {self.kind!r}")

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.train.data.shape[1:])


def check_unit_interval(name: str, split: Split) -> None:
    """Images must be finite and in [0, 1]; say so at load, not as a NaN later. Integer
    pixels are checked against their scale (uint8 with scale >= 255 cannot leave it)."""
    data = split.data
    if split.scale is not None:
        if data.dtype == torch.uint8 and split.scale >= 255:
            return
        lo, hi = int(data.min()), int(data.max())
        if lo < 0 or hi > split.scale:
            raise DataError(f"{name}: pixel values in [{lo}, {hi}], outside 0..{split.scale:g}")
        return
    check_finite_unit_interval(name, data)


def check_finite_unit_interval(name: str, x: torch.Tensor) -> None:
    """Image tensors must be finite and in [0, 1]; say so at load, not as a NaN later."""
    if not torch.isfinite(x).all():
        bad = int((~torch.isfinite(x)).sum())
        raise DataError(f"{name}: {bad} values are NaN or infinite")
    lo, hi = float(x.min()), float(x.max())
    if lo < 0.0 or hi > 1.0:
        raise DataError(f"{name}: pixel values must lie in [0, 1], found [{lo:g}, {hi:g}]")


def random_split(n: int, test_fraction: float, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded train/test index split for datasets without an official one: a permutation
    of 0..n-1 drawn with torch's generator seeded `seed`; its first round(n * fraction)
    indices (at least 1) are held out. Both index lists come back sorted."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_test = max(1, round(n * test_fraction))
    return order[n_test:].sort().values, order[:n_test].sort().values
