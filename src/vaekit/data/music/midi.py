"""MIDI files <-> melody event sequences (see :mod:`vaekit.data.music.events` for the events).

Reading MIDI (with mido only):

* the grid is metrical: note onsets and offsets are rounded (half up) to the nearest step
  using the file's ticks per quarter note, so tempo changes never move notes on the grid;
  the first tempo is reported as ``qpm`` (default 120);
* notes on MIDI channel 10 (index 9, General MIDI percussion) are ignored: they are drums,
  not pitches;
* notes outside the piano range 21..108 are dropped (counted in ``dropped_notes``), not an
  error: a stray low bass note should not make a whole file unusable;
* a note that quantises to zero length is extended to one step;
* which notes make the melody is the caller's choice (``melody=``, see
  :func:`check_melody`): by default all of them, and where notes overlap the highest
  sounding note wins at every step (a "skyline"); a lower note that is still held when a
  higher one ends is re-articulated at that step. ``"bottom"`` keeps the lowest note
  instead; ``"track:N"`` and ``"program:N"`` first keep only the notes of one track or
  one General MIDI program, then apply the skyline to them;
* the melody lasts until the later of the last note's end and the end of the track, so
  trailing rests written by :func:`melody_to_midi` survive a round trip.

Every problem with a file (unreadable, not MIDI, truncated, absurd sizes) raises
:class:`vaekit.errors.DataError` with a one-line message naming the file.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from vaekit.data.music.events import (
    FIRST_NOTE_EVENT,
    HOLD,
    MAX_PITCH,
    MAX_STEPS,
    MIN_PITCH,
    NOTE_OFF,
    as_events,
)
from vaekit.errors import DataError
from vaekit.fileio import atomic_write_bytes, read_bounded

MELODY_RULES = ("top", "bottom", "track:N", "program:N")
MAX_FILE_BYTES = 16 * 2**20  # a melody MIDI file is a few KiB; refuse anything absurd
MIDI_SUFFIXES = (".mid", ".midi")
_DRUM_CHANNEL = 9  # General MIDI channel 10, counted from 0 as mido does
_WRITE_TICKS_PER_STEP = 120  # 480 ticks per quarter for 16th notes: a common resolution


# ---------------------------------------------------------------------------- helpers


def _ticks_to_step(tick: int, steps_per_quarter: int, ticks_per_beat: int) -> int:
    """Nearest grid step to `tick`, halves rounded up (exact integer arithmetic)."""
    return (2 * tick * steps_per_quarter + ticks_per_beat) // (2 * ticks_per_beat)


def check_steps_per_quarter(steps_per_quarter: int) -> None:
    if isinstance(steps_per_quarter, bool) or not isinstance(steps_per_quarter, int):
        raise ValueError(f"steps_per_quarter must be an int, got {steps_per_quarter!r}")
    if not 1 <= steps_per_quarter <= 96:
        raise ValueError(f"steps_per_quarter must be in 1..96, got {steps_per_quarter}")


def check_melody(melody: str) -> tuple[str, int | None]:
    """``melody`` as (rule, number): "top", "bottom", "track:N" or "program:N".

    N counts from 0: the track's position in the file (as mido lists them; a type-0 file
    has only track 0), or the General MIDI program byte (0 = acoustic grand piano, as
    :func:`melody_to_midi` writes it). Raises ValueError for anything else.
    """
    if melody in ("top", "bottom"):
        return melody, None
    rule, sep, number = str(melody).partition(":")
    if sep and rule in ("track", "program") and number.isdigit():
        value = int(number)
        if rule == "track" or value <= 127:
            return rule, value
    raise ValueError(f"melody must be one of {', '.join(MELODY_RULES)}, got {melody!r}")


def _parse_midi(data: bytes, name: str) -> mido.MidiFile:
    """mido's view of `data`; any failure inside mido becomes a DataError."""
    try:
        # mido raises OSError, EOFError, KeyError, ValueError, IndexError, struct.error,
        # TypeError and its own errors on bad input; all of them mean "not a usable MIDI
        # file", so this one call is guarded broadly on purpose.
        midi = mido.MidiFile(file=io.BytesIO(data))
    except Exception as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{name}: not a readable MIDI file ({detail})") from None
    if midi.type not in (0, 1, 2):
        raise DataError(f"{name}: unknown MIDI file type {midi.type}")
    if midi.type == 2:
        raise DataError(f"{name}: MIDI type 2 (independent patterns) is not supported")
    if midi.ticks_per_beat <= 0:
        # A negative division is SMPTE time code: frames, not beats, so no metrical grid.
        raise DataError(
            f"{name}: SMPTE or zero time division ({midi.ticks_per_beat}) is not supported"
        )
    return midi


