"""The convolutional image VAE's parts: any (C, H, W) -- 28x28 grey, 64x64 faces, 32x32 RGB.

The keras.io VAE example (Chollet, "Variational AutoEncoder", 2020) with the defaults
`--conv-channels 32 64 --hidden 16 --latent-dim 2` on 28x28x1, parameter for parameter:

    encoder  x -> conv 3x3/2 (32) -> conv 3x3/2 (64) -> flatten -> dense 16 -> mean, log_std
    decoder  z -> dense 7*7*64 -> convT 3x3/2 (64) -> convT 3x3/2 (32) -> conv 3x3 (C)

(69,076 and 65,089 parameters, as the example's summaries print). As there, the decoder
maps z straight to the feature map: `model.hidden` shapes the encoder only. Where Keras
predicts log sigma^2 we predict log sigma (see vaekit.models.priors). The decoder's output
is cropped to exactly H x W (for odd sides), and is unconstrained: the likelihood maps it.

A conditional model (Sohn et al. 2015) reads the one-hot class label beside the flattened
feature map in the encoder and beside z in the decoder: the convolutions stay as they are,
so the label costs `classes` more inputs to one dense layer on each side.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from vaekit.config import MAX_PARAMETERS, ModelConfig
from vaekit.errors import ConfigError
from vaekit.nn.conv import conv_down, conv_up, downsampled_size, fit_to
from vaekit.nn.mlp import activation as make_activation
from vaekit.nn.mlp import mlp


class ConvEncoder(nn.Module):
    """Stride-2 convolutions -> flatten -> dense `hidden` -> mean and log-sigma heads."""

    def __init__(
        self,
        input_shape: tuple[int, int, int],
        *,
        channels: tuple[int, ...],
        hidden: tuple[int, ...],
        latent_dim: int,
        activation: str = "relu",
        classes: int = 0,
    ) -> None:
        super().__init__()
        c, h, w = input_shape
        self.convs = conv_down(c, tuple(channels), act=activation)
        n_flat = channels[-1] * downsampled_size(h, len(channels)) * downsampled_size(
            w, len(channels)) + classes
        self.dense = mlp([n_flat, *hidden], act=activation) if hidden else nn.Identity()
        width = hidden[-1] if hidden else n_flat
        self.mean = nn.Linear(width, latent_dim)
        self.log_std = nn.Linear(width, latent_dim)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, C, H, W); c (B, classes) one-hot labels of a conditional encoder."""
        h = self.convs(x).flatten(1)  # (B, C, H, W) -> (B, c_L * h_L * w_L)
        if c is not None:
            h = torch.cat([h, c.to(h.dtype)], 1)  # (B, c_L * h_L * w_L + classes)
        h = self.dense(h)  # (B, hidden[-1])
        return self.mean(h), self.log_std(h)  # (B, D), (B, D)


class ConvDecoder(nn.Module):
    """z -> dense to the encoder's last feature map -> transposed convolutions mirroring the
    encoder -> crop to (C, H, W)."""

    def __init__(
        self,
        output_shape: tuple[int, int, int],
        *,
        channels: tuple[int, ...],
        latent_dim: int,
        activation: str = "relu",
        classes: int = 0,
    ) -> None:
        super().__init__()
        self.output_shape = tuple(output_shape)
        c, h, w = output_shape
        layers = len(channels)
        self.map_shape = (channels[-1], downsampled_size(h, layers), downsampled_size(w, layers))
        self.dense = nn.Sequential(nn.Linear(latent_dim + classes, math.prod(self.map_shape)),
                                   make_activation(activation))
        self.deconvs = conv_up(tuple(channels), c, act=activation)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if c is not None:
            z = torch.cat([z, c.to(z.dtype)], 1)  # (B, D + classes)
        h = self.dense(z).view(z.shape[0], *self.map_shape)  # (B, D) -> (B, c_L, h_L, w_L)
        out = self.deconvs(h)  # (B, C, 2^L h_L, 2^L w_L)
        return fit_to(out, *self.output_shape[1:])  # (B, C, H, W)


def conv_parameter_count(cfg: ModelConfig) -> int:
    """Weights and biases of build_parts(cfg), counted without building anything."""
    c, h, w = cfg.input_shape
    classes = (cfg.classes or 0) if cfg.conditional else 0
    chans, k2 = tuple(cfg.channels), 3 * 3
    n_map = chans[-1] * downsampled_size(h, len(chans)) * downsampled_size(w, len(chans))
    convs = sum((a * k2 + 1) * b for a, b in zip((c, *chans[:-1]), chans))
    widths = [n_map + classes, *cfg.hidden]
    dense = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    heads = 2 * (widths[-1] + 1) * cfg.latent_dim
    rev = tuple(reversed(chans))
    deconvs = sum((a * k2 + 1) * b for a, b in zip((rev[0], *rev[:-1]), rev))
    decoder = (cfg.latent_dim + classes + 1) * n_map + deconvs + (chans[0] * k2 + 1) * c
    return convs + dense + heads + decoder


def build_parts(cfg: ModelConfig) -> tuple[ConvEncoder, ConvDecoder]:
    """The (encoder, decoder) pair for images of cfg.input_shape = (C, H, W)."""
    shape = tuple(cfg.input_shape or ())
    if len(shape) != 3:
        raise ConfigError(f"model.arch=conv needs images (C, H, W); the input shape is "
                          f"{list(shape)}")
    layers = len(cfg.channels)
    if layers == 0:
        raise ConfigError("model.arch=conv needs at least one entry in model.channels")
    if downsampled_size(min(shape[1:]), layers - 1) < 2:
        raise ConfigError(
            f"images of {shape[1]}x{shape[2]} pixels are too small for {layers} stride-2 "
            f"convolutions (model.channels {list(cfg.channels)}); use fewer --conv-channels"
        )
    count = conv_parameter_count(cfg)
    if count > MAX_PARAMETERS:
        raise ConfigError(
            f"the configured conv model would have {count:,} parameters (limit "
            f"{MAX_PARAMETERS:,}); reduce model.channels, model.hidden or model.latent_dim"
        )
    options = {"channels": tuple(cfg.channels), "latent_dim": cfg.latent_dim,
               "activation": cfg.activation,
               "classes": (cfg.classes or 0) if cfg.conditional else 0}
    encoder = ConvEncoder(shape, hidden=tuple(cfg.hidden), **options)
    return encoder, ConvDecoder(shape, **options)
