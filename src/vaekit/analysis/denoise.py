"""Denoising: corrupt clean images, encode the corrupted ones, decode the posterior mean,
and measure how much closer the result is to the clean image (PSNR, in dB)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from vaekit.analysis.latent import decode_latents, encode_means
from vaekit.data.images.corruption import corrupt
from vaekit.models.vae import VAE


def psnr(x: torch.Tensor, reference: torch.Tensor, *, max_value: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB, 10 log10(max^2 / MSE), with the mean squared error
    taken over every pixel of every image (one number for a whole set). Identical inputs
    give +inf."""
    mse = float((x.double() - reference.double()).square().mean())
    return math.inf if mse == 0 else 10.0 * math.log10(max_value**2 / mse)


@dataclass(frozen=True)
class DenoiseResult:
    kind: str
    level: float
    noisy: torch.Tensor  # (N, C, H, W) the corrupted inputs
    denoised: torch.Tensor  # (N, C, H, W) decodings of their posterior means
    psnr_noisy: float  # PSNR(noisy, clean), dB
    psnr_denoised: float  # PSNR(denoised, clean), dB

    @property
    def gain(self) -> float:
        return self.psnr_denoised - self.psnr_noisy


@torch.no_grad()
def denoise(
    model: VAE, clean: torch.Tensor, *, kind: str, level: float, seed: int = 0
) -> DenoiseResult:
    """Corrupt `clean` (N, C, H, W) in [0, 1] (vaekit.data.images.corruption, seeded), then decode
    the posterior mean of each corrupted image."""
    if kind == "none" or level == 0:
        raise ValueError("denoising needs a corruption: kind gaussian, salt_pepper or mask "
                         "with a level above 0")
    noisy = corrupt(clean, kind, level, generator=torch.Generator().manual_seed(seed))
    means, _ = encode_means(model, noisy)
    denoised = decode_latents(model, means)
    return DenoiseResult(kind, level, noisy, denoised, psnr(noisy, clean), psnr(denoised, clean))
