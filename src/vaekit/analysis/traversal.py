"""Per-dimension latent traversals: vary one coordinate of z, hold the others fixed."""

from __future__ import annotations

import torch

from vaekit.analysis.latent import decode_latents
from vaekit.models.vae import VAE


def traversal_latents(
    z0: torch.Tensor, dims: list[int], *, span: float, steps: int
) -> torch.Tensor:
    """For each dim in `dims`, `steps` copies of z0 (D,) whose coordinate `dim` runs over
    linspace(-span, span): (len(dims) * steps, D), one block of `steps` rows per dim."""
    d = z0.shape[0]
    bad = [i for i in dims if not 0 <= i < d]
    if bad:
        raise ValueError(f"latent dimension {bad[0]} is out of range (the latent has {d})")
    values = torch.linspace(-span, span, steps, dtype=z0.dtype)
    z = z0.repeat(len(dims) * steps, 1)  # (len(dims) * steps, D)
    for row, dim in enumerate(dims):
        z[row * steps : (row + 1) * steps, dim] = values
    return z


def traverse(
    model: VAE, z0: torch.Tensor, dims: list[int], *, span: float, steps: int
) -> torch.Tensor:
    """Decodings of `traversal_latents`: (len(dims) * steps, C, H, W)."""
    return decode_latents(model, traversal_latents(z0, dims, span=span, steps=steps))
