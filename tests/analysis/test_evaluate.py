"""Known answers for the likelihood estimates: a linear-Gaussian VAE (probabilistic PCA),
where log p(x) = log N(x; b, W W^T + s^2 I) is exact (Tipping & Bishop 1999)."""

import math

import pytest
import torch
from torch import nn

from vaekit.analysis.evaluate import dequantize, elbo_terms, evaluate, log_likelihood
from vaekit.config import ModelConfig
from vaekit.errors import ConfigError
from vaekit.models.build import build_vae
from vaekit.models.likelihoods import GaussianPx
from vaekit.models.priors import StandardNormalPrior
from vaekit.models.vae import VAE

D, LATENT, S = 4, 2, 0.5


class LinearEncoder(nn.Module):
    def __init__(self, weight, bias, log_std):
        super().__init__()
        self.mean = nn.Linear(D, LATENT).double()
        self.log_std = nn.Parameter(log_std.clone())
        with torch.no_grad():
            self.mean.weight.copy_(weight)
            self.mean.bias.copy_(bias)

    def forward(self, x):
        return self.mean(x), self.log_std.expand(x.shape[0], -1)


class IdentityGaussian(nn.Module):
    """Decoder output = the mean itself (vaekit's GaussianLikelihood squashes it to [0, 1])."""

    def forward(self, params):
        return GaussianPx(params, S)


def _ppca(exact: bool = True):
    """(model, W, b): z ~ N(0, I_2), x = W z + b + N(0, S^2 I_4), W with orthogonal columns so
    that the exact posterior N(M^-1 W^T (x - b), S^2 M^-1), M = W^T W + S^2 I, is diagonal."""
    g = torch.Generator().manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(D, D, generator=g, dtype=torch.float64))
    w = q[:, :LATENT] * torch.tensor([2.0, 1.0], dtype=torch.float64)
    b = torch.randn(D, generator=g, dtype=torch.float64)
    m_inv = 1.0 / (w.square().sum(0) + S**2)  # diag of M^-1
    weight = m_inv[:, None] * w.T  # (2, 4)
    log_std = torch.log(S * m_inv.sqrt())
    if not exact:  # a plausible but wrong posterior: shrunk mean, too wide
        weight, log_std = 0.7 * weight, log_std + math.log(1.6)
    encoder = LinearEncoder(weight, -weight @ b, log_std)
    decoder = nn.Linear(LATENT, D).double()
    with torch.no_grad():
        decoder.weight.copy_(w)
        decoder.bias.copy_(b)
    model = VAE(encoder, decoder, IdentityGaussian(), StandardNormalPrior(LATENT))
    return model.eval(), w, b


def _data(w, b, n, seed=12345):
    # a seed of its own: data drawn with the sampler's seed would correlate with its noise
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, LATENT, generator=g, dtype=torch.float64)
    return z @ w.T + b + S * torch.randn(n, D, generator=g, dtype=torch.float64)


def _exact(x, w, b):
    cov = w @ w.T + S**2 * torch.eye(D, dtype=torch.float64)
    return torch.distributions.MultivariateNormal(b, cov).log_prob(x)


def test_exact_posterior_gives_log_px_exactly_with_one_sample():
    model, w, b = _ppca(exact=True)
    x = _data(w, b, 200)
    est = log_likelihood(model, x, k=1, batch_size=64)
    # every importance weight equals p(x): zero variance, the estimate is exact
    torch.testing.assert_close(est, _exact(x, w, b), atol=1e-9, rtol=0)


def test_iwae_estimate_converges_from_below_as_k_grows():
    model, w, b = _ppca(exact=False)
    x = _data(w, b, 2000)
    exact = _exact(x, w, b)
    gaps, errors = {}, {}
    for k in (1, 10, 100, 1000):
        gap = exact - log_likelihood(model, x, k=k, batch_size=1000, seed=k,
                                     samples_per_pass=2**18)  # (N,) nats
        gaps[k], errors[k] = float(gap.mean()), float(gap.std() / math.sqrt(len(gap)))
        assert gaps[k] > -3 * errors[k], (k, gaps[k], errors[k])  # never above log p(x)
    assert gaps[1] > 0.5 and gaps[1] > 10 * errors[1]  # the ELBO is clearly below
    assert gaps[1] > gaps[10] + 3 * errors[10] > gaps[100] + 3 * errors[100]
    assert gaps[1000] < gaps[1] / 100 and gaps[1000] < 3 * errors[1000] + 1e-3
    assert gaps[1000] <= gaps[100] + 3 * errors[100]


def test_chunks_of_samples_are_combined_exactly():
    """One sample per pass (K chunks) estimates the same L_K as one pass; averaging the
    chunks' log-means instead of a logsumexp would give the (much lower) ELBO."""
    model, w, b = _ppca(exact=False)
    x = _data(w, b, 1000)
    exact = _exact(x, w, b)
    one_pass = exact - log_likelihood(model, x, k=100, batch_size=1000)
    chunked = exact - log_likelihood(model, x, k=100, batch_size=100, samples_per_pass=100)
    elbo = exact - log_likelihood(model, x, k=1, batch_size=1000)
    spread = float((one_pass - chunked).std() / math.sqrt(len(x)))
    assert abs(float(one_pass.mean() - chunked.mean())) < 4 * spread
    assert float(chunked.mean()) < float(elbo.mean()) / 10


