"""npz:/npy: arrays and arrays passed from Python: layouts, dtypes, splits, labels, sizes,
and no pickle ever."""

import pickle

import numpy as np
import pytest
import torch

from vaekit.config import DataConfig
from vaekit.data.images import arrays
from vaekit.data.registry import load_dataset
from vaekit.errors import DataError


def _faces(n=50, h=28, w=20, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, h, w), dtype=np.uint8)


def test_one_uint8_array_is_kept_as_uint8_and_split_by_a_seeded_permutation(tmp_path):
    images = _faces()
    np.savez(tmp_path / "f.npz", images=images)
    data = load_dataset(f"npz:{tmp_path / 'f.npz'}")
    assert data.input_shape == (1, 28, 20)
    assert data.train.data.dtype == torch.uint8 and data.levels == 256
    assert len(data.train) == 45 and len(data.test) == 5  # test_fraction 0.1
    assert data.source == f"npz:{(tmp_path / 'f.npz').resolve()}"
    # the split is a seeded permutation: the same every time, test rows from the file
    again = load_dataset(data.source)
    assert torch.equal(again.test.x, data.test.x)
    test_rows = [i for i in range(50) if any(np.array_equal(images[i], t[0].numpy())
                                            for t in (data.test.x * 255).round().byte())]
    assert len(test_rows) == 5
    torch.testing.assert_close(data.test.x[0, 0], torch.from_numpy(images[test_rows[0]]) / 255)


def test_keras_layout_keeps_its_split_and_labels(tmp_path):
    np.savez_compressed(tmp_path / "k.npz", x_train=_faces(30, 8, 8), y_train=np.arange(30) % 3,
                        x_test=_faces(10, 8, 8, 1), y_test=np.arange(10) % 3)
    data = load_dataset(f"npz:{tmp_path / 'k.npz'}")
    assert (len(data.train), len(data.test)) == (30, 10)
    assert data.train.y.tolist()[:4] == [0, 1, 2, 0]


def test_key_and_labels_key(tmp_path):
    np.savez(tmp_path / "m.npz", a=_faces(20, 6, 6), b=_faces(20, 6, 6, 1), y=np.arange(20))
    with pytest.raises(DataError, match="name the images' key, npz:.*:KEY .*a \\[20, 6, 6\\]"):
        load_dataset(f"npz:{tmp_path / 'm.npz'}")
    data = load_dataset(f"npz:{tmp_path / 'm.npz'}:b", config=DataConfig(labels_key="y"))
    assert sorted(data.train.y.tolist() + data.test.y.tolist()) == list(range(20))
    assert data.source.endswith("m.npz:b")
    with pytest.raises(DataError, match="missing key 'z'"):
        load_dataset(f"npz:{tmp_path / 'm.npz'}:z")


def test_npy_channels_last_floats_and_refusals(tmp_path):
    rgb = np.random.default_rng(0).random((12, 5, 7, 3)).astype(np.float32)
    np.save(tmp_path / "rgb.npy", rgb)
    data = load_dataset(f"npy:{tmp_path / 'rgb.npy'}")
    assert data.input_shape == (3, 5, 7) and data.train.data.dtype == torch.float32
    x = torch.cat([data.train.x, data.test.x])
    assert sorted(x.flatten().tolist()) == sorted(rgb.flatten().tolist())
    np.save(tmp_path / "big.npy", rgb * 255)
    with pytest.raises(DataError, match=r"float images must lie in \[0, 1\], found \[.*\] "
                                        r"\(8-bit pixels: pass them as uint8"):
        load_dataset(f"npy:{tmp_path / 'big.npy'}")
    np.save(tmp_path / "ints.npy", (rgb * 255).astype(np.int64))
    with pytest.raises(DataError, match="must be uint8 .* or floats in \\[0, 1\\], got int64"):
        load_dataset(f"npy:{tmp_path / 'ints.npy'}")
    np.save(tmp_path / "flat.npy", rgb[:, 0, 0, :])
    with pytest.raises(DataError, match="images must be \\(N, H, W\\) or \\(N, H, W, C\\)"):
        load_dataset(f"npy:{tmp_path / 'flat.npy'}")


class _Payload:
    def __reduce__(self):
        return (open, ("/tmp/vaekit-pwned-by-npy", "w"))


def test_object_arrays_are_refused_and_never_unpickled(tmp_path):
    import os

    target = "/tmp/vaekit-pwned-by-npy"
    if os.path.exists(target):
        os.unlink(target)
    hostile = np.empty(3, dtype=object)
    hostile[:] = [_Payload(), _Payload(), _Payload()]
    np.save(tmp_path / "evil.npy", hostile, allow_pickle=True)
    np.savez(tmp_path / "evil.npz", images=hostile)
    for spec in (f"npy:{tmp_path / 'evil.npy'}", f"npz:{tmp_path / 'evil.npz'}:images"):
        with pytest.raises(DataError, match="refusing to unpickle"):
            load_dataset(spec)
    assert not os.path.exists(target)
    assert pickle  # the payload would need pickle.loads to run; nothing here calls it


def test_stored_members_are_memory_mapped_and_equal_the_compressed_ones(tmp_path):
    images = _faces(40, 10, 10)
    np.savez(tmp_path / "s.npz", images=images)
    np.savez_compressed(tmp_path / "c.npz", images=images)
    stored = arrays.read_npz(tmp_path / "s.npz")["images"]
    assert isinstance(stored, np.memmap)
    np.testing.assert_array_equal(stored, arrays.read_npz(tmp_path / "c.npz")["images"])


def test_image_size_keeps_the_aspect_and_fits_only_when_asked(tmp_path):
    np.savez(tmp_path / "f.npz", images=np.full((10, 28, 20), 200, np.uint8))
    name = f"npz:{tmp_path / 'f.npz'}"
    half = load_dataset(name, config=DataConfig(image_size=(14, 10)))
    assert half.input_shape == (1, 14, 10) and "scaled, aspect ratio kept" in half.notes[0]
    with pytest.raises(DataError, match="28x20 images do not scale to 28x28"):
        load_dataset(name, config=DataConfig(image_size=(28,)))
    padded = load_dataset(name, config=DataConfig(image_size=(28,), fit="pad"))
    assert padded.input_shape == (1, 28, 28)
    row = padded.train.x[0, 0, 14]
    assert float(row[:4].max()) == 0 and float(row[4:24].min()) == pytest.approx(200 / 255)
    assert "black borders added" in padded.notes[0]


def test_python_arrays_and_tensors_channels_first_or_last():
    x_last = torch.rand(6, 5, 4, 3)
    pixels, scale = arrays.image_tensor(x_last, "t")
    assert pixels.shape == (6, 3, 5, 4) and scale is None
    pixels, scale = arrays.image_tensor(x_last.permute(0, 3, 1, 2).numpy(), "t")
    assert pixels.shape == (6, 3, 5, 4)
    pixels, scale = arrays.image_tensor(np.zeros((2, 4, 4), np.uint8), "t")
    assert pixels.shape == (2, 1, 4, 4) and scale == 255
    with pytest.raises(DataError, match="holds no images"):
        arrays.image_tensor(np.zeros((0, 4, 4), np.uint8), "t")
