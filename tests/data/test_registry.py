import shutil

import pytest
import torch

from vaekit.config import DataConfig
from vaekit.data import locate
from vaekit.data.locate import search_dirs
from vaekit.data.music import events as music
from vaekit.data.music import midi
from vaekit.data.registry import load_dataset
from vaekit.errors import DataError


def test_mnist_from_the_data_dir(shared_data):
    data = load_dataset("mnist")
    assert data.train.x.shape == (60000, 1, 28, 28) and data.test.x.shape == (10000, 1, 28, 28)
    assert data.train.x.dtype == torch.float32
    assert data.train.x.min() == 0.0 and data.train.x.max() == 1.0
    # the well-known normalisation constant: mean pixel 0.1307
    assert abs(float(data.train.x.mean()) - 0.1307) < 1e-4
    assert data.train.y.bincount().tolist()[:3] == [5923, 6742, 5958]


def test_lookup_order(monkeypatch, tmp_path):
    monkeypatch.setenv("VAEKIT_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    dirs = search_dirs("mnist", "/explicit")
    assert [str(d) for d in dirs[:3]] == [
        "/explicit", str(tmp_path / "d" / "mnist"), str(tmp_path / "c" / "vaekit" / "mnist")
    ]
    assert dirs[3] == locate.PACKAGE_DATA / "mnist"


def test_mnist_ships_inside_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv("VAEKIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    data = load_dataset("mnist")
    assert len(data.test) == 10000


def test_explicit_path_wins_and_is_verified(tmp_path, shared_data):
    for f in (shared_data / "mnist").glob("*.gz"):
        shutil.copy(f, tmp_path / f.name)
    bad = tmp_path / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:-10])
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz: checksum mismatch"):
        load_dataset("mnist", path=str(tmp_path))


def test_fashion_mnist_needs_files(monkeypatch, tmp_path, shared_data):
    data = load_dataset("fashion-mnist")
    assert data.test.y.bincount().tolist() == [1000] * 10
    assert data.label_names[9] == "Ankle boot"
    monkeypatch.setenv("VAEKIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(DataError, match="not found .*set \\$VAEKIT_DATA_DIR"):
        load_dataset("fashion-mnist")


def test_digits():
    data = load_dataset("digits")
    assert data.train.x.shape == (1500, 1, 8, 8) and data.test.x.shape == (297, 1, 8, 8)
    assert float(data.train.x.max()) == 1.0


def test_unknown_dataset():
    with pytest.raises(DataError, match="unknown dataset 'mnsit'"):
        load_dataset("mnsit")


def test_text_and_midi_paths(tmp_path):
    (tmp_path / "lines.txt").write_text("the cat sat\non the mat\n" * 20)
    data = load_dataset(f"text:{tmp_path / 'lines.txt'}",
                        config=DataConfig(name="t", text_level="word", max_len=5))
    assert data.vocab_size == 4 + 5  # the cat sat on mat
    for i in range(3):
        notes = [[music.pitch_to_event(60 + i + j % 5)] + [music.HOLD] * 3 for j in range(16)]
        midi.melody_to_midi(sum(notes, []), tmp_path / f"m{i}.mid")
    melodies = load_dataset(f"midi:{tmp_path}")
    assert melodies.input_shape == (32,)
    with pytest.raises(DataError):
        load_dataset("midi:/nonexistent")