@dataclass(frozen=True, eq=False)
class _Notes:
    """Notes of a file in ticks, before quantisation."""

    notes: list[tuple[int, int, int]]  # (start tick, end tick, pitch)
    tracks: list[int]  # the track of each note (its position in midi.tracks)
    programs: list[int]  # the General MIDI program of each note's channel at its start
    end_tick: int  # the end of the longest track
    dropped: int  # notes outside the piano range
    time_signature: tuple[int, int] | None
    tempo: int | None  # microseconds per quarter note


def _program_at(changes: list[tuple[int, int, int]], channel: int, tick: int) -> int:
    """The program of `channel` at `tick` from sorted (tick, channel, program) changes;
    0 (acoustic grand piano, the General MIDI default) before the first change."""
    program = 0
    for when, chan, value in changes:
        if when > tick:
            break
        if chan == channel:
            program = value
    return program


def _collect_notes(midi: mido.MidiFile, name: str) -> _Notes:
    """Pair note-ons with note-offs per (track, channel, pitch), in absolute ticks."""
    raw: list[tuple[int, int, int, int, int]] = []  # (start, end, pitch, track, channel)
    changes: list[tuple[int, int, int]] = []  # (tick, channel, program): all tracks
    end_tick = 0
    first_ts: tuple[int, int, int] | None = None  # (tick, numerator, denominator)
    first_tempo: tuple[int, int] | None = None  # (tick, tempo)
    for index, track in enumerate(midi.tracks):
        tick = 0
        active: dict[tuple[int, int], int] = {}  # (channel, pitch) -> start tick
        for msg in track:
            tick += msg.time
            kind = msg.type
            if kind == "note_on" or kind == "note_off":
                if msg.channel == _DRUM_CHANNEL:
                    continue
                key = (msg.channel, msg.note)
                if kind == "note_on" and msg.velocity > 0:
                    if key in active:  # re-struck without a note-off: the old one ends here
                        raw.append((active.pop(key), tick, msg.note, index, msg.channel))
                    active[key] = tick
                elif key in active:  # note-offs without a note-on are ignored
                    raw.append((active.pop(key), tick, msg.note, index, msg.channel))
            elif kind == "program_change":
                changes.append((tick, msg.channel, msg.program))
            elif kind == "time_signature":
                if first_ts is None or tick < first_ts[0]:
                    first_ts = (tick, msg.numerator, msg.denominator)
            elif kind == "set_tempo" and (first_tempo is None or tick < first_tempo[0]):
                first_tempo = (tick, msg.tempo)
        # Notes still held when the track ends stop there.
        raw.extend((start, tick, pitch, index, chan) for (chan, pitch), start in active.items())
        end_tick = max(end_tick, tick)
        if len(raw) > MAX_STEPS:
            raise DataError(f"{name}: more than {MAX_STEPS} notes")
    # A program change in one track of a type-1 file applies to that channel everywhere.
    changes.sort()
    kept = [note for note in raw if MIN_PITCH <= note[2] <= MAX_PITCH]
    return _Notes(
        notes=[(start, end, pitch) for start, end, pitch, _, _ in kept],
        tracks=[track for _, _, _, track, _ in kept],
        programs=[_program_at(changes, chan, start) for start, _, _, _, chan in kept],
        end_tick=end_tick,
        dropped=len(raw) - len(kept),
        time_signature=None if first_ts is None else (first_ts[1], first_ts[2]),
        tempo=None if first_tempo is None else first_tempo[1],
    )


def _select_notes(found: _Notes, melody: str, name: str, num_tracks: int
                  ) -> list[tuple[int, int, int]]:
    """The notes that `melody` ("track:N", "program:N", or all) keeps; DataError if none."""
    rule, number = check_melody(melody)
    if rule == "track":
        if number >= num_tracks:
            raise DataError(f"{name}: melody track:{number} asked, the file has "
                            f"{num_tracks} track(s) (0..{num_tracks - 1})")
        keep = [track == number for track in found.tracks]
    elif rule == "program":
        keep = [program == number for program in found.programs]
    else:
        return found.notes
    notes = [note for note, kept in zip(found.notes, keep) if kept]
    if found.notes and not notes:
        raise DataError(f"{name}: no notes for melody {melody}")
    return notes


