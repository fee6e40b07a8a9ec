import pytest
import torch

from vaekit.analysis.features import JUNK_KINDS, PixelPCA, junk_images
from vaekit.analysis.quality import (
    JudgeSpace,
    feature_space,
    frechet_distance,
    knn_radii,
    manifold_scores,
    measure_sample_quality,
    prepare_reference,
    score_samples,
)
from vaekit.data.registry import load_dataset

# Generated images per scored set, and as many test images: coverage depends on both (with
# N = M, identical distributions and k = 5 expect about 1 - 2^-5: Naeem et al. 2020)
N = 500


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


@pytest.fixture(scope="module")
def reference(mnist):
    space = feature_space("mnist", mnist.train.x[:10])
    return prepare_reference(train_x=mnist.train.x[:5000], test_x=mnist.test.x[:N],
                             space=space, n=N)


# --- the numbers on features, by hand ---------------------------------------------------


def test_frechet_distance_known_answers():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(500, 4, generator=gen, dtype=torch.float64) * torch.tensor([1, 2, 3, 4.0])
    shift = torch.tensor([1.0, -2.0, 0.0, 0.5], dtype=torch.float64)
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6)
    # same covariance, means apart: only ||mu_g - mu_r||^2 is left
    assert frechet_distance(x + shift, x) == pytest.approx(float(shift.square().sum()), rel=1e-6)
    # scaled by c about the mean: S_g = c^2 S_r, so FD = (1 - c)^2 Tr(S_r)
    centred = x - x.mean(0)
    trace = float(torch.cov(centred.T).trace())
    assert frechet_distance(0.5 * centred, centred) == pytest.approx(0.25 * trace, rel=1e-6)


def test_knn_radii_on_a_line():
    points = torch.arange(6.0).unsqueeze(1)  # 0, 1, ..., 5
    assert knn_radii(points, k=1).tolist() == [1.0] * 6
    assert knn_radii(points, k=2).tolist() == [2.0, 1.0, 1.0, 1.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="more than k"):
        knn_radii(points, k=6)


def test_precision_is_sharpness_and_recall_is_diversity():
    gen = torch.Generator().manual_seed(0)
    real = torch.cat([torch.randn(400, 8, generator=gen), torch.randn(400, 8, generator=gen)
                      + 20.0]).double()
    twin = torch.cat([torch.randn(400, 8, generator=gen), torch.randn(400, 8, generator=gen)
                      + 20.0]).double()
    good = manifold_scores(twin, real, k=5)
    assert min(good.precision, good.recall, good.coverage) > 0.85
    assert good.density == pytest.approx(1.0, abs=0.2)
    # mode dropping: every sample realistic, half the data never made
    half = manifold_scores(torch.randn(800, 8, generator=gen).double(), real, k=5)
    assert half.precision > 0.85 and half.recall < 0.55 and half.coverage < 0.55
    # far from the data: nothing inside
    far = manifold_scores(twin + 100.0, real, k=5)
    assert far.precision == far.recall == far.density == far.coverage == 0.0


def test_one_repeated_point_has_no_recall_or_coverage():
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(500, 8, generator=gen, dtype=torch.float64)
    repeated = manifold_scores(real[:1].expand(200, -1), real, k=5)
    assert repeated.precision == 1.0  # the one point is real
    assert repeated.recall <= 0.01 and repeated.coverage <= 0.02


# --- on images: real digits score well, junk fails every number -------------------------


def test_real_digits_score_well(mnist, reference):
    test_row = reference.rows["test"]
    assert test_row.n == N
    assert min(test_row.precision, test_row.recall, test_row.coverage) >= 0.8
    assert test_row.validity >= 0.9
    held_out = score_samples(mnist.test.x[N : 2 * N], reference).samples
    assert held_out.fd < 3 * test_row.fd
    assert min(held_out.precision, held_out.recall, held_out.coverage) >= 0.8


def test_reference_test_row_beats_noise_on_every_metric(reference):
    test, noise = reference.rows["test"], reference.rows["noise"]
    assert test.fd * 20 < noise.fd
    for metric in ("precision", "recall", "density", "coverage", "validity"):
        assert getattr(test, metric) > getattr(noise, metric) + 0.5, metric


@pytest.mark.parametrize("kind", JUNK_KINDS)
def test_every_metric_fails_on_junk(reference, kind):
    junk = score_samples(junk_images(kind, N, seed=11), reference).samples
    test = reference.rows["test"]
    assert junk.fd > 20 * test.fd
    assert junk.validity <= 0.05
    assert junk.precision <= 0.2 and junk.density <= 0.1 and junk.coverage <= 0.05
    assert junk.recall <= 0.5 * test.recall


