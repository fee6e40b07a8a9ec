import math

import pytest
import torch

from vaekit.analysis.denoise import denoise, psnr
from vaekit.config import ModelConfig
from vaekit.data.images.corruption import corrupt
from vaekit.models.build import build_vae


def test_psnr_known_answers():
    ref = torch.full((4, 1, 8, 8), 0.5)
    assert psnr(ref + 0.1, ref) == pytest.approx(20.0)  # MSE 0.01
    assert psnr(ref + 0.01, ref) == pytest.approx(40.0)
    assert psnr(ref + 1.0, ref, max_value=2.0) == pytest.approx(10 * math.log10(4.0))
    assert psnr(ref, ref) == math.inf


def test_psnr_of_known_gaussian_noise():
    clean = torch.full((200, 1, 28, 28), 0.5)  # 5 sigma from both clipping edges
    noisy = corrupt(clean, "gaussian", 0.1, generator=torch.Generator().manual_seed(0))
    assert psnr(noisy, clean) == pytest.approx(20.0, abs=0.05)  # 20 log10(1 / 0.1)


def test_denoise_reports_the_psnr_of_what_it_returns():
    torch.manual_seed(0)
    model = build_vae(ModelConfig(input_shape=(1, 8, 8), latent_dim=3, hidden=(16,))).eval()
    clean = torch.rand(30, 1, 8, 8)
    result = denoise(model, clean, kind="salt_pepper", level=0.2, seed=3)
    assert result.noisy.shape == result.denoised.shape == clean.shape
    again = corrupt(clean, "salt_pepper", 0.2, generator=torch.Generator().manual_seed(3))
    assert torch.equal(result.noisy, again)  # seeded: the same noise every time
    assert result.psnr_noisy == pytest.approx(psnr(again, clean))
    assert result.psnr_denoised == pytest.approx(psnr(result.denoised, clean))
    assert result.gain == pytest.approx(result.psnr_denoised - result.psnr_noisy)
    with pytest.raises(ValueError, match="needs a corruption"):
        denoise(model, clean, kind="none", level=0.0)
