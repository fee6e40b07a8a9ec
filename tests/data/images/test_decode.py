"""Tests for vaekit.data.images.decode, driven through read_image_folder: decoding, modes,
scaling and cropping, size limits and options, and hostile image bytes (valid data or
DataError, nothing else)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from fuzzing import mutations
from vaekit.data.images import decode as image_files
from vaekit.data.images.folders import read_image_folder
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


def _image_bytes(fmt: str, mode: str = "RGB", size: tuple[int, int] = (12, 10)) -> bytes:
    rng = np.random.default_rng(0)
    shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
    img = Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8))
    buffer = io.BytesIO()
    img.save(buffer, format=fmt)
    return buffer.getvalue()


# ---------------------------------------------------------------------------- decoding and scaling


def test_centre_crop_of_landscape_and_portrait(tmp_path: Path) -> None:
    wide = np.tile(np.arange(40, dtype=np.uint8) * 5, (20, 1))  # (H=20, W=40), value = 5*col
    _save(tmp_path / "wide" / "w.png", wide)
    _save(tmp_path / "tall" / "t.png", np.ascontiguousarray(wide.T))  # (H=40, W=20)
    data = read_image_folder(tmp_path / "wide", size=20, channels=1, fit="crop")
    np.testing.assert_array_equal(data.images[0, :, :, 0], wide[:, 10:30])
    data = read_image_folder(tmp_path / "tall", size=20, channels=1, fit="crop")
    np.testing.assert_array_equal(data.images[0, :, :, 0], wide.T[10:30, :])


def test_pad_keeps_the_whole_image_and_none_refuses_another_aspect(tmp_path: Path) -> None:
    face = np.full((28, 20), 200, np.uint8)  # a 28x20 image, as the Frey faces
    _save(tmp_path / "f.png", face)
    padded = read_image_folder(tmp_path, size=28, channels=1, fit="pad").images[0, :, :, 0]
    np.testing.assert_array_equal(padded[:, 4:24], 200)  # all of it, unscaled, centred
    np.testing.assert_array_equal(padded[:, :4], 0)
    np.testing.assert_array_equal(padded[:, 24:], 0)
    with pytest.raises(DataError, match="28x20 images do not scale to 28x28 .*--fit pad"):
        read_image_folder(tmp_path, size=28, channels=1)
    kept = read_image_folder(tmp_path, size=None, channels=1).images  # its own size
    assert kept.shape == (1, 28, 20, 1)
    halved = read_image_folder(tmp_path, size=(14, 10), channels=1).images  # same aspect
    assert halved.shape == (1, 14, 10, 1) and (halved == 200).all()


def test_resize_keeps_aspect_then_crops(tmp_path: Path) -> None:
    # 80x40 with a left half of 0 and right half of 200: scaled to 40x20, centre 20x20.
    pixels = np.zeros((40, 80), np.uint8)
    pixels[:, 40:] = 200
    _save(tmp_path / "x.png", pixels)
    out = read_image_folder(tmp_path, size=20, channels=1, fit="crop").images[0, :, :, 0]
    np.testing.assert_array_equal(out[:, :8], 0)
    np.testing.assert_array_equal(out[:, 12:], 200)
    np.testing.assert_array_equal(out, out[:1].repeat(20, axis=0))  # rows all alike
    rect = read_image_folder(tmp_path, size=(10, 20), channels=1).images[0, :, :, 0]
    assert rect.shape == (10, 20)  # exact half size: no crop
    np.testing.assert_array_equal(rect[:, :9], 0)
    np.testing.assert_array_equal(rect[:, 11:], 200)
    squashed = read_image_folder(tmp_path, size=20, channels=1, fit="stretch").images[0, :, :, 0]
    np.testing.assert_array_equal(squashed[:, :9], 0)
    np.testing.assert_array_equal(squashed[:, 11:], 200)


def test_modes_are_converted(tmp_path: Path) -> None:
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[..., :3] = (200, 100, 50)
    rgba[0, :, 3] = (0, 255, 128)
    rgba[1, :, 3] = 255
    _save(tmp_path / "a_rgba.png", rgba, "RGBA")
    data = read_image_folder(tmp_path, size=(2, 3), channels=3)
    np.testing.assert_array_equal(
        data.images[0, 0], [[0, 0, 0], [200, 100, 50], [100, 50, 25]]
    )  # onto black: round(v * alpha / 255)
    grey = read_image_folder(tmp_path, size=(2, 3), channels=1).images[0, 1, 0, 0]
    assert grey == Image.new("RGB", (1, 1), (200, 100, 50)).convert("L").getpixel((0, 0))


def test_palette_la_and_16_bit_pngs(tmp_path: Path) -> None:
    palette = Image.fromarray(np.array([[0, 1], [2, 1]], np.uint8), "P")
    palette.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 759)
    palette.save(tmp_path / "a_pal.png", transparency=1)
    la = np.zeros((2, 2, 2), np.uint8)
    la[..., 0], la[..., 1] = 100, 51
    _save(tmp_path / "b_la.png", la, "LA")
    deep = np.array([[0, 257 * 100], [65535, 257 * 7]], np.uint16)
    _save(tmp_path / "c_16.png", deep)
    assert Image.open(tmp_path / "c_16.png").mode.startswith("I")
    data = read_image_folder(tmp_path, size=2, channels=3)
    np.testing.assert_array_equal(
        data.images[0], [[[255, 0, 0], [0, 0, 0]], [[0, 0, 255], [0] * 3]]
    )
    np.testing.assert_array_equal(data.images[1], np.full((2, 2, 3), 20))  # 100 * 51 / 255
    np.testing.assert_array_equal(data.images[2, ..., 0], [[0, 100], [255, 7]])
    grey = read_image_folder(tmp_path, size=2, channels=1)
    np.testing.assert_array_equal(grey.images[2, ..., 0], [[0, 100], [255, 7]])


def test_other_modes_and_content_not_suffix(tmp_path: Path) -> None:
    Image.new("1", (3, 3), 1).save(tmp_path / "a_bits.bmp")
    Image.new("CMYK", (3, 3), (0, 0, 0, 0)).save(tmp_path / "b_cmyk.jpg")
    (tmp_path / "c_really_jpeg.png").write_bytes(_image_bytes("JPEG", "L"))
    data = read_image_folder(tmp_path, size=3, channels=3, fit="stretch")
    np.testing.assert_array_equal(data.images[0], 255)
    assert data.images[1].min() >= 250  # CMYK zero ink is white
    tiff = tmp_path / "d_tiff.png"
    tiff.write_bytes(_image_bytes("TIFF"))
    with pytest.raises(DataError, match="d_tiff.png"):
        read_image_folder(tmp_path, size=3, fit="stretch")


def test_truncated_jpeg_names_the_file_or_is_skipped(tmp_path: Path) -> None:
    good = _image_bytes("JPEG", size=(64, 64))
    (tmp_path / "a.jpg").write_bytes(good)
    (tmp_path / "b.jpg").write_bytes(good[: len(good) // 2])
    (tmp_path / "c.jpg").write_bytes(good)
    with pytest.raises(DataError, match=r"b\.jpg.*(truncated|decode)"):
        read_image_folder(tmp_path, size=8)
    data = read_image_folder(tmp_path, size=8, skip_bad=True)
    assert data.files == ("a.jpg", "c.jpg") and data.skipped == ("b.jpg",)
    assert data.images.shape == (2, 8, 8, 3)
    first = read_image_folder(tmp_path, size=8, skip_bad=True, max_images=2)
    assert first.files == ("a.jpg", "c.jpg")  # keeps reading past the bad file


def test_only_bad_images_is_an_error_even_when_skipping(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(DataError, match="none of the 1"):
        read_image_folder(tmp_path, size=8, skip_bad=True)


# ---------------------------------------------------------------------------- limits and options


def test_decompression_bombs_are_data_errors(tmp_path: Path, monkeypatch) -> None:
    _save(tmp_path / "big.png", np.zeros((30, 30), np.uint8))
    monkeypatch.setattr(image_files, "MAX_IMAGE_PIXELS", 500)
    with pytest.raises(DataError, match="big.png.*limit"):
        read_image_folder(tmp_path, size=8)
    monkeypatch.setattr(image_files, "MAX_IMAGE_PIXELS", 10**8)
    for pil_limit in (600, 400):  # PIL warns above its limit and raises above twice it
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pil_limit)
        with pytest.raises(DataError, match="big.png"):
            read_image_folder(tmp_path, size=8)


def test_output_size_limit(tmp_path: Path, monkeypatch) -> None:
    _save(tmp_path / "a.png", np.zeros((3, 3), np.uint8))
    monkeypatch.setattr(image_files, "MAX_OUTPUT_BYTES", 100)
    with pytest.raises(DataError, match="max_images"):
        read_image_folder(tmp_path, size=8)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"size": 0},
        {"size": (2, 2, 2)},
        {"size": True},
        {"size": 2, "channels": 4},
        {"size": 2, "fit": "random"},
        {"size": 2, "max_images": 0},
    ],
)
def test_bad_options_are_value_errors(tmp_path: Path, kwargs) -> None:
    _save(tmp_path / "a.png", np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError):
        read_image_folder(tmp_path, **kwargs)


# ---------------------------------------------------------------------------- hostile inputs


def _image_seeds() -> list[bytes]:
    seeds = [_image_bytes(fmt) for fmt in ("PNG", "JPEG", "BMP", "GIF", "WEBP")]
    buffer = io.BytesIO()
    Image.fromarray(np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000).save(buffer, "PNG")
    return [*seeds, buffer.getvalue(), _image_bytes("PNG", "L", size=(3, 40))]


@pytest.mark.fuzz
@FUZZ
@given(
    mutations(_image_seeds()),
    st.sampled_from(["x.png", "x.jpg", "x.GIF", "x.webp"]),
    st.sampled_from([1, 3]),
)
def test_hostile_image_bytes(content: bytes, name: str, channels: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / name).write_bytes(content)
        try:
            data = read_image_folder(tmp, size=(6, 5), channels=channels, fit="stretch")
        except DataError:
            return
        assert data.images.shape == (1, 6, 5, channels) and data.images.dtype == np.uint8
