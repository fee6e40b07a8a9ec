"""Feature networks for sample quality, and the junk every feature space must tell apart
from data.

- `Judge`: the small CNN of vaekit.analysis.judge; its penultimate layer (64 ReLU units) is
  the feature space for MNIST and Fashion-MNIST, in the spirit of the "Fréchet LeNet
  distance" used for MNIST where Inception features make no sense.
- `PixelPCA`: the fallback for images without a shipped judge (Olivetti faces, image
  folders, other sizes): the top principal components of the training pixels, plus the
  distance from that subspace (so that noise, which a projection alone would hide, stays
  far from the data).
- `junk_images`: uniform noise, blank canvases, random strokes, smooth blobs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

JUDGE_SHAPE = (1, 28, 28)
FEATURES = 64  # width of the judge's penultimate layer


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


class Judge(nn.Module):
    """conv 16 -> pool -> conv 32 -> pool -> dense 64 (features) -> classes + 1 logits,
    the last being "no digit" (about 107k weights)."""

    def __init__(self, *, classes: int = 10) -> None:
        super().__init__()
        self.classes = classes
        self.conv = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 16, 14, 14)
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 32, 7, 7)
        )
        self.dense = nn.Sequential(nn.Flatten(), nn.Linear(32 * 7 * 7, FEATURES), nn.ReLU())
        self.out = nn.Linear(FEATURES, classes + 1)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate layer: (B, 64) features of images (B, C, H, W) in [0, 1]."""
        return self.dense(self.conv(fit_to_judge(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.embed(x))  # (B, classes + 1) logits; the last is "no digit"


# --- junk: images that show nothing a data set would hold ----------------------------

JUNK_KINDS = ("noise", "black", "white", "strokes", "blobs")


def _pixel_grid(h: int, w: int) -> torch.Tensor:
    """Pixel centres as (H * W, 2) (row, column) coordinates."""
    rows, cols = torch.meshgrid(torch.arange(h, dtype=torch.float32),
                                torch.arange(w, dtype=torch.float32), indexing="ij")
    return torch.stack([rows.flatten(), cols.flatten()], 1)


def _uniform(shape: tuple[int, ...], low: float, high: float,
             generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(shape, generator=generator)


def random_strokes(n: int, h: int, w: int, *, generator: torch.Generator,
                   segments: tuple[int, int] = (3, 7)) -> torch.Tensor:
    """n canvases (n, H, W) with 3-7 straight strokes, 1-2.5 px wide and 4-14 px long on a
    28-px canvas (in proportion on others), at random places and angles (anti-aliased:
    intensity falls off over one pixel). Never fewer than 3: one stroke is a fair "1"."""
    most, size = segments[1], min(h, w) / 28.0
    count = torch.randint(segments[0], most + 1, (n, 1), generator=generator)
    active = torch.arange(most).unsqueeze(0) < count  # (n, S)
    start = torch.rand(n, most, 2, generator=generator) * torch.tensor([h - 1.0, w - 1.0])
    angle = _uniform((n, most), 0.0, math.pi, generator)
    length = _uniform((n, most, 1), 4.0, 14.0, generator) * size
    step = torch.stack([angle.sin(), angle.cos()], -1) * length  # (n, S, 2)
    half_width = _uniform((n, 1, 1), 0.5, 1.25, generator) * size
    grid = _pixel_grid(h, w)  # (P, 2)
    rel = grid.view(1, 1, -1, 2) - start.unsqueeze(2)  # (n, S, P, 2)
    t = ((rel * step.unsqueeze(2)).sum(-1) / step.square().sum(-1, keepdim=True)).clamp(0, 1)
    dist = (rel - t.unsqueeze(-1) * step.unsqueeze(2)).norm(dim=-1)  # (n, S, P)
    dist = dist.masked_fill(~active.unsqueeze(-1), float("inf")).amin(1)  # (n, P)
    return (half_width.squeeze(2) + 0.5 - dist).clamp(0, 1).view(n, h, w)


def smooth_blobs(n: int, h: int, w: int, *, generator: torch.Generator) -> torch.Tensor:
    """n canvases (n, H, W), each a sum of 1-4 elliptical Gaussian bumps (2-5 px wide on
    a 28-px canvas) whose brightest pixel is 0.6-1."""
    most = 4
    active = torch.arange(most).unsqueeze(0) < torch.randint(1, most + 1, (n, 1),
                                                             generator=generator)
    scale = torch.tensor([h, w], dtype=torch.float32)
    centre = _uniform((n, most, 2), 0.2, 0.8, generator) * scale
    sigma = _uniform((n, most, 2), 2.0, 5.0, generator) * scale / 28.0
    height = _uniform((n, most), 0.5, 1.0, generator) * active
    grid = _pixel_grid(h, w)
    z = ((grid.view(1, 1, -1, 2) - centre.unsqueeze(2)) / sigma.unsqueeze(2)).square().sum(-1)
    img = (height.unsqueeze(-1) * torch.exp(-0.5 * z)).sum(1)  # (n, P)
    peak = _uniform((n, 1), 0.6, 1.0, generator)
    return (img / img.amax(1, keepdim=True) * peak).view(n, h, w)


def junk_images(
    kind: str, n: int, *, shape: tuple[int, ...] = JUDGE_SHAPE, seed: int = 0
) -> torch.Tensor:
    """n images (n, C, H, W) in [0, 1] that show nothing a data set would hold: uniform
    "noise", all-"black", all-"white", random "strokes" or smooth "blobs"."""
    if kind not in JUNK_KINDS:
        raise ValueError(f"unknown junk {kind!r} (valid: {', '.join(JUNK_KINDS)})")
    c, h, w = shape
    gen = torch.Generator().manual_seed(seed)
    if kind == "noise":
        return torch.rand(n, c, h, w, generator=gen)
    if kind in ("black", "white"):
        return torch.full((n, c, h, w), 0.0 if kind == "black" else 1.0)
    draw = random_strokes if kind == "strokes" else smooth_blobs
    return draw(n, h, w, generator=gen).unsqueeze(1).expand(n, c, h, w).contiguous()


def scrambled_images(x: torch.Tensor, *, seed: int = 0) -> torch.Tensor:
    """Each image's pixels in a random order of its own: the data's pixel statistics with
    no shape at all. Never trained on, so a held-out check of the reject class."""
    gen = torch.Generator().manual_seed(seed)
    flat = x.flatten(1)
    order = torch.rand(flat.shape, generator=gen).argsort(1)
    return flat.gather(1, order).view_as(x)


def training_junk(n: int, *, generator: torch.Generator) -> torch.Tensor:
    """A batch of junk (n, 1, 28, 28) for the reject class, wider than `junk_images`:
    noise of any amplitude or density, blank canvases of any grey (a quarter of them black
    and a quarter white, by the clamp), strokes, blobs. Every kind is drawn for every
    slot and one kept per slot: simple, and cheap at 28x28."""
    h, w = JUDGE_SHAPE[1:]
    kind = torch.randint(0, 5, (n,), generator=generator)
    noise = torch.rand(n, h, w, generator=generator) * _uniform((n, 1, 1), 0.2, 1.0, generator)
    sparse = (torch.rand(n, h, w, generator=generator)
              < _uniform((n, 1, 1), 0.02, 0.6, generator)).float()
    grey = _uniform((n, 1, 1), -0.5, 1.5, generator).clamp(0, 1).expand(n, h, w)
    strokes = random_strokes(n, h, w, generator=generator)
    blobs = smooth_blobs(n, h, w, generator=generator)
    choices = torch.stack([noise, sparse, grey, strokes, blobs])  # (5, n, H, W)
    return choices[kind, torch.arange(n)].unsqueeze(1)


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of images (B, 1, H, W), zero padding, radius 3 sigma."""
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    kernel = torch.exp(-0.5 * (t / sigma).square())
    kernel = kernel / kernel.sum()
    x = F.conv2d(x, kernel.view(1, 1, 1, -1), padding=(0, radius))
    return F.conv2d(x, kernel.view(1, 1, -1, 1), padding=(radius, 0))


# --- the fallback feature space: principal components of the pixels ------------------

PIXEL_PCA_NOTE = (
    "no judge ships for these images: features are the top principal components of the "
    "training pixels plus the distance from their subspace. Pixel distances see blur, "
    "shifts and brightness, not content; validity is not measured; compare these numbers "
    "only with the reference rows beside them, never with a judge's."
)


@dataclass(frozen=True)
class PixelPCA:
    """Features of images (N, C, H, W): K principal-component coordinates of the flat
    pixels, and, as feature K + 1, the length of what the K components leave out. Without
    it, noise would project into the data's subspace and look ordinary there."""

    mean: torch.Tensor  # (P,) training pixel mean, float64
    components: torch.Tensor  # (P, K) orthonormal columns, largest variance first
    shape: tuple[int, ...]  # (C, H, W) of the images it was fitted on
    name: str = "pixel-pca"
    note: str = PIXEL_PCA_NOTE

    @classmethod
    def fit(
        cls, x: torch.Tensor, *, components: int = 64, max_images: int = 5000, seed: int = 0
    ) -> PixelPCA:
        """Fit on up to `max_images` training images (a seeded subset): K = min(components,
        images - 1, pixels). Exact eigendecomposition in float64, of the pixel covariance
        or, when there are more pixels than images, of the images' Gram matrix."""
        if x.ndim != 4 or x.shape[0] < 2:
            raise ValueError("PixelPCA needs images (N, C, H, W) with N >= 2")
        if x.shape[0] > max_images:
            keep = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(seed))
            x = x[keep[:max_images]]
        flat = x.flatten(1).double()
        mean = flat.mean(0)
        centred = flat - mean  # (N, P)
        k = min(components, flat.shape[0] - 1, flat.shape[1])
        if flat.shape[1] <= flat.shape[0]:
            _, vectors = torch.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
            basis = vectors[:, -k:].flip(1)
        else:  # the Gram matrix's eigenvectors u map to pixel-space ones X^T u / |X^T u|
            _, vectors = torch.linalg.eigh(centred @ centred.T)
            basis = centred.T @ vectors[:, -k:].flip(1)
            basis = basis / basis.norm(dim=0, keepdim=True).clamp_min(1e-12)
        return cls(mean=mean, components=basis, shape=tuple(x.shape[1:]))

    @torch.no_grad()
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, K + 1) float64."""
        if tuple(x.shape[1:]) != self.shape:
            raise ValueError(f"images of shape {list(x.shape[1:])}, but the features were "
                             f"fitted on {list(self.shape)}")
        centred = x.flatten(1).double() - self.mean
        coords = centred @ self.components  # (N, K)
        residual = (centred - coords @ self.components.T).norm(dim=1, keepdim=True)
        return torch.cat([coords, residual], 1)

