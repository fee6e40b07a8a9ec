"""vaekit traverse: one row per latent dimension, that coordinate swept over [-R, R]."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import figures_dir, say

HELP = "per-dimension latent traversals: one grid row per dimension"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    p.add_argument("--dims", type=int, nargs="+", help="latent dimensions, 0-based "
                   "(default: all, at most 32)")
    p.add_argument("--range", type=float, default=3.0, dest="span",
                   help="sweep each coordinate over [-R, R] (default 3)")
    p.add_argument("--steps", type=int, default=9, help="points per row (default 9)")
    p.add_argument("--from-index", type=int, help="start from this test example's code "
                   "(default: z = 0, the prior's mean)")
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--out", help="PNG path (default RUN/figures/traversal.png)")


def run(args: argparse.Namespace) -> int:
    import torch

    from vaekit.analysis.latent import encode_means
    from vaekit.analysis.traversal import traverse
    from vaekit.cli._runs import load_run, pick, split_of
    from vaekit.errors import ConfigError
    from vaekit.viz.images import save_grid

    if not 2 <= args.steps <= 50:
        raise ConfigError(f"--steps must be between 2 and 50, got {args.steps}")
    if not 0 < args.span <= 100:
        raise ConfigError(f"--range must be in (0, 100], got {args.span}")
    run_ = load_run(args.run_dir)
    if len(run_.config.model.input_shape or ()) != 3:
        raise ConfigError("traverse draws image models; this run models sequences")
    d = run_.model.latent_dim
    dims = args.dims if args.dims is not None else list(range(min(d, 32)))
    bad = [i for i in dims if not 0 <= i < d]
    if bad or not 1 <= len(dims) <= 64:
        raise ConfigError(f"--dims must name 1 to 64 dimensions in 0..{d - 1}, got {dims}")
    if args.from_index is None:
        z0, start = torch.zeros(d), "z = 0"
    else:
        z0 = encode_means(run_.model, pick(split_of(run_, args.split), [args.from_index]))[0][0]
        start = f"the code of {args.split} image {args.from_index}"
    images = traverse(run_.model, z0, dims, span=args.span, steps=args.steps)
    out = Path(args.out) if args.out else figures_dir(args.run_dir) / "traversal.png"
    save_grid(images.numpy(), out, nrow=args.steps)
    say(f"wrote {out} ({len(dims)} rows: dimensions {dims}, each swept over "
        f"[-{args.span:g}, {args.span:g}] in {args.steps} steps from {start})")
    return 0
