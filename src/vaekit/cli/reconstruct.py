"""vaekit reconstruct: inputs next to the decodings of their posterior means."""

from __future__ import annotations

import argparse

from vaekit.cli.common import figures_dir, say

HELP = "inputs next to their reconstructions"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    p.add_argument("--n", type=int, default=16, help="number of examples (default 16)")
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--out", help="file to write (default RUN/figures/reconstructions.png, or "
                   ".txt for text); a folder: reconstructions.* inside it")


def run(args: argparse.Namespace) -> int:
    import torch

    from vaekit.analysis.sampling import reconstructions
    from vaekit.cli._runs import load_run, split_of
    from vaekit.errors import ConfigError
    from vaekit.kinds import kind_of, output_path

    if not 1 <= args.n <= 1000:
        raise ConfigError(f"--n must be between 1 and 1000, got {args.n}")
    run_ = load_run(args.run_dir)
    kind = kind_of(run_)
    x = split_of(run_, args.split).x[: args.n]
    x_hat = reconstructions(run_.model, x)
    per_row = min(8, len(x))
    rows, labels = [], []
    for i in range(0, len(x), per_row):  # a row of inputs, then their reconstructions
        j = min(i + per_row, len(x))
        rows += [x[i:j], x_hat[i:j]]
        labels += [f"input {k}" for k in range(i, j)] + [f"decoded {k}" for k in range(i, j)]
    out = output_path(args.out, figures_dir(args.run_dir), "reconstructions", kind.suffix)
    written = kind.write(torch.cat(rows), out, columns=per_row, labels=labels,
                         title="inputs and the decodings of their posterior means")
    for line in written.lines:
        say(line)
    say(f"wrote {written.describe()} ({len(x)} {args.split} examples; rows alternate input / "
        f"reconstruction; {kind.difference(x, x_hat)})")
    return 0
