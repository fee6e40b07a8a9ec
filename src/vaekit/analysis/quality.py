"""Sample quality: how far N generated images are from held-out test images, measured in a
feature space where distance means something, beside the best and the worst a generator
can do. (Tensors and dataclasses out; nothing written.)

Numbers, all in the feature space of `feature_space(...)`:
- fd: the Fréchet distance between Gaussians fitted to the two feature sets (Heusel et al.
  2017), ||mu_g - mu_r||^2 + Tr(S_g + S_r - 2 (S_g S_r)^1/2); lower is better. It mixes
  sharpness and diversity into one number, so:
- precision, recall (Kynkäänniemi et al. 2019): the fraction of generated samples inside
  the test set's k-NN manifold (a ball around each test point reaching its k-th nearest
  test neighbour), and the fraction of test points inside the generated samples' manifold.
  Precision is sharpness ("does it look real?"), recall diversity ("is all of the data
  made?"); one crisp image repeated has precision 1 and recall near 0.
- density, coverage (Naeem et al. 2020): the same balls around test points only, which
  outliers among the generated samples cannot inflate: density counts how many test balls
  hold each sample (1 on average for a perfect generator, over 1 where samples crowd the
  dense regions), coverage is the fraction of test balls holding at least one sample.
- validity: the fraction of samples the data set's judge gives one class p >= 0.9
  (vaekit.analysis.judge, which has a "no digit" class so that junk fails); None where
  no judge ships. label_accuracy: for class-conditional samples, the fraction the judge
  labels with the requested class.
k = 5 for all four k-NN numbers (Naeem et al.'s choice; Kynkäänniemi et al. used 3, and a
larger k makes every ball bigger and all four numbers higher).

Every score comes with reference rows measured the same way against the same test images
with the same N (the Fréchet distance is biased upwards for small N): "test", N training
images scored as if generated (what a perfect generator would get; its validity is
measured on training images, which the judge has seen), and "noise", N images of uniform
noise (what a useless one gets).

The Fréchet distance is torchmetrics' (`FrechetInceptionDistance` with our own feature
network in place of Inception: float64 statistics, eigenvalues of S_g S_r for the square
root). It needs no torchvision or torch-fidelity; features are computed once here and
passed through, because the k-NN numbers need them too. Its import costs a few seconds
(it loads scipy and matplotlib), so it happens on first use.

Cost, 10,000 generated against 10,000 test MNIST images on one CPU thread: about 6 s per
scored set, after 17 s for the test features, their radii and the two reference rows. The
(N, M) distances are computed 2,048 rows at a time, in float64.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import nn

from vaekit.analysis.features import JUDGE_SHAPE, PixelPCA, junk_images
from vaekit.analysis.judge import (
    SHIPPED_JUDGES,
    Judge,
    judge_features,
    judge_from_features,
    load_judge,
)


class FeatureSpace(Protocol):
    """Images (N, C, H, W) in [0, 1] -> features (N, D) float64; a name and a caveat."""

    name: str
    note: str | None

    def embed(self, images: torch.Tensor) -> torch.Tensor: ...


@dataclass(frozen=True)
class JudgeSpace:
    """The penultimate layer (64 units) of a data set's judge, which also gives validity."""

    judge: Judge
    name: str = "judge"
    note: str | None = None

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        return judge_features(self.judge, images).double()  # (N, 64)


def feature_space(data: str | None, train_x: torch.Tensor) -> JudgeSpace | PixelPCA:
    """The judge of `data` (mnist, fashion-mnist) for 28x28 grey images; otherwise pixel
    PCA fitted on the training images (see PixelPCA.note for what that cannot see)."""
    if data in SHIPPED_JUDGES and tuple(train_x.shape[1:]) == JUDGE_SHAPE:
        return JudgeSpace(judge=load_judge(data=data), name=f"judge:{data}")
    return PixelPCA.fit(train_x)


# --- the numbers, on features ----------------------------------------------------------


