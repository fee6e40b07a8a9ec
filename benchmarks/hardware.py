"""What the speed benchmarks measure the hardware with: the sustained matmul peak, and a
device sync so that timings include the work queued on a GPU. Imported by the benchmark
scripts (run as `python benchmarks/NAME.py`, which puts this folder on the path)."""

from __future__ import annotations

import statistics
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


def ratio_line(who: str, peer: str, ratios: list[float]) -> str:
    """The summary line every speed benchmark ends with (benchmarks/gpu.py parses it):
    the median of the per-epoch ratios; with an even count, the mean of the two middle
    ones (train_speed.py and Floor.summary took the upper of them until 2026-12-01)."""
    if not ratios:
        raise ValueError(f"{who}: no epochs were timed, so there is no median speed-up")
    return f"{who}: median speed-up over {peer} {statistics.median(ratios):.2f}x"


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


def lstm_forward_flops(module: torch.nn.LSTM, inputs: torch.Tensor) -> float:
    """Matmul FLOPs of one nn.LSTM forward: per layer, direction and time step the gate
    pre-activations W_ih x_t + W_hh h_{t-1}, 2 * B * 4H * (I + H). (PyTorch's
    FlopCounterMode counts none: the fused LSTM kernels have no formula there.)"""
    data = inputs.data if isinstance(inputs, torch.nn.utils.rnn.PackedSequence) else inputs
    steps = data.shape[0] if data.dim() == 2 else data.shape[0] * data.shape[1]  # B * T
    hidden, directions = module.hidden_size, 2 if module.bidirectional else 1
    total = 0.0
    for layer in range(module.num_layers):
        in_size = module.input_size if layer == 0 else hidden * directions
        total += directions * 2 * steps * 4 * hidden * (in_size + hidden)
    return total


def count_flops(model: torch.nn.Module, step: Callable[[], Any]) -> float:
    """FLOPs of `step()` (a forward and backward of `model`): what FlopCounterMode counts,
    plus 3x the forward FLOPs of every nn.LSTM inside (the backward computes the gradients
    of the inputs and of the weights, twice the forward's work)."""
    from torch.utils.flop_counter import FlopCounterMode

    lstm = []
    hooks = [m.register_forward_hook(lambda mod, args, out: lstm.append(
                 lstm_forward_flops(mod, args[0])))
             for m in model.modules() if isinstance(m, torch.nn.LSTM)]
    counter = FlopCounterMode(display=False)
    try:
        with counter:
            step()
    finally:
        for hook in hooks:
            hook.remove()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops() + 3 * sum(lstm)


def arithmetic_seconds(step: Callable[[], Any], *, batches: int, device: str, bf16: bool,
                       reps: int = 8) -> float:
    """Seconds per epoch of a model's forward + backward alone: `step()` on one fixed
    batch (no data loading, no optimizer, eager kernels), timed `reps` times after two
    warm-ups, times the epoch's `batches`: the epoch time no eager training loop beats
    with these kernels (a compiled step can go somewhat below it by fusing the
    elementwise work)."""
    def run() -> None:
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=bf16):
            step()

    # The step's random draws must not shift the peers' random streams.
    on_gpu = torch.device(device).type != "cpu"
    with torch.random.fork_rng(devices=None if on_gpu else [],
                               device_type=torch.device(device).type if on_gpu else "cuda"):
        for _ in range(2):
            run()
        _, seconds = timed(device, lambda: [run() for _ in range(reps)])
    return seconds / reps * batches


class Floor:
    """A VAE's forward + backward alone on one fixed batch (arithmetic_seconds, in fp32 and
    bf16), timed by `measure()` once per epoch beside the epochs, so the machine's drift
    hits both. `summary(peer_seconds, name)` is the line that puts them beside a peer's
    epochs: per precision the median floor, its GFLOP/s and fraction of peak, and the
    median over epochs of the peer's epoch time divided by the floor measured with it: the
    most an eager loop can gain over the peer with these kernels."""

    def __init__(self, model: torch.nn.Module, batch: torch.Tensor, *, batches: int,
                 device: str, flops: float, peaks: dict[str, float]) -> None:
        self.step = lambda: model(batch).p_x.reconstruction(batch).mean().backward()
        self.batches, self.device, self.flops, self.peaks = batches, device, flops, peaks
        self.seconds: dict[str, list[float]] = {"fp32": [], "bf16": []}

    def measure(self) -> None:
        for precision, seconds in self.seconds.items():
            seconds.append(arithmetic_seconds(self.step, batches=self.batches,
                                              device=self.device, bf16=precision == "bf16",
                                              reps=16))

    def summary(self, peer: list[float], peer_name: str) -> str:
        parts = []
        for precision, seconds in self.seconds.items():
            sec = statistics.median(seconds)
            gflops = self.flops / sec / 1e9
            ratio = statistics.median(p / s for p, s in zip(peer, seconds, strict=True))
            parts.append(f"{precision} {sec:.2f} s = {gflops:.0f} GFLOP/s = "
                         f"{gflops / self.peaks[precision]:.2f} of peak, at most "
                         f"{ratio:.2f}x over {peer_name}")
        return ("the model's forward + backward alone (one fixed batch, eager kernels, no "
                "data loading or optimizer), seconds per epoch, median of epochs: "
                + "; ".join(parts))
