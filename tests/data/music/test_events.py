"""Tests for vaekit.data.music.events: the event vocabulary, canonical form, windows,
transposition, note density and piano rolls."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import numpy as np
import pytest

from vaekit.data.music.events import (
    HOLD,
    MAX_PITCH,
    MIN_PITCH,
    NOTE_OFF,
    NUM_CLASSES,
    event_to_pitch,
    melody_windows,
    normalize_events,
    note_density,
    piano_roll,
    pitch_to_event,
    transpose_events,
)
from vaekit.data.music.midi import melody_to_midi, parse_midi_melody, read_midi_melody
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



# ---------------------------------------------------------------------------- vocabulary


def test_event_constants_and_pitch_mapping():
    assert (NOTE_OFF, HOLD, MIN_PITCH, MAX_PITCH, NUM_CLASSES) == (0, 1, 21, 108, 90)
    assert pitch_to_event(21) == 2 and pitch_to_event(108) == 89
    assert [event_to_pitch(pitch_to_event(p)) for p in range(21, 109)] == list(range(21, 109))
    for bad_pitch in (20, 109, -1):
        with pytest.raises(DataError):
            pitch_to_event(bad_pitch)
    for bad_event in (NOTE_OFF, HOLD, 90):
        with pytest.raises(DataError):
            event_to_pitch(bad_event)


def test_normalize_events_rules():
    # leading HOLD means silence; a NOTE_OFF during a rest is redundant
    events = [HOLD, HOLD, C4, HOLD, NOTE_OFF, NOTE_OFF, HOLD, NOTE_OFF, E4, NOTE_OFF]
    expected = [NOTE_OFF, HOLD, C4, HOLD, NOTE_OFF, HOLD, HOLD, HOLD, E4, NOTE_OFF]
    out = normalize_events(events)
    assert out.dtype == np.int64
    assert out.tolist() == expected
    assert normalize_events(out).tolist() == expected  # idempotent
    with pytest.raises(DataError):
        normalize_events([0, 90])
    with pytest.raises(DataError):
        normalize_events([[0, 1]])
    with pytest.raises(DataError):
        normalize_events([0.0, 1.0])


def test_windows_of_real_file(shared_data):
    events = read_midi_melody(melody_dir(shared_data) / "ashover1.mid").events
    two = melody_windows(events, bars=2)
    sixteen = melody_windows(events, bars=16)
    assert two.shape == (len(events) // 16 - 1, 32)  # hop 1 bar; every window has notes
    assert sixteen.shape[1] == 256 and len(sixteen) == len(events) // 16 - 15
    for windows in (two, sixteen):
        assert windows.dtype == np.int64
        assert not (windows[:, 0] == HOLD).any()
        for w in windows:  # each window is canonical
            assert normalize_events(w).tolist() == w.tolist()
    # apart from the first step, windows are plain slices
    assert two[3, 1:].tolist() == events[3 * 16 + 1 : 3 * 16 + 32].tolist()


def test_window_start_rearticulates_or_rests():
    bar = 4
    events = [C4, HOLD, HOLD, HOLD, HOLD, HOLD, E4, NOTE_OFF, HOLD, HOLD, E4, HOLD]
    windows = melody_windows(events, bars=1, steps_per_bar=bar, min_notes=0)
    assert windows.tolist() == [
        [C4, HOLD, HOLD, HOLD],
        [C4, HOLD, E4, NOTE_OFF],  # the held C4 is struck again at the window start
        [NOTE_OFF, HOLD, E4, HOLD],  # the rest continues: NOTE_OFF, not HOLD
    ]
    assert melody_windows(events, bars=1, steps_per_bar=bar, min_notes=2).tolist() == [
        [C4, HOLD, E4, NOTE_OFF]  # the only window with two onsets
    ]
    assert melody_windows(events, bars=2, steps_per_bar=bar, hop_bars=2, min_notes=1).shape == (
        1,
        8,
    )
    assert melody_windows(events, bars=4, steps_per_bar=bar).shape == (0, 16)
    silent = [NOTE_OFF] + [HOLD] * 63
    assert melody_windows(silent).shape == (0, 32)


def test_transpose_events():
    events = np.array([C4, HOLD, NOTE_OFF, E4])
    up = transpose_events(events, 3)
    assert up.tolist() == [C4 + 3, HOLD, NOTE_OFF, E4 + 3]
    assert transpose_events(up, -3).tolist() == events.tolist()
    assert transpose_events([pitch_to_event(108)], 1) is None
    assert transpose_events([pitch_to_event(21)], -1) is None
    assert transpose_events([NOTE_OFF, HOLD], 50).tolist() == [NOTE_OFF, HOLD]


def test_note_density_and_piano_roll():
    windows = np.array([[C4, HOLD, HOLD, HOLD], [C4, E4, NOTE_OFF, HOLD], [0, 1, 1, 1]])
    assert note_density(windows).tolist() == [0.25, 0.5, 0.0]
    with pytest.raises(DataError):
        note_density(np.array([1, 2]))
    roll = piano_roll([HOLD, C4, HOLD, NOTE_OFF, E4])
    assert roll.shape == (88, 5) and roll.dtype == np.uint8
    expected = np.zeros((88, 5), dtype=np.uint8)
    expected[60 - 21, 1:3] = 1
    expected[64 - 21, 4] = 1
    assert np.array_equal(roll, expected)
