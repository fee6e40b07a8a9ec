import torch

from vaekit.analysis.compare import (
    LatentStory,
    confidence_dips,
    largest_steps,
    latent_gap,
    measure_latent_story,
    nearest_distances,
    random_pairs,
    vae_wins,
    validity,
)
from vaekit.analysis.judge import load_judge
from vaekit.config import ModelConfig
from vaekit.models.build import build_vae


def test_validity_counts_confident_judgements():
    assert validity(torch.tensor([0.95, 0.5, 0.9, 0.2])) == 0.5
    assert validity(torch.tensor([0.95, 0.5]), threshold=0.4) == 1.0


def test_nearest_distances_and_gap_by_hand():
    points = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    codes = torch.tensor([[0.0, 1.0], [3.0, 0.0], [10.0, 10.0]])
    assert nearest_distances(points, codes, chunk=1).tolist() == [1.0, 4.0]
    assert latent_gap(points, codes) == 2.5


def test_gap_is_small_when_codes_fill_the_prior_and_large_when_they_spread():
    gen = torch.Generator().manual_seed(0)
    prior = torch.randn(500, 2, generator=gen)
    vae_like = torch.randn(5000, 2, generator=gen)  # codes distributed like the prior
    ae_like = 10.0 * torch.randn(5000, 2, generator=gen)  # an AE's codes spread anyhow
    off_centre = torch.randn(5000, 2, generator=gen) * 0.3 + 4.0  # an AE's codes elsewhere
    gaps = [latent_gap(prior, c) for c in (vae_like, ae_like, off_centre)]
    assert gaps[0] < 0.05 < gaps[1] and gaps[1] < gaps[2]
    assert gaps[2] > 3.0  # the cluster sits 4 * sqrt(2) from the prior's centre


def test_largest_step_and_confidence_dip_by_hand():
    levels = torch.tensor([[0.0, 0.1, 0.5, 0.6], [0.0, 0.25, 0.5, 0.75]])
    paths = levels.view(2, 4, 1, 1, 1).expand(2, 4, 1, 3, 3)  # flat images per step
    assert torch.allclose(largest_steps(paths), torch.tensor([0.4, 0.25]))
    conf = torch.tensor([[0.9, 0.5, 0.95], [0.9, 0.95, 0.99], [0.99, 0.7, 0.8]])
    assert torch.allclose(confidence_dips(conf), torch.tensor([0.4, 0.0, 0.1]))


def test_random_pairs_are_distinct_and_in_range():
    pairs = random_pairs(5, 200, generator=torch.Generator().manual_seed(0))
    assert pairs.shape == (200, 2)
    assert (pairs[:, 0] != pairs[:, 1]).all() and pairs.min() >= 0 and pairs.max() < 5


def _story(**values):
    base = dict(prior_validity=0.5, latent_gap=0.1, interpolation_max_step=0.05,
                interpolation_confidence_dip=0.1, prior_samples=10, test_codes=10, pairs=2,
                steps=3)
    return LatentStory(**{**base, **values})


def test_vae_wins_reads_each_direction():
    ae = _story(prior_validity=0.2, latent_gap=1.0)
    vae = _story(prior_validity=0.7, latent_gap=0.05, interpolation_max_step=0.08)
    assert vae_wins(ae, vae) == {"prior_validity": True, "latent_gap": True,
                                 "interpolation_max_step": False,
                                 "interpolation_confidence_dip": False}


def test_measure_latent_story_is_seeded_and_in_range():
    torch.manual_seed(0)
    model = build_vae(ModelConfig(input_shape=(1, 28, 28), latent_dim=2, hidden=(16,))).eval()
    x = torch.rand(40, 1, 28, 28)
    judge = load_judge()
    a = measure_latent_story(model, judge, x, prior_samples=50, pairs=4, steps=5, seed=1)
    b = measure_latent_story(model, judge, x, prior_samples=50, pairs=4, steps=5, seed=1)
    assert a == b
    assert 0 <= a.prior_validity <= 1 and a.latent_gap > 0
    assert 0 <= a.interpolation_max_step <= 1 and 0 <= a.interpolation_confidence_dip <= 1
    assert a.to_dict()["pairs"] == 4 and a.test_codes == 40
