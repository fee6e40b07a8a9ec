"""Likelihoods p(x|z): decoder outputs -> a distribution over x.

Units: `reconstruction(x)` and `log_prob(x)` are per example, summed over every pixel /
dimension of x, in nats. Shapes: parameters and x are (B, *event_shape).

Each likelihood module states the `support` its log_prob is a (log-)probability on:
"binary" (Bernoulli: pixels 0 or 1 -- on grey pixels summed BCE is a training loss, not a
likelihood), "unit_interval" (continuous Bernoulli: a density on [0, 1]), "real"
(Gaussians: densities) or "categorical" (token classes). Evaluation reads it.

Three Gaussians. The seed's fixes sigma = 1/sqrt(2), so its loss is the summed squared
error; on images that weighs the reconstruction far too little against the KL (an MSE of
0.02 per pixel is a sigma of 0.14, not 0.71), and the decoder learns blurry means (the
"blurry VAE" of every tutorial). Rybkin et al. 2021 ("Simple and effective VAE training
with calibrated decoders", the sigma-VAE) learn one sigma shared by all pixels, or set it
to its analytic optimum: for fixed means, the sigma that maximises the likelihood of a
batch is the root mean squared error, sigma*^2 = mean over the batch and pixels of
(x - mean)^2. Both are here beside the seed's: `gaussian_learned` (a parameter, trained
with everything else) and `gaussian_optimal` (sigma* of each training batch; evaluation
uses a running average of it, kept as a buffer). Their `reconstruction` is the full
-log p(x|z), sigma term and constant included: with sigma learned, the D log sigma term is
what stops sigma from growing without bound, so it cannot be left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


def _sum_event(t: torch.Tensor) -> torch.Tensor:
    return t.flatten(1).sum(1)  # (B, ...) -> (B,)


@dataclass(frozen=True)
class BernoulliPx:
    """Independent Bernoulli per pixel, parameterised by logits."""

    logits: torch.Tensor

    @property
    def mean(self) -> torch.Tensor:
        return torch.sigmoid(self.logits)

    def reconstruction(self, x: torch.Tensor) -> torch.Tensor:
        """-log p(x|z): binary cross-entropy summed over pixels, (B,). x may be grey in [0, 1]."""
        return _sum_event(F.binary_cross_entropy_with_logits(self.logits, x, reduction="none"))

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return -self.reconstruction(x)

    def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.bernoulli(self.mean, generator=generator)


@dataclass(frozen=True)
class GaussianPx:
    """Independent Gaussian per pixel with a fixed standard deviation `sigma`.

    With the default sigma = 1/sqrt(2), `reconstruction` is exactly the seed's loss, the
    squared error summed over pixels: -log N(x; mean, sigma^2) = (x - mean)^2 / (2 sigma^2)
    + log(sigma sqrt(2 pi)); the second, constant part is left out of `reconstruction`
    (it does not change training) and kept in `log_prob` (it matters for likelihoods).
    """

    loc: torch.Tensor
    sigma: float

    @property
    def mean(self) -> torch.Tensor:
        return self.loc

    def reconstruction(self, x: torch.Tensor) -> torch.Tensor:
        return _sum_event((x - self.loc).square()) / (2.0 * self.sigma**2)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        dims = x[0].numel()
        const = dims * math.log(self.sigma * math.sqrt(2.0 * math.pi))
        return -self.reconstruction(x) - const

    def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        noise = torch.randn(self.loc.shape, generator=generator, device=self.loc.device)
        return self.loc + self.sigma * noise


# sigma >= 0.0025, the floor of Rybkin et al.'s code: a decoder that reproduces a batch
# exactly must not drive the likelihood to infinity. (A hard floor, where their code has a
# soft one, so that above it the optimum is exact.)
LOG_SIGMA_MIN = -6.0


def sigma_floor(log_sigma: torch.Tensor) -> torch.Tensor:
    return log_sigma.clamp_min(LOG_SIGMA_MIN)


def _gaussian_nll(x: torch.Tensor, loc: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """-log N(x; loc, sigma^2) summed over each example's values, sigma one scalar: (B,)."""
    per_value = (x - loc).square() * torch.exp(-2.0 * log_sigma) / 2.0
    return _sum_event(per_value) + x[0].numel() * (log_sigma + 0.5 * math.log(2.0 * math.pi))


@dataclass(frozen=True)
class LearnedGaussianPx:
    """Independent Gaussians per pixel sharing one sigma, exp(log_sigma) (a scalar tensor)."""

    loc: torch.Tensor
    log_sigma: torch.Tensor  # () nats

    @property
    def mean(self) -> torch.Tensor:
        return self.loc

    def reconstruction(self, x: torch.Tensor) -> torch.Tensor:
        """The full -log p(x|z), (B,): the sigma term and the constant included."""
        return _gaussian_nll(x, self.loc, self.log_sigma)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return -self.reconstruction(x)

    def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        noise = torch.randn(self.loc.shape, generator=generator, device=self.loc.device)
        return self.loc + self.log_sigma.exp() * noise


