"""vaekit judge: train or test the small classifier that judges decoded images."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from vaekit.cli.common import say

if TYPE_CHECKING:
    from vaekit.analysis.judge import JudgeCheck

HELP = "train or test the MNIST / Fashion-MNIST classifier used to judge decoded images"
DATA = ("mnist", "fashion-mnist")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["train", "test"],
                   help="train: fit a judge on the train split and record its test accuracy "
                        "and validity on junk; test: measure a judge on the test split")
    p.add_argument("--data", choices=DATA, default=DATA[0],
                   help="the data set whose judge to train or test (default mnist)")
    p.add_argument("--weights", help="test: judge weights (default: the shipped judge)")
    p.add_argument("--out", help="train: where to write the weights (default "
                                 "judge_DATA.safetensors; a .json beside it)")
    p.add_argument("--epochs", type=int, default=5, help="train: epochs (default 5)")
    p.add_argument("--seed", type=int, default=0, help="train: random seed (default 0)")
    p.add_argument("--data-path", help="folder holding the data set's files (searched first)")
    p.add_argument("--limit-train", type=int, help="train on the first N train images (quick "
                   "checks; the shipped judges used all 60,000)")
    p.add_argument("--limit-test", type=int, help="measure on the first N test images")


def _summary(check: JudgeCheck) -> str:
    junk = ", ".join(f"{kind} {v:.3f}" for kind, v in check.junk_validity.items())
    return (f"validity (p >= 0.9 for one class) on test images {check.test_validity:.3f}; "
            f"on {check.junk_images} junk images each: {junk}")


def run(args: argparse.Namespace) -> int:
    import time

    import torch

    from vaekit.analysis.judge import (
        check_judge,
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
    data = load_dataset(args.data, path=args.data_path)
    train, test = data.train.head(args.limit_train), data.test.head(args.limit_test)
    if args.action == "test":
        if args.weights and not Path(args.weights).is_file():
            raise ConfigError(f"judge weights not found: {args.weights}")
        judge = load_judge(args.weights, data=args.data)
        check = check_judge(judge, test.x, test.y)
        recorded = judge_metadata(args.weights, data=args.data).get("test_accuracy",
                                                                     "not recorded")
        say(_summary(check))
        say(f"judge accuracy on the {args.data} test split: {check.test_accuracy:.4f} "
            f"({len(test)} images; recorded at training: {recorded})")
        return 0
    if not 1 <= args.epochs <= 100:
        raise ConfigError(f"--epochs must be between 1 and 100, got {args.epochs}")
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    classes = len(data.label_names) if data.label_names else int(data.train.y.max()) + 1
    judge = train_judge(train.x, train.y, classes=classes,
                        epochs=args.epochs, seed=args.seed)
    seconds = time.perf_counter() - started
    check = check_judge(judge, test.x, test.y)
    meta = {"data": args.data, **check.to_dict(), "train_images": len(train),
            "epochs": args.epochs, "seed": args.seed,
            "augmentation": "random shifts of up to 2 px; half the batches blurred "
                            "(sigma 0.5-1.5 px)",
            "reject_class": "no digit: 32 junk images per batch of 128",
            "train_seconds": round(seconds, 1), "threshold_valid": 0.9}
    out = Path(args.out or f"judge_{args.data.replace('-', '_')}.safetensors")
    atomic_write_bytes(out, judge_to_bytes(judge, meta))
    atomic_write_text(out.with_suffix(".json"), metadata_json(meta))
    say(_summary(check))
    say(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB): {args.data} test accuracy "
        f"{check.test_accuracy:.4f} after {args.epochs} epochs ({seconds:.0f} s)")
    return 0
