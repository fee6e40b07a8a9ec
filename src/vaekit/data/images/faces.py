"""The Olivetti faces (.npz, parsed by hand: nothing is ever unpickled) and a split by person.

Sizes are checked before memory is allocated: a .npy header that declares more data than
the archive member holds is an error, and MAX_NPZ_BYTES refuses absurd archives (a plain
module attribute, so a caller with a genuine need can raise it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from vaekit.data.images.npyfile import read_npz
from vaekit.errors import DataError
from vaekit.fileio import file_size

MAX_NPZ_BYTES = 64 * 2**20  # the Olivetti archive is 1.4 MB

OLIVETTI_SCALE = 242  # the largest pixel value; sklearn divides by it (x - min) / max


class IndexSplit(NamedTuple):
    """Sorted int64 index arrays of a train/test split."""

    train: np.ndarray
    test: np.ndarray


@dataclass(frozen=True)
class FacesData:
    """Olivetti faces.

    images: (N, 64, 64, 1) uint8 in 0..scale. The registry divides by `scale` (242, the
    largest pixel value), which gives exactly sklearn's `fetch_olivetti_faces().images`
    in [0, 1]; dividing by 255 would not.
    subject_ids: (N,) int64 person id (0..39 in the real file, 10 images each).
    glasses: (N,) uint8, 1 where the person wears glasses in that image.
    """

    images: np.ndarray
    subject_ids: np.ndarray
    glasses: np.ndarray
    scale: int = OLIVETTI_SCALE


def _read_npz(path: Path, names: Sequence[str]) -> dict[str, np.ndarray]:
    file_size(path, limit=MAX_NPZ_BYTES, what=".npz")
    return read_npz(path, names, limit=MAX_NPZ_BYTES)


def _require(array: np.ndarray, *, path: Path, key: str, shape: tuple, kinds: str) -> None:
    """DataError unless `array` has dtype kind in `kinds` and `shape` (None = any length)."""
    ok_shape = array.ndim == len(shape) and all(
        want is None or got == want for got, want in zip(array.shape, shape)
    )
    if array.dtype.kind not in kinds or not ok_shape:
        raise DataError(
            f"{path}: {key} has shape {array.shape} and dtype {array.dtype}; expected shape "
            f"{tuple('N' if n is None else n for n in shape)} of kind {kinds!r}"
        )


def read_olivetti(path: str | os.PathLike) -> FacesData:
    """Read Olivetti faces from an .npz with images, target, glasses and glasses_ranges.

    images must be (N, 64, 64) uint8 in 0..242; target (N,) integer subject ids >= 0;
    glasses (N,) 0/1; glasses_ranges (K, 2) inclusive index ranges that must agree with
    glasses. See `FacesData` for the returned shapes and the scale of 242.
    """
    path = Path(path)
    data = _read_npz(path, ("images", "target", "glasses", "glasses_ranges"))
    images, target, glasses, ranges = (
        data[k] for k in ("images", "target", "glasses", "glasses_ranges")
    )
    _require(images, path=path, key="images", shape=(None, 64, 64), kinds="u")
    n = images.shape[0]
    _require(target, path=path, key="target", shape=(n,), kinds="iu")
    _require(glasses, path=path, key="glasses", shape=(n,), kinds="iub")
    _require(ranges, path=path, key="glasses_ranges", shape=(None, 2), kinds="iu")
    if images.dtype != np.uint8:
        raise DataError(f"{path}: images must be uint8, got {images.dtype}")
    if n == 0:
        raise DataError(f"{path}: holds no images")
    if images.max() > OLIVETTI_SCALE:
        raise DataError(f"{path}: pixel values above {OLIVETTI_SCALE}; not the Olivetti scale")
    if target.min() < 0 or target.max() > np.iinfo(np.int64).max:
        raise DataError(f"{path}: target holds ids outside 0..2**63")
    if not np.isin(glasses, (0, 1)).all():
        raise DataError(f"{path}: glasses must be 0 or 1")
    expected = np.zeros(n, dtype=bool)
    for lo, hi in ranges.tolist():
        if not 0 <= lo <= hi < n:
            raise DataError(f"{path}: glasses_ranges holds [{lo}, {hi}] outside 0..{n - 1}")
        expected[lo : hi + 1] = True
    if not np.array_equal(expected, glasses.astype(bool)):
        raise DataError(f"{path}: glasses does not match glasses_ranges")
    return FacesData(
        images=images.reshape(n, 64, 64, 1).copy(),
        subject_ids=target.astype(np.int64),
        glasses=glasses.astype(np.uint8),
    )


def split_by_subject(
    subject_ids: np.ndarray, *, test_subjects: int | Sequence[int], seed: int = 0
) -> IndexSplit:
    """Split example indices so that no person is in both train and test.

    test_subjects is either a count of people drawn at random (numpy Generator seeded
    with `seed`, so the split is reproducible) or the explicit ids of the test people.
    Returns sorted int64 index arrays into subject_ids.
    """
    ids = np.asarray(subject_ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"subject_ids must be a 1-D integer array, got {ids.dtype} {ids.shape}")
    people = np.unique(ids)
    if isinstance(test_subjects, int):
        if not 0 < test_subjects < len(people):
            raise ValueError(
                f"test_subjects must be between 1 and {len(people) - 1}, got {test_subjects}"
            )
        rng = np.random.default_rng(seed)
        chosen = rng.permutation(people)[:test_subjects]
    else:
        chosen = np.unique(np.asarray(test_subjects, dtype=np.int64))
        unknown = np.setdiff1d(chosen, people)
        if unknown.size or chosen.size in (0, len(people)):
            raise ValueError(
                f"test_subjects must name some but not all of the ids; unknown: {unknown}"
            )
    in_test = np.isin(ids, chosen)
    return IndexSplit(
        train=np.flatnonzero(~in_test).astype(np.int64),
        test=np.flatnonzero(in_test).astype(np.int64),
    )