def test_evaluate_reports_consistent_terms_and_units():
    model, w, b = _ppca(exact=True)
    x = _data(w, b, 2000)
    seen = []
    result, log_px = evaluate(model, x, k=5, batch_size=300, progress=seen.append)
    assert sum(seen) == 2000 and log_px.shape == (2000,)
    exact_nll = float(-_exact(x, w, b).mean())
    assert result.nll == pytest.approx(exact_nll, abs=1e-6)
    # the Gaussian constant is in log p(x) and in the ELBO's reconstruction term
    assert result.gaussian_constant == pytest.approx(D * math.log(S * math.sqrt(2 * math.pi)))
    assert "density" in result.note and "constant" in result.note and result.proper_likelihood
    assert result.negative_elbo == pytest.approx(result.reconstruction + result.kl)
    # exact posterior: the one-sample ELBO is unbiased for log p(x)
    assert abs(result.negative_elbo - exact_nll) < 0.1
    assert result.bits_per_dim == pytest.approx(result.nll / (D * math.log(2)))
    assert result.active_units == LATENT and len(result.kl_per_dim) == LATENT
    assert result.examples == 2000 and result.dims == D and result.iw_samples == 5
    assert result.to_dict()["units"].startswith("nats per example")


def test_models_without_a_likelihood_are_refused():
    cfg = ModelConfig(input_shape=(1, 4, 4), hidden=(8,), latent_dim=2, autoencoder=True)
    with pytest.raises(ConfigError, match="auto-encoder"):
        log_likelihood(build_vae(cfg), torch.rand(3, 1, 4, 4), k=2)
    model = build_vae(ModelConfig(input_shape=(1, 4, 4), hidden=(8,), latent_dim=2))
    model.teacher_forced = True  # as a sequence decoder's VAE
    with pytest.raises(ConfigError, match="sequence"):
        evaluate(model, torch.rand(3, 1, 4, 4), k=2)
    with pytest.raises(ConfigError, match="at least 1"):
        log_likelihood(build_vae(cfg.__class__(input_shape=(1, 4, 4), hidden=(8,))),
                       torch.rand(3, 1, 4, 4), k=0)


def _bernoulli_model():
    torch.manual_seed(0)
    return build_vae(ModelConfig(input_shape=(1, 4, 4), hidden=(8,), latent_dim=2,
                                 likelihood="bernoulli")).eval()


def test_bernoulli_on_grey_pixels_is_not_called_a_likelihood():
    model = _bernoulli_model()
    grey = torch.rand(20, 1, 4, 4, generator=torch.Generator().manual_seed(1))
    result, _ = evaluate(model, grey, k=3)
    assert not result.proper_likelihood and result.bits_per_dim is None
    assert "not a log-likelihood" in result.note
    binary = torch.bernoulli(grey, generator=torch.Generator().manual_seed(2))
    result, _ = evaluate(model, binary, k=3)
    assert result.proper_likelihood and result.note == ""
    assert result.bits_per_dim == pytest.approx(result.nll / (16 * math.log(2)))


def test_densities_of_8_bit_pixels_are_dequantised_and_bounded_in_bits():
    model = build_vae(ModelConfig(input_shape=(1, 4, 4), hidden=(8,), latent_dim=2,
                                  likelihood="continuous_bernoulli")).eval()
    x = torch.randint(0, 256, (30, 1, 4, 4), generator=torch.Generator().manual_seed(3)) / 255
    result, _ = evaluate(model, x, k=3, levels=256)
    assert result.proper_likelihood and result.dequantized_levels == 256
    # the D log L of the dequantisation is in the bits, so they bound the discrete NLL
    expected = (result.nll + 16 * math.log(256)) / (16 * math.log(2))
    assert result.bits_per_dim == pytest.approx(expected)
    assert "dequantised" in result.note
    deq = dequantize(x, 256)
    k = torch.round(x * 255)
    assert ((deq * 256 >= k) & (deq * 256 < k + 1)).all()  # each value stays in its bin
    with pytest.raises(ConfigError, match="not 256-level"):
        dequantize(torch.full((1, 1, 4, 4), 0.1234), 256)


def test_active_units_count_only_dimensions_the_encoder_uses():
    """A unit whose posterior mean does not depend on x is inactive (Burda et al. 2016)."""
    model = _bernoulli_model()
    with torch.no_grad():
        model.encoder.mean.weight[1].zero_()  # dimension 1 ignores the input...
        model.encoder.mean.bias[1] = 0.3  # ...its mean is the same for every example
        model.encoder.mean.weight[0].mul_(50.0)  # dimension 0 varies strongly
    x = torch.rand(200, 1, 4, 4, generator=torch.Generator().manual_seed(4))
    terms = elbo_terms(model, x)
    assert terms.active_units == 1
    assert len(terms.kl_per_dim) == 2 and terms.negative_elbo == pytest.approx(
        terms.reconstruction + terms.kl)
