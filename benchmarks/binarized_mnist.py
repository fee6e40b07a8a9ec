"""Dynamically binarised MNIST, Burda et al. (2016) one-stochastic-layer setup, trained
through vaekit's trainer for a time budget; test NLL with k = 5000 importance samples.

    784 -> 200 tanh -> 200 tanh -> 50 Gaussian latents -> 200 tanh -> 200 tanh -> 784
    Bernoulli; batch 20; Adam, lr 1e-3; dynamic binarisation of the training images
    (resampled every batch); the test set binarised once with a fixed seed.

Published (Burda et al. 2016, Table 1, k = 5000): VAE 86.76 nats, IWAE (k=5) 85.54,
IWAE (k=50) 84.78 -- after 3,280 epochs with the learning rate decayed to 1e-3 * 10^-1
in 8 stages. We train only the first stage (lr 1e-3) for as many whole epochs as fit the
budget, so expect a higher NLL: the gap is training time, not the estimator.

    .venv/bin/python benchmarks/binarized_mnist.py --minutes 10
    .venv/bin/python benchmarks/binarized_mnist.py --minutes 10 --objective iwae --iw-samples 5

Prints the command, every epoch's test loss, and the final table; writes
RUN/benchmark.json. Units: nats per example (-log p(x) of a 784-pixel binary image).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path

import torch

from vaekit.analysis.evaluate import evaluate
from vaekit.checkpoint import load_run
from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.data.prepare import load_split
from vaekit.data.registry import load_dataset
from vaekit.fileio import atomic_write_json
from vaekit.training.trainer import train

PUBLISHED = {"elbo": ("VAE", 86.76), "iwae5": ("IWAE k=5", 85.54), "iwae50": ("IWAE k=50", 84.78)}


def config_for(args: argparse.Namespace) -> RunConfig:
    return RunConfig(
        model=ModelConfig(arch="dense", hidden=(200, 200), activation="tanh", latent_dim=50,
                          likelihood="bernoulli"),
        data=DataConfig(name="mnist", binarize="dynamic"),
        train=TrainConfig(epochs=1, batch_size=20, lr=1e-3, objective=args.objective,
                          iw_samples=args.iw_samples, seed=args.seed, device=args.device),
    )


def train_for(config: RunConfig, run_dir: Path, minutes: float) -> tuple[list[dict], float]:
    """Whole epochs, one `vaekit train` resume at a time, while the next one is expected to
    end inside the budget. Returns the metrics rows and the training seconds."""
    data = load_dataset("mnist")
    budget, started, epoch, rows = minutes * 60.0, time.perf_counter(), 0, []
    while True:
        epoch += 1
        cfg = dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=epoch))
        t0 = time.perf_counter()
        rows = train(cfg, run_dir, resume=epoch > 1, dataset=data).metrics
        last, spent = time.perf_counter() - t0, time.perf_counter() - started
        test = rows[-1]["test"]
        print(f"epoch {epoch}: {last:.1f} s, test negative ELBO {test['negative_elbo']:.2f} "
              f"nats/example (rec {test['reconstruction']:.2f}, KL {test['kl']:.2f}, active "
              f"units {test['active_units']}/50)", flush=True)
        if spent + last > budget:
            return rows, spent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=10.0, help="training budget (wall clock)")
    p.add_argument("--objective", choices=["elbo", "iwae"], default="elbo")
    p.add_argument("--iw-samples", type=int, default=1, help="iwae: training samples (k)")
    p.add_argument("--eval-k", type=int, default=5000, help="importance samples at test")
    p.add_argument("--eval-limit", type=int, default=1000,
                   help="test images scored with --eval-k (all 10000: --eval-limit 10000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, help="torch intra-op threads (1 on a shared machine: "
                   "oversubscribed threads can cost 10x)")
    p.add_argument("--out", default="runs/bench-binarized-mnist", help="run directory")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out run")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print("$ " + shlex.join([Path(sys.executable).name, *sys.argv]), flush=True)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} "
          f"CPUs, device {args.device}", flush=True)

    config, run_dir = config_for(args), Path(args.out)
    if (run_dir / "config.json").exists():
        if not args.overwrite:
            p.error(f"{run_dir} already holds a run; pass --overwrite to replace it")
        shutil.rmtree(run_dir)
    cpu0 = time.process_time()
    rows, train_seconds = train_for(config, run_dir, args.minutes)
    train_cpu = time.process_time() - cpu0
    model = load_run(run_dir, map_location=args.device).model
    test = load_split(config, "test")  # the fixed seeded binarisation of the test set
    x = test.x[: args.eval_limit].to(next(model.parameters()).device)
    t0 = time.perf_counter()
    result, _ = evaluate(model, x, k=args.eval_k, batch_size=50, seed=args.seed)
    eval_seconds = time.perf_counter() - t0

    key = "elbo" if args.objective == "elbo" else f"iwae{args.iw_samples}"
    name, published = PUBLISHED.get(key, PUBLISHED["elbo"])
    print(f"\ntrained {rows[-1]['epoch']} epochs ({rows[-1]['step']} steps of batch 20) in "
          f"{train_seconds / 60:.1f} min wall clock ({train_cpu / 60:.1f} min process CPU); "
          f"Burda et al. trained 3,280 epochs")
    print(f"test NLL on the first {x.shape[0]} of 10,000 binarised test images, "
          f"k = {args.eval_k} ({eval_seconds:.0f} s):")
    print(f"  vaekit ({args.objective}{'' if key == 'elbo' else f', k={args.iw_samples}'})"
          f"  -log p(x) = {result.nll:.2f} ± {result.nll_standard_error:.2f} nats "
          f"(negative ELBO {result.negative_elbo:.2f}, KL {result.kl:.2f}, active units "
          f"{result.active_units}/50)")
    print(f"  Burda et al. 2016 ({name})  -log p(x) = {published:.2f} nats (all 10,000)")
    atomic_write_json(run_dir / "benchmark.json", {
        "command": sys.argv, "epochs": rows[-1]["epoch"], "steps": rows[-1]["step"],
        "train_minutes_wall": train_seconds / 60, "train_minutes_cpu": train_cpu / 60,
        "eval_seconds": eval_seconds, "published": {"name": name, "nll": published},
        "evaluation": result.to_dict(), "test_images": x.shape[0], "eval_k": args.eval_k,
    })
    print(json.dumps({"nll": round(result.nll, 2), "published": published}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
