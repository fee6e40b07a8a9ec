"""Monophonic melodies as MusicVAE-style event sequences (MIDI files: vaekit.data.music.midi).

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

Reading and writing MIDI files is in :mod:`vaekit.data.music.midi`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vaekit.errors import DataError

NOTE_OFF = 0
HOLD = 1
MIN_PITCH = 21  # A0, the lowest piano key
MAX_PITCH = 108  # C8, the highest piano key
FIRST_NOTE_EVENT = 2
NUM_CLASSES = FIRST_NOTE_EVENT + (MAX_PITCH - MIN_PITCH + 1)  # 90
NUM_PITCHES = MAX_PITCH - MIN_PITCH + 1  # 88

MAX_STEPS = 10**6  # about 4.3 hours of 16th notes at 120 qpm


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


def as_events(events: Sequence[int] | np.ndarray, *, what: str = "events") -> np.ndarray:
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


def sounding_pitch(events: np.ndarray) -> np.ndarray:
    """The MIDI pitch sounding at each step, or -1 during silence (int64, same length)."""
    steps = np.arange(events.size)
    # The state at a step is set by the last event that is not HOLD at or before it.
    last = np.maximum.accumulate(np.where(events != HOLD, steps, -1))
    setter = np.where(last >= 0, events[np.maximum(last, 0)], NOTE_OFF)
    return np.where(setter >= FIRST_NOTE_EVENT, setter - FIRST_NOTE_EVENT + MIN_PITCH, -1)


def positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value




def normalize_events(events: Sequence[int] | np.ndarray) -> np.ndarray:
    """The canonical form of an event sequence (see the module docstring).

    A leading ``HOLD`` becomes ``NOTE_OFF``; a ``NOTE_OFF`` while nothing sounds (other
    than at step 0) becomes ``HOLD``. Returns a new int64 array; raises DataError for
    values outside 0..89 or a non-1-D input.
    """
    arr = as_events(events).copy()
    if arr.size == 0:
        return arr
    sounding = sounding_pitch(arr) >= 0
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
    arr = as_events(events)
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
    bars = positive_int("bars", bars)
    steps_per_bar = positive_int("steps_per_bar", steps_per_bar)
    hop_bars = positive_int("hop_bars", hop_bars)
    if isinstance(min_notes, bool) or not isinstance(min_notes, int) or min_notes < 0:
        raise ValueError(f"min_notes must be a non-negative int, got {min_notes!r}")
    length, hop = bars * steps_per_bar, hop_bars * steps_per_bar
    arr = normalize_events(events)
    if arr.size < length:
        return np.zeros((0, length), dtype=np.int64)
    starts = np.arange(0, arr.size - length + 1, hop)
    windows = arr[starts[:, None] + np.arange(length)]
    pitch = sounding_pitch(arr)[starts]
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
    arr = as_events(events)
    roll = np.zeros((NUM_PITCHES, arr.size), dtype=np.uint8)
    pitch = sounding_pitch(arr)
    steps = np.nonzero(pitch >= 0)[0]
    roll[pitch[steps] - MIN_PITCH, steps] = 1
    return roll