class _Precomputed(nn.Identity):
    """A "feature network" for torchmetrics that passes our features through."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features


def frechet_distance(generated: torch.Tensor, real: torch.Tensor) -> float:
    """Fréchet distance between feature sets (N, D) and (M, D), N, M >= 2."""
    try:
        from torchmetrics.image.fid import FrechetInceptionDistance
    except ImportError as exc:
        raise ImportError("the Fréchet distance needs torchmetrics: pip install "
                          "'vaekit[quality]'") from exc
    metric = FrechetInceptionDistance(feature=_Precomputed(real.shape[1]), normalize=True)
    metric.update(real.double(), real=True)
    metric.update(generated.double(), real=False)
    return float(metric.compute())


def _squared_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """|a_i - b_j|^2 for (c, D) and (M, D) float64 features: (c, M). One matrix product;
    no square roots, since every comparison below is between squared distances."""
    return (a.square().sum(1, keepdim=True) + b.square().sum(1) - 2.0 * a @ b.T).clamp_min_(0)


def knn_radii(features: torch.Tensor, *, k: int, chunk: int = 2048) -> torch.Tensor:
    """Distance from each point (M, D) to its k-th nearest other point: (M,)."""
    if features.shape[0] <= k:
        raise ValueError(f"k-NN radii need more than k = {k} points, got {features.shape[0]}")
    f = features.double()
    # the k + 1 smallest: the point itself, at distance 0, comes first
    return torch.cat([_squared_distances(f[i : i + chunk], f).topk(k + 1, largest=False)
                      .values[:, -1] for i in range(0, f.shape[0], chunk)]).sqrt()


@dataclass(frozen=True)
class ManifoldScores:
    precision: float
    recall: float
    density: float
    coverage: float


def manifold_scores(
    generated: torch.Tensor, real: torch.Tensor, *, k: int = 5,
    real_radii: torch.Tensor | None = None, chunk: int = 2048,
) -> ManifoldScores:
    """Precision and recall (Kynkäänniemi et al. 2019) and density and coverage (Naeem et
    al. 2020) of generated features (N, D) against real ones (M, D); the (N, M) distances
    are computed `chunk` rows at a time. `real_radii` are the reals' k-NN radii, if known."""
    g, r = generated.double(), real.double()
    r_real = knn_radii(r, k=k, chunk=chunk) if real_radii is None else real_radii
    r_gen = knn_radii(g, k=k, chunk=chunk)
    r_real2, r_gen2 = r_real.double().square(), r_gen.square()
    in_real = torch.zeros(g.shape[0], dtype=torch.bool)  # sample inside some real ball
    balls_holding = torch.zeros(g.shape[0])  # how many real balls hold each sample
    covered = torch.zeros(r.shape[0], dtype=torch.bool)  # real ball holding some sample
    in_generated = torch.zeros(r.shape[0], dtype=torch.bool)  # real inside some sample's ball
    for i in range(0, g.shape[0], chunk):
        d2 = _squared_distances(g[i : i + chunk], r)  # (c, M)
        inside = d2 <= r_real2  # [a, j]: sample a lies in the ball of real j
        in_real[i : i + chunk] = inside.any(1)
        balls_holding[i : i + chunk] = inside.sum(1).float()
        covered |= inside.any(0)
        in_generated |= (d2 <= r_gen2[i : i + chunk, None]).any(0)
    return ManifoldScores(
        precision=float(in_real.float().mean()),
        recall=float(in_generated.float().mean()),
        density=float(balls_holding.sum() / (k * g.shape[0])),
        coverage=float(covered.float().mean()),
    )


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleQuality:
    """The numbers for one set of N images (see the module docstring); fractions in [0, 1],
    fd in squared feature units, density a mean count over k."""

    n: int
    fd: float
    precision: float
    recall: float
    density: float
    coverage: float
    validity: float | None  # None: no judge for this data
    label_accuracy: float | None = None  # class-conditional samples only

    def to_dict(self) -> dict[str, Any]:
        row = {"n": self.n, "fd": self.fd, "precision": self.precision, "recall": self.recall,
               "density": self.density, "coverage": self.coverage, "validity": self.validity}
        if self.label_accuracy is not None:
            row["label_accuracy"] = self.label_accuracy
        return row


