"""Tests for vaekit.data.images.faces: Olivetti archives built in tmp_path, the real Olivetti
file, and hostile bytes (the reader returns valid data or raises DataError, nothing else)."""

from __future__ import annotations

import io
import struct
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from fuzzing import mutations
from vaekit.data.images.faces import FacesData, read_olivetti, split_by_subject
from vaekit.errors import DataError

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ---------------------------------------------------------------------------- builders


def _olivetti_like(path: Path, **overrides) -> Path:
    arrays = {
        "images": np.zeros((4, 64, 64), np.uint8),
        "target": np.array([0, 0, 1, 1], np.int64),
        "glasses": np.array([0, 1, 1, 0], np.uint8),
        "glasses_ranges": np.array([[1, 2]], np.int16),
    }
    arrays.update(overrides)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


# ---------------------------------------------------------------------------- Olivetti


@pytest.fixture(scope="module")
def olivetti(shared_data: Path) -> FacesData:
    return read_olivetti(shared_data / "faces" / "olivetti_faces.npz")


def test_olivetti_real_file(olivetti: FacesData, shared_data: Path) -> None:
    assert olivetti.images.shape == (400, 64, 64, 1) and olivetti.images.dtype == np.uint8
    assert olivetti.images.max() == 242 == olivetti.scale
    assert int(olivetti.glasses.sum()) == 119
    assert olivetti.subject_ids.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(olivetti.subject_ids), np.full(40, 10))
    with np.load(shared_data / "faces" / "olivetti_faces.npz", allow_pickle=False) as raw:
        np.testing.assert_array_equal(olivetti.images[..., 0], raw["images"])
    scaled = olivetti.images.astype(np.float32) / olivetti.scale
    assert scaled.min() == 0.0 and scaled.max() == 1.0


def test_split_by_subject_is_person_disjoint_and_seeded(olivetti: FacesData) -> None:
    ids = olivetti.subject_ids
    split = split_by_subject(ids, test_subjects=8, seed=3)
    assert not set(ids[split.train]) & set(ids[split.test])
    assert len(set(ids[split.test])) == 8 and len(split.test) == 80
    np.testing.assert_array_equal(np.sort(np.r_[split.train, split.test]), np.arange(400))
    again = split_by_subject(ids, test_subjects=8, seed=3)
    np.testing.assert_array_equal(split.test, again.test)
    others = {tuple(split_by_subject(ids, test_subjects=8, seed=s).test) for s in range(5)}
    assert len(others) > 1
    explicit = split_by_subject(ids, test_subjects=[0, 39])
    assert set(ids[explicit.test]) == {0, 39} and len(explicit.train) == 380


@pytest.mark.parametrize("bad", [0, 40, [], list(range(40)), [41]])
def test_split_by_subject_rejects_bad_counts(olivetti: FacesData, bad) -> None:
    with pytest.raises(ValueError):
        split_by_subject(olivetti.subject_ids, test_subjects=bad)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"glasses_ranges": None}, "missing key 'glasses_ranges'"),
        ({"images": np.zeros((4, 64, 64), np.float32)}, "images"),
        ({"images": np.zeros((4, 32, 64), np.uint8)}, "images"),
        ({"target": np.zeros(3, np.int64)}, "target"),
        ({"images": np.full((4, 64, 64), 250, np.uint8)}, "above 242"),
        ({"glasses": np.array([0, 1, 0, 0], np.uint8)}, "does not match"),
        ({"glasses_ranges": np.array([[1, 9]], np.int16)}, "outside"),
        ({"target": np.array([0, 0, -1, 1])}, "target"),
        (
            {
                "images": np.zeros((0, 64, 64), np.uint8),
                "target": np.zeros(0, np.int64),
                "glasses": np.zeros(0, np.uint8),
                "glasses_ranges": np.zeros((0, 2), np.int16),
            },
            "no images",
        ),
    ],
)
def test_olivetti_rejects_malformed(tmp_path: Path, overrides, message: str) -> None:
    path = _olivetti_like(tmp_path / "faces.npz", **overrides)
    with pytest.raises(DataError, match=message) as info:
        read_olivetti(path)
    assert str(path) in str(info.value)


def test_olivetti_small_valid_file(tmp_path: Path) -> None:
    faces = read_olivetti(_olivetti_like(tmp_path / "faces.npz"))
    assert faces.images.shape == (4, 64, 64, 1)
    np.testing.assert_array_equal(faces.glasses, [0, 1, 1, 0])


def test_olivetti_never_unpickles(tmp_path: Path) -> None:
    objects = np.array([{"a": 1}] * 4, dtype=object)
    path = tmp_path / "faces.npz"
    np.savez(
        path,
        images=np.zeros((4, 64, 64), np.uint8),
        target=objects,
        glasses=np.zeros(4, np.uint8),
        glasses_ranges=np.zeros((0, 2), np.int16),
    )
    with pytest.raises(DataError, match="Python objects"):
        read_olivetti(path)


def test_olivetti_huge_declared_shape_is_refused_before_allocating(tmp_path: Path) -> None:
    path = _olivetti_like(tmp_path / "faces.npz")
    header = "{'descr': '|u1', 'fortran_order': False, 'shape': (10000000000, 64, 64), }"
    header += " " * (-(len(header) + 11) % 64) + "\n"
    fake = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + b"\0" * 99
    with zipfile.ZipFile(path, "a") as zf, pytest.warns(UserWarning):
        zf.writestr("images.npy", fake)  # a second, duplicate member wins on read
    with pytest.raises(DataError, match="declares"):
        read_olivetti(path)


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04garbage"])
def test_olivetti_rejects_non_archives(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "faces.npz"
    path.write_bytes(content)
    with pytest.raises(DataError, match="faces.npz"):
        read_olivetti(path)


def test_olivetti_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such"):
        read_olivetti(tmp_path / "absent.npz")


# ---------------------------------------------------------------------------- hostile inputs


def _npz_seeds() -> list[bytes]:
    out = []
    for saver in (np.savez, np.savez_compressed):
        buffer = io.BytesIO()
        saver(
            buffer,
            images=np.zeros((2, 64, 64), np.uint8),
            target=np.array([0, 1]),
            glasses=np.array([1, 0], np.uint8),
            glasses_ranges=np.array([[0, 0]], np.int16),
        )
        out.append(buffer.getvalue())
    return out


@pytest.mark.fuzz
@FUZZ
@given(mutations(_npz_seeds()))
def test_hostile_npz_bytes(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "olivetti_faces.npz"
        path.write_bytes(content)
        try:
            faces = read_olivetti(path)
        except DataError:
            return
        assert faces.images.shape[1:] == (64, 64, 1) and faces.images.max() <= 242
