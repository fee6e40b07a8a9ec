"""vaekit compare: train an AE and a VAE with the same architecture and budget, then measure
and draw what the KL term buys (vaekit.experiments.compare; the numbers are explained in
vaekit.analysis.compare)."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import add_config_flags, say

HELP = "train an AE and a VAE alike and compare their latent spaces (figure + JSON)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", metavar="DIR", default="runs/compare",
                   help="folder for ae/, vae/, compare.json, compare.png (default runs/compare)")
    p.add_argument("--overwrite", action="store_true", help="replace existing runs in --out")
    p.add_argument("--samples", type=int, default=2000, help="prior samples judged (default "
                   "2000)")
    p.add_argument("--pairs", type=int, default=100, help="test pairs interpolated (default 100)")
    p.add_argument("--judge", metavar="FILE", help="judge weights (default: the shipped judge)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    add_config_flags(p)


def run(args: argparse.Namespace) -> int:
    import shutil

    from vaekit.cli.common import config_from_args
    from vaekit.errors import ConfigError, VaekitError
    from vaekit.experiments.compare import (
        SPAN,
        check_compare_config,
        compare_ae_vae,
        compare_config,
    )
    from vaekit.fileio import atomic_write_bytes, atomic_write_json
    from vaekit.viz.curves import save_loss_curves
    from vaekit.viz.latent import save_compare_figure

    if not 10 <= args.samples <= 100_000 or not 2 <= args.pairs <= 10_000:
        raise ConfigError("--samples must be in 10..100000 and --pairs in 2..10000")
    config = config_from_args(args, base=compare_config())
    check_compare_config(config)  # before any run directory is replaced
    out = Path(args.out)
    if args.judge and not Path(args.judge).is_file():
        raise ConfigError(f"judge weights not found: {args.judge}")
    for name in ("ae", "vae"):
        if (out / name / "config.json").exists():
            if not args.overwrite:
                raise VaekitError(f"{out / name} already holds a run; use --overwrite")
            shutil.rmtree(out / name)
    result = compare_ae_vae(config, out, samples=args.samples, pairs=args.pairs,
                            judge_path=args.judge, progress=not args.quiet, report=say)
    for name in ("ae", "vae"):
        save_loss_curves(result.metrics[name], out / name / "figures" / "loss.png")
    figure = save_compare_figure(result.panels, out / "compare.png", span=SPAN)
    atomic_write_json(out / "compare.json", result.document)
    for name in ("ae", "vae"):  # each run carries the comparison it belongs to
        atomic_write_json(out / name / "compare.json", result.document)
        atomic_write_bytes(out / name / "figures" / "compare.png", figure.read_bytes())
    margin = result.stories["vae"].prior_validity - result.stories["ae"].prior_validity
    if config.data.name not in ("mnist", "digits"):
        say(f"note: the judge is an MNIST digit classifier; its numbers say little about "
            f"{config.data.name}")
    wins = result.document["vae_wins"]
    say(f"wrote {out / 'compare.json'} and {figure}; the VAE wins {sum(wins.values())} of 4 "
        f"values (validity {margin:+.3f})")
    return 0

