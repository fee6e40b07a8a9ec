import itertools

import pytest
import torch

from vaekit.analysis.evaluate import log_likelihood
from vaekit.analysis.ood import auroc, compare, conform_images, uniform_noise
from vaekit.config import ModelConfig
from vaekit.errors import DataError
from vaekit.models.build import build_vae


def _pairwise(s_in, s_out):
    """The definition: P(in > out) + P(in == out) / 2 over all pairs."""
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0
               for a, b in itertools.product(s_in.tolist(), s_out.tolist()))
    return wins / (len(s_in) * len(s_out))


def test_auroc_known_answers():
    assert auroc(torch.tensor([3.0, 4.0]), torch.tensor([1.0, 2.0])) == 1.0
    assert auroc(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])) == 0.0
    assert auroc(torch.ones(5), torch.ones(7)) == 0.5  # all tied
    assert auroc(torch.tensor([1.0, 3.0]), torch.tensor([2.0])) == 0.5
    assert auroc(torch.tensor([2.0, 2.0, 3.0]), torch.tensor([2.0, 1.0])) == pytest.approx(
        (1 + 0.5 + 1 + 0.5 + 1 + 1) / 6)


def test_auroc_matches_pairwise_definition_with_many_ties():
    g = torch.Generator().manual_seed(0)
    s_in = torch.randint(0, 6, (37,), generator=g).double()
    s_out = torch.randint(-2, 4, (23,), generator=g).double()
    assert auroc(s_in, s_out) == pytest.approx(_pairwise(s_in, s_out), abs=1e-12)
    s_in, s_out = torch.randn(50, generator=g), torch.randn(40, generator=g) - 0.5
    assert auroc(s_in, s_out) == pytest.approx(_pairwise(s_in, s_out), abs=1e-12)
    assert auroc(s_in, s_out) + auroc(s_out, s_in) == pytest.approx(1.0)


def test_auroc_refuses_empty_or_nan():
    with pytest.raises(ValueError):
        auroc(torch.tensor([]), torch.tensor([1.0]))
    with pytest.raises(ValueError):
        auroc(torch.tensor([float("nan")]), torch.tensor([1.0]))
    assert auroc(torch.tensor([0.0]), torch.tensor([float("-inf")])) == 1.0


def test_compare_reports_means_and_says_when_ood_ranks_higher():
    r = compare("x", torch.tensor([-10.0, -12.0]), torch.tensor([-5.0, -6.0, -7.0]))
    assert r.auroc == 0.0 and r.ood_ranked_higher
    assert r.mean_log_px_in == -11.0 and r.mean_log_px_out == -6.0
    assert r.examples_in == 2 and r.examples_out == 3
    assert r.to_dict()["ood_ranked_higher"] is True


def test_conform_images_only_trivial_conversions():
    x = torch.rand(2, 1, 28, 28)
    assert conform_images(x, (1, 28, 28)) is x
    rgb = conform_images(x, (3, 28, 28))
    assert rgb.shape == (2, 3, 28, 28) and torch.equal(rgb[:, 2], x[:, 0])
    grey = conform_images(torch.rand(2, 3, 32, 32), (1, 8, 8))
    assert grey.shape == (2, 1, 8, 8) and grey.min() >= 0 and grey.max() <= 1
    flat = torch.full((1, 1, 28, 28), 0.25)  # area averaging keeps a constant image
    torch.testing.assert_close(conform_images(flat, (1, 7, 7)), torch.full((1, 1, 7, 7), 0.25))
    assert conform_images(torch.rand(1, 1, 8, 8), (1, 64, 64)).shape == (1, 1, 64, 64)
    with pytest.raises(DataError, match="aspect ratio"):
        conform_images(x, (1, 28, 14))
    with pytest.raises(DataError, match="channels"):
        conform_images(torch.rand(1, 2, 28, 28), (3, 28, 28))
    with pytest.raises(DataError, match="image"):
        conform_images(torch.zeros(3, 16, dtype=torch.long), (1, 4, 4))


def test_uniform_noise_is_seeded_and_in_range():
    a, b = uniform_noise(4, (1, 5, 5), seed=3), uniform_noise(4, (1, 5, 5), seed=3)
    assert torch.equal(a, b) and a.shape == (4, 1, 5, 5) and a.min() >= 0 and a.max() < 1


def test_model_samples_score_above_far_away_values():
    torch.manual_seed(0)
    model = build_vae(ModelConfig(input_shape=(1, 4, 4), hidden=(8,), latent_dim=2)).eval()

    def own_samples(n, seed):  # x ~ p(x): z from the prior, then x from p(x|z)
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            return model.decode(model.prior.sample(n, generator=g)).sample(generator=g)

    x_in = own_samples(300, 1)
    x_out = 3.0 + torch.rand(300, 1, 4, 4)  # far from the Gaussian means in [0, 1]
    r = compare("far", log_likelihood(model, x_in, k=5), log_likelihood(model, x_out, k=5))
    assert r.auroc > 0.99 and not r.ood_ranked_higher
    assert r.mean_log_px_in > r.mean_log_px_out
    r_same = compare("same", log_likelihood(model, x_in, k=5),
                     log_likelihood(model, own_samples(300, 2), k=5))
    assert 0.4 < r_same.auroc < 0.6  # the same distribution: no separation
