import numpy as np
import pytest
import torch
from PIL import Image

from vaekit.config import DataConfig
from vaekit.data.registry import dataset_names, load_dataset
from vaekit.errors import DataError


def test_olivetti_is_split_by_person(shared_data):
    data = load_dataset("olivetti")
    assert data.input_shape == (1, 64, 64)
    assert len(data.train) + len(data.test) == 400 and len(data.test) == 80
    assert float(data.train.x.max()) == 1.0
    train_people = set(data.train.attrs["subject"].tolist())
    test_people = set(data.test.attrs["subject"].tolist())
    assert not train_people & test_people and len(test_people) == 8
    glasses = int(data.train.attrs["glasses"].sum() + data.test.attrs["glasses"].sum())
    assert glasses == 119
    assert torch.equal(data.train.y, data.train.attrs["glasses"])


def test_image_folder_with_classes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    tmp_path = tmp_path / "pics"
    tmp_path.mkdir()
    rng = np.random.default_rng(0)
    for cls in ("cats", "dogs"):
        (tmp_path / cls).mkdir()
        for i in range(10):
            pixels = rng.integers(0, 255, (40, 30, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / cls / f"{i}.png")
    data = load_dataset(f"folder:{tmp_path}", config=DataConfig(
        name=f"folder:{tmp_path}", image_size=(16,), fit="crop", channels=1,
        test_fraction=0.2))
    assert data.input_shape == (1, 16, 16)
    assert data.source == f"folder:{tmp_path.resolve()}"
    assert "40x30 -> 16x16: scaled to cover, aspect kept, centre cut out" in data.notes[0]
    assert len(data.train) == 16 and len(data.test) == 4
    assert data.label_names == ("cats", "dogs")
    assert sorted(data.train.y.tolist() + data.test.y.tolist()) == [0] * 10 + [1] * 10


def test_unknown_and_listed_names():
    names = dataset_names()
    assert {"mnist", "olivetti", "nottingham", "shakespeare", "folder:PATH"} <= set(names)
    with pytest.raises(DataError, match="unknown dataset 'imagenet'"):
        load_dataset("imagenet")
    with pytest.raises(DataError):
        load_dataset("folder:/nonexistent/folder")


def test_svhn_and_cifar_need_their_files(tmp_path, monkeypatch):
    monkeypatch.setenv("VAEKIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(DataError, match="train_32x32.mat not found"):
        load_dataset("svhn")
    with pytest.raises(DataError, match="cifar-10-batches-bin/ not found"):
        load_dataset("cifar10")


def test_cifar_binary_folder(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    record = bytes([3]) + bytes([10] * 1024 + [20] * 1024 + [30] * 1024)
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        (folder / name).write_bytes(record * 2)
    data = load_dataset(f"cifar10:{tmp_path}")
    assert data.input_shape == (3, 32, 32) and len(data.train) == 10 and len(data.test) == 2
    assert data.train.y.tolist() == [3] * 10
    torch.testing.assert_close(data.test.x[0, :, 0, 0], torch.tensor([10, 20, 30]) / 255.0)
