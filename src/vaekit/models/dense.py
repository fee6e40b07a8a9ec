"""The dense image VAE's parts -- the seed's model: flatten -> dense hidden layer(s) -> two
dense heads of `latent_dim` units (mean and log standard deviation); the decoder mirrors
the hidden layers and reshapes to the input's shape. Outputs are unconstrained; the
likelihood maps them (logits, or sigmoid means)."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from vaekit.config import MAX_PARAMETERS, ModelConfig
from vaekit.errors import ConfigError
from vaekit.nn.mlp import mlp


class DenseEncoder(nn.Module):
    """The seed's encoder: flatten -> dense hidden layer(s) -> two dense heads of
    `latent_dim` units, the mean and the log standard deviation. A conditional encoder
    (classes > 0) reads the one-hot label beside the pixels (Sohn et al. 2015)."""

    def __init__(
        self,
        input_shape: tuple[int, ...],
        *,
        hidden: tuple[int, ...],
        latent_dim: int,
        activation: str = "relu",
        classes: int = 0,
    ) -> None:
        super().__init__()
        n_in = math.prod(input_shape) + classes
        self.body = mlp([n_in, *hidden], act=activation)
        width = hidden[-1] if hidden else n_in
        self.mean = nn.Linear(width, latent_dim)
        self.log_std = nn.Linear(width, latent_dim)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, C, H, W); c (B, classes) one-hot labels of a conditional encoder."""
        flat = x.flatten(1) if c is None else torch.cat([x.flatten(1), c.to(x.dtype)], 1)
        h = self.body(flat)  # (B, C * H * W [+ classes]) -> (B, hidden[-1])
        # The two heads, mean(h) and log_std(h), as one matmul: small matmuls cost their
        # call overhead more than their arithmetic (three fewer calls per training step).
        weight = torch.cat([self.mean.weight, self.log_std.weight])
        bias = torch.cat([self.mean.bias, self.log_std.bias])
        return F.linear(h, weight, bias).chunk(2, dim=1)  # (B, D), (B, D)


class DenseDecoder(nn.Module):
    """The seed's decoder: dense layers mirroring the encoder, then reshape to x's shape.
    Outputs are unconstrained; the likelihood maps them (logits, or sigmoid means). A
    conditional decoder (classes > 0) reads [z, one-hot label]."""

    def __init__(
        self,
        output_shape: tuple[int, ...],
        *,
        hidden: tuple[int, ...],
        latent_dim: int,
        activation: str = "relu",
        classes: int = 0,
    ) -> None:
        super().__init__()
        self.output_shape = tuple(output_shape)
        n_out = math.prod(output_shape)
        n_in = latent_dim + classes
        body = mlp([n_in, *reversed(hidden)], act=activation) if hidden else nn.Identity()
        width = hidden[0] if hidden else n_in
        self.net = nn.Sequential(body, nn.Linear(width, n_out))

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        h = z if c is None else torch.cat([z, c.to(z.dtype)], 1)  # (B, D [+ classes])
        return self.net(h).view(z.shape[0], *self.output_shape)  # -> (B, C, H, W)


def _classes(cfg: ModelConfig) -> int:
    """One-hot width of the label a conditional model reads (0: unconditional)."""
    return (cfg.classes or 0) if cfg.conditional else 0


def dense_parameter_count(cfg: ModelConfig) -> int:
    classes = _classes(cfg)
    widths = [math.prod(cfg.input_shape) + classes, *cfg.hidden]
    body = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    heads = 2 * (widths[-1] + 1) * cfg.latent_dim
    dec_widths = [cfg.latent_dim + classes, *reversed(widths[1:]), math.prod(cfg.input_shape)]
    decoder = sum((a + 1) * b for a, b in zip(dec_widths[:-1], dec_widths[1:]))
    return body + heads + decoder


def build_parts(cfg: ModelConfig) -> tuple[DenseEncoder, DenseDecoder]:
    """The seed's model: dense encoder with mean and log-sigma heads, mirrored decoder."""
    if dense_parameter_count(cfg) > MAX_PARAMETERS:
        raise ConfigError(
            f"the configured model would have {dense_parameter_count(cfg):,} parameters "
            f"(limit {MAX_PARAMETERS:,}); reduce model.hidden or model.latent_dim"
        )
    shape = tuple(cfg.input_shape)
    parts = {"hidden": tuple(cfg.hidden), "latent_dim": cfg.latent_dim,
             "activation": cfg.activation, "classes": _classes(cfg)}
    return DenseEncoder(shape, **parts), DenseDecoder(shape, **parts)
