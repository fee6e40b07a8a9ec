"""Monophonic melodies as MusicVAE-style event sequences, read from and written to MIDI.

A melody is a 1-D ``np.int64`` array with one event per grid step (a 16th note with the
default ``steps_per_quarter=4``), drawn from a vocabulary of 90 classes, as in MusicVAE's
melody representation:

* ``0 = NOTE_OFF``: silence starts at this step (the sounding note, if any, stops);
* ``1 = HOLD``: keep the previous state (a note sustains, or a rest continues);
* ``2..89``: a note-on for MIDI pitches 21..108 (the 88 piano keys); a note-on of the
  pitch already sounding re-articulates it.

Canonical (normalised) form, produced by :func:`normalize_events` and by the MIDI reader:

* a sequence never starts with ``HOLD``: a leading ``HOLD`` has nothing to continue and
  means silence, so it becomes ``NOTE_OFF``;
* a rest is one ``NOTE_OFF`` followed by ``HOLD``\\ s: a ``NOTE_OFF`` while nothing sounds
  is redundant and becomes ``HOLD`` (except at step 0).

Every canonical sequence survives events -> MIDI -> events unchanged; any valid sequence
comes back as its canonical form.

Reading MIDI (with mido only):

* the grid is metrical: note onsets and offsets are rounded (half up) to the nearest step
  using the file's ticks per quarter note, so tempo changes never move notes on the grid;
  the first tempo is reported as ``qpm`` (default 120);
* notes on MIDI channel 10 (index 9, General MIDI percussion) are ignored: they are drums,
  not pitches;
* notes outside the piano range 21..108 are dropped (counted in ``dropped_notes``), not an
  error: a stray low bass note should not make a whole file unusable;
* a note that quantises to zero length is extended to one step;
* where notes overlap, the highest sounding note wins at every step (a "skyline"); a
  lower note that is still held when a higher one ends is re-articulated at that step;
* the melody lasts until the later of the last note's end and the end of the track, so
  trailing rests written by :func:`melody_to_midi` survive a round trip.

Every problem with a file (unreadable, not MIDI, truncated, absurd sizes) raises
:class:`vaekit.errors.DataError` with a one-line message naming the file.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from vaekit.errors import DataError
from vaekit.fileio import atomic_write_bytes

NOTE_OFF = 0
HOLD = 1
MIN_PITCH = 21  # A0, the lowest piano key
MAX_PITCH = 108  # C8, the highest piano key
FIRST_NOTE_EVENT = 2
NUM_CLASSES = FIRST_NOTE_EVENT + (MAX_PITCH - MIN_PITCH + 1)  # 90
NUM_PITCHES = MAX_PITCH - MIN_PITCH + 1  # 88

MAX_FILE_BYTES = 16 * 2**20  # a melody MIDI file is a few KiB; refuse anything absurd
MAX_STEPS = 10**6  # about 4.3 hours of 16th notes at 120 qpm
MIDI_SUFFIXES = (".mid", ".midi")
_DRUM_CHANNEL = 9  # General MIDI channel 10, counted from 0 as mido does
_WRITE_TICKS_PER_STEP = 120  # 480 ticks per quarter for 16th notes: a common resolution


# ---------------------------------------------------------------------------- helpers


def pitch_to_event(pitch: int) -> int:
    """The note-on event (2..89) for a MIDI pitch in 21..108."""
    if not MIN_PITCH <= pitch <= MAX_PITCH:
        raise DataError(f"pitch {pitch} is outside the piano range {MIN_PITCH}..{MAX_PITCH}")
    return int(pitch) - MIN_PITCH + FIRST_NOTE_EVENT


def event_to_pitch(event: int) -> int:
    """The MIDI pitch (21..108) of a note-on event (2..89)."""
    if not FIRST_NOTE_EVENT <= event < NUM_CLASSES:
        raise DataError(f"event {event} is not a note-on (expected {FIRST_NOTE_EVENT}..89)")
    return int(event) - FIRST_NOTE_EVENT + MIN_PITCH


def _as_events(events: Sequence[int] | np.ndarray, *, what: str = "events") -> np.ndarray:
    """`events` as a 1-D int64 array of valid classes; DataError otherwise."""
    try:
        arr = np.asarray(events)
    except (TypeError, ValueError) as exc:  # ragged or non-numeric input
        raise DataError(f"{what}: not an event sequence ({exc})") from None
    if arr.ndim != 1:
        raise DataError(f"{what}: expected a 1-D event sequence, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        raise DataError(f"{what}: expected integer events, got dtype {arr.dtype}")
    if arr.size > MAX_STEPS:
        raise DataError(f"{what}: {arr.size} steps is more than the limit of {MAX_STEPS}")
    if arr.min() < 0 or arr.max() >= NUM_CLASSES:
        raise DataError(
            f"{what}: events must lie in 0..{NUM_CLASSES - 1}, got {arr.min()}..{arr.max()}"
        )
    return arr.astype(np.int64, copy=False)


def _sounding_pitch(events: np.ndarray) -> np.ndarray:
    """The MIDI pitch sounding at each step, or -1 during silence (int64, same length)."""
    steps = np.arange(events.size)
    # The state at a step is set by the last event that is not HOLD at or before it.
    last = np.maximum.accumulate(np.where(events != HOLD, steps, -1))
    setter = np.where(last >= 0, events[np.maximum(last, 0)], NOTE_OFF)
    return np.where(setter >= FIRST_NOTE_EVENT, setter - FIRST_NOTE_EVENT + MIN_PITCH, -1)


def _ticks_to_step(tick: int, steps_per_quarter: int, ticks_per_beat: int) -> int:
    """Nearest grid step to `tick`, halves rounded up (exact integer arithmetic)."""
    return (2 * tick * steps_per_quarter + ticks_per_beat) // (2 * ticks_per_beat)


def _check_steps_per_quarter(steps_per_quarter: int) -> None:
    if isinstance(steps_per_quarter, bool) or not isinstance(steps_per_quarter, int):
        raise ValueError(f"steps_per_quarter must be an int, got {steps_per_quarter!r}")
    if not 1 <= steps_per_quarter <= 96:
        raise ValueError(f"steps_per_quarter must be in 1..96, got {steps_per_quarter}")


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


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
    end_tick: int  # the end of the longest track
    dropped: int  # notes outside the piano range
    time_signature: tuple[int, int] | None
    tempo: int | None  # microseconds per quarter note


def _collect_notes(midi: mido.MidiFile, name: str) -> _Notes:
    """Pair note-ons with note-offs per (track, channel, pitch), in absolute ticks."""
    raw: list[tuple[int, int, int]] = []  # every note, in range or not
    end_tick = 0
    first_ts: tuple[int, int, int] | None = None  # (tick, numerator, denominator)
    first_tempo: tuple[int, int] | None = None  # (tick, tempo)
    for track in midi.tracks:
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
                        raw.append((active.pop(key), tick, msg.note))
                    active[key] = tick
                elif key in active:  # note-offs without a note-on are ignored
                    raw.append((active.pop(key), tick, msg.note))
            elif kind == "time_signature":
                if first_ts is None or tick < first_ts[0]:
                    first_ts = (tick, msg.numerator, msg.denominator)
            elif kind == "set_tempo" and (first_tempo is None or tick < first_tempo[0]):
                first_tempo = (tick, msg.tempo)
        # Notes still held when the track ends stop there.
        raw.extend((start, tick, pitch) for (_, pitch), start in active.items())
        end_tick = max(end_tick, tick)
        if len(raw) > MAX_STEPS:
            raise DataError(f"{name}: more than {MAX_STEPS} notes")
    notes = [note for note in raw if MIN_PITCH <= note[2] <= MAX_PITCH]
    return _Notes(
        notes=notes,
        end_tick=end_tick,
        dropped=len(raw) - len(notes),
        time_signature=None if first_ts is None else (first_ts[1], first_ts[2]),
        tempo=None if first_tempo is None else first_tempo[1],
    )


def _skyline(notes: list[tuple[int, int, int]], num_steps: int) -> np.ndarray:
    """Canonical events for quantised notes (start step, end step, pitch): highest wins."""
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
        top = max(active) if active else -1
        if top >= 0 and (top != previous or top in started):
            events[step] = top - MIN_PITCH + FIRST_NOTE_EVENT
        elif top < 0 and previous >= 0:
            events[step] = NOTE_OFF
        previous = top
    return events


# ---------------------------------------------------------------------------- events


def normalize_events(events: Sequence[int] | np.ndarray) -> np.ndarray:
    """The canonical form of an event sequence (see the module docstring).

    A leading ``HOLD`` becomes ``NOTE_OFF``; a ``NOTE_OFF`` while nothing sounds (other
    than at step 0) becomes ``HOLD``. Returns a new int64 array; raises DataError for
    values outside 0..89 or a non-1-D input.
    """
    arr = _as_events(events).copy()
    if arr.size == 0:
        return arr
    sounding = _sounding_pitch(arr) >= 0
    redundant = np.zeros(arr.size, dtype=bool)
    redundant[1:] = (arr[1:] == NOTE_OFF) & ~sounding[:-1]
    arr[redundant] = HOLD
    if arr[0] == HOLD:
        arr[0] = NOTE_OFF
    return arr


def transpose_events(events: Sequence[int] | np.ndarray, semitones: int) -> np.ndarray | None:
    """`events` shifted by `semitones` (positive = up), or None if a note leaves 21..108.

    None rather than an error because this is an augmentation: callers simply skip the
    shifts that do not fit. NOTE_OFF and HOLD are unchanged.
    """
    arr = _as_events(events)
    is_note = arr >= FIRST_NOTE_EVENT
    shifted = np.where(is_note, arr + int(semitones), arr)
    if is_note.any():
        lowest, highest = shifted[is_note].min(), shifted[is_note].max()
        if lowest < FIRST_NOTE_EVENT or highest >= NUM_CLASSES:
            return None
    return shifted


def melody_windows(
    events: Sequence[int] | np.ndarray,
    *,
    bars: int = 2,
    steps_per_bar: int = 16,
    hop_bars: int = 1,
    min_notes: int = 2,
) -> np.ndarray:
    """Sliding windows of ``bars * steps_per_bar`` steps, as an int64 array (N, T).

    Windows start at step 0 and every ``hop_bars * steps_per_bar`` steps; a partial window
    at the end is left out. A window with fewer than `min_notes` note-on events is (almost)
    all silence or one held note and is skipped. Every window is canonical: if it would
    start with ``HOLD``, the first step is re-articulated as a note-on of the pitch that is
    sounding there, or becomes ``NOTE_OFF`` during a rest, so no window starts mid-state.
    `events` is normalised first. With the default 16 steps per bar a "bar" is a 4/4 bar
    of 16th notes, MusicVAE's fixed 32-step (2 bars) and 256-step (16 bars) inputs.
    """
    bars = _positive_int("bars", bars)
    steps_per_bar = _positive_int("steps_per_bar", steps_per_bar)
    hop_bars = _positive_int("hop_bars", hop_bars)
    if isinstance(min_notes, bool) or not isinstance(min_notes, int) or min_notes < 0:
        raise ValueError(f"min_notes must be a non-negative int, got {min_notes!r}")
    length, hop = bars * steps_per_bar, hop_bars * steps_per_bar
    arr = normalize_events(events)
    if arr.size < length:
        return np.zeros((0, length), dtype=np.int64)
    starts = np.arange(0, arr.size - length + 1, hop)
    windows = arr[starts[:, None] + np.arange(length)]
    pitch = _sounding_pitch(arr)[starts]
    lead_hold = windows[:, 0] == HOLD
    first = np.where(pitch >= 0, pitch - MIN_PITCH + FIRST_NOTE_EVENT, NOTE_OFF)
    windows[lead_hold, 0] = first[lead_hold]
    keep = (windows >= FIRST_NOTE_EVENT).sum(axis=1) >= min_notes
    return np.ascontiguousarray(windows[keep])


def note_density(windows: np.ndarray) -> np.ndarray:
    """Fraction of steps in each window that are note-on events: float64 array (N,).

    A simple rhythmic attribute (0 = no onsets, 1 = a new note on every step) used to
    build attribute vectors in latent space.
    """
    arr = np.asarray(windows)
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise DataError(f"note_density expects windows of shape (N, T>0), got {arr.shape}")
    if arr.size and (arr.dtype.kind not in "iu" or arr.min() < 0 or arr.max() >= NUM_CLASSES):
        raise DataError(f"note_density expects integer events in 0..{NUM_CLASSES - 1}")
    return (arr >= FIRST_NOTE_EVENT).mean(axis=1, dtype=np.float64)


def piano_roll(events: Sequence[int] | np.ndarray) -> np.ndarray:
    """A (88, T) uint8 piano roll: 1 where a pitch sounds. Row 0 is MIDI pitch 21 (A0).

    For plotting, e.g. ``imshow(roll, origin="lower", aspect="auto")``.
    """
    arr = _as_events(events)
    roll = np.zeros((NUM_PITCHES, arr.size), dtype=np.uint8)
    pitch = _sounding_pitch(arr)
    steps = np.nonzero(pitch >= 0)[0]
    roll[pitch[steps] - MIN_PITCH, steps] = 1
    return roll


# ---------------------------------------------------------------------------- MIDI


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
    num_notes: int  # notes in the piano range, before the skyline picks one at a time
    dropped_notes: int  # notes outside 21..108, left out

    @property
    def num_steps(self) -> int:
        return int(self.events.size)


def parse_midi_melody(
    data: bytes, *, name: str = "<bytes>", steps_per_quarter: int = 4
) -> MelodyFile:
    """A melody from the bytes of a MIDI file; `name` is used in error messages.

    See the module docstring for the rules (grid, overlaps, drums, range). Raises DataError
    for anything that is not a usable MIDI file, including one that holds no time at all.
    """
    _check_steps_per_quarter(steps_per_quarter)
    if len(data) > MAX_FILE_BYTES:
        raise DataError(f"{name}: {len(data)} bytes is larger than the {MAX_FILE_BYTES} limit")
    midi = _parse_midi(bytes(data), name)
    tpb = midi.ticks_per_beat
    found = _collect_notes(midi, name)

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
    for start, end, pitch in found.notes:
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
        events=_skyline(quantised, num_steps),
        steps_per_quarter=steps_per_quarter,
        steps_per_bar=bar_steps,
        time_signature=(numerator, denominator),
        qpm=float(mido.tempo2bpm(tempo)),
        ticks_per_beat=tpb,
        num_notes=len(quantised),
        dropped_notes=found.dropped,
    )


def read_midi_melody(path: str | os.PathLike[str], *, steps_per_quarter: int = 4) -> MelodyFile:
    """A melody from a MIDI file on disk (see :func:`parse_midi_melody`).

    Files larger than 16 MiB are refused before they are read.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DataError(f"{path}: {size} bytes is larger than the {MAX_FILE_BYTES} limit")
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    return parse_midi_melody(data, name=str(path), steps_per_quarter=steps_per_quarter)


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
    _check_steps_per_quarter(steps_per_quarter)
    arr = _as_events(events)
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


