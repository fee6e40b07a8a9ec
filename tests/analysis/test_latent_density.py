import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from vaekit.analysis.latent_density import LatentDensity, fit_latent_density

WEIGHTS = torch.tensor([0.3, 0.7])
MEANS = torch.tensor([[-4.0, 0.0], [3.0, 2.0]])
SCALE_TRIL = torch.tensor([[[1.0, 0.0], [0.5, 0.5]], [[0.5, 0.0], [-0.3, 1.5]]])


@pytest.fixture
def known():
    return LatentDensity(weights=WEIGHTS, means=MEANS, scale_tril=SCALE_TRIL)


def test_fit_recovers_a_known_two_component_mixture(known):
    z = known.sample(2000, generator=torch.Generator().manual_seed(0))
    fit = fit_latent_density(z, components=(1, 2, 4), seed=0)
    assert set(fit.bic) == {1, 2, 4} and fit.codes == 2000
    assert min(fit.bic, key=fit.bic.get) == 2 == fit.density.components  # BIC picks K = 2
    order = fit.density.means[:, 0].argsort()  # components come in any order
    assert torch.allclose(fit.density.weights[order], WEIGHTS, atol=0.03)
    assert torch.allclose(fit.density.means[order], MEANS, atol=0.1)
    covariances = fit.density.scale_tril @ fit.density.scale_tril.transpose(1, 2)
    assert torch.allclose(covariances[order], SCALE_TRIL @ SCALE_TRIL.transpose(1, 2), atol=0.15)
    # the fitted density scores held-out draws about as well as the truth
    held_out = known.sample(2000, generator=torch.Generator().manual_seed(1))
    assert float(fit.density.log_prob(held_out).mean()) == pytest.approx(
        float(known.log_prob(held_out).mean()), abs=0.05)


def test_samples_have_the_mixture_moments(known):
    z = known.sample(50_000, temperature=1.0, generator=torch.Generator().manual_seed(0))
    assert z.shape == (50_000, 2)
    covariances = SCALE_TRIL @ SCALE_TRIL.transpose(1, 2)
    mean = (WEIGHTS[:, None] * MEANS).sum(0)
    # law of total covariance: E[Cov(z | k)] + Cov(E[z | k])
    spread = MEANS - mean
    covariance = (WEIGHTS[:, None, None] * (covariances + spread[:, :, None] * spread[:, None])
                  ).sum(0)
    assert torch.allclose(z.mean(0), mean, atol=0.05)
    assert torch.allclose(torch.cov(z.T), covariance, atol=0.15)


def test_temperature_scales_each_component_not_the_means(known):
    gen = torch.Generator().manual_seed(0)
    z0 = known.sample(200, temperature=0.0, generator=gen)
    assert all(any(torch.equal(row, m) for m in MEANS) for row in z0)
    assert {tuple(row.tolist()) for row in z0} == {tuple(m.tolist()) for m in MEANS}
    # same seed, same components and noise: a = mu_k + 0.5 L_k eps, b = mu_k + L_k eps
    a = known.sample(1000, temperature=0.5, generator=torch.Generator().manual_seed(1))
    b = known.sample(1000, temperature=1.0, generator=torch.Generator().manual_seed(1))
    distance_to_means = ((2 * a - b).unsqueeze(1) - MEANS).norm(dim=-1).amin(1)
    assert distance_to_means.max() < 1e-5
    with pytest.raises(ValueError, match="temperature"):
        known.sample(2, temperature=-1.0)


def test_log_prob_matches_the_formula(known):
    z = torch.tensor([[0.0, 0.0], [3.0, 2.0]])
    mvn = [torch.distributions.MultivariateNormal(MEANS[k], scale_tril=SCALE_TRIL[k])
           for k in range(2)]
    expected = torch.logsumexp(torch.stack([WEIGHTS[k].log() + mvn[k].log_prob(z)
                                            for k in range(2)]), 0)
    assert torch.allclose(known.log_prob(z), expected, atol=1e-5)


def test_save_load_round_trip_is_identical(known):
    again = LatentDensity.from_tensors(st_load(st_save(known.to_tensors())))
    for name in ("weights", "means", "scale_tril"):
        assert torch.equal(getattr(again, name), getattr(known, name))
    a = known.sample(100, generator=torch.Generator().manual_seed(3))
    b = again.sample(100, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_bad_tensors_are_refused(known):
    tensors = known.to_tensors()
    with pytest.raises(ValueError, match="weights, means, scale_tril"):
        LatentDensity.from_tensors({k: v for k, v in tensors.items() if k != "means"})
    with pytest.raises(ValueError, match="sum to 1"):
        LatentDensity.from_tensors({**tensors, "weights": torch.tensor([0.5, 0.6])})
    with pytest.raises(ValueError, match="lower-triangular"):
        LatentDensity.from_tensors({**tensors, "scale_tril": SCALE_TRIL.transpose(1, 2)})
    with pytest.raises(ValueError, match=r"\(K, D, D\)"):
        LatentDensity.from_tensors({**tensors, "scale_tril": SCALE_TRIL[:1]})
    with pytest.raises(ValueError, match="N >= 8"):
        fit_latent_density(torch.randn(5, 2), components=4)
