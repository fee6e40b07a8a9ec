import math

import torch
import torch.nn.functional as F

from vaekit.models.likelihoods import BernoulliPx, GaussianPx
from vaekit.models.priors import StandardNormalPrior
from vaekit.models.vae import VAEOutput
from vaekit.objectives import negative_elbo


def _out(p_x, mean, log_std):
    return VAEOutput(p_x=p_x, z=mean, q_mean=mean, q_log_std=log_std,
                     p_z=StandardNormalPrior(mean.shape[1]))


def test_units_are_summed_over_pixels_and_averaged_over_batch():
    x = torch.zeros(2, 1, 2, 2)
    loc = torch.stack([torch.full((1, 2, 2), 1.0), torch.full((1, 2, 2), 0.5)])
    mean, log_std = torch.zeros(2, 3), torch.zeros(2, 3)
    mean[0, 0] = 2.0  # KL of example 0 = 0.5 * 4 = 2 nats; example 1 = 0
    loss = negative_elbo(_out(GaussianPx(loc, 1 / math.sqrt(2)), mean, log_std), x)
    # squared error summed over the 4 pixels: 4.0 and 1.0 -> batch mean 2.5
    assert float(loss.reconstruction) == 2.5
    assert float(loss.kl) == 1.0
    assert float(loss.total) == 3.5


def test_beta_weights_only_the_kl():
    x = torch.zeros(1, 1, 1, 2)
    mean = torch.ones(1, 2)
    out = _out(GaussianPx(torch.ones(1, 1, 1, 2), 1 / math.sqrt(2)), mean, torch.zeros(1, 2))
    loss = negative_elbo(out, x, beta=0.25)
    assert float(loss.total) == float(loss.reconstruction) + 0.25 * float(loss.kl)


def test_bernoulli_reconstruction_is_summed_bce():
    logits = torch.randn(3, 1, 4, 4)
    x = torch.rand(3, 1, 4, 4)
    expected = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="sum") / 3
    got = BernoulliPx(logits).reconstruction(x).mean()
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-5)


def test_gaussian_log_prob_matches_torch():
    loc, x = torch.rand(2, 1, 3, 3), torch.rand(2, 1, 3, 3)
    sigma = 0.3
    ours = GaussianPx(loc, sigma).log_prob(x)
    ref = torch.distributions.Normal(loc, sigma).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(ours, ref)


def test_free_bits_floor_only_changes_the_total():
    mean = torch.zeros(4, 3)
    mean[:, 0] = 2.0  # dim 0: KL 2 nats; dims 1, 2: 0 nats
    out = _out(GaussianPx(torch.zeros(4, 1, 1, 1), 1 / math.sqrt(2)), mean, torch.zeros(4, 3))
    x = torch.zeros(4, 1, 1, 1)
    plain = negative_elbo(out, x)
    floored = negative_elbo(out, x, free_bits=0.5)
    assert float(plain.kl) == float(floored.kl) == 2.0
    assert float(floored.total) == float(plain.total) + 2 * 0.5


def test_categorical_reconstruction_skips_padding():
    from vaekit.models.likelihoods import CategoricalPx

    logits = torch.zeros(1, 3, 4)  # uniform over 4 classes: log 4 nats per scored token
    x = torch.tensor([[2, 1, 0]])
    assert abs(float(CategoricalPx(logits, pad=0).reconstruction(x)) - 2 * math.log(4)) < 1e-6
    assert abs(float(CategoricalPx(logits).reconstruction(x)) - 3 * math.log(4)) < 1e-6


def test_iwae_bound_is_elbo_for_k1_and_grows_with_k():
    from vaekit.config import ModelConfig
    from vaekit.models.build import build_vae
    from vaekit.objectives import iwae_bound

    torch.manual_seed(0)
    model = build_vae(ModelConfig(input_shape=(1, 4, 4), hidden=(8,), latent_dim=2,
                                  likelihood="bernoulli"))
    x = torch.bernoulli(torch.full((64, 1, 4, 4), 0.3))
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        l1 = torch.stack([iwae_bound(model(x, samples=1, generator=gen), x)
                          for _ in range(200)]).mean(0)
        elbo = -(negative_elbo(model(x, generator=gen), x).total)
        l50 = torch.stack([iwae_bound(model(x, samples=50, generator=gen), x)
                           for _ in range(20)]).mean(0)
    assert abs(float(l1.mean()) - float(elbo)) < 0.3  # same expectation, Monte-Carlo noise
    assert float(l50.mean()) > float(l1.mean())
