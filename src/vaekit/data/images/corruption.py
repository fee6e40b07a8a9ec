"""Input corruptions for denoising auto-encoders (Vincent et al. 2008): the model sees a
corrupted image and is scored against the clean one. Images in [0, 1], any shape."""

from __future__ import annotations

import torch

from vaekit.config import CHOICES


def corrupt(
    x: torch.Tensor, kind: str, level: float, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """gaussian: add N(0, level^2) noise, clip to [0, 1]; salt_pepper: each pixel becomes
    0 or 1 (equally likely) with probability `level`; mask: each pixel is zeroed with
    probability `level`. "none" returns x unchanged."""
    if kind == "none" or level == 0:
        return x
    if kind == "gaussian":
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return (x + level * noise).clamp_(0.0, 1.0)
    u = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    if kind == "salt_pepper":
        salt = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype) < 0.5
        return torch.where(u < level, salt.to(x.dtype), x)
    if kind == "mask":
        return torch.where(u < level, torch.zeros_like(x), x)
    raise ValueError(f"unknown corruption {kind!r} (valid: "
                     f"{', '.join(CHOICES['data.corruption'])})")
