"""Registries name -> class, and build_vae(ModelConfig). Checkpoints store names, not code."""

from __future__ import annotations

import math

from torch import nn

from vaekit.config import ModelConfig
from vaekit.errors import ConfigError
from vaekit.models.decoders import DenseDecoder
from vaekit.models.encoders import DenseEncoder
from vaekit.models.likelihoods import BernoulliLikelihood, GaussianLikelihood
from vaekit.models.priors import StandardNormalPrior
from vaekit.models.vae import VAE
from vaekit.nn.mlp import ACTIVATIONS

ARCHITECTURES: dict[str, tuple[type[nn.Module], type[nn.Module]]] = {
    "dense": (DenseEncoder, DenseDecoder),
}
LIKELIHOODS: dict[str, type[nn.Module]] = {
    "gaussian": GaussianLikelihood,
    "bernoulli": BernoulliLikelihood,
}


def _choose(kind: str, name: str, registry: dict) -> object:
    if name not in registry:
        raise ConfigError(f"unknown {kind} {name!r} (valid: {', '.join(sorted(registry))})")
    return registry[name]


MAX_PARAMETERS = 2**30  # 4 GiB of float32 weights: refuse before allocating anything


def _dense_parameter_count(cfg: ModelConfig) -> int:
    widths = [math.prod(cfg.input_shape), *cfg.hidden]
    body = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    heads = 2 * (widths[-1] + 1) * cfg.latent_dim
    dec_widths = [cfg.latent_dim, *reversed(widths[1:]), widths[0]]
    decoder = sum((a + 1) * b for a, b in zip(dec_widths[:-1], dec_widths[1:]))
    return body + heads + decoder


def build_vae(cfg: ModelConfig) -> VAE:
    """A fresh, randomly initialised VAE (or AE) for `cfg`; `cfg.input_shape` must be set."""
    if cfg.input_shape is None:
        raise ConfigError("model.input_shape is not set (it comes from the data at training)")
    encoder_cls, decoder_cls = _choose("model architecture", cfg.arch, ARCHITECTURES)
    likelihood_cls = _choose("likelihood", cfg.likelihood, LIKELIHOODS)
    _choose("activation", cfg.activation, ACTIVATIONS)
    if cfg.arch == "dense" and _dense_parameter_count(cfg) > MAX_PARAMETERS:
        raise ConfigError(
            f"the configured model would have {_dense_parameter_count(cfg):,} parameters "
            f"(limit {MAX_PARAMETERS:,}); reduce model.hidden or model.latent_dim"
        )
    shape = tuple(cfg.input_shape)
    parts = {
        "hidden": tuple(cfg.hidden), "latent_dim": cfg.latent_dim, "activation": cfg.activation
    }
    vae = VAE(
        encoder_cls(shape, **parts),
        decoder_cls(shape, **parts),
        likelihood_cls(),
        StandardNormalPrior(cfg.latent_dim),
        autoencoder=cfg.autoencoder,
        log_std_range=(cfg.log_std_min, cfg.log_std_max),
    )
    vae.config = cfg  # the config it was built from travels with the model
    return vae
