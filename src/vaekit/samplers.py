"""Where generated examples start: latents from the prior, or from a density fitted to the
codes the encoder actually uses (the prior-hole fix of Ghosh et al. 2020; see
vaekit.analysis.latent_density).

`sample_latents(run, n, sampler=...)` is what `vaekit sample`, `vaekit evaluate
--sample-quality`, the web explorer and the Python API draw from:

- "prior": z ~ p(z) (N(0, I)), its spread scaled by the temperature;
- "gmm": z ~ a Gaussian mixture fitted to the training set's posterior means, each
  component's spread scaled by the temperature. The mixture is fitted on first use (K by
  the lowest BIC) and kept in the run directory as latent_density.safetensors (plain
  tensors, no pickle); it is fitted again when the weights have changed since.

A conditional run also needs the classes to draw: `sample_labels(run, n, label=...)`.
(In a conditional VAE z carries what the label does not, so z is drawn as above whatever
the label; the mixture is fitted to the codes of the training images with their labels.)
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from vaekit.analysis.latent import encode_means
from vaekit.analysis.latent_density import LatentDensity, fit_latent_density
from vaekit.checkpoint import Run, load_tensors, save_tensors
from vaekit.data.prepare import load_split
from vaekit.errors import CheckpointError, ConfigError

SAMPLERS = ("prior", "gmm")
DENSITY_FILE = "latent_density.safetensors"


def latent_density(run: Run, *, report: Callable[[str], None] | None = None) -> LatentDensity:
    """The run's fitted mixture: read from the run directory when it was fitted to these
    weights, else fitted to the training split's posterior means and saved."""
    path = run.path / DENSITY_FILE
    stored = load_tensors(path)
    if stored is not None and stored[1].get("step") == str(run.step):
        try:
            return LatentDensity.from_tensors(stored[0])
        except ValueError as exc:
            raise CheckpointError(f"{path}: {exc}") from None
    if report is not None:
        report("fitting a Gaussian mixture to the training set's posterior means "
               f"(once; kept in {path})")
    train = load_split(run.config, "train")
    codes, _ = encode_means(run.model, train.x,
                            labels=train.y if run.model.classes is not None else None)
    fit = fit_latent_density(codes)
    save_tensors(path, fit.density.to_tensors(), {
        "step": str(run.step), "codes": str(fit.codes),
        "components": str(fit.density.components),
        "rule": "lowest BIC over K in 1, 2, 4, 8, 16, 32 (full covariances)"})
    return fit.density


def sample_latents(run: Run, n: int, *, sampler: str = "prior", temperature: float = 1.0,
                   seed: int = 0, report: Callable[[str], None] | None = None
                   ) -> torch.Tensor:
    """n latents (n, D) from the chosen sampler, seeded."""
    if sampler not in SAMPLERS:
        raise ConfigError(f"unknown sampler {sampler!r} (valid: {', '.join(SAMPLERS)})")
    generator = torch.Generator().manual_seed(seed)
    if sampler == "prior":
        return run.model.prior.sample(n, temperature=temperature, generator=generator)
    density = latent_density(run, report=report)
    return density.sample(n, temperature=temperature, generator=generator)


def sample_labels(run: Run, n: int, *, label: int | None = None) -> torch.Tensor | None:
    """The classes (n,) a conditional run's samples are drawn for: `label` for all of
    them, or else every class in turn (0, 1, ..., K - 1, 0, ...), so that a grid of K
    columns shows one class per column. None for an unconditional run, which takes no
    label (asking for one is a ConfigError)."""
    classes = run.model.classes
    if classes is None:
        if label is not None:
            raise ConfigError("--label is for conditional runs (train with --conditional); "
                              "this run is not")
        return None
    if label is None:
        return torch.arange(n) % classes
    if not 0 <= label < classes:
        raise ConfigError(f"--label must be a class of this run, 0..{classes - 1}; got {label}")
    return torch.full((n,), label, dtype=torch.long)
