import torch
from torch.distributions import Normal, kl_divergence

from vaekit.models.priors import StandardNormalPrior, kl_normal_standard_normal


def test_kl_matches_torch_distributions():
    gen = torch.Generator().manual_seed(0)
    mean = torch.randn(256, 7, generator=gen) * 3
    log_std = torch.randn(256, 7, generator=gen) * 2
    ours = kl_normal_standard_normal(mean, log_std)
    reference = kl_divergence(Normal(mean, log_std.exp()), Normal(0.0, 1.0))
    torch.testing.assert_close(ours, reference, atol=1e-5, rtol=1e-5)


def test_kl_is_zero_only_at_the_prior():
    assert kl_normal_standard_normal(torch.zeros(3), torch.zeros(3)).abs().max() == 0
    # the log-sigma^2 mix-up (0.5 * (sigma^2 + mu^2 - 1 - log sigma)) would not vanish here
    assert float(kl_normal_standard_normal(torch.zeros(1), torch.tensor([0.5]))) > 0


def test_prior_kl_sums_over_dims():
    prior = StandardNormalPrior(4)
    mean, log_std = torch.ones(2, 4), torch.zeros(2, 4)
    torch.testing.assert_close(prior.kl(mean, log_std), torch.full((2,), 2.0))


def test_prior_samples_temperature():
    z = StandardNormalPrior(3).sample(20000, temperature=0.5,
                                      generator=torch.Generator().manual_seed(1))
    assert z.shape == (20000, 3)
    assert abs(float(z.std()) - 0.5) < 0.01
