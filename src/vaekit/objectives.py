"""Training objectives: pure functions of a forward pass's output and the data.

Units: every term is in nats per example -- summed over pixels (reconstruction) or latent
dimensions (KL), then averaged over the batch. `total = reconstruction + beta * kl`.
The KL and log p(z) come from the model's prior (`VAEOutput.p_z`), never from a prior
built here, so a different prior changes the loss without an edit to this file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from vaekit.models.priors import normal_log_prob
from vaekit.models.vae import VAEOutput


@dataclass(frozen=True)
class Loss:
    total: torch.Tensor  # scalar, what is minimised (the objective)
    reconstruction: torch.Tensor  # scalar, -E_q[log p(x|z)] per example (see likelihoods)
    kl: torch.Tensor  # scalar, KL(q(z|x) || p(z)) per example; 0 for an auto-encoder

    def terms(self) -> torch.Tensor:
        """[total, reconstruction, KL], detached float32: a step's numbers for the log."""
        return torch.stack([self.total, self.reconstruction, self.kl]).detach().float()


def negative_elbo(
    out: VAEOutput, x: torch.Tensor, *, beta: float = 1.0, free_bits: float = 0.0
) -> Loss:
    """-ELBO = E_q[-log p(x|z)] + beta * KL(q(z|x) || p(z)), one z sample per example.

    free_bits > 0 (Kingma et al. 2016): each latent dimension's batch-mean KL below
    `free_bits` nats is not penalised, so the optimiser gains nothing by collapsing it.
    `Loss.kl` always reports the true KL; only `total` sees beta and the floor.
    """
    reconstruction = out.p_x.reconstruction(x).mean()
    if out.q_log_std is None:  # auto-encoder: no KL term
        kl = reconstruction.new_zeros(())
        return Loss(total=reconstruction, reconstruction=reconstruction, kl=kl)
    kl_per_dim = out.p_z.kl(out.q_mean, out.q_log_std, out.z).mean(0)  # (D,) batch means
    kl = kl_per_dim.sum()
    penalised = kl_per_dim.clamp(min=free_bits).sum() if free_bits > 0 else kl
    return Loss(total=reconstruction + beta * penalised, reconstruction=reconstruction, kl=kl)


def _log_terms(out: VAEOutput, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """log p(x|z_k), log p(z_k) and log q(z_k|x) for the K samples of a forward pass with
    `samples=K`, each (K, B). Uses the likelihood's full log_prob (with its constants)."""
    if out.q_log_std is None:
        raise ValueError("importance weights need a VAE's posterior; an auto-encoder has none")
    k, b = out.samples, x.shape[0]
    z = out.z.view(k, b, -1)  # (K, B, D)
    x_rep = x.expand(k, *x.shape).flatten(0, 1)  # sample-major, as p_x
    log_px = out.p_x.log_prob(x_rep).view(k, b)
    return log_px, out.p_z.log_prob(z), normal_log_prob(z, out.q_mean, out.q_log_std)


def importance_log_weights(out: VAEOutput, x: torch.Tensor) -> torch.Tensor:
    """log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x) for the K samples z_k ~ q(z|x)
    of a forward pass `model(x, samples=K)`: (K, B). logsumexp(log w) - log K estimates
    log p(x) in nats."""
    log_px, log_pz, log_qz = _log_terms(out, x)
    return log_px + log_pz - log_qz


def iwae_bound(out: VAEOutput, x: torch.Tensor) -> torch.Tensor:
    """The importance-weighted bound L_K (Burda et al. 2016) per example, (B,), in nats:
    log (1/K) sum_k w_k over the K samples of `out = model(x, samples=K)`, computed
    stably with logsumexp. L_1 is the ELBO; L_K <= log p(x) and L_K -> log p(x) as K grows."""
    return torch.logsumexp(importance_log_weights(out, x), 0) - math.log(out.samples)


def iwae_loss(out: VAEOutput, x: torch.Tensor) -> Loss:
    """The IWAE training objective: total = -L_K, batch mean, nats per example.

    The reported terms are Monte-Carlo estimates over the K samples:
    reconstruction = -E[log p(x|z)] (the likelihood's full log_prob, constants included)
    and kl = E[log q(z|x) - log p(z)].
    """
    log_px, log_pz, log_qz = _log_terms(out, x)
    bound = torch.logsumexp(log_px + log_pz - log_qz, 0) - math.log(out.samples)
    return Loss(total=-bound.mean(), reconstruction=-log_px.mean(),
                kl=(log_qz - log_pz).mean())
