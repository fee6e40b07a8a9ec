"""Tests for vaekit.data.music.abc: one ABC tune -> melody events (music21)."""

from __future__ import annotations

import pytest

from vaekit.data.music.abc import abc_tune_to_events, split_abc_tunes
from vaekit.data.music.events import HOLD, NOTE_OFF, pitch_to_event
from vaekit.errors import DataError

C4, D4, E4, G4, A4, B4, C5 = (pitch_to_event(p) for p in (60, 62, 64, 67, 69, 71, 72))
H, OFF = HOLD, NOTE_OFF


def tune(body: str, *, metre: str = "4/4", length: str = "1/8", key: str = "C") -> str:
    return f"X:1\nT:test\nM:{metre}\nL:{length}\nK:{key}\n{body}\n"


def events_of(abc: str) -> list[int]:
    return abc_tune_to_events(abc)[0].tolist()


def test_notes_rests_and_ties():
    # quarter notes C E G, a quarter rest, then c tied over 6 eighths, a quarter rest
    assert events_of(tune("C2 E2 G2 z2 | c4- c2 z2 |]")) == (
        [C4, H, H, H, E4, H, H, H, G4, H, H, H, OFF, H, H, H]
        + [C5] + [H] * 11 + [OFF, H, H, H]
    )


def test_a_tie_between_different_pitches_is_a_slur():
    # O'Neill's transcriptions write "G3-A" for a slur: the A is a new note
    assert events_of(tune("G3-A B4 |", length="1/16")) == [G4, H, H, A4, B4, H, H, H]


def test_pickup_is_padded_to_the_window_grid():
    # one eighth of pickup: the first full bar starts at step 16
    assert events_of(tune("G | c2 c2 c2 c2 |")) == [OFF] + [H] * 13 + [G4, H] + [C5, H, H, H] * 4


def test_triplets_chords_grace_notes_and_chord_symbols():
    # (3CDE: three eighths in the time of two, onsets at 0, 4/3, 8/3 steps -> 0, 1, 3
    assert events_of(tune("(3CDE G2 |"))[:4] == [C4, D4, H, E4]
    # a written chord keeps its top note; "G" is a chord symbol and {B} a grace note
    assert events_of(tune('"G"[CE]2 {B}c2 |')) == [E4, H, H, H, C5, H, H, H]


def test_metre_is_kept():
    events, metre = abc_tune_to_events(tune("C3 E3 |", metre="6/8"))
    assert metre == (6, 8) and events.tolist() == [C4, H, H, H, H, H, E4, H, H, H, H, H]
    assert abc_tune_to_events(tune("C8 |", metre="C"))[1] == (4, 4)


def test_unusable_tunes_are_data_errors():
    with pytest.raises(DataError, match="bad.abc#0: no note"):
        abc_tune_to_events(tune("z8 |"), name="bad.abc#0")
    with pytest.raises(DataError, match="no note"):
        abc_tune_to_events(tune("c''''''8 |"))  # MIDI pitch 120, above the piano


def test_split_abc_tunes_keeps_the_file_header():
    text = "% header\nO:Ireland\n\nX:1\nT:one\nK:C\nCDEF|\n\nX:2\nT:two\nK:G\nGABc|\n"
    tunes = split_abc_tunes(text)
    assert len(tunes) == 2
    assert tunes[1].startswith("% header\nO:Ireland\n\nX:2") and "CDEF" not in tunes[1]
