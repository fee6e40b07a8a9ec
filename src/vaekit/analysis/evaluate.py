"""How good is a trained VAE? ELBO terms, the importance-weighted log p(x), bits per
dimension, active units and KL per latent dimension (tensors and dataclasses out).

log p(x) is estimated as in Burda et al. (2016), eq. 8-9: with z_1..z_K ~ q(z|x),

    log p(x) ~= log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)         (= L_K <= log p(x))

a lower bound in expectation that tightens as K grows (L_1 is the ELBO). The K samples are
drawn in chunks so that memory stays bounded for any K, and the chunks are combined
exactly: logsumexp over all K = logsumexp over chunks of each chunk's logsumexp.
Units: nats per example; bits per dimension = -log p(x) / (D ln 2).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch

from vaekit.errors import ConfigError
from vaekit.objectives import dataset_negative_elbo, iwae_log_weights

# Values of x decoded at once, summed over the (example, z) pairs of one pass: bounds memory
# for any K and image size. Larger passes are slower on CPU, not faster: fresh buffers of
# many MB cost page faults (measured: 16k MNIST pairs per pass, 40% system time; conv
# feature maps are ~ channels x the image, so a 64x64 face pass gets 64 pairs).
VALUES_PER_PASS = 2**18
GAUSSIAN_NOTE = ("Gaussian likelihood: log p(x) is a density on continuous pixel values and "
                 "includes the constant -D log(sigma sqrt(2 pi)); bits/dim may be negative")

Progress = Callable[[int], None]  # called with the number of examples just finished


def check_evaluable(model: torch.nn.Module) -> None:
    """Refuse models whose likelihood these estimates do not cover (yet)."""
    if getattr(model, "autoencoder", False):
        raise ConfigError("an auto-encoder defines no likelihood p(x): nothing to evaluate")
    if getattr(model, "teacher_forced", False):
        raise ConfigError("sequence runs (model.arch=lstm) are not evaluated by this command "
                          "yet; use the test metrics in the run's metrics.jsonl")


@torch.no_grad()
def log_likelihood(
    model: torch.nn.Module,
    x: torch.Tensor,
    *,
    k: int,
    batch_size: int = 100,
    samples_per_pass: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> torch.Tensor:
    """The importance-weighted estimate L_K of log p(x) for every example: (N,), float64,
    nats. `batch_size` examples at a time; K is split into chunks of at most
    `samples_per_pass // batch_size` samples (at least 1); `samples_per_pass` defaults to
    VALUES_PER_PASS // D for D values per example. Seeded: its own generator."""
    if k < 1:
        raise ConfigError(f"the number of importance samples must be at least 1, got {k}")
    check_evaluable(model)
    was_training = model.training
    model.eval()
    device = model.device
    generator = torch.Generator(device=device).manual_seed(seed)
    if samples_per_pass is None:
        samples_per_pass = max(1, VALUES_PER_PASS // max(1, x[0].numel()))
    chunk = max(1, min(k, samples_per_pass // max(1, batch_size)))
    out = []
    for i in range(0, x.shape[0], batch_size):
        xb = x[i : i + batch_size].to(device)
        parts = []  # per chunk: logsumexp_k log w_k, (B,)
        for start in range(0, k, chunk):
            log_w = iwae_log_weights(model, xb, min(chunk, k - start), generator=generator)
            parts.append(torch.logsumexp(log_w.double(), 0))  # (c, B) -> (B,)
        out.append((torch.logsumexp(torch.stack(parts), 0) - math.log(k)).cpu())
        if progress is not None:
            progress(xb.shape[0])
    model.train(was_training)
    return torch.cat(out)


@dataclass(frozen=True)
class Evaluation:
    """Likelihood metrics over a set of examples. Nats are per example (summed over the D
    dimensions of x, averaged over examples); bits per dimension divide by D ln 2."""

    examples: int
    dims: int  # D, values per example
    likelihood: str  # bernoulli | gaussian
    iw_samples: int  # K
    nll: float  # -mean log p(x), the IWAE estimate with K samples, nats per example
    nll_standard_error: float  # of that mean over examples, nats
    negative_elbo: float  # reconstruction + kl, one z per example, nats per example
    reconstruction: float  # E_q[-log p(x|z)], nats per example (Gaussian constant included)
    kl: float  # KL(q(z|x) || p(z)), nats per example
    gaussian_constant: float  # D log(sigma sqrt(2 pi)), in reconstruction; 0 otherwise
    bits_per_dim: float  # nll / (D ln 2)
    elbo_bits_per_dim: float  # negative_elbo / (D ln 2)
    active_units: int  # Burda et al. 2016: Cov_x(E_q[z_u]) > 0.01
    latent_dim: int
    kl_per_dim: list[float]  # nats per example, one per latent dimension
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        fields = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                  for k, v in asdict(self).items()}  # JSON has no NaN (one example: no s.e.)
        return {"units": "nats per example; bits per dimension", **fields}


def _bits(nats: float, dims: int) -> float:
    return nats / (dims * math.log(2.0))


@torch.no_grad()
def omitted_constant(model: torch.nn.Module, x: torch.Tensor) -> float:
    """What the likelihood's training `reconstruction` leaves out of -log p(x|z), in nats
    per example: D log(sigma sqrt(2 pi)) for a Gaussian, 0 for a Bernoulli."""
    xb = x[:1].to(model.device)
    p_x = model.decode(model.encode(xb).mean)
    return float((-p_x.log_prob(xb) - p_x.reconstruction(xb)).double().mean())


def evaluate(
    model: torch.nn.Module,
    x: torch.Tensor,
    *,
    k: int = 1000,
    batch_size: int = 100,
    seed: int = 0,
    progress: Progress | None = None,
) -> tuple[Evaluation, torch.Tensor]:
    """All metrics for the examples x, and the per-example log p(x) estimates (N,) (they
    feed out-of-distribution scores, see vaekit.analysis.ood)."""
    check_evaluable(model)
    dims = x[0].numel()
    terms = dataset_negative_elbo(model, x.to(model.device), batch_size=max(batch_size, 1),
                                  seed=seed)
    log_px = log_likelihood(model, x, k=k, batch_size=batch_size, seed=seed,
                            progress=progress)
    n = log_px.shape[0]
    sem = float(log_px.std() / math.sqrt(n)) if n > 1 else float("nan")
    const = omitted_constant(model, x)
    config = getattr(model, "config", None)
    likelihood = getattr(config, "likelihood", type(model.likelihood).__name__.lower())
    # The training loss leaves the Gaussian constant out of its reconstruction term; a
    # bound on log p(x), comparable with the IWAE estimate, must keep it.
    reconstruction = terms["reconstruction"] + const
    nll = float(-log_px.mean())
    result = Evaluation(
        examples=n, dims=dims, likelihood=likelihood, iw_samples=k, nll=nll, nll_standard_error=sem,
        negative_elbo=reconstruction + terms["kl"], reconstruction=reconstruction,
        kl=terms["kl"], gaussian_constant=const, bits_per_dim=_bits(nll, dims),
        elbo_bits_per_dim=_bits(reconstruction + terms["kl"], dims),
        active_units=terms["active_units"], latent_dim=len(terms["kl_per_dim"]),
        kl_per_dim=terms["kl_per_dim"],
        note=GAUSSIAN_NOTE if const or "gaussian" in likelihood else "",
    )
    return result, log_px
