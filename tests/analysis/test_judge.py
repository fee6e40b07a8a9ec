import json

import pytest
import torch
from safetensors.torch import save as st_save

from vaekit.analysis.features import (
    JUNK_KINDS,
    Judge,
    fit_to_judge,
    junk_images,
    scrambled_images,
)
from vaekit.analysis.judge import (
    SHIPPED_JUDGES,
    accuracy,
    check_judge,
    judge_features,
    judge_from_features,
    judge_images,
    judge_metadata,
    judge_probabilities,
    judge_to_bytes,
    judged_validity,
    load_judge,
    train_attribute_probe,
    train_judge,
)
from vaekit.data.registry import load_dataset


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


@pytest.fixture(scope="module")
def judge():
    return load_judge()


@pytest.mark.parametrize("data", sorted(SHIPPED_JUDGES))
def test_shipped_judges_are_small_and_record_what_they_measured(data):
    path = SHIPPED_JUDGES[data]
    assert path.stat().st_size < 500_000
    recorded = judge_metadata(data=data)
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["data"] == recorded["data"] == data
    for key in ("test_accuracy", "test_validity", *(f"validity_{k}" for k in JUNK_KINDS)):
        assert sidecar[key] == pytest.approx(float(recorded[key]))
    assert max(sidecar[f"validity_{k}"] for k in JUNK_KINDS) <= 0.05


def test_shipped_judge_is_at_least_98_percent_accurate(mnist, judge):
    x, y = mnist.test.x[:3000], mnist.test.y[:3000]
    assert accuracy(judge, x, y) >= 0.98
    verdict = judge_images(judge, x[:100])
    assert verdict.label.shape == verdict.confidence.shape == verdict.reject.shape == (100,)
    assert ((verdict.confidence > 0.1) & (verdict.confidence <= 1.0)).all()


def test_real_digits_are_valid(mnist, judge):
    assert judged_validity(judge, mnist.test.x[:1000]) >= 0.9


@pytest.mark.parametrize("kind", JUNK_KINDS)
def test_junk_is_not_valid(judge, kind):
    # the first judge called uniform noise an "8" with p = 0.994 and strokes digits 45 % of
    # the time; the "no digit" class must take them (seed 7: none of training's draws)
    junk = junk_images(kind, 300, seed=7)
    assert judged_validity(judge, junk) <= 0.05
    assert judge_images(judge, junk).reject.mean() > 0.5


def test_scrambled_digits_are_not_valid_though_never_trained_on(mnist, judge):
    assert judged_validity(judge, scrambled_images(mnist.test.x[:300], seed=3)) <= 0.05


def test_fashion_judge_tells_clothes_from_junk():
    fashion = load_dataset("fashion-mnist")
    judge = load_judge(data="fashion-mnist")
    assert judge.classes == 10
    assert accuracy(judge, fashion.test.x[:2000], fashion.test.y[:2000]) >= 0.88
    # shirts, pullovers and coats look alike: fewer clothes than digits get p >= 0.9
    assert judged_validity(judge, fashion.test.x[:1000]) >= 0.65
    for kind in ("noise", "black", "white", "strokes"):
        assert judged_validity(judge, junk_images(kind, 200, seed=7)) <= 0.05, kind


def test_probabilities_leave_out_the_reject_class(judge):
    x = torch.cat([junk_images("noise", 5), torch.zeros(5, 1, 28, 28)])
    probs = judge_probabilities(judge, x)
    verdict = judge_images(judge, x)
    assert probs.shape == (10, 10)
    assert torch.allclose(probs.sum(1), 1 - verdict.reject, atol=1e-5)
    assert torch.equal(verdict.confidence, probs.max(1).values)


def test_features_give_the_same_judgement(mnist, judge):
    x = mnist.test.x[:50]
    features = judge_features(judge, x)
    assert features.shape == (50, 64) and (features >= 0).all()  # ReLU units
    a, b = judge_images(judge, x), judge_from_features(judge, features)
    assert torch.equal(a.label, b.label)
    assert torch.allclose(a.confidence, b.confidence, atol=1e-6)


@pytest.mark.parametrize("kind", JUNK_KINDS)
def test_junk_images_are_seeded_images_of_any_shape(kind):
    x = junk_images(kind, 6, shape=(3, 20, 32), seed=1)
    assert x.shape == (6, 3, 20, 32) and x.dtype == torch.float32
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    assert torch.equal(x, junk_images(kind, 6, shape=(3, 20, 32), seed=1))
    if kind in ("noise", "strokes", "blobs"):
        assert not torch.equal(x, junk_images(kind, 6, shape=(3, 20, 32), seed=2))
        assert x.flatten(1).std(1).min() > 0.01  # something drawn on every canvas
    with pytest.raises(ValueError, match="valid: noise"):
        junk_images("static", 2)


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


def test_training_learns_the_classes_and_to_reject_junk(tmp_path):
    gen = torch.Generator().manual_seed(0)
    x, y = _planted_digits(600, gen)
    judge = train_judge(x[:500], y[:500], epochs=4, batch_size=32, junk_per_batch=16,
                        lr=5e-3, seed=0)
    check = check_judge(judge, x[500:], y[500:], junk=200)
    assert check.test_accuracy > 0.9  # chance is 0.1
    assert check.test_validity > 0.5
    assert check.junk_validity["noise"] <= 0.05
    path = tmp_path / "j.safetensors"
    path.write_bytes(judge_to_bytes(judge, check.to_dict()))
    again = load_judge(path)
    assert isinstance(again, Judge) and again.classes == 10
    assert torch.equal(again(x[:20]), judge(x[:20]))
    assert float(judge_metadata(path)["test_accuracy"]) == pytest.approx(check.test_accuracy)


def test_a_judge_without_a_reject_class_is_refused(tmp_path):
    old = tmp_path / "old.safetensors"
    old.write_bytes(st_save({"head.3.weight": torch.zeros(10, 64)}))
    with pytest.raises(ValueError, match="no digit"):
        load_judge(old)
    with pytest.raises(ValueError, match="valid: mnist"):
        load_judge(data="olivetti")


def test_attribute_probe_finds_a_planted_feature():
    gen = torch.Generator().manual_seed(0)
    has = torch.rand(400, generator=gen) < 0.3
    x = torch.rand(400, 1, 16, 16, generator=gen) * 0.5
    x[has, :, :4, :8] += 0.5  # the attribute: a bright band at the top
    probe = train_attribute_probe(x[:300], has[:300])
    p = probe.probability(x[300:])
    assert ((p > 0.5) == has[300:]).float().mean() > 0.95
    assert p.shape == (100,) and ((p >= 0) & (p <= 1)).all()
