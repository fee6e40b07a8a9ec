"""AE versus VAE: train both with the same architecture, data and budget, then measure what
the KL term buys (vaekit.analysis.compare defines the numbers) and collect the panels of
the comparison figure. Runs are written by the trainer; nothing else is written here."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from vaekit.analysis.compare import LatentStory, measure_latent_story, random_pairs, vae_wins
from vaekit.analysis.judge import judge_metadata, load_judge
from vaekit.analysis.latent import decode_latents, encode_means, latent_grid, lerp, pca
from vaekit.config import RunConfig, config_from_dict, config_to_dict
from vaekit.data.prepare import prepare
from vaekit.data.registry import load_dataset
from vaekit.errors import ConfigError
from vaekit.models.vae import VAE
from vaekit.training.trainer import train
from vaekit.viz.images import grid
from vaekit.viz.latent import ModelPanel

# The comparison's own starting point: the seed's dense model with a 2-D latent (drawable
# without projection), hidden 512, Bernoulli likelihood. Any config setting overrides it.
COMPARE_BASE = {"model": {"latent_dim": 2, "hidden": [512], "likelihood": "bernoulli"},
                "train": {"epochs": 5}}
SPAN = 3.0  # the decoded grid covers [-SPAN, SPAN]^2: the prior's 3 sigma box
UNITS = {
    "prior_validity": "fraction of N(0, I) decodings judged a digit with p >= 0.9",
    "latent_gap": "mean distance, latent units, prior sample -> nearest test code",
    "interpolation_max_step": "largest mean |pixel change| in one step, [0, 1]",
    "interpolation_confidence_dip": "judge's p(class of either end) lost below its value "
                                    "at the weaker end, [0, 1]",
}


def compare_config(overrides: dict[str, Any] | None = None) -> RunConfig:
    """COMPARE_BASE with `overrides` (nested dicts) on top."""
    return config_from_dict(overrides or {}, base=config_from_dict(COMPARE_BASE))


def check_compare_config(config: RunConfig) -> None:
    """ConfigError (one line) for settings a comparison cannot use; call before anything
    is written or removed."""
    if config.model.autoencoder:
        raise ConfigError("compare trains both an AE and a VAE; drop --autoencoder")
    if config.model.latent_dim < 2 or config.model.arch == "lstm":
        raise ConfigError("compare needs an image model with a latent of 2 or more dimensions")


@dataclass
class Comparison:
    """The two runs, their numbers, and the panels of the figure."""

    document: dict[str, Any]  # compare.json
    stories: dict[str, LatentStory]
    panels: list[ModelPanel] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per run, per epoch


def _panel(name: str, model: VAE, test_x: torch.Tensor, labels, z_samples: torch.Tensor,
           pairs: list[list[int]], story: LatentStory) -> ModelPanel:
    codes, _ = encode_means(model, test_x)
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
        name=name, points=points.numpy(), labels=labels,
        manifold=grid(decode_latents(model, z_grid).numpy(), nrow=15, pad=1),
        samples=grid(decode_latents(model, z_samples).numpy(), nrow=8, pad=1),
        interpolation=grid(decode_latents(model, paths).numpy(), nrow=10, pad=1),
        numbers=numbers, axis_labels=axes, prior_center=centre, grid_axes=plane,
    )


def compare_ae_vae(config: RunConfig, out: Path, *, samples: int = 2000, pairs: int = 100,
                   judge_path: str | Path | None = None, progress: bool = False,
                   report=None) -> Comparison:
    """Train an AE (out/ae) and a VAE (out/vae) from `config`, the same but for the KL
    term, and measure both on the same prior draws and test pairs. `report(text)` is told
    each model's numbers as they come."""
    check_compare_config(config)
    judge = load_judge(judge_path)
    dataset = load_dataset(config.data.name, config=config.data)
    test = prepare(config, dataset)[1].test
    gen = torch.Generator().manual_seed(config.train.seed)
    z_samples = torch.randn(64, config.model.latent_dim, generator=gen)
    shown_pairs = random_pairs(len(test), 6, generator=gen).tolist()
    labels = None if test.y is None else test.y.numpy()
    result = Comparison(document={"data": config.data.name, "config": config_to_dict(config),
                                  "judge": judge_metadata(judge_path), "units": UNITS,
                                  "models": {}}, stories={})
    for name, autoencoder in (("ae", True), ("vae", False)):
        cfg = dataclasses.replace(config, model=dataclasses.replace(config.model,
                                                                    autoencoder=autoencoder))
        started = time.perf_counter()
        trained = train(cfg, out / name, dataset=dataset, progress=progress)
        result.seconds[name] = time.perf_counter() - started
        result.metrics[name] = trained.metrics
        story = measure_latent_story(trained.model, judge, test.x, prior_samples=samples,
                                     pairs=pairs, seed=config.train.seed)
        result.stories[name] = story
        result.document["models"][name] = {**story.to_dict(),
                                           "train_seconds": round(result.seconds[name], 1),
                                           "test": trained.metrics[-1]["test"]}
        result.panels.append(_panel(name.upper(), trained.model, test.x, labels, z_samples,
                                    shown_pairs, story))
        if report is not None:
            report(f"{name.upper()}: prior-sample validity {story.prior_validity:.3f}, latent "
                   f"gap {story.latent_gap:.3f}, largest interpolation step "
                   f"{story.interpolation_max_step:.4f}, confidence dip "
                   f"{story.interpolation_confidence_dip:.3f} (trained in "
                   f"{result.seconds[name]:.0f} s)")
    result.document["vae_wins"] = vae_wins(result.stories["ae"], result.stories["vae"])
    return result
