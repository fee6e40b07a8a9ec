import pytest
import torch

from vaekit.analysis.compare import SamplerRow, latent_gap, nearest_distances, verdict
from vaekit.analysis.quality import SampleQuality


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


def _row(model, sampler, fd, validity=0.5):
    quality = SampleQuality(n=10, fd=fd, precision=0.5, recall=0.5, density=0.5,
                            coverage=0.5, validity=validity)
    return SamplerRow(model=model, latent_dim=16, sampler=sampler, quality=quality,
                      latent_gap=0.1)


def test_verdict_reads_each_question_both_ways():
    # the MNIST numbers of benchmarks/sample_quality.py: the claim holds, the mixture helps
    rows = [_row("ae", "prior", 1484.1, 0.005), _row("ae", "gmm", 29.0, 0.842),
            _row("vae", "prior", 240.2, 0.409), _row("vae", "gmm", 43.1, 0.850)]
    assert verdict(rows) == {"seed_claim": True, "ae_gmm_halves_fd": True,
                             "vae_gmm_not_worse": True, "ae_gmm_beats_vae_prior": True}
    # a 2-D AE whose codes sit around the origin: its prior samples are fine
    rows = [_row("ae", "prior", 50.0, 0.6), _row("ae", "gmm", 40.0, 0.6),
            _row("vae", "prior", 60.0, 0.7), _row("vae", "gmm", 70.0, 0.6)]
    assert verdict(rows) == {"seed_claim": False, "ae_gmm_halves_fd": False,
                             "vae_gmm_not_worse": False, "ae_gmm_beats_vae_prior": True}
    # a better FD alone is not the claim when the judge disagrees
    rows[0], rows[2] = _row("ae", "prior", 80.0, 0.9), _row("vae", "prior", 60.0, 0.5)
    assert verdict(rows)["seed_claim"] is False
    no_judge = [_row(m, s, fd, None) for (m, s), fd in zip(
        [("ae", "prior"), ("ae", "gmm"), ("vae", "prior"), ("vae", "gmm")], [9, 4, 5, 5])]
    assert verdict(no_judge)["seed_claim"] is True


def test_verdict_needs_all_four_rows():
    with pytest.raises(ValueError, match="one row per model"):
        verdict([_row("ae", "prior", 1.0), _row("vae", "prior", 1.0)])
