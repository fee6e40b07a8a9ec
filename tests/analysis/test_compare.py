import pytest

from vaekit.analysis.compare import SamplerRow, verdict
from vaekit.analysis.quality import SampleQuality


def _row(model, sampler, fd, validity=0.5):
    quality = SampleQuality(n=10, fd=fd, precision=0.5, recall=0.5, density=0.5,
                            coverage=0.5, validity=validity)
    return SamplerRow(model=model, latent_dim=16, sampler=sampler, quality=quality)


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
