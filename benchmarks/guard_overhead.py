"""What dynamo's guard evaluation costs the dense `--fast` step: the one-graph compiled
step of the 784-400-20 MNIST VAE (batch 128) timed over the same 100 batches with its
guards evaluated (the default) and skipped (`torch.compiler.set_stance(
skip_guard_eval_unsafe=True)`, which vaekit does not use: a changed input would silently
run a stale graph), in alternating blocks, `--rounds` times, each order half the time.
Prints the median ms per step of each and the median paired difference.

    python benchmarks/guard_overhead.py --rounds 30
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time

import torch

from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.data.registry import load_dataset
from vaekit.training.trainer import Trainer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--steps", type=int, default=100, help="steps per timed block")
    args = parser.parse_args()
    if args.rounds < 1 or args.steps < 1:
        parser.error("--rounds and --steps must be at least 1")
    config = RunConfig(model=ModelConfig(latent_dim=20, hidden=(400,), likelihood="bernoulli"),
                       data=DataConfig(name="mnist"),
                       train=TrainConfig(batch_size=128, lr=1e-3, fast=True))
    trainer = Trainer(config, tempfile.mkdtemp(prefix="vaekit-guards-"),
                      dataset=load_dataset("mnist"))
    step = trainer.compiled_step
    step.sync()
    order = torch.randperm(len(trainer.train_split), generator=torch.Generator().manual_seed(0))
    batches = [trainer._global_batch(order[i * 128:(i + 1) * 128]) for i in range(args.steps)]

    def block() -> float:  # ms per step
        started = time.perf_counter()
        for x, x_in, eps, _, _ in batches:
            step(x_in, x, eps, 1.0)
        return (time.perf_counter() - started) / len(batches) * 1e3

    block()  # compiles
    guarded, skipped = [], []
    for r in range(args.rounds):
        for skip in ((False, True) if r % 2 == 0 else (True, False)):
            with torch.compiler.set_stance("default", skip_guard_eval_unsafe=skip):
                (skipped if skip else guarded).append(block())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.rounds} rounds "
          f"of {args.steps} steps each way")
    print(f"guards evaluated: {statistics.median(guarded):.3f} ms/step; skipped: "
          f"{statistics.median(skipped):.3f} ms/step; median paired difference "
          f"{statistics.median(g - s for g, s in zip(guarded, skipped)):.3f} ms/step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
