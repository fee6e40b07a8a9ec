"""Priors p(z): what the objectives, the samplers and the evaluation ask of z's prior.

The objectives never build a prior of their own: a VAE's forward pass hands its prior to
the loss (`VAEOutput.p_z`), which asks it for the KL term and for log p(z). So another
prior (a mixture, a learned one) is a new subclass of `Prior`, not an edit of the loss.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def kl_normal_standard_normal(mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, sigma^2) || N(0, 1)) per dimension, for a log-sigma parameterisation.

    KL = 0.5 * (sigma^2 + mean^2 - 1 - 2 log sigma)   (Kingma & Welling 2014, App. B,
    written with log sigma; write-ups that plug log sigma^2 into the log-sigma formula,
    or vice versa, get a KL that is wrong by a factor on the log term).
    """
    return 0.5 * (torch.exp(2.0 * log_std) + mean.square() - 1.0 - 2.0 * log_std)


def normal_log_prob(z: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """log N(z; mean, exp(log_std)^2) summed over the last dimension: (..., D) -> (...)."""
    return (-0.5 * ((z - mean) * torch.exp(-log_std)).square() - log_std
            - 0.5 * math.log(2.0 * math.pi)).sum(-1)


class Prior(nn.Module):
    """p(z) over `latent_dim` dimensions.

    A subclass defines `log_prob` and `sample`. The KL term of the ELBO then defaults to
    the one-sample Monte-Carlo estimate log q(z|x) - log p(z) at the z the model decoded;
    a prior with a closed-form KL overrides `kl` (and may return it per dimension).
    """

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z) summed over dimensions: (..., D) -> (...)."""
        raise NotImplementedError

    def sample(self, n: int, *, temperature: float = 1.0,
               generator: torch.Generator | None = None,
               device: torch.device | str = "cpu") -> torch.Tensor:
        """n draws of z, (n, D); temperature scales the spread."""
        raise NotImplementedError

    def kl(self, mean: torch.Tensor, log_std: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """KL(q(z|x) || p(z)) per example as (B, D') terms that sum to it: D' = D where the
        prior factorises over dimensions (free bits then act per dimension), else 1.

        This default is the Monte-Carlo estimate log q(z|x) - log p(z) at the sampled
        z (B, D): unbiased, and the same estimate the IWAE bound uses."""
        return (normal_log_prob(z, mean, log_std) - self.log_prob(z)).unsqueeze(-1)


class StandardNormalPrior(Prior):
    """p(z) = N(0, I): the KL is in closed form, per dimension."""

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        return (-0.5 * z.square() - 0.5 * math.log(2.0 * math.pi)).sum(-1)

    def kl(self, mean: torch.Tensor, log_std: torch.Tensor,
           z: torch.Tensor | None = None) -> torch.Tensor:
        """KL(q(z|x) || N(0, I)) per dimension, (B, D); z is not needed."""
        return kl_normal_standard_normal(mean, log_std)

    def sample(self, n: int, *, temperature: float = 1.0,
               generator: torch.Generator | None = None,
               device: torch.device | str = "cpu") -> torch.Tensor:
        """n draws of z ~ N(0, temperature^2 I), (n, D)."""
        return temperature * torch.randn(n, self.latent_dim, generator=generator, device=device)
