"""Tests for vaekit.data.images.folders: image folders and CelebA attribute tables built in
tmp_path, and hostile attribute text (valid data or DataError, nothing else)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from fuzzing import mutations
from vaekit.data.images.folders import (
    read_celeba_attributes,
    read_celeba_folder,
    read_image_folder,
)
from vaekit.errors import DataError

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ---------------------------------------------------------------------------- builders


def _save(path: Path, array: np.ndarray, mode: str | None = None, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(array, mode) if mode else Image.fromarray(array)
    image.save(path, **kwargs)
    return path


ATTR_TEXT = (
    "3\n"
    "5_o_Clock_Shadow Arched_Eyebrows Smiling \n"
    "000001.jpg -1  1  1\n"
    "000002.jpg  1 -1 -1\n"
    "000003.jpg -1 -1  1\n"
)


# ---------------------------------------------------------------------------- image folders


def test_class_subfolders_give_sorted_labels(tmp_path: Path) -> None:
    for name, value in [("dog", 20), ("cat", 10), ("zebra", 30)]:
        _save(tmp_path / name / "b.png", np.full((4, 4), value, np.uint8))
        _save(tmp_path / name / "a.PNG", np.full((4, 4), value + 1, np.uint8))
    _save(tmp_path / "cat" / "deeper" / "c.jpg", np.full((4, 4, 3), 200, np.uint8))
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    (tmp_path / "cat" / "._a.png").write_bytes(b"macOS resource fork")
    (tmp_path / ".hidden").mkdir()
    data = read_image_folder(tmp_path, size=4, channels=1)
    assert data.class_names == ("cat", "dog", "zebra")
    assert data.files == (
        "cat/a.PNG",
        "cat/b.png",
        "cat/deeper/c.jpg",
        "dog/a.PNG",
        "dog/b.png",
        "zebra/a.PNG",
        "zebra/b.png",
    )
    np.testing.assert_array_equal(data.labels, [0, 0, 0, 1, 1, 2, 2])
    assert data.labels.dtype == np.int64
    assert data.images.shape == (7, 4, 4, 1) and data.images.dtype == np.uint8
    np.testing.assert_array_equal(
        data.images[[0, 1, 3, 4, 5, 6], 0, 0, 0], [11, 10, 21, 20, 31, 30]
    )
    assert abs(int(data.images[2, 0, 0, 0]) - 200) <= 2  # JPEG is lossy
    assert data.skipped == ()


def test_flat_folder_has_no_labels(tmp_path: Path) -> None:
    _save(tmp_path / "b.bmp", np.full((5, 5, 3), 7, np.uint8))
    _save(tmp_path / "a.gif", np.full((5, 5), 9, np.uint8))
    _save(tmp_path / "c.webp", np.full((5, 5, 3), 50, np.uint8), lossless=True)
    data = read_image_folder(tmp_path, size=(5, 5), channels=3)
    assert data.labels is None and data.class_names == ()
    assert data.files == ("a.gif", "b.bmp", "c.webp")
    np.testing.assert_array_equal(data.images[:, 2, 2], [[9, 9, 9], [7, 7, 7], [50, 50, 50]])


def test_max_images_keeps_the_first(tmp_path: Path) -> None:
    for i in range(5):
        _save(tmp_path / f"{i}.png", np.full((3, 3), i, np.uint8))
    data = read_image_folder(tmp_path, size=3, channels=1, max_images=2)
    assert data.files == ("0.png", "1.png")
    np.testing.assert_array_equal(data.images[:, 0, 0, 0], [0, 1])


@pytest.mark.parametrize("layout", ["empty", "text_only", "missing", "mixed", "empty_class"])
def test_unusable_folders(tmp_path: Path, layout: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    if layout == "text_only":
        (root / "readme.txt").write_text("hi")
    if layout == "missing":
        root = tmp_path / "absent"
    if layout == "mixed":
        _save(root / "loose.png", np.zeros((2, 2), np.uint8))
        _save(root / "cls" / "a.png", np.zeros((2, 2), np.uint8))
    if layout == "empty_class":
        _save(root / "cls" / "a.png", np.zeros((2, 2), np.uint8))
        (root / "other").mkdir()
    with pytest.raises(DataError, match=str(root.name)):
        read_image_folder(root, size=2)


# ---------------------------------------------------------------------------- CelebA


def test_celeba_attributes_parse(tmp_path: Path) -> None:
    (tmp_path / "list_attr_celeba.txt").write_text(ATTR_TEXT)
    names, attributes, values = read_celeba_attributes(tmp_path / "list_attr_celeba.txt")
    assert names == ["000001.jpg", "000002.jpg", "000003.jpg"]
    assert attributes == ["5_o_Clock_Shadow", "Arched_Eyebrows", "Smiling"]
    assert values.dtype == np.int8
    np.testing.assert_array_equal(values, [[-1, 1, 1], [1, -1, -1], [-1, -1, 1]])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ATTR_TEXT.replace("3\n", "4\n", 1), "4 images but 3 rows"),
        (ATTR_TEXT.replace("3\n", "three\n", 1), "line 1"),
        (ATTR_TEXT.replace("3\n", "1_0\n", 1), "line 1"),
        (ATTR_TEXT.replace("3\n", "0\n", 1), "line 1"),
        (ATTR_TEXT.replace("-1  1  1", "-1  0  1"), "line 3 has '0' for Arched_Eyebrows"),
        (ATTR_TEXT.replace("-1  1  1", "-1  1"), "line 3 has 3 fields"),
        (ATTR_TEXT.replace("Smiling", "Arched_Eyebrows"), "distinct"),
        (ATTR_TEXT.replace("000002.jpg", "000001.jpg"), "more than once"),
        (ATTR_TEXT.replace("000002.jpg", "../secret.jpg"), "unsafe filename"),
        ("3\n", "attribute-name line"),
    ],
)
def test_celeba_attributes_reject_malformed(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "attrs.txt").write_text(text)
    with pytest.raises(DataError, match=message):
        read_celeba_attributes(tmp_path / "attrs.txt")


def test_celeba_attributes_reject_non_utf8(tmp_path: Path) -> None:
    (tmp_path / "attrs.txt").write_bytes(b"1\nA\n\xff.jpg 1\n")
    with pytest.raises(DataError, match="UTF-8"):
        read_celeba_attributes(tmp_path / "attrs.txt")


def test_celeba_folder(tmp_path: Path) -> None:
    (tmp_path / "list_attr_celeba.txt").write_text(ATTR_TEXT)
    for i, value in enumerate((40, 120, 220), start=1):
        _save(
            tmp_path / "img_align_celeba" / f"{i:06d}.jpg", np.full((218, 178, 3), value, np.uint8)
        )
    data = read_celeba_folder(tmp_path, size=16)
    assert data.images.shape == (3, 16, 16, 3) and data.images.dtype == np.uint8
    np.testing.assert_allclose(data.images[:, 8, 8, 0], [40, 120, 220], atol=2)
    np.testing.assert_array_equal(data.attributes[1], [1, -1, -1])
    assert data.attribute_names == ("5_o_Clock_Shadow", "Arched_Eyebrows", "Smiling")
    first = read_celeba_folder(tmp_path, size=(8, 4), channels=1, max_images=2)
    assert first.images.shape == (2, 8, 4, 1) and first.filenames == ("000001.jpg", "000002.jpg")
    (tmp_path / "img_align_celeba" / "000002.jpg").write_bytes(b"\xff\xd8 broken")
    with pytest.raises(DataError, match="000002.jpg"):
        read_celeba_folder(tmp_path, size=8)
    skipping = read_celeba_folder(tmp_path, size=8, skip_bad=True)
    assert skipping.filenames == ("000001.jpg", "000003.jpg") and skipping.skipped == (
        "000002.jpg",
    )
    np.testing.assert_array_equal(skipping.attributes, [[-1, 1, 1], [-1, -1, 1]])
    (tmp_path / "img_align_celeba" / "000002.jpg").unlink()
    with pytest.raises(DataError, match="000002.jpg: no such image"):
        read_celeba_folder(tmp_path, size=8)


def test_celeba_folder_explicit_subdir_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "anno").mkdir()
    (tmp_path / "anno" / "attrs.txt").write_text("1\nSmiling\nx.png 1\n")
    _save(tmp_path / "faces" / "x.png", np.full((4, 4), 5, np.uint8))
    data = read_celeba_folder(
        tmp_path, size=4, attributes_file="anno/attrs.txt", images_subdir="faces"
    )
    np.testing.assert_array_equal(data.images[0, ..., 1], 5)
    with pytest.raises(DataError, match="list_attr_celeba.txt"):
        read_celeba_folder(tmp_path, size=4)
    with pytest.raises(DataError, match="nowhere"):
        read_celeba_folder(
            tmp_path, size=4, attributes_file="anno/attrs.txt", images_subdir="nowhere"
        )


# ---------------------------------------------------------------------------- hostile inputs


@pytest.mark.fuzz
@FUZZ
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from(
                [
                    "2",
                    "1",
                    " ",
                    "  ",
                    "\n",
                    "-1",
                    "0",
                    "A",
                    "B",
                    "a.jpg",
                    "b.jpg",
                    "\r",
                    "\t",
                    "..",
                    "/",
                    "x",
                ]
            ),
            max_size=40,
        ).map("".join),
        mutations([ATTR_TEXT.encode()]).map(lambda b: b.decode("utf-8", "replace")),
    )
)
def test_hostile_attribute_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list_attr_celeba.txt"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            names, attributes, values = read_celeba_attributes(path)
        except DataError:
            return
        assert values.shape == (len(names), len(attributes)) and values.dtype == np.int8
        assert set(np.unique(values)) <= {-1, 1}
