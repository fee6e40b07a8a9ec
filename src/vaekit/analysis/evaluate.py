"""How good is a trained VAE? ELBO terms, the importance-weighted log p(x), bits per
dimension, active units and KL per latent dimension (frozen dataclasses out). Training
logs `elbo_terms` every epoch; `vaekit evaluate` reports `evaluate`.

log p(x) is estimated as in Burda et al. (2016), eq. 8-9: with z_1..z_K ~ q(z|x),

    log p(x) ~= log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)         (= L_K <= log p(x))

a lower bound in expectation that tightens as K grows (L_1 is the ELBO). The K samples are
drawn in chunks so that memory stays bounded for any K, and the chunks are combined
exactly: logsumexp over all K = logsumexp over chunks of each chunk's logsumexp.
Units: nats per example; bits per dimension = -log P(x) / (D ln 2).

Which number is a likelihood. A Bernoulli likelihood is a probability of binary pixels:
on binarised data its -log p(x) is an NLL; on grey pixels, summed BCE is not (it is not
normalised over [0, 1]), and the result says so (`proper_likelihood` False). Gaussian and
continuous-Bernoulli likelihoods are densities over pixel values; for 8-bit data they are
evaluated, as is usual, on uniformly dequantised pixels x' = (k + u) / L (L intensity
levels, u ~ U(0, 1)), and D log L is added: a bound on the NLL of the discrete pixels,
so the bits per dimension compare with published ones (Theis et al. 2016, sec. 3.1).

Precision. The IWAE passes run in float32 by default. `precision="bf16"` (`vaekit
evaluate --fast`) runs the networks under bfloat16 autocast and everything after them
(z = mean + sigma * eps with float32 noise, the log-densities, their sums over pixels and
latents, the logsumexp over K) in float32 and float64. Measured (README, "Evaluation
precision"; benchmarks/eval_precision.py): conv models 1.6-3x faster, LSTMs 1.4x, dense
ones not at all; the mean log p(x) moved by at most 0.1 of its standard error, one
example's value by up to about 0.7 nats, so it is not the default.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import torch

from vaekit.errors import ConfigError
from vaekit.models.vae import VAE, VAEOutput
from vaekit.objectives import importance_log_weights

# Values of x decoded at once, summed over the (example, z) pairs of one pass: bounds memory
# for any K and image size. Larger passes are slower on CPU, not faster: fresh buffers of
# many MB cost page faults (measured: 16k MNIST pairs per pass, 40% system time; conv
# feature maps are ~ channels x the image, so a 64x64 face pass gets 64 pairs).
VALUES_PER_PASS = 2**18
ACTIVE_UNIT_THRESHOLD = 0.01  # Burda et al. 2016: Cov_x(E_q[z_u]) above this is active

Progress = Callable[[int], None]  # called with the number of examples just finished
PRECISIONS = ("fp32", "bf16")  # of the IWAE passes; see "Precision" above


def _float32(value: Any) -> Any:
    """A tensor of reduced precision as float32 (others as they are)."""
    if isinstance(value, torch.Tensor) and value.dtype in (torch.bfloat16, torch.float16):
        return value.float()
    return value


def _as_float32(out: VAEOutput) -> VAEOutput:
    """The forward's tensors, and its likelihood's, in float32."""
    p_x = out.p_x
    if not dataclasses.is_dataclass(p_x):  # every likelihood of vaekit.models is one
        raise TypeError(f"cannot take a {type(p_x).__name__} to float32: not a dataclass")
    p_x = dataclasses.replace(p_x, **{f.name: _float32(getattr(p_x, f.name))
                                      for f in dataclasses.fields(p_x) if f.init})
    return dataclasses.replace(out, p_x=p_x, z=_float32(out.z), q_mean=_float32(out.q_mean),
                               q_log_std=_float32(out.q_log_std))


def check_precision(precision: str) -> None:
    """Every pass checks it (`_networks_in`); `evaluate` and `evaluate_sequences` also
    check it first, before their ELBO and accuracy passes."""
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")


@contextlib.contextmanager
def _networks_in(model: VAE, precision: str) -> Iterator[Callable[[VAEOutput], VAEOutput]]:
    """The context the IWAE passes' networks run in, and what turns their output into
    float32: fp32 as it is; bf16: autocast to bfloat16."""
    check_precision(precision)
    with torch.autocast(model.device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
        yield _as_float32 if precision == "bf16" else (lambda out: out)


def importance_log_weights_at(model: VAE, xb: torch.Tensor, *, samples: int,
                              generator: torch.Generator, precision: str = "fp32",
                              **forward: Any) -> torch.Tensor:
    """log w for `samples` z per example of the batch xb, (samples, B), float32: the
    networks in `precision`, the log-densities in float32."""
    with _networks_in(model, precision) as as_float32:
        out = as_float32(model(xb, samples=samples, generator=generator, **forward))
    return importance_log_weights(out, xb)


@dataclass(frozen=True)
class ElboTerms:
    """The negative ELBO's terms over a set of examples, one z per example, in nats per
    example; `objective` is what training minimises (with beta and the free-bits floor)."""

    examples: int
    negative_elbo: float  # reconstruction + kl
    reconstruction: float  # the likelihood's training term (Gaussian: without its constant)
    kl: float
    objective: float  # reconstruction + beta * sum_d max(kl_d, free_bits)
    kl_per_dim: tuple[float, ...]
    active_units: int  # Burda et al. 2016: Cov_x(E_q[z_u]) > 0.01

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kl_per_dim": list(self.kl_per_dim)}


def _slice(labels: torch.Tensor | None, i: int, n: int) -> torch.Tensor | None:
    return None if labels is None else labels[i : i + n]


@torch.no_grad()
def elbo_terms(
    model: VAE,
    x: torch.Tensor,
    *,
    beta: float = 1.0,
    free_bits: float = 0.0,
    batch_size: int = 1000,
    seed: int = 0,
    labels: torch.Tensor | None = None,
) -> ElboTerms:
    """The negative ELBO's terms over every example of x. The sampling noise comes from
    its own generator (`seed`), so repeated evaluations give the same number and leave
    the global RNG alone. `labels` (N,): a conditional model's class labels."""
    was_training = model.training
    model.eval()
    generator = torch.Generator(device=model.device).manual_seed(seed)
    rec_sum = torch.zeros((), dtype=torch.float64)
    kl_dims = None  # (D',) sums; stays None for an auto-encoder (no KL)
    means = []
    for i in range(0, x.shape[0], batch_size):
        xb = x[i : i + batch_size].to(model.device)
        out = model(xb, generator=generator, y=_slice(labels, i, batch_size))
        rec_sum += out.p_x.reconstruction(xb).double().sum().cpu()
        if out.q_log_std is not None:
            batch = out.p_z.kl(out.q_mean, out.q_log_std, out.z).double().sum(0).cpu()
            kl_dims = batch if kl_dims is None else kl_dims + batch
        means.append(out.q_mean.double().cpu())
    model.train(was_training)
    n = x.shape[0]
    reconstruction = float(rec_sum / n)
    kl_per_dim = [0.0] * model.latent_dim if kl_dims is None else (kl_dims / n).tolist()
    kl = float(sum(kl_per_dim))
    variance = torch.cat(means).var(0) if n > 1 else torch.zeros(model.latent_dim)
    penalised = sum(max(v, free_bits) for v in kl_per_dim) if free_bits > 0 else kl
    return ElboTerms(
        examples=n, negative_elbo=reconstruction + kl, reconstruction=reconstruction, kl=kl,
        objective=reconstruction + beta * penalised, kl_per_dim=tuple(kl_per_dim),
        active_units=int((variance > ACTIVE_UNIT_THRESHOLD).sum()),
    )


