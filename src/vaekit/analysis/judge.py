"""Judges: small classifiers that score decoded images, so that sample quality is a number.

`Judge` is a small CNN trained on a labelled 28x28 grey data set (`vaekit judge train
--data mnist|fashion-mnist`). Its weights ship with the package (judge_mnist.safetensors,
judge_fashion_mnist.safetensors; the measured numbers are in each file's metadata and in
the .json beside it). A decoding counts as valid when the judge gives one class a
probability >= 0.9.

A classifier trained on digits alone is confident on anything: the first shipped judge
called uniform noise an "8" with probability 0.994. So the judge has one more class,
"no digit", trained on junk drawn fresh every batch (noise, blank canvases, random strokes,
smooth blobs): Outlier Exposure (Hendrycks et al. 2019). The class probabilities it
reports are those of the real classes, so what goes to "no digit" is missing from all of
them and junk cannot reach the 0.9 threshold. Digits are blurred as often as junk while
training, so that blur alone (what VAE decodings have) is not taken for junk. (The network,
`Judge`, and the junk are in vaekit.analysis.features; its penultimate layer is the
feature space of vaekit.analysis.quality.)

`AttributeProbe` is a logistic regression on average-pooled pixels, trained to tell one
binary attribute (e.g. Olivetti's glasses) from images; pooling keeps it blind to the
fine detail that VAE decodings lack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from vaekit.analysis.features import (
    JUNK_KINDS,
    Judge,
    gaussian_blur,
    junk_images,
    scrambled_images,
    training_junk,
)

SHIPPED_JUDGES = {
    "mnist": Path(__file__).with_name("judge_mnist.safetensors"),
    "fashion-mnist": Path(__file__).with_name("judge_fashion_mnist.safetensors"),
}
SHIPPED_JUDGE = SHIPPED_JUDGES["mnist"]
VALID_CONFIDENCE = 0.9  # a decoding is valid when one class gets at least this probability


# --- judging ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Judgement:
    label: torch.Tensor  # (N,) the most probable real class
    confidence: torch.Tensor  # (N,) its probability, in [0, 1]
    reject: torch.Tensor  # (N,) probability of "no digit" (none of the classes)

    def valid(self, *, threshold: float = VALID_CONFIDENCE) -> torch.Tensor:
        """(N,) bool: one real class has probability >= threshold."""
        return self.confidence >= threshold


def _verdict(probs: torch.Tensor) -> Judgement:
    confidence, label = probs[:, :-1].max(-1)
    return Judgement(label=label, confidence=confidence, reject=probs[:, -1])


@torch.no_grad()
def _softmax(judge: Judge, images: torch.Tensor, batch_size: int) -> torch.Tensor:
    judge.eval()
    return torch.cat([F.softmax(judge(images[i : i + batch_size]), -1)
                      for i in range(0, images.shape[0], batch_size)])


def judge_probabilities(
    judge: Judge, images: torch.Tensor, *, batch_size: int = 1000
) -> torch.Tensor:
    """Probabilities of the real classes for images (N, C, H, W) in [0, 1]: (N, classes).
    Each row sums to 1 - p(no digit)."""
    return _softmax(judge, images, batch_size)[:, :-1]


def judge_images(judge: Judge, images: torch.Tensor, *, batch_size: int = 1000) -> Judgement:
    """Most probable real class, its probability and p(no digit) for each image."""
    return _verdict(_softmax(judge, images, batch_size))


@torch.no_grad()
def judge_features(judge: Judge, images: torch.Tensor, *, batch_size: int = 1000) -> torch.Tensor:
    """The judge's penultimate layer for images (N, C, H, W): (N, 64)."""
    judge.eval()
    return torch.cat([judge.embed(images[i : i + batch_size])
                      for i in range(0, images.shape[0], batch_size)])


@torch.no_grad()
def judge_from_features(judge: Judge, features: torch.Tensor) -> Judgement:
    """`judge_images` for images already embedded with `judge_features` (N, 64)."""
    return _verdict(F.softmax(judge.out(features.float()), -1))


def accuracy(judge: Judge, x: torch.Tensor, y: torch.Tensor) -> float:
    return float((judge_images(judge, x).label == y).float().mean())


def judged_validity(
    judge: Judge, images: torch.Tensor, *, threshold: float = VALID_CONFIDENCE
) -> float:
    """Fraction of images the judge finds valid (one real class with p >= threshold)."""
    return float(judge_images(judge, images).valid(threshold=threshold).float().mean())


# --- training and checking -------------------------------------------------------------


