"""The keras.io convolutional VAE example (Chollet, "Variational AutoEncoder", 2020) through
vaekit's trainer, for comparison with its published loss.

    conv 3x3/2 32 -> conv 3x3/2 64 -> dense 16 -> latent 2 -> dense 7*7*64 -> convT 64 ->
    convT 32 -> conv 1; binary cross-entropy summed over pixels (grey MNIST, not
    binarised) + KL; batch 128; Adam, lr 1e-3 (Keras' default)

Published: total loss ~147 nats per image (reconstruction ~140, KL ~6.8) after 30 epochs
on all 70,000 MNIST images (train + test, no held-out set), as the training loss of the
last epoch. We train on the 60,000 training images and report the last epoch's training
loss (comparable with Keras' number) and the loss on the 10,000 held-out test images.

    .venv/bin/python benchmarks/keras_conv.py --epochs 30            # the example's length
    .venv/bin/python benchmarks/keras_conv.py --epochs 30 --minutes 10 --threads 1

Units: nats per image (summed over 784 pixels, averaged over images).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import shutil
import sys
import time
from pathlib import Path

import torch

from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.data.registry import load_dataset
from vaekit.fileio import atomic_write_json
from vaekit.training.trainer import train

PUBLISHED = {"loss": 147.0, "reconstruction": 140.0, "kl": 6.8, "epochs": 30}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=30, help="at most this many epochs")
    p.add_argument("--minutes", type=float, help="stop before an epoch would end past this")
    p.add_argument("--limit-train", type=int, help="train on the first N images only")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, help="torch intra-op threads")
    p.add_argument("--out", default="runs/bench-keras-conv", help="run directory")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out run")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print("$ " + shlex.join([Path(sys.executable).name, *sys.argv]), flush=True)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} "
          f"CPUs, device {args.device}", flush=True)
    run_dir = Path(args.out)
    if (run_dir / "config.json").exists():
        if not args.overwrite:
            p.error(f"{run_dir} already holds a run; pass --overwrite to replace it")
        shutil.rmtree(run_dir)

    config = RunConfig(
        model=ModelConfig(arch="conv", channels=(32, 64), hidden=(16,), latent_dim=2,
                          likelihood="bernoulli"),
        data=DataConfig(name="mnist", limit_train=args.limit_train),
        train=TrainConfig(epochs=1, batch_size=128, lr=1e-3, seed=args.seed,
                          device=args.device),
    )
    data = load_dataset("mnist")
    budget = float("inf") if args.minutes is None else args.minutes * 60.0
    started, cpu0, rows = time.perf_counter(), time.process_time(), []
    for epoch in range(1, args.epochs + 1):
        cfg = dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=epoch))
        t0 = time.perf_counter()
        rows = train(cfg, run_dir, resume=epoch > 1, dataset=data).metrics
        last, spent = time.perf_counter() - t0, time.perf_counter() - started
        tr, te = rows[-1]["train"], rows[-1]["test"]
        print(f"epoch {epoch}: {last:.1f} s, train loss {tr['negative_elbo']:.2f} (rec "
              f"{tr['reconstruction']:.2f}, KL {tr['kl']:.2f}); test loss "
              f"{te['negative_elbo']:.2f} (rec "
              f"{te['reconstruction']:.2f}, KL {te['kl']:.2f}) nats/image", flush=True)
        if spent + last > budget:
            break
    spent, cpu = time.perf_counter() - started, time.process_time() - cpu0
    tr, te = rows[-1]["train"], rows[-1]["test"]
    n_train = args.limit_train or 60_000
    print(f"\n{len(rows)} epochs on {n_train:,} images in {spent / 60:.1f} min wall clock "
          f"({cpu / 60:.1f} min process CPU), device {args.device}")
    print("                               loss    reconstruction   KL   (nats per image)")
    print(f"  keras.io, 30 epochs, 70k    ~{PUBLISHED['loss']:.0f}       "
          f"~{PUBLISHED['reconstruction']:.0f}        ~{PUBLISHED['kl']:.1f}   (training loss)")
    print(f"  vaekit, train (last epoch)  {tr['negative_elbo']:.2f}    {tr['reconstruction']:.2f}"
          f"           {tr['kl']:.2f}")
    print(f"  vaekit, 10k test images     {te['negative_elbo']:.2f}    {te['reconstruction']:.2f}"
          f"           {te['kl']:.2f}")
    atomic_write_json(run_dir / "benchmark.json", {
        "command": sys.argv, "device": args.device, "epochs": len(rows),
        "train_images": n_train, "minutes_wall": spent / 60, "minutes_cpu": cpu / 60,
        "train": tr, "test": te, "published": PUBLISHED, "units": "nats per image",
    })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
