"""Prior samples and reconstructions of a trained VAE (tensors out; nothing written)."""

from __future__ import annotations

import torch

from vaekit.models.vae import VAE


@torch.no_grad()
def prior_samples(
    model: VAE, n: int, *, temperature: float = 1.0, seed: int = 0
) -> torch.Tensor:
    """n decodings (likelihood means) of z ~ N(0, temperature^2 I): (n, C, H, W)."""
    generator = torch.Generator().manual_seed(seed)
    z = model.prior.sample(n, temperature=temperature, generator=generator)
    return model.decode(z.to(model.device)).mean.cpu()


@torch.no_grad()
def reconstructions(model: VAE, x: torch.Tensor) -> torch.Tensor:
    """Decode each input's posterior mean: (B, C, H, W) -> (B, C, H, W)."""
    z = model.encode(x.to(model.device)).mean
    return model.decode(z).mean.cpu()
