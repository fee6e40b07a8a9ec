"""Tests for vaekit.data.images.archives: SVHN .mat files and CIFAR-10 batches built in tmp_path,
and hostile bytes (every reader returns valid data or raises DataError, nothing else)."""

from __future__ import annotations

import io
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from hypothesis import HealthCheck, given, settings

from fuzzing import mutations
from vaekit.data.images import archives
from vaekit.data.images.archives import (
    read_cifar10_batches,
    read_cifar10_binary,
    read_svhn_mat,
)
from vaekit.errors import DataError

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ---------------------------------------------------------------------------- builders


def _cifar_record(label: int, r: np.ndarray, g: np.ndarray, b: np.ndarray) -> bytes:
    return bytes([label]) + b"".join(
        np.asarray(p, np.uint8).reshape(1024).tobytes() for p in (r, g, b)
    )


def _svhn(path: Path, x: np.ndarray, y: np.ndarray, **kwargs) -> Path:
    scipy.io.savemat(path, {"X": x, "y": y}, **kwargs)
    return path


def _svhn_arrays(n: int = 3) -> tuple[np.ndarray, np.ndarray]:
    x = (np.arange(32 * 32 * 3 * n) % 251).astype(np.uint8).reshape(32, 32, 3, n)
    y = (np.arange(n) % 10 + 1).astype(np.float64).reshape(n, 1)  # 1..10 like SVHN
    return x, y


# ---------------------------------------------------------------------------- SVHN


@pytest.mark.parametrize("compress", [False, True])
def test_svhn_round_trip_and_label_ten_is_zero(tmp_path: Path, compress: bool) -> None:
    x, y = _svhn_arrays(12)
    images, labels = read_svhn_mat(
        _svhn(tmp_path / "train_32x32.mat", x, y, do_compression=compress)
    )
    assert images.shape == (12, 32, 32, 3) and images.dtype == np.uint8
    for i in range(12):
        np.testing.assert_array_equal(images[i], x[:, :, :, i])
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(labels, [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2])


def test_svhn_accepts_row_labels(tmp_path: Path) -> None:
    x, y = _svhn_arrays(2)
    _, labels = read_svhn_mat(_svhn(tmp_path / "a.mat", x, y.astype(np.uint8).reshape(1, 2)))
    np.testing.assert_array_equal(labels, [1, 2])


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (np.zeros((32, 32, 3, 2), np.float64), np.ones((2, 1)), "X must be uint8"),
        (np.zeros((28, 28, 3, 2), np.uint8), np.ones((2, 1)), "X is not"),
        (np.zeros((32, 32, 3, 2), np.uint8), np.ones((3, 1)), "y is not"),
        (np.zeros((32, 32, 3, 2), np.uint8), np.array([[1], [11]]), "1..10"),
        (np.zeros((32, 32, 3, 2), np.uint8), np.array([[0], [1]]), "1..10"),
        (np.zeros((32, 32, 3, 2), np.uint8), np.array([[1.5], [1]]), "1..10"),
    ],
)
def test_svhn_rejects_malformed(tmp_path: Path, x, y, message: str) -> None:
    with pytest.raises(DataError, match=message):
        read_svhn_mat(_svhn(tmp_path / "bad.mat", x, y))


def test_svhn_rejects_missing_variables_and_other_files(tmp_path: Path) -> None:
    scipy.io.savemat(tmp_path / "a.mat", {"X": np.zeros((32, 32, 3, 1), np.uint8)})
    with pytest.raises(DataError, match="y is missing"):
        read_svhn_mat(tmp_path / "a.mat")
    (tmp_path / "b.mat").write_bytes(b"MATLAB 7.3 MAT-file" + b"\0" * 200)
    with pytest.raises(DataError, match="v7.3"):
        read_svhn_mat(tmp_path / "b.mat")
    with pytest.raises(DataError, match="no such"):
        read_svhn_mat(tmp_path / "absent.mat")


def test_svhn_element_larger_than_file_is_refused(tmp_path: Path) -> None:
    raw = bytearray(_svhn(tmp_path / "a.mat", *_svhn_arrays(1)).read_bytes())
    raw[132:136] = struct.pack("<I", 2**31)  # first element's byte count
    (tmp_path / "a.mat").write_bytes(bytes(raw))
    with pytest.raises(DataError, match="declares"):
        read_svhn_mat(tmp_path / "a.mat")


