"""vaekit sample: decode draws from the prior or a fitted mixture (image grid, MIDI files,
or sentences); a conditional run draws the classes asked for."""

from __future__ import annotations

import argparse

from vaekit.cli.common import add_sampler_argument, figures_dir, resolve_sampler, say

HELP = "decode draws from the prior: an image grid, MIDI files, or sentences"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    p.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--temperature", type=float, default=1.0,
                   help="scale of the prior's standard deviation (default 1.0)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_sampler_argument(p, note="; the temperature scales each component")
    p.add_argument("--label", type=int, metavar="K",
                   help="conditional runs: draw class K only (default: every class in turn, "
                        "one per column)")
    p.add_argument("--token-temperature", type=float, default=0.0,
                   help="sequence runs: 0 decodes greedily, > 0 samples tokens (default 0)")
    p.add_argument("--out", help="file to write (default RUN/figures/samples.png, or .txt for "
                   "text); a folder: samples.* inside it. Melodies: MIDI files go to a folder "
                   "named after the figure")


def run(args: argparse.Namespace) -> int:
    from vaekit.analysis.latent import decode_latents
    from vaekit.cli._runs import load_run
    from vaekit.errors import ConfigError
    from vaekit.kinds import kind_of, output_path
    from vaekit.samplers import sample_labels, sample_latents

    if not 1 <= args.n <= 10_000:
        raise ConfigError(f"--n must be between 1 and 10000, got {args.n}")
    if not 0 < args.temperature <= 10:
        raise ConfigError(f"--temperature must be in (0, 10], got {args.temperature}")
    if not 0 <= args.token_temperature <= 10:
        raise ConfigError(f"--token-temperature must be in [0, 10], got {args.token_temperature}")
    run_ = load_run(args.run_dir)
    kind = kind_of(run_)
    labels = sample_labels(run_, args.n, label=args.label)  # None: not a conditional run
    resolve_sampler(args, run_)
    z = sample_latents(run_, args.n, sampler=args.sampler, temperature=args.temperature,
                       seed=args.seed, labels=labels, report=say)
    items = decode_latents(run_.model, z, token_temperature=args.token_temperature,
                           seed=args.seed, labels=labels)
    source = "prior" if args.sampler == "prior" else "fitted-mixture (gmm)"
    if labels is not None:
        source += f" class-{args.label}" if args.label is not None else " class-by-column"
    # every class in turn: one class per column
    columns = run_.model.classes if labels is not None and args.label is None else 8
    out = output_path(args.out, figures_dir(args.run_dir), "samples", kind.suffix)
    written = kind.write(items, out, columns=min(columns, 32),
                         title=f"{args.n} {source} samples (temperature {args.temperature})")
    for line in written.lines:
        say(line)
    say(f"wrote {written.describe()} ({args.n} {source} samples, temperature "
        f"{args.temperature})")
    return 0
