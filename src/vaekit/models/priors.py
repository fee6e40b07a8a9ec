"""Priors p(z)."""

from __future__ import annotations

import torch
from torch import nn
from torch.distributions import Normal


def kl_normal_standard_normal(mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, sigma^2) || N(0, 1)) per dimension, for a log-sigma parameterisation.

    KL = 0.5 * (sigma^2 + mean^2 - 1 - 2 log sigma)   (Kingma & Welling 2014, App. B,
    written with log sigma; write-ups that plug log sigma^2 into the log-sigma formula,
    or vice versa, get a KL that is wrong by a factor on the log term).
    """
    return 0.5 * (torch.exp(2.0 * log_std) + mean.square() - 1.0 - 2.0 * log_std)


class StandardNormalPrior(nn.Module):
    """p(z) = N(0, I)."""

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim

    def distribution(self, like: torch.Tensor) -> Normal:
        zeros = torch.zeros_like(like)
        return Normal(zeros, torch.ones_like(like), validate_args=False)

    def kl(self, mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
        """KL(q(z|x) || p(z)) summed over latent dimensions, (B,)."""
        return kl_normal_standard_normal(mean, log_std).sum(-1)

    def sample(
        self,
        n: int,
        *,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
        device: torch.device | str = "cpu",
    ) -> torch.Tensor:
        """n draws of z, (n, D); temperature scales the standard deviation."""
        return temperature * torch.randn(n, self.latent_dim, generator=generator, device=device)