def test_svhn_corrupt_data_type_is_refused_before_scipy(tmp_path: Path) -> None:
    # scipy indexes its type table with this field unchecked: a segfault, not an error.
    path = _svhn(tmp_path / "a.mat", *_svhn_arrays(1))
    raw = bytearray(path.read_bytes())
    assert struct.unpack_from("<II", raw, 184) == (2, 3072)  # X's data tag: miUINT8
    raw[184:188] = struct.pack("<I", 183)
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="X is not a real numeric array"):
        read_svhn_mat(path)


def test_svhn_without_scipy_says_how_to_install(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "scipy.io", None)
    with pytest.raises(DataError, match="pip install scipy"):
        read_svhn_mat(tmp_path / "a.mat")


# ---------------------------------------------------------------------------- CIFAR-10


def test_cifar_channel_order_and_row_major(tmp_path: Path) -> None:
    ramp = np.arange(1024) % 256
    raw = _cifar_record(3, np.full(1024, 10), np.full(1024, 20), np.full(1024, 30))
    raw += _cifar_record(9, ramp, 255 - ramp, np.zeros(1024))
    (tmp_path / "batch.bin").write_bytes(raw)
    images, labels = read_cifar10_binary(tmp_path / "batch.bin")
    assert images.shape == (2, 32, 32, 3) and images.dtype == np.uint8
    assert (images[0, ..., 0] == 10).all() and (images[0, ..., 1] == 20).all()
    assert (images[0, ..., 2] == 30).all()
    np.testing.assert_array_equal(images[1, ..., 0], ramp.reshape(32, 32))
    assert images[1, 0, 5, 0] == 5 and images[1, 1, 0, 0] == 32  # (row, column)
    np.testing.assert_array_equal(labels, [3, 9])
    assert labels.dtype == np.int64


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "multiple"), (b"\0" * 3074, "multiple"), (b"\x0a" + b"\0" * 3072, "label 10")],
)
def test_cifar_rejects_malformed(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "batch.bin").write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_cifar10_binary(tmp_path / "batch.bin")


def test_cifar_file_size_limit(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "batch.bin").write_bytes(b"\0" * 3073 * 2)
    monkeypatch.setattr(archives, "MAX_CIFAR_FILE_BYTES", 3073)
    with pytest.raises(DataError, match="limit"):
        read_cifar10_binary(tmp_path / "batch.bin")


def test_cifar_batches_folder(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    plane = np.zeros(1024)
    for i in range(1, 6):
        (folder / f"data_batch_{i}.bin").write_bytes(_cifar_record(i, plane + i, plane, plane))
    (folder / "test_batch.bin").write_bytes(_cifar_record(0, plane, plane, plane) * 2)
    train = read_cifar10_batches(tmp_path, split="train")  # the parent folder works too
    np.testing.assert_array_equal(train.labels, [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(train.images[:, 0, 0, 0], [1, 2, 3, 4, 5])
    assert read_cifar10_batches(folder, split="test").images.shape == (2, 32, 32, 3)
    (folder / "data_batch_4.bin").unlink()
    with pytest.raises(DataError, match="data_batch_4.bin"):
        read_cifar10_batches(folder)
    with pytest.raises(ValueError):
        read_cifar10_batches(folder, split="valid")
    with pytest.raises(DataError, match="no such folder"):
        read_cifar10_batches(tmp_path / "absent")


# ---------------------------------------------------------------------------- hostile inputs


def _mat_seeds() -> list[bytes]:
    x, y = _svhn_arrays(1)
    others = {"name": "svhn", "cell": np.array([[1, 2]], dtype=object), "s": {"a": 1}}
    out = []
    for variables in ({"X": x, "y": y}, {**others, "y": y.astype(np.uint8), "X": x}):
        for compress in (False, True):
            buffer = io.BytesIO()
            scipy.io.savemat(buffer, variables, do_compression=compress)
            out.append(buffer.getvalue())
    return out


def _cifar_seeds() -> list[bytes]:
    plane = np.arange(1024) % 256
    return [_cifar_record(7, plane, plane, plane) * 2]


@pytest.mark.fuzz
@FUZZ
@given(mutations(_cifar_seeds()))
def test_hostile_cifar_bytes(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data_batch_1.bin"
        path.write_bytes(content)
        try:
            images, labels = read_cifar10_binary(path)
        except DataError:
            return
        assert images.shape == (len(content) // 3073, 32, 32, 3) and labels.max() <= 9


@pytest.mark.fuzz
@FUZZ
@given(mutations(_mat_seeds()))
def test_hostile_mat_bytes(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train_32x32.mat"
        path.write_bytes(content)
        try:
            images, labels = read_svhn_mat(path)
        except DataError:
            return
        assert images.shape == (len(labels), 32, 32, 3) and labels.max() <= 9
