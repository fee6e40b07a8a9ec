"""The in-memory dataset every loader returns: tensors, ready to index by batch."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from vaekit.errors import DataError


@dataclass(frozen=True)
class Split:
    """One split. Images: x is (N, C, H, W) float32 in [0, 1]; y is (N,) int64 or None."""

    x: torch.Tensor
    y: torch.Tensor | None = None

    def __len__(self) -> int:
        return self.x.shape[0]

    def head(self, n: int | None) -> Split:
        """The first n examples (all when n is None)."""
        if n is None or n >= len(self):
            return self
        return Split(self.x[:n], None if self.y is None else self.y[:n])


@dataclass(frozen=True)
class Dataset:
    name: str
    train: Split
    test: Split
    label_names: tuple[str, ...] | None = None

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
