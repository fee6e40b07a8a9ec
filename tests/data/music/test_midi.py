"""Tests for vaekit.data.music.midi: MIDI round trips, real Nottingham files, the MIDI
reading rules (overlaps, quantisation, drums) and defensive parsing."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import mido
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaekit.data.music import events as music
from vaekit.data.music import midi
from vaekit.data.music.events import (
    HOLD,
    MIN_PITCH,
    NOTE_OFF,
    NUM_CLASSES,
    normalize_events,
    piano_roll,
    pitch_to_event,
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



# ---------------------------------------------------------------------------- round trips

HAND_WRITTEN = [
    [C4],
    [NOTE_OFF],
    [NOTE_OFF, HOLD, HOLD, HOLD],
    [C4, HOLD, HOLD, HOLD, E4, HOLD, G4, NOTE_OFF],
    [C4, C4, C4, HOLD, C4],  # repeated notes are re-articulated, not merged
    [NOTE_OFF, HOLD, C4, NOTE_OFF, HOLD, HOLD, HOLD],  # trailing rest survives
    [pitch_to_event(21), pitch_to_event(108), NOTE_OFF, pitch_to_event(108)],
    [E4] + [HOLD] * 300 + [NOTE_OFF] + [HOLD] * 17,
]


@pytest.mark.parametrize("events", HAND_WRITTEN)
def test_round_trip_hand_written(events):
    assert normalize_events(events).tolist() == events  # these are canonical already
    out = round_trip(events)
    assert out.dtype == np.int64
    assert out.tolist() == events


def test_round_trip_normalises_and_other_grids():
    assert round_trip([HOLD, NOTE_OFF, C4, NOTE_OFF, NOTE_OFF]).tolist() == [
        NOTE_OFF,
        HOLD,
        C4,
        NOTE_OFF,
        HOLD,
    ]
    events = [C4, HOLD, E4, NOTE_OFF, HOLD, G4]
    for spq in (1, 2, 3, 12):
        assert round_trip(events, steps_per_quarter=spq).tolist() == events


def test_melody_to_midi_writes_atomically(tmp_path):
    events = [C4, HOLD, E4, NOTE_OFF, HOLD, G4]
    target = tmp_path / "tune.mid"
    data = melody_to_midi(events, target, qpm=90.0, program=40, velocity=100)
    assert target.read_bytes() == data
    assert os.listdir(tmp_path) == ["tune.mid"]  # no temporary file left behind
    midi = mido.MidiFile(str(target))
    assert midi.type == 0 and len(midi.tracks) == 1
    programs = [m.program for m in midi.tracks[0] if m.type == "program_change"]
    assert programs == [40]
    melody = read_midi_melody(target)
    assert melody.events.tolist() == events
    assert melody.qpm == pytest.approx(90.0)
    assert melody.steps_per_bar == 16 and melody.time_signature == (4, 4)
    with pytest.raises(DataError):
        melody_to_midi([])
    with pytest.raises(ValueError):
        melody_to_midi(events, velocity=0)


any_event = st.one_of(st.just(HOLD), st.just(NOTE_OFF), st.integers(2, NUM_CLASSES - 1))


@settings(max_examples=300, deadline=None)
@given(st.lists(any_event, min_size=1, max_size=200))
def test_round_trip_generated(raw):
    events = normalize_events(raw)
    assert round_trip(events).tolist() == events.tolist()
    # piano roll and the MIDI file agree on what sounds
    assert piano_roll(events).sum() == np.count_nonzero(piano_roll(round_trip(raw)))


# ---------------------------------------------------------------------------- real files


def test_read_real_nottingham_file(shared_data):
    path = melody_dir(shared_data) / "ashover1.mid"
    melody = read_midi_melody(path)
    events = melody.events
    assert events.dtype == np.int64 and events.ndim == 1
    # independent look at the same file with mido
    midi = mido.MidiFile(str(path))
    tick, last_off, onsets = 0, 0, 0
    for msg in midi.tracks[0]:
        tick += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            onsets += 1
        elif msg.type in ("note_on", "note_off"):
            last_off = tick
    assert melody.num_steps == last_off * 4 // midi.ticks_per_beat  # 16th notes
    assert melody.time_signature == (3, 4) and melody.steps_per_bar == 12
    assert melody.qpm == 120.0 and melody.dropped_notes == 0
    notes = events[events >= 2]
    assert len(notes) == onsets == melody.num_notes  # one onset per note: no overlaps here
    pitches = notes - 2 + MIN_PITCH
    assert pitches.min() >= 55 and pitches.max() <= 88
    assert events[0] == NOTE_OFF  # the tune starts after a two-beat rest (anacrusis)
    assert events[8] == pitch_to_event(76)


# ---------------------------------------------------------------------------- MIDI rules


def test_overlapping_notes_keep_the_highest(tmp_path):
    q = 480  # ticks per quarter = 4 steps
    notes = [
        (0, 2 * q, 60),  # steps 0..8: C4 held under ...
        (q // 2, q, 67),  # steps 2..4: a higher G4
        (3 * q, 4 * q, 64),  # steps 12..16: chord E4 + C4 at the same onset
        (3 * q, 4 * q, 60),
    ]
    path = tmp_path / "overlap.mid"
    path.write_bytes(midi_bytes(notes))
    melody = read_midi_melody(path)
    assert melody.events.tolist() == [
        C4, HOLD, G4, HOLD, C4, HOLD, HOLD, HOLD,  # C4 sounds again when G4 ends
        NOTE_OFF, HOLD, HOLD, HOLD,
        E4, HOLD, HOLD, HOLD,  # the highest note of the chord
    ]  # fmt: skip
    assert melody.num_notes == 4


def test_quantisation_drums_range_and_metadata():
    q = 480
    meta = [
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(100)),
        mido.MetaMessage("time_signature", numerator=6, denominator=8),
    ]
    notes = [
        (100, 2 * q - 100, 60),  # 0.83 .. 7.17 steps: rounds to steps 1 .. 7
        (2 * q + 5, 2 * q + 20, 64),  # far shorter than a step: kept as one step (8)
        (3 * q, 4 * q, 15),  # below the piano range: dropped, but the time stays
        (2 * q - 60, 2 * q - 50, 62),  # 7.5 steps: halves round up, then E4 replaces it
    ]
    melody = parse_midi_melody(midi_bytes(notes, meta=meta))
    expected = [NOTE_OFF, C4, HOLD, HOLD, HOLD, HOLD, HOLD, NOTE_OFF, E4, NOTE_OFF]
    assert melody.events.tolist() == expected + [HOLD] * 6
    assert melody.dropped_notes == 1 and melody.num_notes == 3
    assert melody.time_signature == (6, 8) and melody.steps_per_bar == 12
    assert melody.qpm == pytest.approx(100.0)
    drums = parse_midi_melody(midi_bytes([(0, q, 38)], channel=9))
    assert drums.events.tolist() == [NOTE_OFF, HOLD, HOLD, HOLD]  # time, but no pitches


# ---------------------------------------------------------------------------- bad input


def test_truncated_real_file_is_a_data_error(shared_data):
    data = (melody_dir(shared_data) / "ashover1.mid").read_bytes()
    for cut in range(len(data)):  # every proper prefix
        with pytest.raises(DataError, match="<cut>"):
            parse_midi_melody(data[:cut], name="<cut>")


def test_bad_files_are_data_errors(tmp_path):
    rng = np.random.default_rng(0)
    junk = tmp_path / "junk.mid"
    junk.write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(DataError, match="junk.mid"):
        read_midi_melody(junk)
    with pytest.raises(DataError, match="missing.mid"):
        read_midi_melody(tmp_path / "missing.mid")
    huge = tmp_path / "huge.mid"
    with open(huge, "wb") as fh:  # sparse: refused by size before it is read
        fh.truncate(midi.MAX_FILE_BYTES + 1)
    with pytest.raises(DataError, match="more than the"):
        read_midi_melody(huge)
    empty = midi_bytes([])
    with pytest.raises(DataError, match="no notes"):
        parse_midi_melody(empty)
    smpte = bytearray(midi_bytes([(0, 480, 60)]))
    smpte[12:14] = struct.pack(">h", -25 * 256 + 40)  # 25 fps, 40 ticks per frame
    with pytest.raises(DataError, match="SMPTE"):
        parse_midi_melody(bytes(smpte))
    far = midi_bytes([(0, 480, 60), (480 * 10**6, 480 * 10**6 + 1, 62)])
    with pytest.raises(DataError, match="limit"):
        parse_midi_melody(far)


def _chunk(name: bytes, body: bytes) -> bytes:
    return name + struct.pack(">L", len(body)) + body


midi_like_bytes = st.one_of(
    st.binary(max_size=256),
    st.builds(  # a plausible header, then random track bytes: exercises the track parser
        lambda fmt, division, body: (
            _chunk(b"MThd", struct.pack(">hhh", fmt, 1, division)) + _chunk(b"MTrk", body)
        ),
        st.integers(-2, 3),
        st.integers(-(2**15), 2**15 - 1),
        st.binary(max_size=200),
    ),
)


@pytest.mark.fuzz
@given(midi_like_bytes)
def test_any_bytes_give_a_melody_or_a_data_error(data):
    try:
        melody = parse_midi_melody(data)
    except DataError:
        return
    events = melody.events
    assert events.dtype == np.int64 and 1 <= events.size <= music.MAX_STEPS
    assert normalize_events(events).tolist() == events.tolist()


@pytest.mark.fuzz
@given(st.data())
def test_corrupted_real_bytes_give_a_melody_or_a_data_error(shared_data, data):
    original = (melody_dir(shared_data) / "jigs1.mid").read_bytes()
    corrupted = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        corrupted[data.draw(st.integers(0, len(original) - 1))] = data.draw(st.integers(0, 255))
    try:
        melody = parse_midi_melody(bytes(corrupted))
    except DataError:
        return
    assert normalize_events(melody.events).tolist() == melody.events.tolist()
