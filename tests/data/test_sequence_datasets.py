import numpy as np
import pytest
import torch

from vaekit.config import DataConfig
from vaekit.data import midi, music
from vaekit.data.registry import load_dataset
from vaekit.data.sequence_datasets import _transposed
from vaekit.errors import DataError


@pytest.fixture(scope="module")
def nottingham(shared_data):
    return load_dataset("nottingham", config=DataConfig(name="nottingham", transpose=(0, 2)))


def test_nottingham_windows(nottingham):
    assert nottingham.kind == "melody" and nottingham.vocab_size == 90
    assert nottingham.input_shape == (32,)
    assert nottingham.train.x.dtype == torch.int64
    assert int(nottingham.train.x.max()) < 90
    assert len(nottingham.test) > 1000
    assert nottingham.vocab_json["format"] == "vaekit-melody-events"
    assert "note_density" in nottingham.train.attrs


def test_nottingham_test_split_is_untransposed(nottingham):
    plain = load_dataset("nottingham")
    assert torch.equal(plain.test.x, nottingham.test.x)
    assert len(nottingham.train) > 1.8 * len(plain.train)


def test_transposition_shifts_notes_and_drops_out_of_range():
    w = np.array([[music.pitch_to_event(60), music.HOLD, music.NOTE_OFF],
                  [music.pitch_to_event(107), music.HOLD, music.HOLD]])
    up = _transposed(w, 2)
    assert up.tolist() == [[music.pitch_to_event(62), music.HOLD, music.NOTE_OFF]]


def test_shakespeare_chars(shared_data):
    data = load_dataset("shakespeare", config=DataConfig(name="shakespeare", max_len=40))
    assert data.kind == "text" and data.pad_token == 0
    assert data.input_shape == (42,)
    assert data.vocab_json["level"] == "char"
    assert int(data.train.x[:, 0].unique()) == 1  # every line starts with <bos>
    assert len(data.train) > 9 * len(data.test) * 0.9


def test_text_and_midi_paths(tmp_path):
    (tmp_path / "lines.txt").write_text("the cat sat\non the mat\n" * 20)
    data = load_dataset(f"text:{tmp_path / 'lines.txt'}",
                        config=DataConfig(name="t", text_level="word", max_len=5))
    assert data.vocab_size == 4 + 5  # the cat sat on mat
    for i in range(3):
        notes = [[music.pitch_to_event(60 + i + j % 5)] + [music.HOLD] * 3 for j in range(16)]
        midi.melody_to_midi(sum(notes, []), tmp_path / f"m{i}.mid")
    melodies = load_dataset(f"midi:{tmp_path}")
    assert melodies.input_shape == (32,)
    with pytest.raises(DataError):
        load_dataset("midi:/nonexistent")
