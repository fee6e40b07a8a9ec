"""Three numbers that tell a VAE's latent space from a plain auto-encoder's.

1. Prior-sample validity: the fraction of decoded z ~ N(0, I) that the digit judge
   (vaekit.analysis.judge) labels with probability >= 0.9. A VAE is trained so that the
   prior covers its codes; an AE's codes lie wherever training left them.
2. Latent gaps: the mean Euclidean distance from a prior sample to the nearest test
   encoding (posterior mean). Large gaps are the "holes" prior samples fall into.
3. Interpolation smoothness, on straight lines between the codes of random test pairs:
   the largest single-step change of the decoded image (mean absolute pixel difference
   between neighbouring points, pixels in [0, 1]), and the judge's confidence dip: how far
   its belief that the image shows one of the two end digits, p(class_a) + p(class_b),
   falls below its value at the weaker end. (The top-class confidence would dip on every
   path from a 3 to a 7, however good, where the picture changes class; the end classes'
   probability dips only where the path leaves both digits: holes, or other classes.)
For all of them but validity, lower is better. Every function below that takes numbers
rather than a model can be checked by hand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from vaekit.analysis.judge import judge_images, judge_probabilities
from vaekit.analysis.latent import decode_latents, encode_means, lerp
from vaekit.models.vae import VAE

VALID_CONFIDENCE = 0.9


def validity(confidence: torch.Tensor, *, threshold: float = VALID_CONFIDENCE) -> float:
    """Fraction of judged images whose top-class probability is >= threshold."""
    return float((confidence >= threshold).float().mean())


def nearest_distances(
    points: torch.Tensor, reference: torch.Tensor, *, chunk: int = 1024
) -> torch.Tensor:
    """Euclidean distance from each point (N, D) to its nearest reference point (M, D): (N,)."""
    return torch.cat([torch.cdist(points[i : i + chunk].double(), reference.double()).amin(1)
                      for i in range(0, points.shape[0], chunk)]).to(points.dtype)


def latent_gap(prior_z: torch.Tensor, codes: torch.Tensor) -> float:
    """Mean distance from prior samples to the nearest code."""
    return float(nearest_distances(prior_z, codes).mean())


def largest_steps(paths: torch.Tensor) -> torch.Tensor:
    """Decoded paths (P, S, C, H, W) -> (P,) the largest mean absolute pixel change between
    neighbouring points of each path."""
    steps = (paths[:, 1:] - paths[:, :-1]).abs().flatten(2).mean(2)  # (P, S - 1)
    return steps.amax(1)


def endpoint_confidence(probs: torch.Tensor) -> torch.Tensor:
    """Judge probabilities along paths (P, S, K) -> (P, S): the probability that each point
    shows the class of the first end or that of the last end (one class when they agree)."""
    a = probs[:, 0].argmax(-1).view(-1, 1, 1).expand(-1, probs.shape[1], 1)  # (P, S, 1)
    b = probs[:, -1].argmax(-1).view(-1, 1, 1).expand(-1, probs.shape[1], 1)
    p_a, p_b = probs.gather(2, a).squeeze(2), probs.gather(2, b).squeeze(2)
    return torch.where(a.squeeze(2) == b.squeeze(2), p_a, p_a + p_b)


def confidence_dips(confidence: torch.Tensor) -> torch.Tensor:
    """Judge confidences along paths (P, S) -> (P,): how far the lowest point falls below the
    lower end, min(c_0, c_S-1) - min_t c_t (0 when it never does)."""
    ends = torch.minimum(confidence[:, 0], confidence[:, -1])
    return (ends - confidence.amin(1)).clamp_min(0.0)


@dataclass(frozen=True)
class LatentStory:
    """The three numbers (four values) for one model, and what they were measured on."""

    prior_validity: float  # fraction in [0, 1], higher is better
    latent_gap: float  # latent units, lower is better
    interpolation_max_step: float  # mean |pixel change| in [0, 1], lower is better
    interpolation_confidence_dip: float  # probability in [0, 1], lower is better
    prior_samples: int
    test_codes: int
    pairs: int
    steps: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def random_pairs(n: int, pairs: int, *, generator: torch.Generator) -> torch.Tensor:
    """(pairs, 2) indices of distinct examples."""
    a = torch.randint(0, n, (pairs,), generator=generator)
    b = (a + torch.randint(1, n, (pairs,), generator=generator)) % n
    return torch.stack([a, b], 1)


@torch.no_grad()
def measure_latent_story(
    model: VAE, judge: nn.Module, test_x: torch.Tensor, *, prior_samples: int = 2000,
    pairs: int = 100, steps: int = 16, seed: int = 0,
) -> LatentStory:
    """Measure one model. Same seed -> same prior draws and pairs, so two models with the
    same latent size are measured on identical z and identical test pairs."""
    if test_x.shape[0] < 2:
        raise ValueError("the latent story needs at least 2 test examples")
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(prior_samples, model.latent_dim, generator=gen)
    codes, _ = encode_means(model, test_x)
    valid = validity(judge_images(judge, decode_latents(model, z)).confidence)
    gap = latent_gap(z, codes)
    ij = random_pairs(test_x.shape[0], pairs, generator=gen)
    path_z = torch.stack([lerp(codes[i], codes[j], steps) for i, j in ij.tolist()])  # (P, S, D)
    images = decode_latents(model, path_z.flatten(0, 1))  # (P * S, C, H, W)
    probs = judge_probabilities(judge, images).view(pairs, steps, -1)
    confidence = endpoint_confidence(probs)  # (P, S)
    paths = images.view(pairs, steps, *images.shape[1:])
    return LatentStory(
        prior_validity=valid,
        latent_gap=gap,
        interpolation_max_step=float(largest_steps(paths).mean()),
        interpolation_confidence_dip=float(confidence_dips(confidence).mean()),
        prior_samples=prior_samples,
        test_codes=test_x.shape[0],
        pairs=pairs,
        steps=steps,
    )


def vae_wins(ae: LatentStory, vae: LatentStory) -> dict[str, bool]:
    """Which of the four values favour the VAE."""
    return {
        "prior_validity": vae.prior_validity > ae.prior_validity,
        "latent_gap": vae.latent_gap < ae.latent_gap,
        "interpolation_max_step": vae.interpolation_max_step < ae.interpolation_max_step,
        "interpolation_confidence_dip":
            vae.interpolation_confidence_dip < ae.interpolation_confidence_dip,
    }
