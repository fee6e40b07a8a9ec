"""Tests for the user's own MIDI (`midi:PATH`): which notes make the melody of a
polyphonic file (vaekit.data.music.midi), folders read recursively, train/ and test/
subfolders as the split, and unreadable files (vaekit.data.music.datasets)."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import pytest

from vaekit.config import DataConfig, config_from_dict
from vaekit.data.music.datasets import load_midi, read_midi_folder
from vaekit.data.music.events import HOLD, pitch_to_event
from vaekit.data.music.midi import check_melody, melody_to_midi, parse_midi_melody
from vaekit.data.registry import load_dataset
from vaekit.errors import ConfigError, DataError

TPB = 4  # ticks per beat = steps per quarter: one tick per 16th note
C3, D3, C5, D5 = (pitch_to_event(p) for p in (48, 50, 72, 74))
FLUTE, BASS = 73, 32


def _track(notes, channel, program=None):
    """A track of (start tick, end tick, pitch) notes on one channel, in time order."""
    track = mido.MidiTrack()
    if program is not None:
        track.append(mido.Message("program_change", channel=channel, program=program))
    changes = sorted([(s, 1, p) for s, _, p in notes] + [(e, 0, p) for _, e, p in notes])
    now = 0
    for tick, on, pitch in changes:
        kind = "note_on" if on else "note_off"
        track.append(mido.Message(kind, channel=channel, note=pitch, velocity=64,
                                  time=tick - now))
        now = tick
    return track


def duet() -> bytes:
    """Type 1, 2 bars: track 0 sets channel 1 to a bass program (a conductor track),
    track 1 is a flute melody of quarter notes C5 D5 ... on channel 0, track 2 a bass of
    half notes C3 D3 ... on channel 1."""
    conductor = mido.MidiTrack([mido.Message("program_change", channel=1, program=BASS)])
    midi = mido.MidiFile(type=1, ticks_per_beat=TPB)
    flute = [(4 * i, 4 * i + 4, (72, 74)[i % 2]) for i in range(8)]
    bass = [(8 * i, 8 * i + 8, (48, 50)[i % 2]) for i in range(4)]
    midi.tracks += [conductor, _track(flute, channel=0, program=FLUTE),
                    _track(bass, channel=1)]
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


HIGH = [C5, HOLD, HOLD, HOLD, D5, HOLD, HOLD, HOLD] * 4
LOW = [C3] + [HOLD] * 7 + [D3] + [HOLD] * 7 + [C3] + [HOLD] * 7 + [D3] + [HOLD] * 7


@pytest.mark.parametrize("melody, expected", [
    ("top", HIGH), ("bottom", LOW), ("track:1", HIGH), ("track:2", LOW),
    (f"program:{FLUTE}", HIGH), (f"program:{BASS}", LOW),
])
def test_melody_picks_the_notes(melody, expected):
    assert parse_midi_melody(duet(), melody=melody).events.tolist() == expected


def test_melody_that_selects_nothing_is_a_data_error():
    with pytest.raises(DataError, match="3 track"):
        parse_midi_melody(duet(), name="duet.mid", melody="track:5")
    with pytest.raises(DataError, match="duet.mid: no notes for melody track:0"):
        parse_midi_melody(duet(), name="duet.mid", melody="track:0")
    with pytest.raises(DataError, match="no notes for melody program:0"):
        parse_midi_melody(duet(), melody="program:0")


@pytest.mark.parametrize("bad", ["", "TOP", "middle", "track:", "track:-1", "program:128",
                                 "program:x", "track:1:2"])
def test_bad_melody_rules(bad):
    with pytest.raises(ValueError, match="melody must be one of"):
        check_melody(bad)
    with pytest.raises(ConfigError, match="data.melody"):
        config_from_dict({"data": {"melody": bad}})


def test_config_holds_melody_and_strict():
    cfg = config_from_dict({"data": {"melody": "program:40", "strict": "true"}})
    assert cfg.data.melody == "program:40" and cfg.data.strict is True
    assert DataConfig().melody == "top" and DataConfig().strict is False


def write_tune(path: Path, pitch: int, bars: int = 3) -> None:
    """A simple tune: one note per beat, alternating `pitch` and a third above."""
    path.parent.mkdir(parents=True, exist_ok=True)
    events = [pitch_to_event(pitch + 4 * (i % 2)) if i % 4 == 0 else HOLD
              for i in range(16 * bars)]
    melody_to_midi(events, path)


def test_folders_are_read_recursively_in_path_order(tmp_path):
    write_tune(tmp_path / "b" / "deep" / "two.mid", 62)
    write_tune(tmp_path / "a" / "one.MIDI", 60)
    write_tune(tmp_path / "three.mid", 64)
    write_tune(tmp_path / ".hidden" / "skip.mid", 66)
    melodies, errors = read_midi_folder(tmp_path)
    assert errors == []
    assert [Path(m.path).relative_to(tmp_path).as_posix() for m in melodies] == [
        "a/one.MIDI", "b/deep/two.mid", "three.mid"]


def test_train_and_test_subfolders_are_the_split(tmp_path):
    for name, pitch in (("a", 60), ("b", 62), ("c", 64)):
        write_tune(tmp_path / "train" / f"{name}.mid", pitch)
    write_tune(tmp_path / "valid" / "v.mid", 70)
    write_tune(tmp_path / "test" / "nested" / "t.mid", 72)
    write_tune(tmp_path / "stray.mid", 74)  # outside the three: not read
    data = load_dataset(f"midi:{tmp_path}")
    first = data.train.x[:, 0].tolist() + data.test.x[:, 0].tolist()
    assert sorted(set(data.train.x[:, 0].tolist())) == [pitch_to_event(p) for p in (60, 62, 64)]
    assert set(data.test.x[:, 0].tolist()) == {pitch_to_event(72)}
    assert pitch_to_event(70) not in first and pitch_to_event(74) not in first
    assert len(data.train) == 3 * 2 and len(data.test) == 2  # 3-bar tunes: 2 windows each


def test_train_without_test_is_an_error(tmp_path):
    write_tune(tmp_path / "train" / "a.mid", 60)
    write_tune(tmp_path / "b.mid", 60)
    with pytest.raises(DataError, match="has a train/ but no test/"):
        load_dataset(f"midi:{tmp_path}")


def test_unreadable_files_are_skipped_with_a_count_unless_strict(tmp_path):
    for name, pitch in (("a", 60), ("b", 62), ("c", 64)):
        write_tune(tmp_path / f"{name}.mid", pitch)
    (tmp_path / "broken.mid").write_bytes(b"MThd not a MIDI file")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "empty.midi").write_bytes(b"")
    with pytest.warns(UserWarning, match="skipped 2 unreadable"):
        data = load_midi(DataConfig(name="midi"), str(tmp_path))
    assert len(data.train) + len(data.test) == 3 * 2
    with pytest.raises(DataError, match="broken.mid"):
        load_midi(DataConfig(name="midi"), str(tmp_path), strict=True)
    with pytest.raises(DataError, match="broken.mid"):
        load_dataset(f"midi:{tmp_path}", config=DataConfig(name="midi", strict=True))


def test_melody_rule_reaches_the_dataset(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.mid").write_bytes(duet())
    top = load_dataset(f"midi:{tmp_path}")
    low = load_midi(DataConfig(name="m"), str(tmp_path), melody="bottom")
    by_config = load_dataset(f"midi:{tmp_path}", config=DataConfig(name="m", melody="track:2"))
    for data, expected in ((top, HIGH), (low, LOW), (by_config, LOW)):
        assert data.train.x.tolist() == [expected] and data.test.x.tolist() == [expected]