def skyline_events(
    notes: Sequence[tuple[int, int, int]], num_steps: int, *, lowest: bool = False
) -> np.ndarray:
    """Canonical events for quantised notes (start step, end step, pitch), one sounding
    note per step: the highest (a "skyline"), or the lowest with ``lowest=True``.

    A note still held when the winning one ends is re-articulated at that step. Notes must
    have ``end > start``; steps from `num_steps` on are cut.
    """
    pick = min if lowest else max
    events = np.full(num_steps, HOLD, dtype=np.int64)
    events[0] = NOTE_OFF  # silence until the first note (overwritten if one starts at 0)
    starts: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}
    for start, end, pitch in notes:
        starts.setdefault(start, []).append(pitch)
        ends.setdefault(end, []).append(pitch)
    active: dict[int, int] = {}  # pitch -> how many notes of it sound
    previous = -1  # pitch sounding at the step before, -1 for silence
    for step in sorted(starts.keys() | ends.keys()):
        if step >= num_steps:
            break
        # Ends first: a note ending at `step` does not sound at `step`.
        for pitch in ends.get(step, ()):
            active[pitch] -= 1
            if not active[pitch]:
                del active[pitch]
        started = starts.get(step, ())
        for pitch in started:
            active[pitch] = active.get(pitch, 0) + 1
        top = pick(active) if active else -1
        if top >= 0 and (top != previous or top in started):
            events[step] = top - MIN_PITCH + FIRST_NOTE_EVENT
        elif top < 0 and previous >= 0:
            events[step] = NOTE_OFF
        previous = top
    return events


# ---------------------------------------------------------------------------- MIDI files


@dataclass(frozen=True, eq=False)
class MelodyFile:
    """A melody read from a MIDI file, with the metadata needed to interpret it.

    ``events`` is canonical, one event per step; a step is a 1/steps_per_quarter quarter
    note. ``steps_per_bar`` follows the first time signature (4/4 if none): 16 for 4/4,
    12 for 6/8 and 3/4, with 4 steps per quarter.
    """

    path: str
    events: np.ndarray  # int64 (num_steps,)
    steps_per_quarter: int
    steps_per_bar: int
    time_signature: tuple[int, int]  # (numerator, denominator), the first in the file
    qpm: float  # quarter notes per minute, from the first tempo (120 if none)
    ticks_per_beat: int
    num_notes: int  # notes selected (in the piano range), before the skyline picks one
    dropped_notes: int  # notes outside 21..108, left out

    @property
    def num_steps(self) -> int:
        return int(self.events.size)


def parse_midi_melody(
    data: bytes, *, name: str = "<bytes>", steps_per_quarter: int = 4, melody: str = "top"
) -> MelodyFile:
    """A melody from the bytes of a MIDI file; `name` is used in error messages.

    `melody` picks the notes of a polyphonic file: "top" (default, the skyline), "bottom",
    "track:N" or "program:N" (see :func:`check_melody`). See the module docstring for the
    rules (grid, overlaps, drums, range). Raises DataError for anything that is not a
    usable MIDI file, including one that holds no time at all, and for a `melody` that
    selects no note of a file that has some.
    """
    check_steps_per_quarter(steps_per_quarter)
    rule, _ = check_melody(melody)
    if len(data) > MAX_FILE_BYTES:
        raise DataError(f"{name}: {len(data)} bytes is larger than the {MAX_FILE_BYTES} limit")
    midi = _parse_midi(bytes(data), name)
    tpb = midi.ticks_per_beat
    found = _collect_notes(midi, name)
    selected = _select_notes(found, melody, name, len(midi.tracks))

    numerator, denominator = found.time_signature or (4, 4)
    if numerator < 1:
        raise DataError(f"{name}: invalid time signature {numerator}/{denominator}")
    bar_steps, remainder = divmod(numerator * 4 * steps_per_quarter, denominator)
    if remainder or bar_steps < 1:
        raise DataError(
            f"{name}: a {numerator}/{denominator} bar is not a whole number of steps "
            f"at {steps_per_quarter} steps per quarter note"
        )

    num_steps = _ticks_to_step(found.end_tick, steps_per_quarter, tpb)
    quantised = []
    for start, end, pitch in selected:
        first = _ticks_to_step(start, steps_per_quarter, tpb)
        last = max(_ticks_to_step(end, steps_per_quarter, tpb), first + 1)
        quantised.append((first, last, pitch))
        num_steps = max(num_steps, last)
    if num_steps > MAX_STEPS:
        raise DataError(f"{name}: {num_steps} steps is more than the limit of {MAX_STEPS}")
    if num_steps == 0:
        raise DataError(f"{name}: the MIDI file holds no notes and no time")

    tempo = found.tempo if found.tempo else mido.bpm2tempo(120)
    return MelodyFile(
        path=name,
        events=skyline_events(quantised, num_steps, lowest=rule == "bottom"),
        steps_per_quarter=steps_per_quarter,
        steps_per_bar=bar_steps,
        time_signature=(numerator, denominator),
        qpm=float(mido.tempo2bpm(tempo)),
        ticks_per_beat=tpb,
        num_notes=len(quantised),
        dropped_notes=found.dropped,
    )


