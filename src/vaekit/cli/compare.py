"""vaekit compare: train an AE and a VAE with the same architecture and budget, then measure
and draw what the KL term buys (vaekit.analysis.compare explains the numbers)."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import add_config_flags, say

HELP = "train an AE and a VAE alike and compare their latent spaces (figure + JSON)"
# The comparison's own starting point: the seed's dense model with a 2-D latent (drawable
# without projection), hidden 512, Bernoulli likelihood. Any config flag overrides it.
COMPARE_BASE = {"model": {"latent_dim": 2, "hidden": [512], "likelihood": "bernoulli"},
                "train": {"epochs": 5}}
SPAN = 3.0  # the decoded grid covers [-SPAN, SPAN]^2: the prior's 3 sigma box


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


def _panel(name, model, test, z_samples, pairs, story):
    import torch

    from vaekit.analysis.latent import decode_latents, encode_means, latent_grid, lerp, pca
    from vaekit.viz.images import grid
    from vaekit.viz.latent import ModelPanel

    codes, _ = encode_means(model, test.x)
    d = codes.shape[1]
    z_grid = latent_grid(15, SPAN)
    z_grid = torch.cat([z_grid, z_grid.new_zeros(len(z_grid), d - 2)], 1)  # others at 0
    if d == 2:
        points, axes, centre, plane = codes, ("z1", "z2"), (0.0, 0.0), "z1, z2"
    else:
        fit = pca(codes, 2)
        points, centre = fit.projected, tuple((-fit.mean @ fit.components.T).tolist())
        axes = tuple(f"PC{i + 1} of {d}-D codes ({100 * float(v):.0f}%)"
                     for i, v in enumerate(fit.explained))
        plane = f"z1, z2 (z3..z{d} = 0)"
    paths = torch.cat([lerp(codes[i], codes[j], 10) for i, j in pairs])
    numbers = {"validity": story.prior_validity, "gap": story.latent_gap,
               "max step": story.interpolation_max_step,
               "conf. dip": story.interpolation_confidence_dip}
    return ModelPanel(
        name=name, points=points.numpy(), labels=None if test.y is None else test.y.numpy(),
        manifold=grid(decode_latents(model, z_grid).numpy(), nrow=15, pad=1),
        samples=grid(decode_latents(model, z_samples).numpy(), nrow=8, pad=1),
        interpolation=grid(decode_latents(model, paths).numpy(), nrow=10, pad=1),
        numbers=numbers, axis_labels=axes, prior_center=centre, grid_axes=plane,
    )


def run(args: argparse.Namespace) -> int:
    import dataclasses
    import shutil
    import time

    import torch

    from vaekit.analysis.compare import measure_latent_story, random_pairs, vae_wins
    from vaekit.analysis.judge import judge_metadata, load_judge
    from vaekit.cli.common import config_from_args
    from vaekit.config import config_from_dict, config_to_dict
    from vaekit.data.registry import load_dataset
    from vaekit.errors import ConfigError, VaekitError
    from vaekit.fileio import atomic_write_bytes, atomic_write_json
    from vaekit.training.trainer import prepare_data, train
    from vaekit.viz.curves import save_loss_curves
    from vaekit.viz.latent import save_compare_figure

    if not 10 <= args.samples <= 100_000 or not 2 <= args.pairs <= 10_000:
        raise ConfigError("--samples must be in 10..100000 and --pairs in 2..10000")
    config = config_from_args(args, base=config_from_dict(COMPARE_BASE))
    if config.model.autoencoder:
        raise ConfigError("compare trains both an AE and a VAE; drop --autoencoder")
    if config.model.latent_dim < 2 or config.model.arch == "lstm":
        raise ConfigError("compare needs an image model with a latent of 2 or more dimensions")
    out = Path(args.out)
    if args.judge and not Path(args.judge).is_file():
        raise ConfigError(f"judge weights not found: {args.judge}")
    for name in ("ae", "vae"):
        if (out / name / "config.json").exists():
            if not args.overwrite:
                raise VaekitError(f"{out / name} already holds a run; use --overwrite")
            shutil.rmtree(out / name)
    judge = load_judge(args.judge)
    dataset = load_dataset(config.data.name, config=config.data)
    _, test = prepare_data(config, dataset)
    gen = torch.Generator().manual_seed(config.train.seed)
    z_samples = torch.randn(64, config.model.latent_dim, generator=gen)
    pairs = random_pairs(len(test), 6, generator=gen).tolist()
    doc = {"data": config.data.name, "config": config_to_dict(config),
           "judge": judge_metadata(args.judge), "units": {
               "prior_validity": "fraction of N(0, I) decodings judged a digit with p >= 0.9",
               "latent_gap": "mean distance, latent units, prior sample -> nearest test code",
               "interpolation_max_step": "largest mean |pixel change| in one step, [0, 1]",
               "interpolation_confidence_dip": "judge's p(class of either end) lost below "
                                               "its value at the weaker end, [0, 1]"},
           "models": {}}
    panels, stories = [], {}
    for name, autoencoder in (("ae", True), ("vae", False)):
        cfg = dataclasses.replace(config, model=dataclasses.replace(config.model,
                                                                    autoencoder=autoencoder))
        started = time.perf_counter()
        result = train(cfg, out / name, dataset=dataset, progress=not args.quiet)
        seconds = time.perf_counter() - started
        save_loss_curves(result.metrics, out / name / "figures" / "loss.png")
        story = measure_latent_story(result.model, judge, test.x, prior_samples=args.samples,
                                     pairs=args.pairs, seed=config.train.seed)
        stories[name] = story
        doc["models"][name] = {**story.to_dict(), "train_seconds": round(seconds, 1),
                               "test": result.metrics[-1]["test"]}
        panels.append(_panel(name.upper(), result.model, test, z_samples, pairs, story))
        say(f"{name.upper()}: prior-sample validity {story.prior_validity:.3f}, latent gap "
            f"{story.latent_gap:.3f}, largest interpolation step "
            f"{story.interpolation_max_step:.4f}, confidence dip "
            f"{story.interpolation_confidence_dip:.3f} (trained in {seconds:.0f} s)")
    doc["vae_wins"] = vae_wins(stories["ae"], stories["vae"])
    figure = save_compare_figure(panels, out / "compare.png", span=SPAN)
    atomic_write_json(out / "compare.json", doc)
    for name in ("ae", "vae"):  # each run carries the comparison it belongs to
        atomic_write_json(out / name / "compare.json", doc)
        atomic_write_bytes(out / name / "figures" / "compare.png", figure.read_bytes())
    margin = stories["vae"].prior_validity - stories["ae"].prior_validity
    if config.data.name not in ("mnist", "digits"):
        say(f"note: the judge is an MNIST digit classifier; its numbers say little about "
            f"{config.data.name}")
    say(f"wrote {out / 'compare.json'} and {figure}; the VAE wins "
        f"{sum(doc['vae_wins'].values())} of 4 values (validity {margin:+.3f})")
    return 0
