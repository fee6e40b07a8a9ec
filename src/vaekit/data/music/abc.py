"""ABC tunes -> melody event sequences, with music21 (an optional extra: vaekit[folk]).

ABC is the text notation of most folk-tune collections. One tune goes ABC -> music21 ->
events (see vaekit.data.music.events):

* a tie between notes of the same pitch makes one note; grace notes (zero length) and
  chord symbols ("G") are left out; where notes overlap (a written chord, a double stop,
  a second voice) the highest sounds, the skyline rule of the MIDI reader
  (:func:`vaekit.data.music.midi.skyline_events`);
* onsets and offsets are rounded half up to the 16th-note grid (4 steps per quarter by
  default), so triplets land on the nearest steps; a note rounded to zero length lasts
  one step;
* a pickup bar is padded with silence so that the first full bar starts on a multiple of
  16 steps, the window grid;
* repeats are not expanded: each written bar appears once;
* every metre is read; the first time signature is returned beside the events.

A tune music21 cannot parse, or without a note in the piano range, raises DataError with
a one-line message naming it. The corpus collections built on this are in
vaekit.data.music.folk.
"""

from __future__ import annotations

import math
from fractions import Fraction
from types import ModuleType

import numpy as np

from vaekit.data.music.events import MAX_PITCH, MIN_PITCH
from vaekit.data.music.midi import check_steps_per_quarter, skyline_events
from vaekit.errors import DataError, one_line


def require_music21() -> ModuleType:
    """music21, imported only when folk tunes are read (an optional extra)."""
    try:
        import music21
    except ImportError:
        raise DataError(
            "the folk dataset needs music21: pip install 'vaekit[folk]'"
        ) from None
    return music21


def _step(quarters: Fraction, steps_per_quarter: int) -> int:
    """Nearest grid step to a time in quarter notes, halves rounded up (exact)."""
    return math.floor(Fraction(quarters) * steps_per_quarter + Fraction(1, 2))


def split_abc_tunes(text: str) -> list[str]:
    """The tunes of an ABC file, each from its ``X:`` line, with the file header (lines
    before the first ``X:``) put in front, as ABC 2.1 says the header applies to all."""
    header: list[str] = []
    tunes: list[list[str]] = []
    for line in text.splitlines():
        if line.lstrip().startswith("X:"):
            tunes.append([line])
        elif tunes:
            tunes[-1].append(line)
        else:
            header.append(line)
    return ["\n".join(header + tune) for tune in tunes]


def abc_tune_to_events(
    abc: str, *, steps_per_quarter: int = 4, name: str = "<abc>"
) -> tuple[np.ndarray, tuple[int, int]]:
    """One ABC tune as canonical melody events, and its first time signature.

    The rules are in the module docstring. Raises DataError (naming `name`) when music21
    cannot parse the tune or it holds no note in the piano range.
    """
    check_steps_per_quarter(steps_per_quarter)
    m21 = require_music21()
    from music21.abcFormat import translate

    try:
        # music21 raises many exception types on malformed ABC; all mean "not usable".
        handler = m21.abcFormat.ABCHandler()
        handler.process(abc)
        score = translate.abcToStreamScore(handler)
        flat = score.flatten()
    except Exception as exc:
        raise DataError(f"{name}: music21 cannot read it ({one_line(exc)})") from None

    measures = list(score.parts[0].getElementsByClass("Measure")) if score.parts else []
    signatures = [m.timeSignature for m in measures if m.timeSignature is not None]
    if not signatures:  # a one-bar tune has no Measure objects
        signatures = list(score.recurse().getElementsByClass("TimeSignature"))
    metre = (signatures[0].numerator, signatures[0].denominator) if signatures else (4, 4)
    # A pickup bar is stored from offset 0 with paddingLeft = the beats it lacks. Shift
    # the tune so the first full bar starts on the 16-step window grid: bar lines then
    # fall on window starts in 4/4 and 2/2, and every other window start in 2/4.
    pickup = Fraction(0)  # quarter notes before the first full bar
    if measures and measures[0].paddingLeft:
        bar = Fraction(measures[0].barDuration.quarterLength)
        pickup = bar - Fraction(measures[0].paddingLeft)
    grid = 4 * steps_per_quarter  # the 16-step window grid
    shift = Fraction(-_step(pickup, steps_per_quarter) % grid, steps_per_quarter)  # quarters
    chords: list[tuple[int, int, tuple[int, ...]]] = []  # (first step, last step, pitches)
    for element in flat.notes:
        if isinstance(element, m21.harmony.ChordSymbol) or element.duration.isGrace:
            continue
        start = Fraction(element.offset) + shift
        first = _step(start, steps_per_quarter)
        last = max(_step(start + Fraction(element.quarterLength), steps_per_quarter), first + 1)
        pitches = tuple(sorted(p.midi for p in element.pitches))
        # A tie continues the previous note only if it is the same pitch: some
        # transcriptions (O'Neill's) write "G3-A" as a slur, and music21's stripTies
        # would swallow the A.
        tied = element.tie is not None and element.tie.type in ("stop", "continue")
        if tied and chords and chords[-1][2] == pitches and chords[-1][1] == first:
            chords[-1] = (chords[-1][0], last, pitches)
        else:
            chords.append((first, last, pitches))
    notes = [(first, last, pitch) for first, last, pitches in chords for pitch in pitches
             if MIN_PITCH <= pitch <= MAX_PITCH]
    if not notes:
        raise DataError(f"{name}: no note in the piano range")
    end = _step(Fraction(flat.highestTime) + shift, steps_per_quarter)
    num_steps = max(end, max(last for _, last, _ in notes))
    return skyline_events(notes, num_steps), metre
