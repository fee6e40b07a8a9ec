"""AE versus VAE, measured: train both with the same architecture, data and budget at each
latent size, then score samples from the prior and from a mixture fitted to the training
codes (vaekit.analysis.compare defines the rows and the verdict) against one set of
reference rows, and collect the panels of the comparison figure. Runs are written by the
trainer (and each run keeps its fitted mixture); nothing else is written here.

The default protocol: MNIST, the seed's dense model (one hidden layer of 400), Bernoulli
likelihood, 5 epochs, batch 128, seed 0; latent sizes 2 (the textbook picture, drawable
without projection) and 16 (a size that reconstructs well); N = 10,000 samples per model
and sampler against the 10,000 test images in the judge's features. About 6 minutes on
one CPU thread of a shared 2-core machine.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from vaekit.analysis.compare import SamplerRow, verdict
from vaekit.analysis.latent import decode_latents, encode_means, pca
from vaekit.checkpoint import Run, load_run
from vaekit.config import RunConfig, config_from_dict, config_to_dict
from vaekit.data.prepare import prepare
from vaekit.data.registry import load_dataset
from vaekit.errors import ConfigError
from vaekit.experiments.sample_quality import quality_reference, score_run
from vaekit.samplers import SAMPLERS, latent_densities, sample_labels
from vaekit.training.trainer import train
from vaekit.viz.images import grid
from vaekit.viz.latent import ModelPanel

# The comparison's starting point (any config setting overrides it): the seed's dense
# model with the Bernoulli likelihood of pytorch/examples, 5 epochs.
COMPARE_BASE = {"model": {"likelihood": "bernoulli"}, "train": {"epochs": 5}}
COMPARE_LATENTS = (2, 16)
MODELS = (("ae", True), ("vae", False))
SHOWN = 64  # decoded samples per picture
MAP_CODES = 5000  # test codes drawn on the map
UNITS = {
    "fd": "Fréchet distance in the judge's features (squared feature units), lower is better",
    "precision, recall, density, coverage, validity": "fractions (density: mean count / k), "
                                                       "higher is better",
}


def compare_config(overrides: dict[str, Any] | None = None) -> RunConfig:
    """COMPARE_BASE with `overrides` (nested dicts) on top."""
    return config_from_dict(overrides or {}, base=config_from_dict(COMPARE_BASE))


def run_name(model: str, latent_dim: int) -> str:
    return f"{model}-{latent_dim}"


def check_compare_config(config: RunConfig, latent_dims: tuple[int, ...]) -> None:
    """ConfigError (one line) for settings a comparison cannot use; call before anything
    is written or removed."""
    if config.model.autoencoder:
        raise ConfigError("compare trains both an AE and a VAE; drop --autoencoder")
    if config.model.arch == "lstm":
        raise ConfigError("compare measures image models")
    if not latent_dims or any(not 2 <= d <= 4096 for d in latent_dims):
        raise ConfigError(f"--latent-dims must be sizes of 2 or more, got {list(latent_dims)}")
    if len(set(latent_dims)) != len(latent_dims):
        raise ConfigError(f"--latent-dims lists a size twice: {list(latent_dims)}")


@dataclass
class Comparison:
    """The runs' rows, the JSON document and the panels of the figure."""

    document: dict[str, Any]  # compare.json
    rows: list[SamplerRow] = field(default_factory=list)
    panels: list[ModelPanel] = field(default_factory=list)
    metrics: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per run


