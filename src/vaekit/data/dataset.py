"""The in-memory dataset every loader returns: tensors, ready to index by batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from vaekit.errors import DataError

KINDS = ("image", "melody", "text")


@dataclass(frozen=True)
class Split:
    """One split.

    x: images (N, C, H, W) float32 in [0, 1], or sequences (N, T) int64 token classes.
    y: (N,) int64 class labels, or None.
    attrs: named per-example values (e.g. Olivetti's "glasses", "subject"), each (N,).
    """

    x: torch.Tensor
    y: torch.Tensor | None = None
    attrs: dict[str, torch.Tensor] = field(default_factory=dict)

    def __len__(self) -> int:
        return self.x.shape[0]

    def select(self, index: torch.Tensor | slice) -> Split:
        return Split(
            self.x[index],
            None if self.y is None else self.y[index],
            {k: v[index] for k, v in self.attrs.items()},
        )

    def head(self, n: int | None) -> Split:
        """The first n examples (all when n is None)."""
        if n is None or n >= len(self):
            return self
        return self.select(slice(0, n))


@dataclass(frozen=True)
class Dataset:
    """A dataset in memory. Build one in Python (a name, a train and a test Split) to train
    on your own tensors: `vaekit.train(config, run_dir, dataset=Dataset(...))`."""

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

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise DataError(f"dataset kind must be one of {', '.join(KINDS)}; got {self.kind!r}")

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.train.x.shape[1:])


def check_finite_unit_interval(name: str, x: torch.Tensor) -> None:
    """Image tensors must be finite and in [0, 1]; say so at load, not as a NaN later."""
    if not torch.isfinite(x).all():
        bad = int((~torch.isfinite(x)).sum())
        raise DataError(f"{name}: {bad} values are NaN or infinite")
    lo, hi = float(x.min()), float(x.max())
    if lo < 0.0 or hi > 1.0:
        raise DataError(f"{name}: pixel values must lie in [0, 1], found [{lo:g}, {hi:g}]")


def random_split(n: int, test_fraction: float, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded train/test index split for datasets without an official one."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_test = max(1, round(n * test_fraction))
    return order[n_test:].sort().values, order[:n_test].sort().values
