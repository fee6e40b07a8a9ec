"""What the speed benchmarks measure the hardware with: the sustained matmul peak, and a
device sync so that timings include the work queued on a GPU. Imported by the benchmark
scripts (run as `python benchmarks/NAME.py`, which puts this folder on the path)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import torch

T = TypeVar("T")


def sync(device: str) -> None:
    """Wait for the device's queued work (a no-op on the CPU)."""
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def matmul_peak(dtype=torch.float32, seconds: float = 1.0, size: int = 2048,
                device: str = "cpu") -> float:
    """Sustained GFLOP/s of a large square matmul here (2048^3 on the CPU, 8192^3 on a
    GPU), after one warm-up product."""
    size = size if device == "cpu" else 8192
    a = torch.randn(size, size, dtype=dtype, device=device)
    b = torch.randn(size, size, dtype=dtype, device=device)
    a @ b  # warm-up
    sync(device)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    sync(device)
    return 2 * size**3 * count / (time.perf_counter() - start) / 1e9


def vaekit_epoch(trainer) -> float:
    """One epoch of a vaekit Trainer under its precision setting (as `vaekit train` runs
    it): the epoch's training negative ELBO, nats per example."""
    from vaekit.training.trainer import matmul_precision

    with matmul_precision(trainer.config.train.precision):
        return trainer.train_epoch()["negative_elbo"]


def timed(device: str, fn: Callable[..., T], *args: Any) -> tuple[T, float]:
    """fn(*args) and its wall seconds, the device's queued work included."""
    sync(device)
    start = time.perf_counter()
    out = fn(*args)
    sync(device)
    return out, time.perf_counter() - start
