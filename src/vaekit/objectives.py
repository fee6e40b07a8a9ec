"""Training objectives: pure functions of a model's output and the data.

Units: every term is in nats per example -- summed over pixels (reconstruction) or latent
dimensions (KL), then averaged over the batch. `total = reconstruction + beta * kl`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from vaekit.models.priors import kl_normal_standard_normal
from vaekit.models.vae import VAEOutput


@dataclass(frozen=True)
class Loss:
    total: torch.Tensor  # scalar, what is minimised
    reconstruction: torch.Tensor  # scalar, -E_q[log p(x|z)] per example (see likelihoods)
    kl: torch.Tensor  # scalar, KL(q(z|x) || p(z)) per example; 0 for an auto-encoder


def negative_elbo(out: VAEOutput, x: torch.Tensor, *, beta: float = 1.0) -> Loss:
    """-ELBO = E_q[-log p(x|z)] + beta * KL(q(z|x) || N(0, I)), one z sample per example."""
    reconstruction = out.p_x.reconstruction(x).mean()
    if out.q_log_std is None:  # auto-encoder: no KL term
        kl = reconstruction.new_zeros(())
    else:
        kl = kl_normal_standard_normal(out.q_mean, out.q_log_std).sum(-1).mean()
    return Loss(total=reconstruction + beta * kl, reconstruction=reconstruction, kl=kl)


@torch.no_grad()
def dataset_negative_elbo(
    model: torch.nn.Module,
    x: torch.Tensor,
    *,
    beta: float = 1.0,
    batch_size: int = 1000,
    seed: int = 0,
) -> dict[str, float]:
    """Mean negative ELBO terms over a whole tensor of examples, in nats per example.

    The sampling noise comes from its own generator (`seed`), so repeated evaluations of
    the same model give the same number and leave the global RNG untouched.
    """
    was_training = model.training
    model.eval()
    generator = torch.Generator(device=x.device).manual_seed(seed)
    sums = torch.zeros(3, dtype=torch.float64)
    for i in range(0, x.shape[0], batch_size):
        xb = x[i : i + batch_size]
        loss = negative_elbo(model(xb, generator=generator), xb, beta=beta)
        terms = torch.stack([loss.total, loss.reconstruction, loss.kl]).double().cpu()
        sums += terms * xb.shape[0]
    model.train(was_training)
    total, reconstruction, kl = (sums / x.shape[0]).tolist()
    return {"loss": total, "reconstruction": reconstruction, "kl": kl}
