import math

import torch
from torch.distributions import Normal, kl_divergence

from vaekit.config import ModelConfig
from vaekit.models.build import build_vae
from vaekit.models.priors import Prior, StandardNormalPrior, kl_normal_standard_normal
from vaekit.objectives import importance_log_weights, negative_elbo


def test_kl_matches_torch_distributions():
    gen = torch.Generator().manual_seed(0)
    mean = torch.randn(256, 7, generator=gen) * 3
    log_std = torch.randn(256, 7, generator=gen) * 2
    ours = kl_normal_standard_normal(mean, log_std)
    reference = kl_divergence(Normal(mean, log_std.exp()), Normal(0.0, 1.0))
    torch.testing.assert_close(ours, reference, atol=1e-5, rtol=1e-5)


def test_kl_known_answer_catches_the_log_sigma_versus_log_variance_mix_up():
    # sigma = 2, mean 0: KL = 0.5 (sigma^2 - 1 - 2 log sigma) = 0.5 (3 - 2 log 2) = 0.8069.
    # Read as log sigma^2 (the mix-up: 0.5 (e^l - 1 - l)) it would be 0.1534; with the square
    # in exp but not in the log term (0.5 (e^2l - 1 - l)), 1.1534.
    kl = float(kl_normal_standard_normal(torch.zeros(1), torch.tensor([math.log(2.0)])))
    assert abs(kl - 0.5 * (3.0 - 2.0 * math.log(2.0))) < 1e-6
    assert kl_normal_standard_normal(torch.zeros(3), torch.zeros(3)).abs().max() == 0


def test_prior_kl_is_per_dimension():
    prior = StandardNormalPrior(4)
    mean, log_std = torch.ones(2, 4), torch.zeros(2, 4)
    torch.testing.assert_close(prior.kl(mean, log_std), torch.full((2, 4), 0.5))
    z = torch.randn(5, 4)
    reference = Normal(0.0, 1.0).log_prob(z).sum(-1)
    torch.testing.assert_close(prior.log_prob(z), reference)


def test_prior_samples_temperature():
    z = StandardNormalPrior(3).sample(20000, temperature=0.5,
                                      generator=torch.Generator().manual_seed(1))
    assert z.shape == (20000, 3)
    assert abs(float(z.std()) - 0.5) < 0.01


class WideNormalPrior(Prior):
    """p(z) = N(0, s^2 I): a new prior class, and nothing else -- the loss is not edited."""

    s = 3.0

    def log_prob(self, z):
        return Normal(0.0, self.s).log_prob(z).sum(-1)

    def sample(self, n, *, temperature=1.0, generator=None, device="cpu"):
        return temperature * self.s * torch.randn(n, self.latent_dim, generator=generator)


def test_the_objectives_ask_the_models_prior():
    torch.manual_seed(0)
    model = build_vae(ModelConfig(input_shape=(1, 4, 4), hidden=(8,), latent_dim=2,
                                  likelihood="bernoulli"))
    model.prior = WideNormalPrior(2)
    x = torch.bernoulli(torch.full((4000, 1, 4, 4), 0.3))
    out = model(x, generator=torch.Generator().manual_seed(1))
    # the default KL is the Monte-Carlo estimate log q(z|x) - log p(z) at the sampled z ...
    q = Normal(out.q_mean, out.q_log_std.exp())
    mc = (q.log_prob(out.z) - Normal(0.0, 3.0).log_prob(out.z)).sum(-1).mean()
    loss = negative_elbo(out, x)
    torch.testing.assert_close(loss.kl, mc)
    # ... whose mean is the closed-form KL against N(0, 9 I), not against N(0, I)
    exact = kl_divergence(q, Normal(0.0, 3.0)).sum(-1).mean()
    standard = kl_divergence(q, Normal(0.0, 1.0)).sum(-1).mean()
    assert abs(float(loss.kl - exact)) < 0.05 < abs(float(exact - standard))
    # the importance weights use the same prior
    out_k = model(x[:8], samples=3)
    log_w = importance_log_weights(out_k, x[:8])
    log_px = out_k.p_x.log_prob(x[:8].expand(3, *x[:8].shape).flatten(0, 1)).view(3, 8)
    q8 = Normal(out_k.q_mean, out_k.q_log_std.exp())
    want = log_px + Normal(0.0, 3.0).log_prob(out_k.z).sum(-1) - q8.log_prob(out_k.z).sum(-1)
    torch.testing.assert_close(log_w, want)
