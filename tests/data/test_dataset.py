"""Split: uint8 storage read as floats in [0, 1], per batch, lazily for large splits."""

import torch

from vaekit.data import dataset
from vaekit.data.dataset import Split, UnitImages


def _pixels(n=10):
    return torch.arange(n * 12, dtype=torch.int64).remainder(256).to(torch.uint8).view(n, 3, 2, 2)


def test_uint8_split_reads_as_floats_and_batches_convert_only_their_rows():
    pixels = _pixels()
    split = Split(pixels, torch.arange(10), scale=255.0)
    torch.testing.assert_close(split.x, pixels.float() / 255)
    idx = torch.tensor([7, 2])
    torch.testing.assert_close(split.batch(idx), pixels[idx].float() / 255)
    picked = split.select(torch.tensor([1, 3, 5]))
    assert picked.data is pixels  # rows recorded, nothing copied
    assert picked.y.tolist() == [1, 3, 5] and len(picked) == 3
    torch.testing.assert_close(picked.batch(torch.tensor([2])), pixels[[5]].float() / 255)
    torch.testing.assert_close(picked.head(2).x, pixels[[1, 3]].float() / 255)


def test_large_splits_get_a_lazy_view_that_behaves_like_the_tensor(monkeypatch):
    monkeypatch.setattr(dataset, "EAGER_FLOAT_BYTES", 16)
    pixels = _pixels()
    split = Split(pixels, scale=255.0).select(torch.arange(2, 10))
    view = split.x
    assert isinstance(view, UnitImages)
    full = pixels[2:].float() / 255
    assert view.shape == full.shape and len(view) == 8 and view.dtype == torch.float32
    torch.testing.assert_close(view[1:3], full[1:3])
    torch.testing.assert_close(view[torch.tensor([0, 7])], full[[0, 7]])
    torch.testing.assert_close(torch.cat([view, view[:1]]), torch.cat([full, full[:1]]))
    torch.testing.assert_close(view.to("cpu"), full)
    assert float(view.mean()) == float(full.mean())


def test_float_and_token_splits_are_unchanged():
    x = torch.rand(4, 1, 2, 2)
    split = Split(x)
    assert split.x is x and split.select(slice(0, 2)).x.shape == (2, 1, 2, 2)
    tokens = torch.randint(0, 5, (3, 7))
    assert torch.equal(Split(tokens).batch(torch.tensor([2])), tokens[[2]])
