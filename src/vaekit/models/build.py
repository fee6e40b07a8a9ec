"""Registries name -> class, and build_vae(ModelConfig). Checkpoints store names, not code.

An architecture is a function `build_parts(cfg) -> (encoder, decoder)`; the dense one lives
here, the others in their own modules, imported only when used.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable

from torch import nn

from vaekit.config import ModelConfig
from vaekit.errors import ConfigError
from vaekit.models.decoders import DenseDecoder
from vaekit.models.encoders import DenseEncoder
from vaekit.models.likelihoods import (
    BernoulliLikelihood,
    CategoricalLikelihood,
    GaussianLikelihood,
)
from vaekit.models.priors import StandardNormalPrior
from vaekit.models.vae import VAE
from vaekit.nn.mlp import ACTIVATIONS

MAX_PARAMETERS = 2**30  # 4 GiB of float32 weights: refuse before allocating anything


def _dense_parameter_count(cfg: ModelConfig) -> int:
    widths = [math.prod(cfg.input_shape), *cfg.hidden]
    body = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    heads = 2 * (widths[-1] + 1) * cfg.latent_dim
    dec_widths = [cfg.latent_dim, *reversed(widths[1:]), widths[0]]
    decoder = sum((a + 1) * b for a, b in zip(dec_widths[:-1], dec_widths[1:]))
    return body + heads + decoder


def _dense_parts(cfg: ModelConfig) -> tuple[nn.Module, nn.Module]:
    """The seed's model: dense encoder with mean and log-sigma heads, mirrored decoder."""
    if _dense_parameter_count(cfg) > MAX_PARAMETERS:
        raise ConfigError(
            f"the configured model would have {_dense_parameter_count(cfg):,} parameters "
            f"(limit {MAX_PARAMETERS:,}); reduce model.hidden or model.latent_dim"
        )
    shape = tuple(cfg.input_shape)
    parts = {"hidden": tuple(cfg.hidden), "latent_dim": cfg.latent_dim,
             "activation": cfg.activation}
    return DenseEncoder(shape, **parts), DenseDecoder(shape, **parts)


# name -> builder, or "module" whose build_parts(cfg) is imported when first used
ARCHITECTURES: dict[str, Callable[[ModelConfig], tuple[nn.Module, nn.Module]] | str] = {
    "dense": _dense_parts,
    "conv": "vaekit.models.conv",
    "lstm": "vaekit.models.sequence",
}
LIKELIHOODS: dict[str, type[nn.Module]] = {
    "gaussian": GaussianLikelihood,
    "bernoulli": BernoulliLikelihood,
    "categorical": CategoricalLikelihood,
}


def _choose(kind: str, name: str, registry: dict) -> object:
    if name not in registry:
        raise ConfigError(f"unknown {kind} {name!r} (valid: {', '.join(sorted(registry))})")
    return registry[name]


def _builder(name: str) -> Callable[[ModelConfig], tuple[nn.Module, nn.Module]]:
    builder = _choose("model architecture", name, ARCHITECTURES)
    if isinstance(builder, str):
        builder = importlib.import_module(builder).build_parts
    return builder


def build_vae(cfg: ModelConfig) -> VAE:
    """A fresh, randomly initialised VAE (or AE) for `cfg`; `cfg.input_shape` must be set."""
    if cfg.input_shape is None:
        raise ConfigError("model.input_shape is not set (it comes from the data at training)")
    likelihood_cls = _choose("likelihood", cfg.likelihood, LIKELIHOODS)
    _choose("activation", cfg.activation, ACTIVATIONS)
    if (cfg.likelihood == "categorical") != (cfg.arch == "lstm"):
        raise ConfigError("model.likelihood=categorical goes with model.arch=lstm (sequences)")
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
    )
    vae.config = cfg  # the config it was built from travels with the model
    return vae
