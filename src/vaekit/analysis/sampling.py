"""Prior samples and reconstructions, for every kind of run (tensors out; nothing written).

Decoding goes through `vaekit.analysis.latent.decode_latents`, so the same code serves
images, melodies and text.
"""

from __future__ import annotations

import torch

from vaekit.analysis.latent import decode_latents, encode_means
from vaekit.models.vae import VAE


@torch.no_grad()
def prior_samples(
    model: VAE, n: int, *, temperature: float = 1.0, token_temperature: float = 0.0,
    seed: int = 0,
) -> torch.Tensor:
    """n decodings of z ~ p(z), the prior's spread scaled by `temperature`."""
    generator = torch.Generator().manual_seed(seed)
    z = model.prior.sample(n, temperature=temperature, generator=generator)
    return decode_latents(model, z, token_temperature=token_temperature, seed=seed)


@torch.no_grad()
def reconstructions(model: VAE, x: torch.Tensor, *, batch_size: int = 1000) -> torch.Tensor:
    """Decodings of each input's posterior mean: x (N, ...) -> (N, ...)."""
    means, _ = encode_means(model, x, batch_size=batch_size)
    return decode_latents(model, means, batch_size=batch_size)
