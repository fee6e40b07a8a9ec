"""The Gaussian likelihoods with one sigma: fixed (the seed's), learned, and set to its
analytic optimum per batch (Rybkin et al. 2021)."""

import math

import pytest
import torch
from torch.distributions import Normal

from vaekit.models.likelihoods import (
    LOG_SIGMA_MIN,
    LearnedGaussianLikelihood,
    OptimalGaussianLikelihood,
    sigma_floor,
)


def _data(seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(8, 1, 5, 4, generator=gen)
    params = torch.randn(8, 1, 5, 4, generator=gen)
    return x, params


def test_learned_sigma_is_a_normal_density_with_its_constant():
    x, params = _data()
    likelihood = LearnedGaussianLikelihood()
    with torch.no_grad():
        likelihood.log_sigma.fill_(math.log(0.2))
    p_x = likelihood(params)
    exact = Normal(torch.sigmoid(params), 0.2)
    torch.testing.assert_close(p_x.log_prob(x), exact.log_prob(x).flatten(1).sum(1))
    torch.testing.assert_close(p_x.reconstruction(x), -p_x.log_prob(x))  # nothing left out


def test_learned_sigma_descends_to_the_root_mean_squared_error():
    x, params = _data()
    likelihood = LearnedGaussianLikelihood()
    optimizer = torch.optim.Adam(likelihood.parameters(), lr=0.05)
    for _ in range(600):
        loss = likelihood(params).reconstruction(x).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    rmse = (x - torch.sigmoid(params)).square().mean().sqrt()
    assert float(likelihood.log_sigma.detach().exp()) == pytest.approx(float(rmse), rel=1e-3)


def test_optimal_sigma_is_the_batch_rmse_and_the_best_sigma():
    x, params = _data()
    likelihood = OptimalGaussianLikelihood().train()
    loc = torch.sigmoid(params)
    rmse = (x - loc).square().mean().sqrt()
    loss = likelihood(params).reconstruction(x)
    torch.testing.assert_close(loss, -Normal(loc, rmse).log_prob(x).flatten(1).sum(1))
    for factor in (0.9, 1.1):  # any other sigma scores the batch worse
        worse = -Normal(loc, factor * rmse).log_prob(x).sum() / 8
        assert float(loss.mean()) < float(worse)


def test_optimal_sigma_gives_the_means_the_gradient_of_a_fixed_sigma():
    """At sigma* the loss is flat in sigma, so no stop-gradient is needed (envelope)."""
    x, params = _data()
    params = params.clone().requires_grad_()
    OptimalGaussianLikelihood().train()(params).reconstruction(x).mean().backward()
    through = params.grad.clone()
    params.grad = None
    loc = torch.sigmoid(params)
    rmse = (x - loc).square().mean().sqrt().detach()
    (-Normal(loc, rmse).log_prob(x).flatten(1).sum(1).mean()).backward()
    torch.testing.assert_close(through, params.grad)


def test_optimal_sigma_keeps_a_running_average_that_evaluation_uses():
    x, params = _data()
    likelihood = OptimalGaussianLikelihood()
    start = float(likelihood.log_sigma)
    target = float((x - torch.sigmoid(params)).square().mean().sqrt().log())
    likelihood.train()(params).reconstruction(x)
    assert float(likelihood.log_sigma) == pytest.approx(start + 0.1 * (target - start))
    for _ in range(200):
        likelihood(params).reconstruction(x)
    assert float(likelihood.log_sigma) == pytest.approx(target, abs=1e-4)
    likelihood.eval()
    frozen = likelihood.log_sigma.clone()
    shifted = likelihood(params).log_prob((x + 0.3).clamp(0, 1))  # another batch
    assert torch.equal(likelihood.log_sigma, frozen)  # evaluation changes nothing
    exact = Normal(torch.sigmoid(params), frozen.exp()).log_prob((x + 0.3).clamp(0, 1))
    torch.testing.assert_close(shifted, exact.flatten(1).sum(1))
    assert "likelihood.log_sigma" not in dict(likelihood.named_parameters())
    assert "log_sigma" in likelihood.state_dict()  # saved with the weights


def test_sigma_has_a_floor():
    x = torch.full((2, 1, 3, 3), 0.5)
    likelihood = OptimalGaussianLikelihood().train()
    exact = torch.full((2, 1, 3, 3), 0.0)  # logits 0: means 0.5 == x, error 0
    assert torch.isfinite(likelihood(exact).reconstruction(x)).all()
    assert float(sigma_floor(torch.tensor(-50.0))) == LOG_SIGMA_MIN
