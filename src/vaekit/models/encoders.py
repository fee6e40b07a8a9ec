"""Encoders x -> (mean, log_std) of q(z|x) = N(mean, diag(exp(log_std))^2)."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from vaekit.nn.mlp import mlp


class DenseEncoder(nn.Module):
    """The seed's encoder: flatten -> dense hidden layer(s) -> two dense heads of
    `latent_dim` units, the mean and the log standard deviation."""

    def __init__(
        self,
        input_shape: tuple[int, ...],
        *,
        hidden: tuple[int, ...],
        latent_dim: int,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        n_in = math.prod(input_shape)
        self.body = mlp([n_in, *hidden], act=activation)
        width = hidden[-1] if hidden else n_in
        self.mean = nn.Linear(width, latent_dim)
        self.log_std = nn.Linear(width, latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x.flatten(1))  # (B, C, H, W) -> (B, hidden[-1])
        # The two heads, mean(h) and log_std(h), as one matmul: small matmuls cost their
        # call overhead more than their arithmetic (three fewer calls per training step).
        weight = torch.cat([self.mean.weight, self.log_std.weight])
        bias = torch.cat([self.mean.bias, self.log_std.bias])
        return F.linear(h, weight, bias).chunk(2, dim=1)  # (B, D), (B, D)
