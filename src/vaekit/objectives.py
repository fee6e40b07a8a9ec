"""Training objectives: pure functions of a model's output and the data.

Units: every term is in nats per example -- summed over pixels (reconstruction) or latent
dimensions (KL), then averaged over the batch. `total = reconstruction + beta * kl`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.distributions import Normal

from vaekit.models.priors import kl_normal_standard_normal
from vaekit.models.vae import VAEOutput


@dataclass(frozen=True)
class Loss:
    total: torch.Tensor  # scalar, what is minimised
    reconstruction: torch.Tensor  # scalar, -E_q[log p(x|z)] per example (see likelihoods)
    kl: torch.Tensor  # scalar, KL(q(z|x) || p(z)) per example; 0 for an auto-encoder

    def terms(self) -> torch.Tensor:
        """[total, reconstruction, KL], detached float32: a step's numbers for the log."""
        return torch.stack([self.total, self.reconstruction, self.kl]).detach().float()


def negative_elbo(
    out: VAEOutput, x: torch.Tensor, *, beta: float = 1.0, free_bits: float = 0.0
) -> Loss:
    """-ELBO = E_q[-log p(x|z)] + beta * KL(q(z|x) || N(0, I)), one z sample per example.

    free_bits > 0 (Kingma et al. 2016): each latent dimension's batch-mean KL below
    `free_bits` nats is not penalised, so the optimiser gains nothing by collapsing it.
    `Loss.kl` always reports the true KL; only `total` sees the floor.
    """
    reconstruction = out.p_x.reconstruction(x).mean()
    if out.q_log_std is None:  # auto-encoder: no KL term
        kl = reconstruction.new_zeros(())
        return Loss(total=reconstruction, reconstruction=reconstruction, kl=kl)
    kl_per_dim = kl_normal_standard_normal(out.q_mean, out.q_log_std).mean(0)  # (D,)
    kl = kl_per_dim.sum()
    penalised = kl_per_dim.clamp(min=free_bits).sum() if free_bits > 0 else kl
    return Loss(total=reconstruction + beta * penalised, reconstruction=reconstruction, kl=kl)


def _importance_terms(
    model: torch.nn.Module, x: torch.Tensor, k: int, generator: torch.Generator | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """log p(x|z_i), log p(z_i), log q(z_i|x) for k samples z_i ~ q(z|x), each (k, B)."""
    q_z = model.encode(x)
    mean, std = q_z.mean, q_z.stddev  # (B, D)
    eps = torch.randn((k, *mean.shape), generator=generator, device=mean.device,
                      dtype=mean.dtype)
    z = mean + std * eps  # (k, B, D)
    x_rep = x.unsqueeze(0).expand(k, *x.shape).reshape(k * x.shape[0], *x.shape[1:])
    log_px = model.decode(z.reshape(k * x.shape[0], -1), x_rep).log_prob(x_rep)
    log_pz = Normal(torch.zeros_like(z), torch.ones_like(z)).log_prob(z).sum(-1)
    log_qz = Normal(mean, std).log_prob(z).sum(-1)
    return log_px.view(k, x.shape[0]), log_pz, log_qz


def iwae_log_weights(
    model: torch.nn.Module, x: torch.Tensor, k: int, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x) for k samples z_i ~ q(z|x).

    Returns (k, B). Uses the likelihood's full log_prob (with its constants), so
    logsumexp(log w) - log k is an estimate of log p(x) in nats.
    """
    log_px, log_pz, log_qz = _importance_terms(model, x, k, generator)
    return log_px + log_pz - log_qz


def iwae_bound(
    model: torch.nn.Module, x: torch.Tensor, k: int, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """The importance-weighted bound L_k (Burda et al. 2016) per example, (B,), in nats:
    log (1/k) sum_i w_i, computed stably with logsumexp. L_1 is the ELBO; L_k <= log p(x)
    and L_k -> log p(x) as k grows."""
    log_w = iwae_log_weights(model, x, k, generator=generator)
    return torch.logsumexp(log_w, 0) - math.log(k)


ACTIVE_UNIT_THRESHOLD = 0.01  # Burda et al. 2016: Cov_x(E_q[z_u]) above this is active


@torch.no_grad()
def dataset_negative_elbo(
    model: torch.nn.Module,
    x: torch.Tensor,
    *,
    beta: float = 1.0,
    batch_size: int = 1000,
    seed: int = 0,
) -> dict:
    """Negative ELBO terms over a whole tensor of examples, in nats per example.

    Returns loss (reconstruction + beta * KL), reconstruction, kl, negative_elbo
    (reconstruction + KL), kl_per_dim (list, nats) and active_units (the covariance
    criterion of Burda et al. 2016). The sampling noise comes from its own generator
    (`seed`), so repeated evaluations give the same number and leave the global RNG alone.
    """
    was_training = model.training
    model.eval()
    generator = torch.Generator(device=x.device).manual_seed(seed)
    rec_sum = torch.zeros((), dtype=torch.float64)
    kl_dims = None
    means = []
    for i in range(0, x.shape[0], batch_size):
        xb = x[i : i + batch_size]
        out = model(xb, generator=generator)
        rec = out.p_x.reconstruction(xb).double().sum().cpu()
        if out.q_log_std is None:
            kl_b = torch.zeros(out.q_mean.shape[1], dtype=torch.float64)
        else:
            kl_b = kl_normal_standard_normal(out.q_mean, out.q_log_std).double().sum(0).cpu()
        kl_dims = kl_b if kl_dims is None else kl_dims + kl_b
        rec_sum += rec
        means.append(out.q_mean.double().cpu())
    model.train(was_training)
    n = x.shape[0]
    reconstruction = float(rec_sum / n)
    kl_per_dim = (kl_dims / n).tolist()
    kl = float(sum(kl_per_dim))
    variance = torch.cat(means).var(0) if n > 1 else torch.zeros(len(kl_per_dim))
    return {
        "loss": reconstruction + beta * kl,
        "reconstruction": reconstruction,
        "kl": kl,
        "negative_elbo": reconstruction + kl,
        "kl_per_dim": kl_per_dim,
        "active_units": int((variance > ACTIVE_UNIT_THRESHOLD).sum()),
    }


def iwae_loss(
    model: torch.nn.Module, x: torch.Tensor, k: int, *, generator: torch.Generator | None = None
) -> Loss:
    """The IWAE training objective: total = -L_k, batch mean, nats per example.

    The reported terms are Monte-Carlo estimates over the k samples:
    reconstruction = -E[log p(x|z)] (the likelihood's full log_prob, constants included)
    and kl = E[log q(z|x) - log p(z)].
    """
    log_px, log_pz, log_qz = _importance_terms(model, x, k, generator)
    bound = torch.logsumexp(log_px + log_pz - log_qz, 0) - math.log(k)
    return Loss(total=-bound.mean(), reconstruction=-log_px.mean(),
                kl=(log_qz - log_pz).mean())
