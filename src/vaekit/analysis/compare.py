"""What the KL term buys, in numbers: the rows of the AE-versus-VAE comparison and what
they say about the seed's claim.

The claim (every VAE tutorial's): decode draws from the prior N(0, I) and a plain
auto-encoder gives garbage, because its codes lie wherever training left them, while a
VAE gives plausible data, because the KL term packs its codes where the prior puts its
mass. Each model is measured with two samplers, the prior and a Gaussian mixture fitted
to its training codes (Ghosh et al. 2020), which asks the same question without the prior
hole; each sampler by sample quality (vaekit.analysis.quality: Fréchet distance,
precision, recall, density, coverage and validity against the test images, beside the
reference rows).

(The old "latent gap", the mean distance from a draw to the nearest test code, is gone:
with 16 latents it read 6.9 for an AE's prior draws, which decode to noise, and 7.0 for
its mixture draws, which decode to digits -- nearest-neighbour distances in 16 dimensions
say little about where the decoder was trained.)

`verdict` reads the rows of one latent size; it can be checked by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vaekit.analysis.quality import SampleQuality


@dataclass(frozen=True)
class SamplerRow:
    """One model (AE or VAE) at one latent size, sampled one way."""

    model: str  # "ae" | "vae"
    latent_dim: int
    sampler: str  # "prior" | "gmm"
    quality: SampleQuality

    def to_dict(self) -> dict[str, Any]:
        return self.quality.to_dict()


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
