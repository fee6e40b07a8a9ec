"""The image cache: decoded once, reused, rebuilt when a file or the preprocessing changes,
never left half-built."""

import os

import numpy as np
import pytest
import torch
from PIL import Image

from vaekit.config import DataConfig
from vaekit.data.images import cache
from vaekit.data.registry import load_dataset
from vaekit.errors import DataError


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    root = tmp_path / "pics"
    for cls in ("a", "b"):
        (root / cls).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(rng.integers(0, 256, (12, 8, 3), dtype=np.uint8)).save(
                root / cls / f"{i}.png")
    return root


def _load(root, **kw):
    return load_dataset(f"folder:{root}", config=DataConfig(test_fraction=0.25, **kw))


def test_decoded_once_then_memory_mapped(folder, tmp_path):
    calls = []
    first = load_dataset(f"folder:{folder}", config=DataConfig(test_fraction=0.25),
                         progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (12, 12)
    assert "decoded into the cache" in first.notes[0] and "12 images of 12x8" in first.notes[0]
    second = _load(folder)
    assert "read from the cache" in second.notes[0]
    assert str(tmp_path / "cache" / "vaekit" / "images") in second.notes[0]
    assert torch.equal(first.train.x, second.train.x) and torch.equal(first.test.y, second.test.y)
    assert second.train.data.dtype == torch.uint8
    # the splits share the memory-mapped file: selecting rows copies nothing
    assert second.train.data.data_ptr() == second.test.data.data_ptr()
    assert len(second.train) == 9 and second.input_shape == (3, 12, 8)


def test_a_changed_file_or_preprocessing_makes_a_new_cache(folder):
    base = _load(folder)
    picture = folder / "a" / "0.png"
    Image.fromarray(np.zeros((12, 8, 3), np.uint8)).save(picture)
    os.utime(picture, ns=(1, 1))  # an edit shows as a new modification time
    edited = _load(folder)
    assert "decoded into the cache" in edited.notes[0]
    assert not torch.equal(torch.cat([base.train.x, base.test.x]),
                           torch.cat([edited.train.x, edited.test.x]))
    grey = _load(folder, channels=1)
    assert grey.input_shape == (1, 12, 8) and "decoded into the cache" in grey.notes[0]
    smaller = _load(folder, image_size=(6, 4))
    assert smaller.input_shape == (3, 6, 4) and "decoded into the cache" in smaller.notes[0]


def test_a_failed_build_leaves_no_cache(folder, tmp_path):
    (folder / "b" / "3.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="3.png: cannot decode image"):
        _load(folder)
    images = tmp_path / "cache" / "vaekit" / "images"
    assert [p for p in images.iterdir() if not p.name.endswith(".lock")] == []


def test_the_key_covers_names_sizes_and_mtimes(tmp_path):
    a = tmp_path / "a.png"
    a.write_bytes(b"x" * 10)
    key = cache.cache_key([a], ["a.png"], size=(4, 4), channels=3, fit="none")
    assert key == cache.cache_key([a], ["a.png"], size=(4, 4), channels=3, fit="none")
    assert key != cache.cache_key([a], ["b.png"], size=(4, 4), channels=3, fit="none")
    assert key != cache.cache_key([a], ["a.png"], size=(4, 4), channels=3, fit="pad")
    os.utime(a, ns=(10**18, 10**18))  # the same name and size, edited at another time
    assert key != cache.cache_key([a], ["a.png"], size=(4, 4), channels=3, fit="none")
    os.utime(a, ns=(10**18, 10**18))
    again = cache.cache_key([a], ["a.png"], size=(4, 4), channels=3, fit="none")
    a.write_bytes(b"x" * 11)
    os.utime(a, ns=(10**18, 10**18))
    assert again != cache.cache_key([a], ["a.png"], size=(4, 4), channels=3, fit="none")
