"""The VAE: encoder, prior, decoder and likelihood, joined by the reparameterised sampler.

An auto-encoder (AE) is the same parts with no sampling and no KL: z is the encoder's
mean. The model holds no loss; see vaekit.objectives, which reads a forward pass's
`VAEOutput` (the likelihood, the posterior, the sampled z and the prior) and nothing else.

A conditional VAE (Sohn et al. 2015; `classes` set) models p(x | y) for class labels y:
encoder q(z | x, y) and decoder p(x | z, y) both read the one-hot label, the prior stays
N(0, I). Every method then takes the labels `y` (N,) (or one label for all); an
unconditional model takes none. Either mistake is a one-line ConfigError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal

from vaekit.errors import ConfigError
from vaekit.models.priors import Prior


@dataclass(frozen=True)
class VAEOutput:
    """What one forward pass produced. Shapes: x-like (B, C, H, W); latents (B, D).

    With K samples per example (`forward(x, samples=K)`, or noise of shape (K, B, D)), z is
    (K, B, D) and p_x covers the K * B decodings, sample-major (row k * B + b).
    """

    p_x: Any  # likelihood distribution (BernoulliPx / GaussianPx): reconstruction, log_prob
    z: torch.Tensor  # the latent(s) that were decoded
    q_mean: torch.Tensor  # (B, D)
    q_log_std: torch.Tensor | None  # (B, D); None for an auto-encoder (nothing was sampled)
    p_z: Prior  # the model's prior: the objective asks it for the KL and for log p(z)

    @property
    def samples(self) -> int:
        """Latent samples per example (1 unless forward drew K)."""
        return self.z.shape[0] if self.z.ndim == 3 else 1

    @property
    def q_z(self) -> Normal | None:
        if self.q_log_std is None:
            return None
        return Normal(self.q_mean, self.q_log_std.exp(), validate_args=False)


class VAE(nn.Module):
    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        likelihood: nn.Module,
        prior: Prior,
        *,
        autoencoder: bool = False,
        log_std_range: tuple[float, float] = (-10.0, 5.0),
        classes: int | None = None,
    ) -> None:
        super().__init__()
        self.classes = classes  # conditional on this many class labels; None: unconditional
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = likelihood
        self.prior = prior
        self.autoencoder = autoencoder
        # Sequence decoders read the target (teacher forcing): decoder(z, x).
        self.teacher_forced = bool(getattr(decoder, "teacher_forced", False))
        # Clamp on the log-sigma head: exp(2 * log_std) in the KL overflows and the
        # posterior's scale can collapse to 0 without it. Default range: sigma in
        # [exp(-10), exp(5)] = [4.5e-5, 148].
        self.log_std_range = log_std_range

    @property
    def latent_dim(self) -> int:
        return self.prior.latent_dim

    @property
    def device(self) -> torch.device:
        """Where the weights are: inputs go there, results come back with `.cpu()`."""
        return next(self.parameters()).device

    def condition(self, y: torch.Tensor | int | None, n: int) -> torch.Tensor | None:
        """The one-hot labels (n, classes) a conditional model's parts read, from labels
        (n,) or one label for all n; None for an unconditional model."""
        if self.classes is None:
            if y is not None:
                raise ConfigError("class labels were given, but this model is not conditional "
                                  "(train with --conditional)")
            return None
        if y is None:
            raise ConfigError(f"this model is conditional on class labels (0..{self.classes - 1})"
                              " and none were given (y=...); the commands that take them: "
                              "sample --label, evaluate, serve")
        y = torch.as_tensor(y, device=self.device).long().reshape(-1)
        if y.numel() == 1:
            y = y.expand(n)
        if y.shape[0] != n:
            raise ConfigError(f"{y.shape[0]} labels for {n} examples")
        if y.numel() and (int(y.min()) < 0 or int(y.max()) >= self.classes):
            raise ConfigError(f"class labels must be in 0..{self.classes - 1}, got "
                              f"{int(y.min())}..{int(y.max())}")
        return F.one_hot(y, self.classes).float()

    def _heads(self, x: torch.Tensor, c: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std = self.encoder(x) if c is None else self.encoder(x, c)
        return mean, log_std.clamp(*self.log_std_range)

    def encode(self, x: torch.Tensor, *, y: torch.Tensor | int | None = None) -> Normal:
        """q(z|x) (q(z|x, y) if conditional) as a Normal over (B, D). For an auto-encoder
        only `.mean` is meaningful."""
        mean, log_std = self._heads(x, self.condition(y, x.shape[0]))
        return Normal(mean, log_std.exp(), validate_args=False)

    def _decode(self, z: torch.Tensor, x: torch.Tensor | None, c: torch.Tensor | None) -> Any:
        if self.teacher_forced:
            if x is None:
                raise ValueError("a sequence decoder needs x (teacher forcing); use generate")
            return self.likelihood(self.decoder(z, x))
        return self.likelihood(self.decoder(z) if c is None else self.decoder(z, c))

    def decode(self, z: torch.Tensor, x: torch.Tensor | None = None, *,
               y: torch.Tensor | int | None = None) -> Any:
        """p(x|z) (p(x|z, y) if conditional) for latents (B, D): use `.mean` for images,
        `.log_prob(x)` for scores.

        Sequence decoders are teacher-forced on `x` (required for them); image decoders
        ignore it. To generate sequences from z, use `generate`.
        """
        return self._decode(z, x, self.condition(y, z.shape[0]))

    @torch.no_grad()
    def generate(self, z: torch.Tensor, *, y: torch.Tensor | int | None = None,
                 **options: Any) -> torch.Tensor:
        """Decode latents to outputs: images (likelihood means; labels `y` for a
        conditional model) or sequences (tokens, with the decoder's sampling options such
        as temperature)."""
        if hasattr(self.decoder, "generate"):
            self.condition(y, z.shape[0])  # sequence models are never conditional
            return self.decoder.generate(z, **options)
        return self.decode(z, y=y).mean

    def forward(
        self,
        x: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        eps: torch.Tensor | None = None,
        samples: int = 1,
        y: torch.Tensor | None = None,
    ) -> VAEOutput:
        """Encode, sample z, decode. One z per example, or `samples` = K of them (the
        importance-weighted bound, Burda et al. 2016). `eps` (B, D) or (K, B, D) supplies
        the standard normal noise (the trainer draws it for a whole global batch, so that
        N processes see the same noise as one); otherwise it is drawn from `generator`.
        `y` (B,): the class labels of a conditional model."""
        c = self.condition(y, x.shape[0])  # (B, classes) or None
        mean, log_std = self._heads(x, c)
        if self.autoencoder:
            return VAEOutput(p_x=self._decode(mean, x, c), z=mean, q_mean=mean,
                             q_log_std=None, p_z=self.prior)
        if eps is None:
            shape = mean.shape if samples == 1 else (samples, *mean.shape)
            # At least float32: under bf16 autocast the heads are bf16, whose spacing (0.016
            # near |mean| = 3) can exceed sigma; with float32 noise, z below is formed in
            # float32 (by promotion) and sits where log q(z|x) will be evaluated.
            eps = torch.randn(shape, generator=generator, device=mean.device,
                              dtype=torch.promote_types(mean.dtype, torch.float32))
        # Reparameterisation (Kingma & Welling 2014, eq. 10): z = mean + sigma * eps.
        z = mean + log_std.exp() * eps  # (B, D) or (K, B, D)
        if z.ndim == 2:
            return VAEOutput(p_x=self._decode(z, x, c), z=z, q_mean=mean, q_log_std=log_std,
                             p_z=self.prior)
        k = z.shape[0]
        x_rep = None if not self.teacher_forced else x.expand(k, *x.shape).flatten(0, 1)
        c_rep = None if c is None else c.repeat(k, 1)  # sample-major, as the decodings
        p_x = self._decode(z.flatten(0, 1), x_rep, c_rep)  # K * B decodings, sample-major
        return VAEOutput(p_x=p_x, z=z, q_mean=mean, q_log_std=log_std, p_z=self.prior)

    @torch.no_grad()
    def sample(
        self,
        n: int,
        *,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
        y: torch.Tensor | int | None = None,
    ) -> torch.Tensor:
        """n draws z ~ N(0, temperature^2 I), decoded (see `generate`): images (n, C, H, W);
        `y`: the labels (n,), or one label, of a conditional model's samples."""
        z = self.prior.sample(n, temperature=temperature, generator=generator, device=self.device)
        return self.generate(z, y=y)