@dataclass(frozen=True)
class OptimalGaussianPx(LearnedGaussianPx):
    """As LearnedGaussianPx, but while training (`running` is the likelihood's buffer) the
    sigma of a batch is its analytic optimum, the root mean squared error over the batch
    and its pixels (Rybkin et al. 2021, sec. 3.2); each such sigma moves the running
    log sigma that evaluation uses by MOMENTUM of the way."""

    running: torch.Tensor | None = None

    MOMENTUM = 0.1

    def _log_sigma(self, x: torch.Tensor) -> torch.Tensor:
        if self.running is None:
            return self.log_sigma
        # No stop-gradient is needed: at sigma* the loss is flat in sigma, so the means
        # get the gradient they would get with sigma held at sigma* (Rybkin et al. 2021).
        log_sigma = sigma_floor(0.5 * (x - self.loc).square().mean().clamp_min(1e-12).log())
        with torch.no_grad():
            self.running.lerp_(log_sigma.detach().to(self.running.dtype), self.MOMENTUM)
        return log_sigma

    def reconstruction(self, x: torch.Tensor) -> torch.Tensor:
        return _gaussian_nll(x, self.loc, self._log_sigma(x))


@dataclass(frozen=True)
class ContinuousBernoulliPx:
    """The continuous Bernoulli (Loaiza-Ganem & Cunningham 2019) per pixel, by logits: the
    Bernoulli's BCE plus the log normaliser that makes it a density on [0, 1], so it is a
    proper likelihood for grey pixels. Its mean is not sigmoid(logits)."""

    logits: torch.Tensor

    def _dist(self) -> torch.distributions.ContinuousBernoulli:
        return torch.distributions.ContinuousBernoulli(logits=self.logits, validate_args=False)

    @property
    def mean(self) -> torch.Tensor:
        return self._dist().mean

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return _sum_event(self._dist().log_prob(x))

    def reconstruction(self, x: torch.Tensor) -> torch.Tensor:
        return -self.log_prob(x)

    def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        # inverse CDF of a uniform draw (torch's rsample takes no generator)
        u = torch.rand(self.logits.shape, generator=generator, device=self.logits.device)
        return self._dist().icdf(u)


class BernoulliLikelihood(nn.Module):
    """Decoder output = logits. The loss is summed BCE (pytorch/examples, Kingma & Welling)."""

    support = "binary"

    def forward(self, params: torch.Tensor) -> BernoulliPx:
        return BernoulliPx(params)


class ContinuousBernoulliLikelihood(nn.Module):
    """Decoder output = logits of a continuous Bernoulli: a proper likelihood on [0, 1]."""

    support = "unit_interval"

    def forward(self, params: torch.Tensor) -> ContinuousBernoulliPx:
        return ContinuousBernoulliPx(params)


class GaussianLikelihood(nn.Module):
    """Decoder output -> sigmoid -> mean in [0, 1]; fixed sigma (default: the seed's SSE)."""

    support = "real"

    def __init__(self, sigma: float = 1.0 / math.sqrt(2.0)) -> None:
        super().__init__()
        self.sigma = float(sigma)

    def forward(self, params: torch.Tensor) -> GaussianPx:
        return GaussianPx(torch.sigmoid(params), self.sigma)


class LearnedGaussianLikelihood(nn.Module):
    """Decoder output -> sigmoid -> mean in [0, 1]; one sigma for all pixels, learned
    (Rybkin et al. 2021). It starts at the seed's sigma = 1/sqrt(2)."""

    support = "real"

    def __init__(self) -> None:
        super().__init__()
        self.log_sigma = nn.Parameter(torch.tensor(math.log(1.0 / math.sqrt(2.0))))

    def forward(self, params: torch.Tensor) -> LearnedGaussianPx:
        return LearnedGaussianPx(torch.sigmoid(params), sigma_floor(self.log_sigma))


class OptimalGaussianLikelihood(nn.Module):
    """Decoder output -> sigmoid -> mean in [0, 1]; sigma at its analytic optimum for each
    training batch, and a running average of it (the buffer `log_sigma`) for evaluation."""

    support = "real"

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("log_sigma", torch.tensor(math.log(1.0 / math.sqrt(2.0))))

    def forward(self, params: torch.Tensor) -> OptimalGaussianPx:
        return OptimalGaussianPx(torch.sigmoid(params), self.log_sigma,
                                 running=self.log_sigma if self.training else None)


@dataclass(frozen=True)
class CategoricalPx:
    """Independent categorical per sequence position: logits (B, T, V), tokens (B, T).
    Positions holding `pad` are not scored."""

    logits: torch.Tensor
    pad: int | None = None

    @property
    def mean(self) -> torch.Tensor:
        """The most likely class per position (teacher-forced), (B, T)."""
        return self.logits.argmax(-1)

    def reconstruction(self, x: torch.Tensor) -> torch.Tensor:
        """Cross-entropy summed over the scored positions, (B,) nats."""
        ce = F.cross_entropy(self.logits.transpose(1, 2), x, reduction="none")  # (B, T)
        if self.pad is not None:
            ce = ce.masked_fill(x == self.pad, 0.0)
        return ce.sum(1)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return -self.reconstruction(x)

    def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        probs = torch.softmax(self.logits, -1).flatten(0, 1)
        draws = torch.multinomial(probs, 1, generator=generator)
        return draws.view(self.logits.shape[:-1])


class CategoricalLikelihood(nn.Module):
    """Decoder output = logits over token classes; the loss is summed cross-entropy."""

    support = "categorical"

    def __init__(self, pad_token: int | None = None) -> None:
        super().__init__()
        self.pad_token = pad_token

    def forward(self, params: torch.Tensor) -> CategoricalPx:
        return CategoricalPx(params, self.pad_token)
