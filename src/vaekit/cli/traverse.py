"""vaekit traverse: one row per latent dimension, that coordinate swept over [-R, R]."""

from __future__ import annotations

import argparse

from vaekit.cli.common import figures_dir, say

HELP = "per-dimension latent traversals: one row per dimension"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    p.add_argument("--dims", type=int, nargs="+", help="latent dimensions, 0-based "
                   "(default: all, at most 32 for images and 4 for sequences)")
    p.add_argument("--range", type=float, default=3.0, dest="span",
                   help="sweep each coordinate over [-R, R] (default 3)")
    p.add_argument("--steps", type=int, default=9, help="points per row (default 9)")
    p.add_argument("--from-index", type=int, help="start from this test example's code "
                   "(default: z = 0, the prior's mean)")
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--out", help="file to write (default RUN/figures/traversal.png, or .txt "
                   "for text); a folder: the file inside it")


def run(args: argparse.Namespace) -> int:
    import torch

    from vaekit.analysis.latent import encode_means
    from vaekit.analysis.traversal import traverse
    from vaekit.cli._runs import load_run, pick, split_of
    from vaekit.errors import ConfigError
    from vaekit.kinds import kind_of, output_path

    if not 2 <= args.steps <= 50:
        raise ConfigError(f"--steps must be between 2 and 50, got {args.steps}")
    if not 0 < args.span <= 100:
        raise ConfigError(f"--range must be in (0, 100], got {args.span}")
    run_ = load_run(args.run_dir)
    kind = kind_of(run_)
    d = run_.model.latent_dim
    shown = 32 if kind.name == "image" else 4  # a piano roll or sentence per row is tall
    dims = args.dims if args.dims is not None else list(range(min(d, shown)))
    bad = [i for i in dims if not 0 <= i < d]
    if bad or not 1 <= len(dims) <= 64:
        raise ConfigError(f"--dims must name 1 to 64 dimensions in 0..{d - 1}, got {dims}")
    if args.from_index is None:
        z0, start = torch.zeros(d), "z = 0"
    else:
        z0 = encode_means(run_.model, pick(split_of(run_, args.split), [args.from_index]))[0][0]
        start = f"the code of {args.split} example {args.from_index}"
    items = traverse(run_.model, z0, dims, span=args.span, steps=args.steps)
    values = torch.linspace(-args.span, args.span, args.steps).tolist()
    labels = [f"z{dim} = {v:+.2f}" for dim in dims for v in values]
    out = output_path(args.out, figures_dir(args.run_dir), "traversal", kind.suffix)
    written = kind.write(items, out, columns=args.steps, labels=labels,
                         title=f"latent traversals from {start}")
    for line in written.lines:
        say(line)
    say(f"wrote {written.describe()} ({len(dims)} rows: dimensions {dims}, each swept over "
        f"[-{args.span:g}, {args.span:g}] in {args.steps} steps from {start})")
    return 0
