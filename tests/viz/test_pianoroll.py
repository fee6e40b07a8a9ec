"""Piano-roll figures (viz/pianoroll.py): arrays in, PNG out."""

import numpy as np
import pytest
from PIL import Image

from vaekit.viz.pianoroll import _pitch_window, note_name, roll_to_rgb, save_pianoroll


def rolls(n=3, steps=32) -> np.ndarray:
    out = np.zeros((n, 88, steps), dtype=np.uint8)
    for i in range(n):
        out[i, 39 + i, : steps // 2] = 1  # C4 (MIDI 60) = row 39, then up a semitone each
        out[i, 43, steps // 2 :] = 1
    return out


def test_note_names_and_colours():
    assert note_name(60) == "C4" and note_name(21) == "A0" and note_name(108) == "C8"
    roll = np.array([[0, 1, 1]])
    rgb = roll_to_rgb(roll, onsets=np.array([[0, 1, 0]]))
    assert rgb.shape == (1, 3, 3) and rgb.dtype == np.uint8
    assert (rgb[0, 0] == 255).all() and rgb[0, 1].sum() < rgb[0, 2].sum() < 255 * 3


def test_pitch_window_crops_to_used_pitches_with_an_octave_at_least():
    lo, hi = _pitch_window(rolls())
    assert lo <= 39 and hi >= 44 and hi - lo >= 12 and hi - lo < 30
    assert _pitch_window(np.zeros((1, 88, 4))) == (0, 88)


@pytest.mark.parametrize("layout", ["stack", "concat"])
def test_save_writes_a_png(tmp_path, layout):
    r = rolls()
    path = save_pianoroll(r, tmp_path / "sub" / "roll.png", onsets=r.astype(bool),
                          labels=["a", "b", "c"], layout=layout, title="t")
    img = Image.open(path)
    assert img.format == "PNG" and img.size[0] > 200 and img.size[1] > 50
    pixels = np.asarray(img.convert("RGB"))
    assert (pixels.reshape(-1, 3) == (25, 60, 140)).all(1).any()  # onset colour is drawn


def test_single_roll_and_bad_input(tmp_path):
    save_pianoroll(rolls(1)[0], tmp_path / "one.png")
    with pytest.raises(ValueError, match="layout"):
        save_pianoroll(rolls(), tmp_path / "x.png", layout="grid")
    with pytest.raises(ValueError, match="labels"):
        save_pianoroll(rolls(), tmp_path / "x.png", labels=["a"])
    with pytest.raises(ValueError, match="onsets shape"):
        save_pianoroll(rolls(), tmp_path / "x.png", onsets=rolls(2))
    with pytest.raises(ValueError, match="shape"):
        save_pianoroll(np.zeros(5), tmp_path / "x.png")