def test_one_repeated_digit_is_valid_and_sharp_but_has_no_diversity(mnist, reference):
    one = score_samples(mnist.test.x[N : N + 1].expand(N, -1, -1, -1), reference).samples
    assert one.validity == 1.0 and one.precision == 1.0  # what validity alone would reward
    assert one.recall <= 0.01 and one.coverage <= 0.02
    assert one.fd > 20 * reference.rows["test"].fd


def test_label_accuracy_for_conditional_samples(mnist, reference):
    x, y = mnist.test.x[N : 2 * N], mnist.test.y[N : 2 * N]
    right = score_samples(x, reference, labels=y).samples
    wrong = score_samples(x, reference, labels=(y + 1) % 10).samples
    assert right.label_accuracy >= 0.95 and wrong.label_accuracy <= 0.05


def test_to_dict_has_the_issue_shape(mnist, reference):
    report = score_samples(mnist.test.x[N : 2 * N], reference)
    doc = report.to_dict()
    for key in ("n", "fd", "precision", "recall", "validity", "density", "coverage"):
        assert isinstance(doc[key], (int, float)), key
    assert "label_accuracy" not in doc and "sampler" not in doc
    assert set(doc["reference"]) == {"test", "noise"}
    for row in doc["reference"].values():
        assert {"fd", "precision", "recall", "validity"} <= set(row) and row["n"] == N
    assert doc["features"] == "judge:mnist" and doc["k"] == 5 and doc["note"] is None
    conditional = score_samples(mnist.test.x[:N], reference, labels=mnist.test.y[:N])
    assert "label_accuracy" in conditional.to_dict()


def test_scoring_another_n_than_the_reference_is_refused(mnist, reference):
    with pytest.raises(ValueError, match="depends on N"):
        score_samples(mnist.test.x[: N + 1], reference)


# --- without a judge: pixel PCA ---------------------------------------------------------


def test_feature_space_is_the_judge_for_mnist_and_pixels_elsewhere(mnist):
    assert isinstance(feature_space("mnist", mnist.train.x[:10]), JudgeSpace)
    assert feature_space("fashion-mnist", mnist.train.x[:10]).name == "judge:fashion-mnist"
    assert isinstance(feature_space("mnist", torch.rand(50, 1, 14, 14)), PixelPCA)
    assert isinstance(feature_space(None, torch.rand(50, 3, 8, 8)), PixelPCA)


def test_pixel_pca_keeps_the_plane_and_measures_what_is_off_it():
    gen = torch.Generator().manual_seed(0)
    basis = torch.linalg.qr(torch.randn(48, 2, generator=gen, dtype=torch.float64))[0]
    coords = torch.randn(200, 2, generator=gen, dtype=torch.float64) * torch.tensor([3.0, 1.0])
    x = (0.5 + 0.05 * coords @ basis.T).view(200, 3, 4, 4)
    pca = PixelPCA.fit(x, components=2)
    f = pca.embed(x)
    assert f.shape == (200, 3)
    assert f[:, 2].abs().max() < 1e-9  # nothing off the plane
    assert torch.allclose(torch.cdist(f[:, :2], f[:, :2]), torch.cdist(x.flatten(1).double(),
                          x.flatten(1).double()), atol=1e-6)  # distances kept
    off = pca.embed(x + 0.1 * torch.randn(x.shape, generator=gen, dtype=torch.float64))
    assert off[:, 2].min() > 0.1
    with pytest.raises(ValueError, match="fitted on"):
        pca.embed(torch.rand(2, 1, 4, 4))


def test_faces_fall_back_to_pixel_pca_with_a_note():
    faces = load_dataset("olivetti")
    n = faces.test.x.shape[0] // 2
    report = measure_sample_quality(faces.test.x[:n], train_x=faces.train.x,
                                    test_x=faces.test.x, data="olivetti")
    doc = report.to_dict()
    assert doc["features"] == "pixel-pca" and "no judge" in doc["note"]
    assert doc["validity"] is None and doc["reference"]["noise"]["validity"] is None
    test, noise = report.reference.rows["test"], report.reference.rows["noise"]
    assert test.fd * 5 < noise.fd  # other people's faces: pixel PCA sees them as far
    assert test.precision > noise.precision and test.coverage > noise.coverage
    one = score_samples(faces.test.x[:1].expand(n, -1, -1, -1), report.reference).samples
    assert one.recall <= 0.05 and one.coverage <= 0.1
