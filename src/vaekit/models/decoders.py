"""Decoders z -> parameters of p(x|z), shaped like x."""

from __future__ import annotations

import math

import torch
from torch import nn

from vaekit.nn.mlp import mlp


class DenseDecoder(nn.Module):
    """The seed's decoder: dense layers mirroring the encoder, then reshape to x's shape.
    Outputs are unconstrained; the likelihood maps them (logits, or sigmoid means)."""

    def __init__(
        self,
        output_shape: tuple[int, ...],
        *,
        hidden: tuple[int, ...],
        latent_dim: int,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        self.output_shape = tuple(output_shape)
        n_out = math.prod(output_shape)
        body = mlp([latent_dim, *reversed(hidden)], act=activation) if hidden else nn.Identity()
        width = hidden[0] if hidden else latent_dim
        self.net = nn.Sequential(body, nn.Linear(width, n_out))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.output_shape)  # (B, D) -> (B, C, H, W)
