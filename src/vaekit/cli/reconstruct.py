"""vaekit reconstruct: test images (odd rows) above their reconstructions (even rows)."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import figures_dir, say

HELP = "inputs next to their reconstructions"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    p.add_argument("--n", type=int, default=16, help="number of images (default 16)")
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--out", help="PNG path (default RUN/figures/reconstructions.png)")


def run(args: argparse.Namespace) -> int:
    import torch

    from vaekit.analysis.sampling import reconstructions
    from vaekit.cli._runs import load_run, split_of
    from vaekit.errors import ConfigError
    from vaekit.viz.images import save_grid

    if not 1 <= args.n <= 1000:
        raise ConfigError(f"--n must be between 1 and 1000, got {args.n}")
    run_ = load_run(args.run_dir)
    x = split_of(run_, args.split).x[: args.n]
    x_hat = reconstructions(run_.model, x)
    per_row = min(8, len(x))
    rows = []
    for i in range(0, len(x), per_row):  # originals row, then their reconstructions
        rows += [x[i : i + per_row], x_hat[i : i + per_row]]
    out = Path(args.out) if args.out else figures_dir(args.run_dir) / "reconstructions.png"
    save_grid(torch.cat(rows).numpy(), out, nrow=per_row)
    sse = float((x - x_hat).square().flatten(1).sum(1).mean())
    say(f"wrote {out} ({len(x)} {args.split} images; rows alternate input / reconstruction; "
        f"mean squared error {sse:.2f} summed over pixels)")
    return 0