def train_judge(
    x: torch.Tensor, y: torch.Tensor, *, classes: int = 10, epochs: int = 5,
    batch_size: int = 128, junk_per_batch: int = 32, lr: float = 2e-3, seed: int = 0,
) -> Judge:
    """Train a Judge on images (N, 1, 28, 28) in [0, 1] and labels (N,) in [0, classes):
    Adam with a one-cycle learning rate, cross-entropy over the classes and "no digit".
    Each batch gets `junk_per_batch` fresh junk images labelled "no digit", is shifted by
    up to 2 pixels (so that off-centre decodings are still recognised), and half of the
    batches are blurred (sigma 0.5-1.5 px; digits and junk alike, so blur is no cue)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    judge = Judge(classes=classes)
    optimizer = torch.optim.Adam(judge.parameters(), lr=lr)
    steps = epochs * -(-x.shape[0] // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    reject = torch.full((junk_per_batch,), classes, dtype=torch.long)
    judge.train()
    for _ in range(epochs):
        perm = torch.randperm(x.shape[0], generator=gen)
        for i in range(0, x.shape[0], batch_size):
            idx = perm[i : i + batch_size]
            xb = torch.cat([x[idx].float(), training_junk(junk_per_batch, generator=gen)])
            yb = torch.cat([y[idx], reject])
            dy, dx = torch.randint(-2, 3, (2,), generator=gen).tolist()
            xb = torch.roll(xb, shifts=(dy, dx), dims=(2, 3))
            if torch.rand((), generator=gen) < 0.5:
                xb = gaussian_blur(xb, 0.5 + float(torch.rand((), generator=gen)))
            loss = F.cross_entropy(judge(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    judge.eval()
    return judge


@dataclass(frozen=True)
class JudgeCheck:
    """What a judge gets right on held-out data and how it treats junk (fractions)."""

    test_accuracy: float  # top real class == label, on the test split
    test_validity: float  # fraction of test images judged valid
    junk_validity: dict[str, float]  # per kind of junk (and "scrambled" test images)
    test_images: int
    junk_images: int

    def to_dict(self) -> dict[str, float | int]:
        flat: dict[str, float | int] = {"test_accuracy": round(self.test_accuracy, 4),
                                        "test_validity": round(self.test_validity, 4)}
        flat.update({f"validity_{kind}": round(v, 4) for kind, v in self.junk_validity.items()})
        return {**flat, "test_images": self.test_images, "junk_images": self.junk_images}


def check_judge(
    judge: Judge, test_x: torch.Tensor, test_y: torch.Tensor, *, junk: int = 1000,
    seed: int = 1,
) -> JudgeCheck:
    """Accuracy and validity on the test split; validity on each kind of junk (seeded
    apart from training's) and on scrambled test images, which no judge was trained on."""
    shape = tuple(test_x.shape[1:])
    kinds = {kind: junk_images(kind, junk, shape=shape, seed=seed) for kind in JUNK_KINDS}
    kinds["scrambled"] = scrambled_images(test_x[:junk], seed=seed)
    verdict = judge_images(judge, test_x)
    return JudgeCheck(
        test_accuracy=float((verdict.label == test_y).float().mean()),
        test_validity=float(verdict.valid().float().mean()),
        junk_validity={k: judged_validity(judge, v) for k, v in kinds.items()},
        test_images=test_x.shape[0],
        junk_images=junk,
    )


# --- saving and loading ----------------------------------------------------------------


def judge_to_bytes(judge: Judge, metadata: dict[str, str | float]) -> bytes:
    """The judge's weights as safetensors, with string metadata (e.g. test accuracy)."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in judge.state_dict().items()}
    return st_save(tensors, metadata={k: str(v) for k, v in metadata.items()})


def load_judge(path: str | Path | None = None, *, data: str = "mnist") -> Judge:
    """A judge written by `vaekit judge train --out PATH`, or the shipped one for `data`
    (mnist or fashion-mnist), in eval mode."""
    if path is None:
        if data not in SHIPPED_JUDGES:
            raise ValueError(f"no judge ships for {data!r} (valid: {', '.join(SHIPPED_JUDGES)})")
        path = SHIPPED_JUDGES[data]
    path = Path(path)
    tensors = st_load(path.read_bytes())
    if "out.weight" not in tensors:
        raise ValueError(f"{path}: not a judge with a 'no digit' class (retrain it with "
                         "`vaekit judge train`)")
    judge = Judge(classes=tensors["out.weight"].shape[0] - 1)
    judge.load_state_dict(tensors)
    return judge.eval()


def judge_metadata(path: str | Path | None = None, *, data: str = "mnist") -> dict[str, str]:
    from safetensors import safe_open

    with safe_open(str(Path(path) if path else SHIPPED_JUDGES[data]), "pt") as fh:
        return dict(fh.metadata() or {})


def metadata_json(metadata: dict[str, str | float]) -> str:
    return json.dumps(metadata, indent=2) + "\n"


# --- a binary attribute probe ----------------------------------------------------------


@dataclass(frozen=True)
class AttributeProbe:
    """p(attribute | image) = sigmoid(w . standardise(pool(x)) + b)."""

    weight: torch.Tensor  # (F,)
    bias: torch.Tensor  # ()
    mean: torch.Tensor  # (F,) feature standardisation
    std: torch.Tensor
    pool: int

    def features(self, x: torch.Tensor) -> torch.Tensor:
        f = F.avg_pool2d(x.float(), self.pool).flatten(1) if self.pool > 1 else x.flatten(1)
        return (f - self.mean) / self.std

    @torch.no_grad()
    def probability(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.features(x) @ self.weight + self.bias)  # (N,)


def train_attribute_probe(
    x: torch.Tensor, has: torch.Tensor, *, pool: int = 4, weight_decay: float = 1e-2,
    steps: int = 500,
) -> AttributeProbe:
    """L2-regularised logistic regression (full-batch L-BFGS) on avg-pooled pixels; classes
    are weighted equally however unbalanced they are."""
    f = F.avg_pool2d(x.float(), pool).flatten(1) if pool > 1 else x.flatten(1).float()
    mean, std = f.mean(0), f.std(0).clamp_min(1e-3)
    f = (f - mean) / std
    t = has.float()
    pos = t.mean().clamp(1e-3, 1 - 1e-3)
    sample_weight = torch.where(t > 0, 0.5 / pos, 0.5 / (1 - pos))
    w = torch.zeros(f.shape[1], requires_grad=True)
    b = torch.zeros((), requires_grad=True)
    optimizer = torch.optim.LBFGS([w, b], max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        nll = F.binary_cross_entropy_with_logits(f @ w + b, t, weight=sample_weight)
        loss = nll + 0.5 * weight_decay * w.square().sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return AttributeProbe(w.detach(), b.detach(), mean, std, pool)
