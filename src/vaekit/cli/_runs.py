"""Helpers for the commands that work on a trained run."""

from __future__ import annotations

import argparse

import torch

from vaekit.checkpoint import Run, load_run
from vaekit.data.dataset import Split
from vaekit.data.prepare import load_split
from vaekit.errors import ConfigError


def add_run_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")


def split_of(run: Run, name: str) -> Split:
    """The run's data split, prepared as in training (limits, test binarisation)."""
    return load_split(run.config, name)


def pick(split: Split, indices: list[int]) -> torch.Tensor:
    n = len(split)
    for i in indices:
        if not 0 <= i < n:
            raise ConfigError(f"index {i} is out of range: the split has {n} examples")
    return split.x[indices]


__all__ = ["Run", "add_run_argument", "load_run", "pick", "split_of"]
