"""The latent space: encodings, linear and spherical interpolation."""

from __future__ import annotations

import torch

from vaekit.models.vae import VAE


@torch.no_grad()
def encode_means(
    model: VAE, x: torch.Tensor, *, batch_size: int = 1000
) -> tuple[torch.Tensor, torch.Tensor]:
    """Posterior means and log standard deviations for every example: (N, D), (N, D)."""
    device = next(model.parameters()).device
    means, log_stds = [], []
    for i in range(0, x.shape[0], batch_size):
        q_z = model.encode(x[i : i + batch_size].to(device))
        means.append(q_z.mean.cpu())
        log_stds.append(q_z.stddev.log().cpu())
    return torch.cat(means), torch.cat(log_stds)


def lerp(z0: torch.Tensor, z1: torch.Tensor, steps: int) -> torch.Tensor:
    """`steps` points on the straight line from z0 to z1, ends included: (steps, D)."""
    t = torch.linspace(0.0, 1.0, steps, dtype=z0.dtype).unsqueeze(1)
    return (1 - t) * z0 + t * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, steps: int) -> torch.Tensor:
    """Spherical interpolation (Shoemake 1985; White 2016 for generative models): moves
    along the great circle, so the norm stays typical of N(0, I) samples. Falls back to
    lerp when z0 and z1 are (anti)parallel."""
    t = torch.linspace(0.0, 1.0, steps, dtype=z0.dtype).unsqueeze(1)
    cos = torch.dot(z0, z1) / (z0.norm() * z1.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if omega.abs() < 1e-6 or (torch.pi - omega).abs() < 1e-6:
        return lerp(z0, z1, steps)
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


INTERPOLATIONS = {"lerp": lerp, "slerp": slerp}


@torch.no_grad()
def interpolate(
    model: VAE, x0: torch.Tensor, x1: torch.Tensor, *, steps: int, method: str = "lerp"
) -> torch.Tensor:
    """Decodings along a path between the posterior means of two inputs (C, H, W):
    (steps, C, H, W), the first and last being the reconstructions of x0 and x1."""
    if method not in INTERPOLATIONS:
        raise ValueError(f"unknown interpolation {method!r} (valid: lerp, slerp)")
    device = next(model.parameters()).device
    z = model.encode(torch.stack([x0, x1]).to(device)).mean
    path = INTERPOLATIONS[method](z[0], z[1], steps)
    return model.decode(path).mean.cpu()


def attribute_vector(means: torch.Tensor, has_attribute: torch.Tensor) -> torch.Tensor:
    """Mean encoding of the examples with the attribute minus that of those without:
    (N, D) means and (N,) booleans -> (D,). Adding it to z moves towards the attribute."""
    has_attribute = has_attribute.bool()
    if has_attribute.all() or not has_attribute.any():
        raise ValueError("an attribute vector needs examples both with and without it")
    return means[has_attribute].mean(0) - means[~has_attribute].mean(0)