@dataclass(frozen=True)
class QualityReference:
    """The test images in feature space, their k-NN radii, and the reference rows: all
    that scoring a generator reuses. Build it with `prepare_reference`."""

    space: FeatureSpace
    test_features: torch.Tensor  # (M, D) float64
    test_radii: torch.Tensor  # (M,)
    k: int
    n: int  # the N every scored set must have (the rows were measured with it)
    rows: dict[str, SampleQuality]  # "test", "noise"


@dataclass(frozen=True)
class QualityReport:
    samples: SampleQuality
    reference: QualityReference

    def to_dict(self) -> dict[str, Any]:
        """What goes under "sample_quality" (the caller adds "sampler")."""
        ref = self.reference
        return {**self.samples.to_dict(),
                "reference": {name: row.to_dict() for name, row in ref.rows.items()},
                "features": ref.space.name, "k": ref.k, "test_images": ref.test_features.shape[0],
                "note": ref.space.note}


def _score(
    generated: torch.Tensor, space: FeatureSpace, test_features: torch.Tensor,
    test_radii: torch.Tensor, *, k: int, labels: torch.Tensor | None,
) -> SampleQuality:
    features = space.embed(generated)
    manifold = manifold_scores(features, test_features, k=k, real_radii=test_radii)
    validity = label_accuracy = None
    if isinstance(space, JudgeSpace):
        verdict = judge_from_features(space.judge, features)
        validity = float(verdict.valid().float().mean())
        if labels is not None:
            label_accuracy = float((verdict.label == labels.to(verdict.label)).float().mean())
    return SampleQuality(n=generated.shape[0], fd=frechet_distance(features, test_features),
                         precision=manifold.precision, recall=manifold.recall,
                         density=manifold.density, coverage=manifold.coverage,
                         validity=validity, label_accuracy=label_accuracy)


@torch.no_grad()
def prepare_reference(
    *, train_x: torch.Tensor, test_x: torch.Tensor, space: FeatureSpace, n: int,
    k: int = 5, seed: int = 0,
) -> QualityReference:
    """Embed the test images and measure the two reference rows for sets of n images:
    n training images (a seeded subset; all of them if there are fewer) and n images of
    uniform noise, each against all of test_x."""
    if n <= k:
        raise ValueError(f"sample quality needs more than k = {k} images, got n = {n}")
    test_features = space.embed(test_x)
    test_radii = knn_radii(test_features, k=k)
    order = torch.randperm(train_x.shape[0], generator=torch.Generator().manual_seed(seed))
    noise = junk_images("noise", n, shape=tuple(test_x.shape[1:]), seed=seed)
    rows = {name: _score(images, space, test_features, test_radii, k=k, labels=None)
            for name, images in (("test", train_x[order[:n]]), ("noise", noise))}
    return QualityReference(space=space, test_features=test_features, test_radii=test_radii,
                            k=k, n=n, rows=rows)


@torch.no_grad()
def score_samples(
    generated: torch.Tensor, reference: QualityReference, *, labels: torch.Tensor | None = None
) -> QualityReport:
    """Score generated images (N, C, H, W) in [0, 1] against the reference's test images;
    `labels` (N,): the classes conditional samples were asked for."""
    if generated.shape[0] != reference.n:
        raise ValueError(f"{generated.shape[0]} images, but the reference rows were measured "
                         f"with N = {reference.n} (the Fréchet distance depends on N)")
    samples = _score(generated, reference.space, reference.test_features, reference.test_radii,
                     k=reference.k, labels=labels)
    return QualityReport(samples=samples, reference=reference)


def measure_sample_quality(
    generated: torch.Tensor, *, train_x: torch.Tensor, test_x: torch.Tensor,
    data: str | None = None, labels: torch.Tensor | None = None, k: int = 5, seed: int = 0,
) -> QualityReport:
    """One call: the feature space for `data` (see feature_space), the reference rows for
    N = len(generated), and the score of the generated images."""
    space = feature_space(data, train_x)
    reference = prepare_reference(train_x=train_x, test_x=test_x, space=space,
                                  n=generated.shape[0], k=k, seed=seed)
    return score_samples(generated, reference, labels=labels)