# ---------------------------------------------------------------------------- folders


def _midi_files(folder: Path, max_files: int | None) -> list[Path]:
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())
    if not files:
        raise DataError(f"{folder}: no *.mid or *.midi files")
    if max_files is not None:
        files = files[: _positive_int("max_files", max_files)]
    return files


def read_midi_folder(
    folder: str | os.PathLike[str],
    *,
    steps_per_quarter: int = 4,
    max_files: int | None = None,
    skip_bad: bool = False,
) -> tuple[list[MelodyFile | None], list[str]]:
    """Melodies of every *.mid / *.midi file in `folder`, in sorted file-name order.

    Returns ``(melodies, errors)``. By default the first unreadable file raises its
    DataError; with ``skip_bad=True`` its slot in `melodies` is None and its one-line
    message is added to `errors`. `max_files` keeps the first files in sorted order.
    """
    files = _midi_files(Path(folder), max_files)
    melodies: list[MelodyFile | None] = []
    errors: list[str] = []
    for path in files:
        try:
            melodies.append(read_midi_melody(path, steps_per_quarter=steps_per_quarter))
        except DataError as exc:
            if not skip_bad:
                raise
            melodies.append(None)
            errors.append(str(exc))
    return melodies, errors


def load_midi_folder(
    folder: str | os.PathLike[str],
    *,
    bars: int = 2,
    hop_bars: int = 1,
    min_notes: int = 2,
    transpose: Iterable[int] = (0,),
    max_files: int | None = None,
    steps_per_quarter: int = 4,
    four_four_only: bool = False,
    skip_bad: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Training windows from a folder of MIDI melodies.

    Returns ``(windows, file_index)``: int64 arrays of shape (N, bars * 4 * steps_per_quarter)
    and (N,), where ``file_index`` is the position of the source file in the sorted list
    of MIDI files (after `max_files`). A "bar" is a 4/4 bar (16 steps of 16th notes by
    default) whatever the file's time signature, so all windows have one length; with
    ``four_four_only=True`` files in other metres are left out. Each shift in `transpose`
    (semitones) adds a transposed copy of every file; shifts that would push a note out of
    21..108 are skipped for that file. Windows follow :func:`melody_windows`.

    An unreadable file raises DataError naming it; ``skip_bad=True`` skips such files and
    issues one warning with their count and the first message. Raises DataError if no
    window is left.
    """
    shifts = [int(s) for s in transpose]
    if not shifts:
        raise ValueError("transpose must hold at least one shift (0 = unchanged)")
    _check_steps_per_quarter(steps_per_quarter)
    steps_per_bar = 4 * steps_per_quarter
    melodies, errors = read_midi_folder(
        folder, steps_per_quarter=steps_per_quarter, max_files=max_files, skip_bad=skip_bad
    )
    if errors:
        warnings.warn(
            f"skipped {len(errors)} unreadable MIDI file(s) in {folder}; first: {errors[0]}",
            stacklevel=2,
        )
    chunks: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    for index, melody in enumerate(melodies):
        if melody is None or (four_four_only and melody.time_signature != (4, 4)):
            continue
        for shift in shifts:
            events = transpose_events(melody.events, shift)
            if events is None:
                continue
            windows = melody_windows(
                events,
                bars=bars,
                steps_per_bar=steps_per_bar,
                hop_bars=hop_bars,
                min_notes=min_notes,
            )
            chunks.append(windows)
            owners.append(np.full(len(windows), index, dtype=np.int64))
    total = sum(len(c) for c in chunks)
    if total == 0:
        raise DataError(f"{folder}: no {bars}-bar window with at least {min_notes} notes")
    return np.concatenate(chunks), np.concatenate(owners)
