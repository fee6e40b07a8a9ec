"""The latent space: encodings and decodings, linear and spherical interpolation, the
halfway point, attribute vectors, PCA, the decoded manifold of a 2-D latent.

`decode_latents` goes through `VAE.generate`, the one dispatch between kinds of run: an
image decoder gives its likelihood's means (N, C, H, W); a sequence decoder decodes tokens
step by step (N, T), greedily or drawn at `token_temperature`. So every function here
serves images, melodies and text alike."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from vaekit.models.vae import VAE


@torch.no_grad()
def encode_means(
    model: VAE, x: torch.Tensor, *, batch_size: int = 1000, labels: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Posterior means and log standard deviations for every example: (N, D), (N, D).
    `labels` (N,): a conditional model's class labels."""
    device = model.device
    means, log_stds = [], []
    for i in range(0, x.shape[0], batch_size):
        y = None if labels is None else labels[i : i + batch_size]
        q_z = model.encode(x[i : i + batch_size].to(device), y=y)
        means.append(q_z.mean.cpu())
        log_stds.append(q_z.stddev.log().cpu())
    return torch.cat(means), torch.cat(log_stds)


@torch.no_grad()
def decode_latents(model: VAE, z: torch.Tensor, *, token_temperature: float = 0.0,
                   seed: int = 0, batch_size: int = 1000,
                   labels: torch.Tensor | None = None) -> torch.Tensor:
    """Examples decoded from latents (N, D), on the CPU: images (N, C, H, W) in [0, 1] or
    sequences (N, T) of token classes (greedy for token_temperature 0). `labels` (N,): the
    classes a conditional model is asked for."""
    generator = torch.Generator(device=model.device).manual_seed(seed)
    return torch.cat([
        model.generate(z[i : i + batch_size].to(model.device), temperature=token_temperature,
                       generator=generator,
                       y=None if labels is None else labels[i : i + batch_size]).cpu()
        for i in range(0, z.shape[0], batch_size)])



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
    """Decodings along a path between the posterior means of two inputs: (steps, ...) --
    images, or greedily decoded sequences; the ends are the reconstructions of x0, x1."""
    if method not in INTERPOLATIONS:
        raise ValueError(f"unknown interpolation {method!r} (valid: lerp, slerp)")
    z = model.encode(torch.stack([x0, x1]).to(model.device)).mean.cpu()
    return decode_latents(model, INTERPOLATIONS[method](z[0], z[1], steps))


def attribute_vector(means: torch.Tensor, has_attribute: torch.Tensor) -> torch.Tensor:
    """Mean encoding of the examples with the attribute minus that of those without:
    (N, D) means and (N,) booleans -> (D,). Adding it to z moves towards the attribute."""
    has_attribute = has_attribute.bool()
    if has_attribute.all() or not has_attribute.any():
        raise ValueError("an attribute vector needs examples both with and without it")
    return means[has_attribute].mean(0) - means[~has_attribute].mean(0)


def halfway(z_a: torch.Tensor, z_b: torch.Tensor) -> torch.Tensor:
    """The seed's latent arithmetic: z_a + 0.5 (z_b - z_a), the midpoint of the two codes."""
    return z_a + 0.5 * (z_b - z_a)


@dataclass(frozen=True)
class PCA:
    projected: torch.Tensor  # (N, k) coordinates on the principal axes
    components: torch.Tensor  # (k, D) unit axes, by decreasing variance
    mean: torch.Tensor  # (D,)
    explained: torch.Tensor  # (k,) fraction of the total variance along each axis


def pca(points: torch.Tensor, k: int = 2) -> PCA:
    """Principal component analysis of (N, D) points through the SVD of the centred data;
    each axis' sign is fixed so that its largest coefficient is positive (deterministic)."""
    if not 1 <= k <= points.shape[1]:
        raise ValueError(f"k must be between 1 and {points.shape[1]}, got {k}")
    mean = points.mean(0)
    centred = (points - mean).double()
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)
    signs = torch.sign(vh[torch.arange(vh.shape[0]), vh.abs().argmax(1)])
    vh = vh * signs.unsqueeze(1)
    variance = s.square()
    explained = variance[:k] / variance.sum().clamp_min(1e-30)
    components = vh[:k].to(points.dtype)
    return PCA((points - mean) @ components.T, components, mean, explained.to(points.dtype))


def latent_grid(n: int, span: float) -> torch.Tensor:
    """n x n points of a 2-D latent in [-span, span]^2, row-major, as an image reads: the
    first row is z2 = +span (top), the first column z1 = -span (left). (n*n, 2)"""
    ticks = torch.linspace(-span, span, n)
    z2, z1 = torch.meshgrid(ticks.flip(0), ticks, indexing="ij")
    return torch.stack([z1.reshape(-1), z2.reshape(-1)], 1)


def manifold(model: VAE, n: int, span: float) -> torch.Tensor:
    """Decodings of `latent_grid(n, span)` for a 2-D latent: (n*n, C, H, W)."""
    if model.latent_dim != 2:
        raise ValueError(f"a manifold grid needs a 2-D latent, this model has {model.latent_dim}")
    return decode_latents(model, latent_grid(n, span))


def shift_latents(z: torch.Tensor, vector: torch.Tensor, scales: list[float]) -> torch.Tensor:
    """Each code plus each multiple of a direction: (N, D), (D,) -> (N * S, D), one row of
    S scales per code."""
    s = torch.tensor(scales, dtype=z.dtype).view(1, -1, 1)
    return (z.unsqueeze(1) + s * vector.view(1, 1, -1)).reshape(-1, z.shape[1])
