"""Reader for IDX files, the format of MNIST and Fashion-MNIST (LeCun et al.).

Layout: two zero bytes, a type byte (0x08 = uint8, ...), a byte giving the number of
dimensions, then each dimension as a big-endian uint32, then the items, big-endian.
Files may be gzip-compressed (`.gz`, as distributed) or raw.

Everything is checked before it is trusted: the magic bytes, the declared sizes against
what the file holds (an absurd header is refused before anything is allocated), and,
for the official files, the SHA-256 of the file.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from vaekit.errors import DataError
from vaekit.fileio import read_bounded, verify_sha256

# type byte -> big-endian numpy dtype (the IDX specification)
_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MAX_BYTES = 2**31  # 2 GiB of items: far above any dataset this reader is for

# SHA-256 of the official files: the gzip file as distributed, and its decompressed
# content (so raw copies are verified too). Computed on the files in ../shared/data,
# whose MD5s equal the official ones (see src/vaekit/data/mnist/README.md).
KNOWN_SHA256: dict[str, dict[str, tuple[str, str]]] = {
    "mnist": {
        "train-images-idx3-ubyte": (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        ),
        "train-labels-idx1-ubyte": (
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ),
        "t10k-images-idx3-ubyte": (
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ),
        "t10k-labels-idx1-ubyte": (
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": (
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        ),
        "train-labels-idx1-ubyte": (
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        ),
        "t10k-images-idx3-ubyte": (
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        ),
        "t10k-labels-idx1-ubyte": (
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ),
    },
}


def _parse_header(path: Path, head: bytes) -> tuple[np.dtype, tuple[int, ...], int]:
    if len(head) < 4:
        raise DataError(f"{path}: too short to be an IDX file ({len(head)} bytes)")
    if head[0] != 0 or head[1] != 0:
        raise DataError(f"{path}: wrong magic number (not an IDX file)")
    type_byte, ndim = head[2], head[3]
    if type_byte not in _DTYPES:
        raise DataError(f"{path}: unknown IDX data type 0x{type_byte:02x}")
    if not 1 <= ndim <= 4:
        raise DataError(f"{path}: IDX header declares {ndim} dimensions (expected 1 to 4)")
    if len(head) < 4 + 4 * ndim:
        raise DataError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(head[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = _DTYPES[type_byte]
    nbytes = dtype.itemsize
    for d in shape:
        nbytes *= d
    if nbytes > MAX_BYTES:
        raise DataError(f"{path}: IDX header declares {shape}, over {MAX_BYTES} bytes; refused")
    return dtype, shape, nbytes


def read_idx(path: str | Path, *, sha256: str | None = None) -> np.ndarray:
    """Read an IDX(.gz) file into a native-endian numpy array of its declared shape.

    `sha256`, if given, must match the file as stored (the .gz for compressed files).
    Raises DataError for a missing, truncated, oversized or corrupted file.
    """
    path = Path(path)
    if sha256:
        verify_sha256(path, sha256)
    try:
        with open(path, "rb") as fh:
            start = fh.read(2)
            fh.seek(0)
            if start == b"\x1f\x8b":
                with gzip.GzipFile(fileobj=fh) as gz:
                    head = gz.read(4 + 4 * 4)
            else:
                head = fh.read(4 + 4 * 4)
    except FileNotFoundError:
        raise DataError(f"file not found: {path}") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot decompress/read ({exc})") from None
    dtype, shape, nbytes = _parse_header(path, head)
    offset = 4 + 4 * len(shape)
    data = read_bounded(path, limit=offset + nbytes, gunzip=True,
                        what="IDX data of the size its header declares")
    if len(data) < offset + nbytes:
        raise DataError(
            f"{path}: truncated: header declares {shape} ({nbytes} bytes of items) "
            f"but the file holds {max(len(data) - offset, 0)}"
        )
    items = np.frombuffer(data, dtype=dtype, count=int(np.prod(shape)), offset=offset)
    return items.reshape(shape).astype(dtype.newbyteorder("="))


def read_known_idx(path: str | Path, dataset: str, stem: str) -> np.ndarray:
    """Read one of a known dataset's official files, verifying its checksum."""
    path = Path(path)
    gz_sha, raw_sha = KNOWN_SHA256[dataset][stem]
    compressed = path.name.endswith(".gz")
    return read_idx(path, sha256=gz_sha if compressed else raw_sha)
