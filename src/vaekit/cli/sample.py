"""vaekit sample: decode draws z ~ N(0, T^2 I) into an image grid."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import figures_dir, say

HELP = "decode draws from the prior into an image grid"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    p.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--temperature", type=float, default=1.0,
                   help="scale of the prior's standard deviation (default 1.0)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--token-temperature", type=float, default=0.0,
                   help="sequence runs: 0 decodes greedily, > 0 samples tokens (default 0)")
    p.add_argument("--out", help="PNG path (default RUN/figures/samples.png)")


def run(args: argparse.Namespace) -> int:
    from vaekit.analysis.sampling import prior_samples
    from vaekit.cli._runs import load_run
    from vaekit.errors import ConfigError
    from vaekit.viz.images import save_grid

    if not 1 <= args.n <= 10_000:
        raise ConfigError(f"--n must be between 1 and 10000, got {args.n}")
    if not 0 < args.temperature <= 10:
        raise ConfigError(f"--temperature must be in (0, 10], got {args.temperature}")
    run_ = load_run(args.run_dir)
    if run_.config.model.arch == "lstm":  # melodies -> MIDI files + piano roll; text -> lines
        from vaekit.cli import _sequence

        _sequence.sample(run_, args)
        return 0
    images = prior_samples(run_.model, args.n, temperature=args.temperature, seed=args.seed)
    out = Path(args.out) if args.out else figures_dir(args.run_dir) / "samples.png"
    save_grid(images.numpy(), out, nrow=min(8, args.n))
    say(f"wrote {out} ({args.n} prior samples, temperature {args.temperature})")
    return 0
