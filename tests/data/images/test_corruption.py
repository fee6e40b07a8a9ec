import pytest
import torch

from vaekit.data.images.corruption import corrupt


def _x():
    return torch.full((200, 1, 10, 10), 0.5)


def test_none_and_zero_level_return_input():
    x = _x()
    assert corrupt(x, "none", 0.3) is x
    assert corrupt(x, "gaussian", 0.0) is x


def test_gaussian_noise_level_and_range():
    y = corrupt(_x(), "gaussian", 0.1, generator=torch.Generator().manual_seed(0))
    assert abs(float((y - 0.5).std()) - 0.1) < 0.005
    assert float(y.min()) >= 0 and float(y.max()) <= 1


def test_salt_pepper_fraction():
    y = corrupt(_x(), "salt_pepper", 0.2, generator=torch.Generator().manual_seed(0))
    changed = (y != 0.5).float().mean()
    assert abs(float(changed) - 0.2) < 0.01
    assert set(y[y != 0.5].unique().tolist()) == {0.0, 1.0}


def test_mask_fraction():
    y = corrupt(_x(), "mask", 0.3, generator=torch.Generator().manual_seed(0))
    assert abs(float((y == 0).float().mean()) - 0.3) < 0.01


def test_unknown():
    with pytest.raises(ValueError):
        corrupt(_x(), "blur", 0.1)
