"""vaekit judge: train or test the small digit classifier that judges decoded images."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import say

HELP = "train or test the MNIST digit classifier used to judge decoded images"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["train", "test"],
                   help="train: fit a judge on the MNIST train split and record its test "
                        "accuracy; test: measure a judge's accuracy on the MNIST test split")
    p.add_argument("--weights", help="test: judge weights (default: the shipped judge)")
    p.add_argument("--out", help="train: where to write the weights "
                                 "(default judge_mnist.safetensors; a .json beside it)")
    p.add_argument("--epochs", type=int, default=5, help="train: epochs (default 5)")
    p.add_argument("--seed", type=int, default=0, help="train: random seed (default 0)")
    p.add_argument("--data-path", help="folder holding the MNIST files (searched first)")
    p.add_argument("--limit-train", type=int, help="train on the first N train images (quick "
                   "checks; the shipped judge used all 60,000)")
    p.add_argument("--limit-test", type=int, help="measure on the first N test images")


def run(args: argparse.Namespace) -> int:
    import time

    import torch

    from vaekit.analysis.judge import (
        accuracy,
        judge_metadata,
        judge_to_bytes,
        load_judge,
        metadata_json,
        train_judge,
    )
    from vaekit.data.registry import load_dataset
    from vaekit.errors import ConfigError
    from vaekit.fileio import atomic_write_bytes, atomic_write_text

    for flag in ("limit_train", "limit_test"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            raise ConfigError(f"--{flag.replace('_', '-')} must be at least 1")
    data = load_dataset("mnist", path=args.data_path)
    train, test = data.train.head(args.limit_train), data.test.head(args.limit_test)
    if args.action == "test":
        if args.weights and not Path(args.weights).is_file():
            raise ConfigError(f"judge weights not found: {args.weights}")
        judge = load_judge(args.weights)
        acc = accuracy(judge, test.x, test.y)
        recorded = judge_metadata(args.weights).get("test_accuracy", "not recorded")
        say(f"judge accuracy on the MNIST test split: {acc:.4f} ({len(test)} images; "
            f"recorded at training: {recorded})")
        return 0
    if not 1 <= args.epochs <= 100:
        raise ConfigError(f"--epochs must be between 1 and 100, got {args.epochs}")
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    judge = train_judge(train.x, train.y, epochs=args.epochs, seed=args.seed)
    seconds = time.perf_counter() - started
    acc = accuracy(judge, test.x, test.y)
    meta = {"test_accuracy": round(acc, 4), "test_images": len(test),
            "train_images": len(train), "epochs": args.epochs, "seed": args.seed,
            "augmentation": "random shifts of up to 2 px", "train_seconds": round(seconds, 1),
            "threshold_valid": 0.9}
    out = Path(args.out or "judge_mnist.safetensors")
    atomic_write_bytes(out, judge_to_bytes(judge, meta))
    atomic_write_text(out.with_suffix(".json"), metadata_json(meta))
    say(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB): MNIST test accuracy {acc:.4f} "
        f"after {args.epochs} epochs ({seconds:.0f} s)")
    return 0
