"""Out-of-distribution detection with log p(x): does the model score its own test set
higher than noise or another dataset? (Tensors and dataclasses out.)

Known caveat (Nalisnick et al. 2019, "Do deep generative models know what they don't
know?"): likelihoods can rank simpler OOD data *higher* (e.g. a Fashion-MNIST model scores
MNIST higher). We report the AUROC as measured, never flipped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F

from vaekit.errors import DataError


def auroc(scores_in: torch.Tensor, scores_out: torch.Tensor) -> float:
    """Area under the ROC curve with in-distribution as the positive class: the probability
    that a random in-distribution example scores higher than a random OOD one, ties
    counting one half. Rank-based (Mann-Whitney U), ties get their average rank."""
    s_in = scores_in.detach().double().flatten().cpu()
    s_out = scores_out.detach().double().flatten().cpu()
    n_in, n_out = s_in.numel(), s_out.numel()
    if n_in == 0 or n_out == 0:
        raise ValueError("AUROC needs at least one score in each set")
    if torch.isnan(s_in).any() or torch.isnan(s_out).any():
        raise ValueError("AUROC scores must not be NaN")
    values, inverse, counts = torch.unique(torch.cat([s_in, s_out]), return_inverse=True,
                                           return_counts=True)  # values sorted ascending
    first = torch.cumsum(counts, 0) - counts  # 0-based rank of each value's first member
    average_rank = first.double() + (counts.double() + 1.0) / 2.0  # 1-based, ties averaged
    rank_sum_in = average_rank[inverse[:n_in]].sum()
    u = rank_sum_in - n_in * (n_in + 1) / 2.0  # pairs (in, out) with in > out, ties 1/2
    return float(u / (n_in * n_out))


def uniform_noise(n: int, shape: tuple[int, ...], *, seed: int = 0) -> torch.Tensor:
    """n images of i.i.d. Uniform(0, 1) pixels, (n, *shape)."""
    return torch.rand((n, *shape), generator=torch.Generator().manual_seed(seed))


def conform_images(x: torch.Tensor, shape: tuple[int, ...], *, name: str = "data") -> torch.Tensor:
    """Make images (N, C, H, W) fit a model's (C', H', W') when that is trivial: grey <-> RGB
    (channel mean / repeat), and resizing (area / bilinear) at the same aspect ratio.
    Anything else is a DataError."""
    if x.ndim != 4 or len(shape) != 3:
        raise DataError(f"{name}: only image sets can be compared (shapes {list(x.shape[1:])} "
                        f"and {list(shape)})")
    c, h, w = shape
    if tuple(x.shape[1:]) == (c, h, w):
        return x
    if x.shape[1] != c:
        if (x.shape[1], c) == (3, 1):
            x = x.mean(1, keepdim=True)
        elif (x.shape[1], c) == (1, 3):
            x = x.expand(-1, 3, -1, -1)
        else:
            raise DataError(f"{name}: cannot convert {x.shape[1]} channels to {c}")
    if tuple(x.shape[2:]) != (h, w):
        if x.shape[2] * w != x.shape[3] * h:
            raise DataError(f"{name}: images of {x.shape[2]}x{x.shape[3]} pixels have another "
                            f"aspect ratio than the model's {h}x{w}; not resized")
        smaller = h < x.shape[2]
        x = F.interpolate(x, size=(h, w), mode="area" if smaller else "bilinear",
                          align_corners=None if smaller else False).clamp(0.0, 1.0)
    return x.contiguous()


@dataclass(frozen=True)
class OODResult:
    """log p(x) of the in-distribution set against one OOD set (nats per example)."""

    source: str
    examples_in: int
    examples_out: int
    mean_log_px_in: float
    mean_log_px_out: float
    auroc: float  # positive class = in-distribution scoring higher

    @property
    def ood_ranked_higher(self) -> bool:
        """True when the likelihood ranks the OOD set higher (AUROC below 0.5)."""
        return self.auroc < 0.5

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ood_ranked_higher": self.ood_ranked_higher,
                "units": "log p(x) in nats per example; AUROC in [0, 1]"}


def compare(source: str, log_px_in: torch.Tensor, log_px_out: torch.Tensor) -> OODResult:
    """The OOD result for two sets of per-example log p(x) estimates."""
    return OODResult(
        source=source,
        examples_in=log_px_in.numel(),
        examples_out=log_px_out.numel(),
        mean_log_px_in=float(log_px_in.double().mean()),
        mean_log_px_out=float(log_px_out.double().mean()),
        auroc=auroc(log_px_in, log_px_out),
    )
