"""vaekit interpolate: decode a path between the posterior means of two test images."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import figures_dir, say

HELP = "decode a path between two test images"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    p.add_argument("--from-index", type=int, default=0, help="first image's index (default 0)")
    p.add_argument("--to-index", type=int, default=1, help="second image's index (default 1)")
    p.add_argument("--steps", type=int, default=10, help="points on the path, ends included")
    p.add_argument("--method", choices=["lerp", "slerp"], default="lerp")
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--out", help="PNG path (default RUN/figures/interpolation.png)")


def run(args: argparse.Namespace) -> int:
    import torch

    from vaekit.analysis.latent import interpolate
    from vaekit.cli._runs import load_run, pick, split_of
    from vaekit.errors import ConfigError
    from vaekit.viz.images import save_grid

    if not 2 <= args.steps <= 100:
        raise ConfigError(f"--steps must be between 2 and 100, got {args.steps}")
    run_ = load_run(args.run_dir)
    x = pick(split_of(run_, args.split), [args.from_index, args.to_index])
    path = interpolate(run_.model, x[0], x[1], steps=args.steps, method=args.method)
    strip = torch.cat([x[:1], path, x[1:]])  # input, decoded path, input
    out = Path(args.out) if args.out else figures_dir(args.run_dir) / "interpolation.png"
    save_grid(strip.numpy(), out, nrow=len(strip))
    say(f"wrote {out} ({args.method}, {args.steps} steps from {args.split} image "
        f"{args.from_index} to {args.to_index}; the outer tiles are the inputs)")
    return 0
