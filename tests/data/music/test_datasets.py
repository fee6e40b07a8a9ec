"""Tests for vaekit.data.music.datasets: folders of MIDI files as windows, and the
Nottingham dataset."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import numpy as np
import pytest
import torch

from vaekit.config import DataConfig
from vaekit.data.music import events as music
from vaekit.data.music.datasets import _transposed, load_midi_folder, read_midi_folder
from vaekit.data.music.events import (
    HOLD,
    MIN_PITCH,
    NUM_CLASSES,
    pitch_to_event,
    transpose_events,
)
from vaekit.data.music.midi import melody_to_midi, parse_midi_melody
from vaekit.data.registry import load_dataset
from vaekit.errors import DataError

NOTTINGHAM_FILES = 1034
# Measured with this module on the shared data (all files, transpose=(0,), min_notes=2);
# a change means the reading, quantisation or windowing rules changed.
NOTTINGHAM_2BAR_WINDOWS = 33240

C4 = pitch_to_event(60)
E4 = pitch_to_event(64)
G4 = pitch_to_event(67)


def melody_dir(shared_data: Path) -> Path:
    return shared_data / "music" / "nottingham" / "melody"


def round_trip(events, **kwargs) -> np.ndarray:
    return parse_midi_melody(melody_to_midi(events, **kwargs), **kwargs).events


def midi_bytes(notes, *, ticks_per_beat=480, meta=(), channel=0) -> bytes:
    """A type-0 file from (start tick, end tick, pitch) notes, in any order or overlap."""
    changes = []
    for start, end, pitch in notes:
        # at equal ticks note-offs (0) sort before note-ons (1)
        changes.append((start, 1, mido.Message("note_on", note=pitch, channel=channel)))
        changes.append((end, 0, mido.Message("note_off", note=pitch, channel=channel)))
    track = mido.MidiTrack(list(meta))
    now = 0
    for tick, _, msg in sorted(changes, key=lambda c: (c[0], c[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    midi = mido.MidiFile(type=0, ticks_per_beat=ticks_per_beat)
    midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()



def test_load_all_nottingham_files(shared_data):
    windows, file_index = load_midi_folder(melody_dir(shared_data), bars=2)
    assert windows.shape == (NOTTINGHAM_2BAR_WINDOWS, 32)
    assert windows.dtype == np.int64 and file_index.dtype == np.int64
    assert file_index.shape == (len(windows),)
    assert np.all(np.diff(file_index) >= 0)
    assert file_index.min() == 0 and file_index.max() == NOTTINGHAM_FILES - 1
    assert windows.min() >= 0 and windows.max() < NUM_CLASSES
    notes = windows[windows >= 2] - 2 + MIN_PITCH
    assert notes.min() >= 55 and notes.max() <= 88  # the documented range of the set
    assert not (windows[:, 0] == HOLD).any()


def test_load_folder_transpose_and_max_files(shared_data):
    base, idx = load_midi_folder(melody_dir(shared_data), max_files=5)
    shifted, sidx = load_midi_folder(melody_dir(shared_data), max_files=5, transpose=(0, 2))
    assert len(shifted) == 2 * len(base) and idx.max() == 4
    # per file: the untransposed windows, then the same windows two semitones up
    first = base[idx == 0]
    both = shifted[sidx == 0]
    assert both[: len(first)].tolist() == first.tolist()
    assert (
        both[len(first) :].tolist()
        == transpose_events(first.ravel(), 2).reshape(first.shape).tolist()
    )
    # a shift that leaves the piano range is skipped per file, not an error
    far, _ = load_midi_folder(melody_dir(shared_data), max_files=5, transpose=(0, 40))
    assert far.tolist() == base.tolist()


def test_load_folder_bad_file_raises_or_is_skipped(tmp_path):
    melody_to_midi([C4, HOLD, E4, HOLD] * 16, tmp_path / "a_good.mid")
    (tmp_path / "b_bad.midi").write_bytes(b"MThd not really")
    (tmp_path / "notes.txt").write_text("not a MIDI file, ignored by suffix")
    with pytest.raises(DataError, match="b_bad.midi"):
        load_midi_folder(tmp_path)
    with pytest.warns(UserWarning, match="skipped 1"):
        windows, idx = load_midi_folder(tmp_path, skip_bad=True)
    assert windows.shape == (3, 32) and idx.tolist() == [0, 0, 0]
    melodies, errors = read_midi_folder(tmp_path, skip_bad=True)
    assert melodies[1] is None and len(errors) == 1 and "b_bad.midi" in errors[0]
    with pytest.raises(DataError):
        load_midi_folder(tmp_path / "missing")


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