def read_midi_melody(
    path: str | os.PathLike[str], *, steps_per_quarter: int = 4, melody: str = "top"
) -> MelodyFile:
    """A melody from a MIDI file on disk (see :func:`parse_midi_melody`).

    Files larger than 16 MiB are refused before they are read.
    """
    path = Path(path)
    data = read_bounded(path, limit=MAX_FILE_BYTES, what="MIDI")
    return parse_midi_melody(
        data, name=str(path), steps_per_quarter=steps_per_quarter, melody=melody
    )


def melody_to_midi(
    events: Sequence[int] | np.ndarray,
    path: str | os.PathLike[str] | None = None,
    *,
    steps_per_quarter: int = 4,
    qpm: float = 120.0,
    program: int = 0,
    velocity: int = 80,
    time_signature: tuple[int, int] = (4, 4),
) -> bytes:
    """A single-track (type 0) MIDI file for `events`; returns its bytes.

    If `path` is given the file is also written there atomically (a temporary file in the
    same folder, flushed and fsynced, then renamed over `path`). Notes go on channel 1
    with the General MIDI `program` (0 = piano) and a fixed `velocity` (1..127); `qpm` is
    quarter notes per minute. The track ends exactly after the last step, so reading the
    file back with the same `steps_per_quarter` gives ``normalize_events(events)``.
    Raises DataError for invalid or empty events, ValueError for invalid options.
    """
    check_steps_per_quarter(steps_per_quarter)
    arr = as_events(events)
    if arr.size == 0:
        raise DataError("melody_to_midi: the event sequence is empty")
    if not (isinstance(program, int) and 0 <= program <= 127):
        raise ValueError(f"program must be an int in 0..127, got {program!r}")
    if not (isinstance(velocity, int) and 1 <= velocity <= 127):
        raise ValueError(f"velocity must be an int in 1..127, got {velocity!r}")
    if not (isinstance(qpm, int | float) and np.isfinite(qpm) and 4.0 <= qpm <= 6.0e4):
        raise ValueError(f"qpm must be a number in 4..60000, got {qpm!r}")
    numerator, denominator = time_signature
    if numerator < 1 or denominator < 1 or denominator & (denominator - 1):
        raise ValueError(f"invalid time signature {numerator}/{denominator}")

    ticks_per_step = _WRITE_TICKS_PER_STEP
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(qpm), time=0))
    track.append(
        mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator, time=0)
    )
    track.append(mido.Message("program_change", channel=0, program=program, time=0))
    last_tick = 0
    sounding = -1

    def emit(kind: str, pitch: int, step: int) -> None:
        nonlocal last_tick
        tick = step * ticks_per_step
        vel = velocity if kind == "note_on" else 0
        track.append(mido.Message(kind, channel=0, note=pitch, velocity=vel, time=tick - last_tick))
        last_tick = tick

    # Only the steps that change something matter; HOLD is the absence of a message.
    for step in np.nonzero(arr != HOLD)[0].tolist():
        event = int(arr[step])
        if sounding >= 0:  # both a new note and NOTE_OFF end the sounding note first
            emit("note_off", sounding, step)
            sounding = -1
        if event >= FIRST_NOTE_EVENT:
            sounding = event - FIRST_NOTE_EVENT + MIN_PITCH
            emit("note_on", sounding, step)
    if sounding >= 0:
        emit("note_off", sounding, arr.size)
    track.append(mido.MetaMessage("end_of_track", time=arr.size * ticks_per_step - last_tick))

    midi = mido.MidiFile(type=0, ticks_per_beat=ticks_per_step * steps_per_quarter)
    midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    data = buffer.getvalue()
    if path is not None:
        atomic_write_bytes(Path(path), data)
    return data
