"""What the KL term buys, in numbers: the rows of the AE-versus-VAE comparison and what
they say about the seed's claim.

The claim (every VAE tutorial's): decode draws from the prior N(0, I) and a plain
auto-encoder gives garbage, because its codes lie wherever training left them, while a
VAE gives plausible data, because the KL term packs its codes where the prior puts its
mass. Each model is measured with two samplers: the prior, and a Gaussian mixture fitted
to its training codes (Ghosh et al. 2020), which asks the same question without the prior
hole. Per model and sampler:

- sample quality (vaekit.analysis.quality): Fréchet distance, precision, recall, density,
  coverage and validity against the test images, beside the reference rows;
- latent gap: the mean distance, in latent units, from the sampler's draws to the nearest
  test code (posterior mean). Large gaps are the holes the draws fall into.

`verdict` reads the rows of one latent size. Everything that takes numbers rather than a
model can be checked by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from vaekit.analysis.quality import SampleQuality


def nearest_distances(
    points: torch.Tensor, reference: torch.Tensor, *, chunk: int = 1024
) -> torch.Tensor:
    """Euclidean distance from each point (N, D) to its nearest reference point (M, D): (N,)."""
    return torch.cat([torch.cdist(points[i : i + chunk].double(), reference.double()).amin(1)
                      for i in range(0, points.shape[0], chunk)]).to(points.dtype)


def latent_gap(z: torch.Tensor, codes: torch.Tensor) -> float:
    """Mean distance from latents (N, D) to the nearest code (M, D)."""
    return float(nearest_distances(z, codes).mean())


@dataclass(frozen=True)
class SamplerRow:
    """One model (AE or VAE) at one latent size, sampled one way."""

    model: str  # "ae" | "vae"
    latent_dim: int
    sampler: str  # "prior" | "gmm"
    quality: SampleQuality
    latent_gap: float  # latent units

    def to_dict(self) -> dict[str, Any]:
        return {**self.quality.to_dict(), "latent_gap": self.latent_gap}


def _find(rows: list[SamplerRow], model: str, sampler: str) -> SampleQuality:
    (row,) = [r.quality for r in rows if (r.model, r.sampler) == (model, sampler)]
    return row


def verdict(rows: list[SamplerRow]) -> dict[str, bool]:
    """What the four rows (AE, VAE) x (prior, gmm) of one latent size say, each a yes/no:

    - seed_claim: the VAE's prior samples beat the AE's, by FD and (where a judge
      exists) by validity -- the seed's claim;
    - ae_gmm_halves_fd: the fitted mixture at least halves the AE's FD;
    - vae_gmm_not_worse: the fitted mixture does not raise the VAE's FD;
    - ae_gmm_beats_vae_prior: the AE with the mixture beats the VAE with its prior (the
      ex-post density of Ghosh et al. makes the KL term unnecessary for sampling)."""
    if sorted((r.model, r.sampler) for r in rows) != [("ae", "gmm"), ("ae", "prior"),
                                                      ("vae", "gmm"), ("vae", "prior")]:
        raise ValueError("a verdict needs one row per model (ae, vae) and sampler (prior, gmm)")
    ae_prior, ae_gmm = _find(rows, "ae", "prior"), _find(rows, "ae", "gmm")
    vae_prior, vae_gmm = _find(rows, "vae", "prior"), _find(rows, "vae", "gmm")
    by_validity = (ae_prior.validity is None or vae_prior.validity is None
                   or vae_prior.validity > ae_prior.validity)
    return {
        "seed_claim": vae_prior.fd < ae_prior.fd and by_validity,
        "ae_gmm_halves_fd": ae_gmm.fd <= 0.5 * ae_prior.fd,
        "vae_gmm_not_worse": vae_gmm.fd <= vae_prior.fd,
        "ae_gmm_beats_vae_prior": ae_gmm.fd < vae_prior.fd,
    }
