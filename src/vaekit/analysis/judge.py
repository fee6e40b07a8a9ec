"""Judges: small classifiers that score decoded images, so that sample quality is a number.

`DigitJudge` is a small CNN trained on the MNIST train split (`vaekit judge train`); its
weights ship with the package (judge_mnist.safetensors, with the measured test accuracy in
the file's metadata and in judge_mnist.json). A decoding counts as a valid digit when the
judge's top class has probability >= 0.9.

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
from torch import nn

SHIPPED_JUDGE = Path(__file__).with_name("judge_mnist.safetensors")
JUDGE_SHAPE = (1, 28, 28)


class DigitJudge(nn.Module):
    """conv 16 -> pool -> conv 32 -> pool -> dense 64 -> 10 logits (about 107k weights)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 16, 14, 14)
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 32, 7, 7)
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(),
                                  nn.Linear(64, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(fit_to_judge(x)))  # (B, 10) logits


def fit_to_judge(x: torch.Tensor) -> torch.Tensor:
    """Grey images of any size -> (B, 1, 28, 28) (bilinear resize; RGB averaged to grey)."""
    x = x.float()
    if x.ndim == 3:
        x = x.unsqueeze(1)
    if x.shape[1] != 1:
        x = x.mean(1, keepdim=True)
    if tuple(x.shape[2:]) != JUDGE_SHAPE[1:]:
        x = F.interpolate(x, size=JUDGE_SHAPE[1:], mode="bilinear", align_corners=False)
    return x


@dataclass(frozen=True)
class Judgement:
    label: torch.Tensor  # (N,) the judge's class
    confidence: torch.Tensor  # (N,) its probability, in [0, 1]


@torch.no_grad()
def judge_probabilities(
    judge: nn.Module, images: torch.Tensor, *, batch_size: int = 1000
) -> torch.Tensor:
    """Softmax class probabilities for images (N, C, H, W) in [0, 1]: (N, 10)."""
    judge.eval()
    return torch.cat([F.softmax(judge(images[i : i + batch_size]), -1)
                      for i in range(0, images.shape[0], batch_size)])


def judge_images(judge: nn.Module, images: torch.Tensor, *, batch_size: int = 1000) -> Judgement:
    """Top class and its softmax probability for each image (N, C, H, W) in [0, 1]."""
    confidence, label = judge_probabilities(judge, images, batch_size=batch_size).max(-1)
    return Judgement(label=label, confidence=confidence)


def accuracy(judge: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return float((judge_images(judge, x).label == y).float().mean())


def train_judge(
    x: torch.Tensor, y: torch.Tensor, *, epochs: int = 5, batch_size: int = 128,
    lr: float = 2e-3, seed: int = 0,
) -> DigitJudge:
    """Train a DigitJudge on images (N, 1, 28, 28) in [0, 1] and labels (N,): Adam with a
    one-cycle learning rate, cross-entropy, each batch shifted by up to 2 pixels (so that
    off-centre decodings are still recognised)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    judge = DigitJudge()
    optimizer = torch.optim.Adam(judge.parameters(), lr=lr)
    steps = epochs * -(-x.shape[0] // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    judge.train()
    for _ in range(epochs):
        perm = torch.randperm(x.shape[0], generator=gen)
        for i in range(0, x.shape[0], batch_size):
            idx = perm[i : i + batch_size]
            dy, dx = torch.randint(-2, 3, (2,), generator=gen).tolist()
            xb = torch.roll(x[idx], shifts=(dy, dx), dims=(2, 3))
            loss = F.cross_entropy(judge(xb), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    judge.eval()
    return judge


def judge_to_bytes(judge: nn.Module, metadata: dict[str, str | float]) -> bytes:
    """The judge's weights as safetensors, with string metadata (e.g. test accuracy)."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in judge.state_dict().items()}
    return st_save(tensors, metadata={k: str(v) for k, v in metadata.items()})


def load_judge(path: str | Path | None = None) -> DigitJudge:
    """The shipped judge (or one written by `vaekit judge train --out PATH`), in eval mode."""
    path = Path(path) if path else SHIPPED_JUDGE
    judge = DigitJudge()
    judge.load_state_dict(st_load(path.read_bytes()))
    return judge.eval()


def judge_metadata(path: str | Path | None = None) -> dict[str, str]:
    from safetensors import safe_open

    with safe_open(str(Path(path) if path else SHIPPED_JUDGE), "pt") as fh:
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
