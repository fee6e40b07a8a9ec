import contextlib
import gzip
import hashlib
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaekit.data.images.idx import KNOWN_SHA256, read_idx, read_known_idx
from vaekit.errors import DataError


def _idx(array: np.ndarray, type_byte: int = 0x08) -> bytes:
    header = bytes([0, 0, type_byte, array.ndim]) + b"".join(
        struct.pack(">I", d) for d in array.shape
    )
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def test_reads_the_official_mnist_test_images(shared_data):
    images = read_known_idx(
        shared_data / "mnist" / "t10k-images-idx3-ubyte.gz", "mnist", "t10k-images-idx3-ubyte"
    )
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    labels = read_known_idx(
        shared_data / "mnist" / "t10k-labels-idx1-ubyte.gz", "mnist", "t10k-labels-idx1-ubyte"
    )
    # the published test label histogram (shared/data/README.md)
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_raw_and_gzip_files_read_the_same(tmp_path):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a").write_bytes(_idx(a))
    (tmp_path / "a.gz").write_bytes(gzip.compress(_idx(a)))
    np.testing.assert_array_equal(read_idx(tmp_path / "a"), a)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.gz"), a)


def test_big_endian_types_are_converted(tmp_path):
    a = np.array([[1.5, -2.0], [3.25, 1e9]], dtype=np.float32)
    (tmp_path / "f").write_bytes(_idx(a, 0x0D))
    np.testing.assert_array_equal(read_idx(tmp_path / "f"), a)


def test_raw_official_file_checksum_is_verified(tmp_path, shared_data):
    raw = gzip.decompress((shared_data / "mnist" / "t10k-labels-idx1-ubyte.gz").read_bytes())
    good = tmp_path / "t10k-labels-idx1-ubyte"
    good.write_bytes(raw)
    assert read_known_idx(good, "mnist", "t10k-labels-idx1-ubyte").shape == (10000,)
    assert hashlib.sha256(raw).hexdigest() == KNOWN_SHA256["mnist"]["t10k-labels-idx1-ubyte"][1]
    good.write_bytes(raw[:-1] + bytes([(raw[-1] + 1) % 10]))
    with pytest.raises(DataError, match="checksum mismatch"):
        read_known_idx(good, "mnist", "t10k-labels-idx1-ubyte")


@pytest.mark.parametrize(
    "payload, fragment",
    [
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "wrong magic"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX data type"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x03", "truncated IDX header"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02", "truncated: header declares"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x01\x01\x02", "more than the 9-byte limit for IDX data"),
        (b"\x00\x00", "too short"),
    ],
)
def test_malformed_files_are_refused(tmp_path, payload, fragment):
    path = tmp_path / "bad"
    path.write_bytes(payload)
    with pytest.raises(DataError, match=fragment):
        read_idx(path)


def test_huge_declared_size_is_refused_before_allocating(tmp_path):
    # 10^12 items declared in a 16-byte file
    path = tmp_path / "huge"
    path.write_bytes(b"\x00\x00\x08\x02" + struct.pack(">II", 1_000_000, 1_000_000))
    with pytest.raises(DataError, match="refused"):
        read_idx(path)


def test_truncated_gzip_and_wrong_checksum(tmp_path, shared_data):
    src = (shared_data / "mnist" / "t10k-labels-idx1-ubyte.gz").read_bytes()
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(src[: len(src) // 2])
    with pytest.raises(DataError, match="checksum mismatch"):
        read_known_idx(path, "mnist", "t10k-labels-idx1-ubyte")
    with pytest.raises(DataError):
        read_idx(path)  # no checksum: the truncated stream itself is detected


def test_missing_file():
    with pytest.raises(DataError, match="file not found"):
        read_idx("/nonexistent/file.gz")


# --- fuzzing: any bytes, or a truncated / edited real file -> an array or a DataError ---


_REAL = (Path(__file__).resolve().parents[4] / "shared" / "data" / "mnist"
         / "t10k-labels-idx1-ubyte.gz")


def _read_or_data_error(payload: bytes, compress: bool) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / ("f.gz" if compress else "f")
        path.write_bytes(gzip.compress(payload) if compress else payload)
        try:
            out = read_idx(path)
        except DataError as exc:
            assert str(exc) and "\n" not in str(exc)
            return
        assert isinstance(out, np.ndarray) and out.size * out.itemsize <= len(payload)


@pytest.mark.fuzz
@given(st.binary(max_size=512), st.booleans())
def test_fuzz_any_bytes(payload, compress):
    _read_or_data_error(payload, compress)


@pytest.mark.fuzz
@given(
    header=st.tuples(st.sampled_from([0, 1]), st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D,
                                                               0x0E, 0x07]),
                     st.integers(0, 6)),
    dims=st.lists(st.integers(0, 2**32 - 1) | st.integers(0, 40), max_size=6),
    body=st.binary(max_size=256),
    compress=st.booleans(),
)
def test_fuzz_structured_headers(header, dims, body, compress):
    """Plausible headers with absurd or lying sizes (up to 2^32 per dimension)."""
    zero, kind, ndim = header
    payload = bytes([0, zero, kind, ndim]) + b"".join(struct.pack(">I", d) for d in dims) + body
    _read_or_data_error(payload, compress)


@pytest.mark.fuzz
@given(data=st.data())
def test_fuzz_edited_real_file(data):
    original = _REAL.read_bytes()
    edit = data.draw(st.one_of(
        st.integers(0, len(original)).map(lambda n: original[:n]),
        st.tuples(st.integers(0, len(original) - 1), st.integers(0, 255)).map(
            lambda e: original[: e[0]] + bytes([e[1]]) + original[e[0] + 1 :]),
    ))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "t10k-labels-idx1-ubyte.gz"
        path.write_bytes(edit)
        try:
            labels = read_known_idx(path, "mnist", "t10k-labels-idx1-ubyte")
            assert edit == original and labels.shape == (10000,)
        except DataError as exc:
            assert str(exc)
        with contextlib.suppress(DataError):
            read_idx(path)  # without the checksum the structure checks alone must hold
