"""vaekit compare: train an AE and a VAE with the same architecture and budget at each
latent size, then measure the quality of their samples from the prior and from a mixture
fitted to their codes (vaekit.experiments.compare; the rows and the verdict are
vaekit.analysis.compare)."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import add_config_flags, changed_keys, say

HELP = ("train an AE and a VAE alike at each latent size and score their prior and "
        "fitted-mixture samples (table, figure, JSON)")
COLUMNS = ("fd", "precision", "recall", "density", "coverage", "validity")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", metavar="DIR", default="runs/compare",
                   help="folder for the runs (ae-D/, vae-D/), compare.json and compare.png "
                        "(default runs/compare)")
    p.add_argument("--overwrite", action="store_true", help="replace existing runs in --out")
    p.add_argument("--latent-dims", type=int, nargs="+", default=[2, 16], metavar="D",
                   help="latent sizes to compare at (default 2 16)")
    p.add_argument("--n-samples", type=int, default=10_000, metavar="N",
                   help="samples scored per model and sampler (default 10000)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    add_config_flags(p)


def _row(name: str, row: dict) -> str:
    cells = "".join(f"{'—':>11}" if row.get(c) is None else f"{row[c]:>11.3f}"
                    for c in COLUMNS)
    return f"  {name:<18}{cells}"


def run(args: argparse.Namespace) -> int:
    import shutil

    from vaekit.cli.common import config_from_args, err
    from vaekit.errors import ConfigError, VaekitError
    from vaekit.experiments.compare import (
        check_compare_config,
        compare_ae_vae,
        compare_config,
        run_name,
    )
    from vaekit.fileio import atomic_write_bytes, atomic_write_json
    from vaekit.viz.curves import save_loss_curves
    from vaekit.viz.latent import save_compare_figure

    if "model.latent_dim" in changed_keys(args):
        raise ConfigError("compare sets the latent size itself: use --latent-dims D [D ...]")
    if not 10 <= args.n_samples <= 100_000:
        raise ConfigError(f"--n-samples must be in 10..100000, got {args.n_samples}")
    config = config_from_args(args, base=compare_config())
    dims = tuple(args.latent_dims)
    check_compare_config(config, dims)  # before any run directory is replaced
    out = Path(args.out)
    names = [run_name(model, d) for d in dims for model in ("ae", "vae")]
    for name in names:
        if (out / name / "config.json").exists():
            if not args.overwrite:
                raise VaekitError(f"{out / name} already holds a run; use --overwrite")
            shutil.rmtree(out / name)
    result = compare_ae_vae(config, out, latent_dims=dims, n=args.n_samples,
                            progress=not args.quiet, report=err)
    for name in names:
        save_loss_curves(result.metrics[name], out / name / "figures" / "loss.png")
    figure = save_compare_figure(result.panels, out / "compare.png")
    doc = result.document
    atomic_write_json(out / "compare.json", doc)
    for name in names:  # each run carries the comparison it belongs to
        atomic_write_json(out / name / "compare.json", doc)
        atomic_write_bytes(out / name / "figures" / "compare.png", figure.read_bytes())
    protocol = doc["protocol"]
    say(f"{protocol['n']} samples per row against {protocol['test_images']} test images in "
        f"{protocol['features']} features (k = {protocol['k']}); lower fd is better, "
        "higher the others")
    say(f"  {'':<18}" + "".join(f"{c:>11}" for c in COLUMNS))
    for name, row in doc["reference"].items():
        say(_row(f"reference {name}", row))
    for name, entry in doc["models"].items():
        for sampler in ("prior", "gmm"):
            say(_row(f"{name.upper()} {sampler}", entry[sampler]))
    for d, answers in doc["verdict"].items():
        said = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in answers.items())
        say(f"latent {d}: {said}")
    if protocol["note"]:
        say(f"note: {protocol['note']}")
    say(f"wrote {out / 'compare.json'} and {figure}")
    return 0