def _panel(name: str, run: Run, codes: torch.Tensor, labels, samples: dict[str, torch.Tensor],
           rows: list[SamplerRow]) -> ModelPanel:
    """Test codes (PCA beyond 2-D) and the first SHOWN samples of each sampler."""
    if codes.shape[1] == 2:
        points, axes, centre = codes, ("z1", "z2"), (0.0, 0.0)
    else:
        fit = pca(codes, 2)
        points, centre = fit.projected, tuple((-fit.mean @ fit.components.T).tolist())
        axes = tuple(f"PC{i + 1} of {codes.shape[1]}-D codes ({100 * float(v):.0f}%)"
                     for i, v in enumerate(fit.explained))
    pictures = []
    for row in rows:
        z = samples[row.sampler][:SHOWN]
        images = decode_latents(run.model, z, labels=sample_labels(run, z.shape[0]))
        validity = "" if row.quality.validity is None else f", validity {row.quality.validity:.2f}"
        title = "z ~ N(0, I)" if row.sampler == "prior" else "z ~ mixture fitted to codes"
        pictures.append((f"{title}: FD {row.quality.fd:.3g}{validity}",
                         grid(images.numpy(), nrow=8, pad=1)))
    return ModelPanel(name=name, points=points.numpy(), labels=labels, pictures=pictures,
                      axis_labels=axes, prior_center=centre)


def compare_ae_vae(
    config: RunConfig, out: Path, *, latent_dims: tuple[int, ...] = COMPARE_LATENTS,
    n: int = 10_000, progress: bool = False, report: Callable[[str], None] | None = None,
) -> Comparison:
    """Train an AE and a VAE (out/ae-D, out/vae-D) from `config` at each latent size D, the
    same but for the KL term, and score each with each sampler on the same N and
    reference rows. `report(text)` hears each stage and each model's numbers."""
    check_compare_config(config, latent_dims)
    say = report or (lambda _text: None)
    seed = config.train.seed
    dataset = load_dataset(config.data.name, config=config.data)
    reference = quality_reference(config, n=n, seed=seed, dataset=dataset, report=say)
    test = prepare(config, dataset)[1].test.head(MAP_CODES)
    result = Comparison(document={
        "data": config.data.name, "config": config_to_dict(config),
        "protocol": {"latent_dims": list(latent_dims), "models": [m for m, _ in MODELS],
                     "samplers": list(SAMPLERS), "n": reference.n, "seed": seed,
                     "features": reference.space.name, "k": reference.k,
                     "test_images": int(reference.test_features.shape[0]),
                     "note": reference.space.note},
        "units": UNITS,
        "reference": {name: row.to_dict() for name, row in reference.rows.items()},
        "models": {}, "verdict": {}})
    for d in latent_dims:
        rows_d = []
        for name, autoencoder in MODELS:
            cfg = dataclasses.replace(config, model=dataclasses.replace(
                config.model, latent_dim=d, autoencoder=autoencoder))
            started = time.perf_counter()
            say(f"training {name.upper()} with a {d}-D latent -> {out / run_name(name, d)}")
            trained = train(cfg, out / run_name(name, d), dataset=dataset, progress=progress)
            seconds = time.perf_counter() - started
            run = load_run(out / run_name(name, d))
            own = test.y if run.model.classes is not None else None
            codes, _ = encode_means(run.model, test.x, labels=own)
            rows, samples = [], {}
            for sampler in SAMPLERS:
                quality, z = score_run(run, reference, sampler=sampler, seed=seed, report=say)
                samples[sampler] = z
                rows.append(SamplerRow(model=name, latent_dim=d, sampler=sampler,
                                       quality=quality.samples))
            result.rows += rows
            rows_d += rows
            result.metrics[run_name(name, d)] = trained.metrics
            result.document["models"][run_name(name, d)] = {
                "model": name, "latent_dim": d, "train_seconds": round(seconds, 1),
                "test": trained.metrics[-1]["test"],
                "gmm_components": [d.components for d in latent_densities(run).values()],
                **{row.sampler: row.to_dict() for row in rows}}
            result.panels.append(_panel(f"{name.upper()}, {d}-D", run, codes,
                                        None if test.y is None else test.y.numpy(), samples,
                                        rows))
            say(f"{name.upper()} {d}-D: " + "; ".join(
                f"{row.sampler} FD {row.quality.fd:.1f}, precision {row.quality.precision:.3f}"
                f", recall {row.quality.recall:.3f}"
                + ("" if row.quality.validity is None else
                   f", validity {row.quality.validity:.3f}") for row in rows)
                + f" (trained in {seconds:.0f} s)")
        result.document["verdict"][str(d)] = verdict(rows_d)
    return result
