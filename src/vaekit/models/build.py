"""Registries name -> class, and build_vae(ModelConfig). Checkpoints store names, not code.

Model files are named by family: an architecture is a module (`dense`, `conv`, `lstm`)
whose `build_parts(cfg) -> (encoder, decoder)` is imported only when used. The parts every
family shares are named by role: `likelihoods`, `priors`, `vae`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from torch import nn

from vaekit.config import ModelConfig
from vaekit.errors import ConfigError
from vaekit.models.likelihoods import (
    BernoulliLikelihood,
    CategoricalLikelihood,
    ContinuousBernoulliLikelihood,
    GaussianLikelihood,
    LearnedGaussianLikelihood,
    OptimalGaussianLikelihood,
)
from vaekit.models.priors import StandardNormalPrior
from vaekit.models.vae import VAE
from vaekit.nn.mlp import ACTIVATIONS

# name -> the module whose build_parts(cfg) builds (encoder, decoder), imported when used
ARCHITECTURES: dict[str, str] = {
    "dense": "vaekit.models.dense",
    "conv": "vaekit.models.conv",
    "lstm": "vaekit.models.lstm",
}
LIKELIHOODS: dict[str, type[nn.Module]] = {
    "gaussian": GaussianLikelihood,
    "gaussian_learned": LearnedGaussianLikelihood,
    "gaussian_optimal": OptimalGaussianLikelihood,
    "bernoulli": BernoulliLikelihood,
    "continuous_bernoulli": ContinuousBernoulliLikelihood,
    "categorical": CategoricalLikelihood,
}


def _choose(kind: str, name: str, registry: dict) -> object:
    if name not in registry:
        raise ConfigError(f"unknown {kind} {name!r} (valid: {', '.join(sorted(registry))})")
    return registry[name]


def _builder(name: str) -> Callable[[ModelConfig], tuple[nn.Module, nn.Module]]:
    module = _choose("model architecture", name, ARCHITECTURES)
    return importlib.import_module(module).build_parts


def build_vae(cfg: ModelConfig) -> VAE:
    """A fresh, randomly initialised VAE (or AE) for `cfg`; `cfg.input_shape` must be set."""
    if cfg.input_shape is None:
        raise ConfigError("model.input_shape is not set (it comes from the data at training)")
    likelihood_cls = _choose("likelihood", cfg.likelihood, LIKELIHOODS)
    _choose("activation", cfg.activation, ACTIVATIONS)
    if (cfg.likelihood == "categorical") != (cfg.arch == "lstm"):
        raise ConfigError("model.likelihood=categorical goes with model.arch=lstm (sequences)")
    if cfg.conditional and cfg.classes is None:
        raise ConfigError("model.classes is not set (it comes from the data at training)")
    encoder, decoder = _builder(cfg.arch)(cfg)
    likelihood = (likelihood_cls(cfg.pad_token) if cfg.likelihood == "categorical"
                  else likelihood_cls())
    vae = VAE(
        encoder,
        decoder,
        likelihood,
        StandardNormalPrior(cfg.latent_dim),
        autoencoder=cfg.autoencoder,
        log_std_range=(cfg.log_std_min, cfg.log_std_max),
        classes=cfg.classes if cfg.conditional else None,
    )
    vae.config = cfg  # the config it was built from travels with the model
    return vae
