import json

import pytest
import torch

from vaekit.analysis.judge import (
    SHIPPED_JUDGE,
    DigitJudge,
    accuracy,
    fit_to_judge,
    judge_images,
    judge_metadata,
    judge_to_bytes,
    load_judge,
    train_attribute_probe,
    train_judge,
)
from vaekit.data.registry import load_dataset


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


def test_shipped_judge_is_small_and_records_its_accuracy():
    assert SHIPPED_JUDGE.stat().st_size < 1_000_000
    recorded = float(judge_metadata()["test_accuracy"])
    assert recorded >= 0.98
    sidecar = json.loads(SHIPPED_JUDGE.with_suffix(".json").read_text())
    assert sidecar["test_accuracy"] == pytest.approx(recorded)


def test_shipped_judge_is_at_least_98_percent_accurate(mnist):
    judge = load_judge()
    x, y = mnist.test.x[:3000], mnist.test.y[:3000]
    assert accuracy(judge, x, y) >= 0.98
    verdict = judge_images(judge, x[:100])
    assert verdict.label.shape == verdict.confidence.shape == (100,)
    assert ((verdict.confidence > 0.1) & (verdict.confidence <= 1.0)).all()


def test_judge_is_unsure_of_blank_images():
    verdict = judge_images(load_judge(), torch.zeros(4, 1, 28, 28))
    assert (verdict.confidence < 0.9).all()  # an empty canvas is no digit


def test_fit_to_judge_resizes_and_greys():
    assert fit_to_judge(torch.rand(2, 1, 8, 8)).shape == (2, 1, 28, 28)
    rgb = torch.rand(2, 3, 28, 28)
    assert torch.allclose(fit_to_judge(rgb), rgb.mean(1, keepdim=True))
    assert fit_to_judge(torch.rand(2, 28, 28)).shape == (2, 1, 28, 28)


def _planted_digits(n, gen):
    """Ten easy classes: class k is a bright 6x6 square at the k-th of ten places."""
    y = torch.randint(0, 10, (n,), generator=gen)
    x = torch.rand(n, 1, 28, 28, generator=gen) * 0.2
    for i, k in enumerate(y.tolist()):
        r, c = divmod(k, 5)
        x[i, 0, 4 + 12 * r : 10 + 12 * r, 1 + 5 * c : 6 + 5 * c] = 1.0
    return x, y


def test_training_learns_and_weights_round_trip(tmp_path):
    gen = torch.Generator().manual_seed(0)
    x, y = _planted_digits(400, gen)
    judge = train_judge(x[:300], y[:300], epochs=4, batch_size=32, lr=5e-3, seed=0)
    acc = accuracy(judge, x[300:], y[300:])
    assert acc > 0.9  # chance is 0.1
    path = tmp_path / "j.safetensors"
    path.write_bytes(judge_to_bytes(judge, {"test_accuracy": acc}))
    again = load_judge(path)
    assert torch.equal(again(x[:20]), judge(x[:20]))
    assert float(judge_metadata(path)["test_accuracy"]) == pytest.approx(acc)
    assert isinstance(again, DigitJudge)


def test_attribute_probe_finds_a_planted_feature():
    gen = torch.Generator().manual_seed(0)
    has = torch.rand(400, generator=gen) < 0.3
    x = torch.rand(400, 1, 16, 16, generator=gen) * 0.5
    x[has, :, :4, :8] += 0.5  # the attribute: a bright band at the top
    probe = train_attribute_probe(x[:300], has[:300])
    p = probe.probability(x[300:])
    assert ((p > 0.5) == has[300:]).float().mean() > 0.95
    assert p.shape == (100,) and ((p >= 0) & (p <= 1)).all()
