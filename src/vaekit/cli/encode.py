"""vaekit encode: posterior means (and log standard deviations) with labels, to .npz."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import say

HELP = "posterior means and labels of a split, to .npz"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--out", help=".npz path (default RUN/encodings-SPLIT.npz)")


def run(args: argparse.Namespace) -> int:
    import io

    import numpy as np

    from vaekit.analysis.latent import encode_means
    from vaekit.cli._runs import load_run, split_of
    from vaekit.fileio import atomic_write_bytes

    run_ = load_run(args.run_dir)
    split = split_of(run_, args.split)
    means, log_stds = encode_means(run_.model, split.x)
    arrays = {"mean": means.numpy(), "log_std": log_stds.numpy()}
    if split.y is not None:
        arrays["label"] = split.y.numpy()
    out = Path(args.out) if args.out else Path(args.run_dir) / f"encodings-{args.split}.npz"
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write_bytes(out, buffer.getvalue())
    say(f"wrote {out}: mean {tuple(means.shape)}, log_std {tuple(log_stds.shape)}"
        + (f", label {tuple(split.y.shape)}" if split.y is not None else ""))
    return 0