def check_evaluable(model: VAE) -> None:
    """Refuse models whose likelihood these estimates do not cover (yet)."""
    if getattr(model, "autoencoder", False):
        raise ConfigError("an auto-encoder defines no likelihood p(x): nothing to evaluate")
    if getattr(model, "teacher_forced", False):
        raise ConfigError("sequence runs (model.arch=lstm) are scored by "
                          "vaekit.analysis.sequences, not by the image likelihood estimate")


@torch.no_grad()
def log_likelihood(
    model: VAE,
    x: torch.Tensor,
    *,
    k: int,
    batch_size: int = 100,
    samples_per_pass: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    labels: torch.Tensor | None = None,
    precision: str = "fp32",
) -> torch.Tensor:
    """The importance-weighted estimate L_K of log p(x) for every example: (N,), float64,
    nats. `batch_size` examples at a time; K is split into chunks of at most
    `samples_per_pass // batch_size` samples (at least 1); `samples_per_pass` defaults to
    VALUES_PER_PASS // D for D values per example. Seeded: its own generator. `labels`
    (N,): a conditional model's class labels. `precision`: of the networks' passes
    (fp32 | bf16, see the module's note)."""
    if k < 1:
        raise ConfigError(f"the number of importance samples must be at least 1, got {k}")
    check_evaluable(model)
    was_training = model.training
    model.eval()
    generator = torch.Generator(device=model.device).manual_seed(seed)
    if samples_per_pass is None:
        samples_per_pass = max(1, VALUES_PER_PASS // max(1, x[0].numel()))
    chunk = max(1, min(k, samples_per_pass // max(1, batch_size)))
    out = []
    for i in range(0, x.shape[0], batch_size):
        xb = x[i : i + batch_size].to(model.device)
        parts = []  # per chunk: logsumexp_k log w_k, (B,)
        for start in range(0, k, chunk):
            log_w = importance_log_weights_at(  # (c, B)
                model, xb, samples=min(chunk, k - start), generator=generator,
                precision=precision, y=_slice(labels, i, batch_size))
            parts.append(torch.logsumexp(log_w.double(), 0))  # (B,)
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
    likelihood: str  # bernoulli | gaussian | continuous_bernoulli
    proper_likelihood: bool  # False: the numbers below are not a (log-)likelihood of x
    iw_samples: int  # K
    nll: float  # -mean log p(x), the IWAE estimate with K samples, nats per example
    nll_standard_error: float  # of that mean over examples, nats
    negative_elbo: float  # reconstruction + kl, one z per example, nats per example
    reconstruction: float  # E_q[-log p(x|z)], nats per example (Gaussian constant included)
    kl: float  # KL(q(z|x) || p(z)), nats per example
    gaussian_constant: float  # D log(sigma sqrt(2 pi)), in reconstruction; 0 otherwise
    dequantized_levels: int | None  # L: densities were evaluated on (k + u) / L
    bits_per_dim: float | None  # (nll + D log L) / (D ln 2); None where it means nothing
    elbo_bits_per_dim: float | None  # the same for the negative ELBO
    active_units: int  # Burda et al. 2016: Cov_x(E_q[z_u]) > 0.01
    latent_dim: int
    kl_per_dim: list[float]  # nats per example, one per latent dimension
    note: str = ""
    precision: str = "fp32"  # of the IWAE passes' networks (the ELBO terms: always fp32)

    def to_dict(self) -> dict[str, Any]:
        fields = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                  for k, v in asdict(self).items()}  # JSON has no NaN (one example: no s.e.)
        return {"units": "nats per example; bits per dimension", **fields}


@torch.no_grad()
def omitted_constant(model: VAE, x: torch.Tensor, *,
                     labels: torch.Tensor | None = None) -> float:
    """What the likelihood's training `reconstruction` leaves out of -log p(x|z), in nats
    per example: D log(sigma sqrt(2 pi)) for a Gaussian, 0 for a Bernoulli."""
    xb, yb = x[:1].to(model.device), _slice(labels, 0, 1)
    p_x = model.decode(model.encode(xb, y=yb).mean, y=yb)
    return float((-p_x.log_prob(xb) - p_x.reconstruction(xb)).double().mean())


def dequantize(x: torch.Tensor, levels: int, *, seed: int = 0) -> torch.Tensor:
    """Pixels k / (L - 1) -> (k + u) / L with u ~ U(0, 1): continuous values whose density
    bounds the probability of the discrete pixels (Theis et al. 2016)."""
    k = torch.round(x.double() * (levels - 1))
    if (k - x.double() * (levels - 1)).abs().max() > 1e-3:
        raise ConfigError(f"the data are not {levels}-level pixels; cannot dequantise them")
    u = torch.rand(x.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return ((k + u) / levels).to(x.dtype)


def _support(model: VAE) -> str:
    """binary (Bernoulli), unit_interval (continuous Bernoulli) or real (Gaussian)."""
    return getattr(model.likelihood, "support", "real")


def _is_binary(x: torch.Tensor) -> bool:
    return bool(((x == 0) | (x == 1)).all())


def evaluate(
    model: VAE,
    x: torch.Tensor,
    *,
    k: int = 1000,
    batch_size: int = 100,
    seed: int = 0,
    levels: int | None = None,
    progress: Progress | None = None,
    labels: torch.Tensor | None = None,
    precision: str = "fp32",
) -> tuple[Evaluation, torch.Tensor]:
    """All metrics for the examples x, and the per-example log p(x) estimates (N,) (they
    feed out-of-distribution scores, see vaekit.analysis.ood). `levels`: the number of
    intensity levels of the data (256 for 8-bit images), which makes densities comparable
    with published bits per dimension; None evaluates densities on x as given. `labels`
    (N,): a conditional model's class labels (its numbers are then log p(x | y)).
    `precision`: of the IWAE passes' networks (fp32 | bf16, see the module's note)."""
    check_evaluable(model)
    check_precision(precision)
    dims = x[0].numel()
    support = _support(model)
    config = getattr(model, "config", None)
    likelihood = getattr(config, "likelihood", type(model.likelihood).__name__.lower())
    proper, note, deq = True, "", None
    if support == "binary" and not _is_binary(x):
        proper = False
        note = ("Bernoulli likelihood on grey pixels: summed binary cross-entropy is not a "
                "log-likelihood of grey values (it is not normalised over [0, 1]); the "
                "'log p(x)' numbers are IWAE estimates of that score, not probabilities. "
                "For a likelihood: --binarize dynamic, or --likelihood continuous_bernoulli "
                "or gaussian")
    elif support in ("real", "unit_interval") and levels is not None:
        deq = levels
        x = dequantize(x, levels, seed=seed)
    terms = elbo_terms(model, x, batch_size=max(batch_size, 1), seed=seed, labels=labels)
    log_px = log_likelihood(model, x, k=k, batch_size=batch_size, seed=seed,
                            progress=progress, labels=labels, precision=precision)
    n = log_px.shape[0]
    sem = float(log_px.std() / math.sqrt(n)) if n > 1 else float("nan")
    const = omitted_constant(model, x, labels=labels)
    # The training loss leaves the Gaussian constant out of its reconstruction term; a
    # bound on log p(x), comparable with the IWAE estimate, must keep it.
    reconstruction = terms.reconstruction + const
    nll = float(-log_px.mean())
    negative_elbo = reconstruction + terms.kl
    discrete = dims * math.log(deq) if deq else 0.0  # the dequantisation's D log L
    bits = (lambda nats: (nats + discrete) / (dims * math.log(2.0))) if proper else (
        lambda nats: None)
    if support != "binary":
        note = (f"{likelihood} likelihood: a density over pixel values"
                + (f", evaluated on dequantised pixels (k + u) / {deq}; bits/dim add "
                   f"D log {deq} and bound the NLL of the {deq}-level pixels" if deq else
                   "; bits/dim are those of the density and may be negative")
                + (f"; log p(x) includes the constant -D log(sigma sqrt(2 pi)) = "
                   f"{-const:.2f} nats that the training loss leaves out" if const else ""))
    result = Evaluation(
        examples=n, dims=dims, likelihood=likelihood, proper_likelihood=proper,
        iw_samples=k, nll=nll, nll_standard_error=sem, negative_elbo=negative_elbo,
        reconstruction=reconstruction, kl=terms.kl, gaussian_constant=const,
        dequantized_levels=deq, bits_per_dim=bits(nll), elbo_bits_per_dim=bits(negative_elbo),
        active_units=terms.active_units, latent_dim=len(terms.kl_per_dim),
        kl_per_dim=list(terms.kl_per_dim), note=note, precision=precision,
    )
    return result, log_px
