"""Tests for vaekit.analysis.music_stats: melody features and their overlap."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vaekit.analysis.music_stats import (
    FEATURES,
    FLOORS,
    degenerate_melodies,
    feature_overlaps,
    histogram_overlap,
    melody_features,
    music_statistics,
)
from vaekit.data.music.events import HOLD, NOTE_OFF, pitch_to_event
from vaekit.data.registry import load_dataset
from vaekit.errors import DataError

C4, CS4, D4, E4, FS4, A4 = (pitch_to_event(p) for p in (60, 61, 62, 64, 66, 69))
H, OFF = HOLD, NOTE_OFF

# Onsets C4@0, E4@2, C4@8, C4@9 (re-struck); a rest in beat 2 (steps 4..7).
MELODY = [C4, H, E4, H, OFF, H, H, H, C4, C4, H, H, H, H, H, H]


def test_features_of_a_hand_written_melody():
    f = melody_features(np.array(MELODY))
    assert f.note_count.tolist() == [4]
    assert f.pitch_classes[0, 0] == 3 and f.pitch_classes[0, 4] == 1
    assert f.pitch_classes.sum() == 4
    assert f.pitch_range.tolist() == [4.0]
    assert f.inter_onset_intervals.tolist() == [2, 6, 1]
    # to the next event (a note-on or NOTE_OFF), or the end of the window
    assert f.note_lengths.tolist() == [2, 2, 1, 7]
    assert f.in_scale_rate.tolist() == [1.0]
    assert f.repeated_note_rate.tolist() == [pytest.approx(1 / 3)]  # C-E, E-C, C-C
    assert f.empty_beat_rate.tolist() == [0.25]  # beat 2 is silent


def test_in_scale_rate_fits_the_best_scale():
    # C, C#, D: no major or minor scale holds three semitones in a row.
    chromatic = melody_features(np.array([[C4, CS4, D4, H]]))
    assert chromatic.in_scale_rate.tolist() == [pytest.approx(2 / 3)]
    # D, F#, A is in D major (and B minor), not in C major
    d_major = melody_features(np.array([[D4, FS4, A4, H]]))
    assert d_major.in_scale_rate.tolist() == [1.0]
    assert chromatic.repeated_note_rate.tolist() == [0.0]
    assert chromatic.note_lengths.tolist() == [1, 1, 2]
    assert chromatic.empty_beat_rate.tolist() == [0.0]


def test_features_of_silence_are_undefined_not_zero():
    f = melody_features(np.array([[OFF, H, H, H, H, H, H, H]]))
    assert f.note_count.tolist() == [0]
    assert np.isnan(f.pitch_range[0]) and np.isnan(f.in_scale_rate[0])
    assert np.isnan(f.repeated_note_rate[0])
    assert f.empty_beat_rate.tolist() == [1.0]
    assert f.inter_onset_intervals.size == 0 and f.note_lengths.size == 0
    # one held note: a range of 0, but no pair to repeat
    one = melody_features(np.array([[C4, H, H, H, H, H, H, H]]))
    assert one.pitch_range.tolist() == [0.0] and np.isnan(one.repeated_note_rate[0])
    assert one.note_lengths.tolist() == [8]


def test_histogram_overlap_known_answers():
    assert histogram_overlap([1, 1, 0], [0, 1, 1]) == 0.5
    assert histogram_overlap([2, 2, 0], [0, 1, 1]) == 0.5  # counts are normalised
    assert histogram_overlap([3, 1], [3, 1]) == 1.0
    assert histogram_overlap([1, 0], [0, 1]) == 0.0
    assert histogram_overlap([0, 0], [0, 1]) == 0.0  # an empty set overlaps nothing
    with pytest.raises(DataError, match="same bins"):
        histogram_overlap([1, 0], [1, 0, 0])
    with pytest.raises(DataError, match="non-negative"):
        histogram_overlap([1, -1], [1, 0])


def test_overlap_of_a_set_with_itself_is_one_and_with_silence_zero():
    melodies = np.array([MELODY, [C4, CS4, D4, H] * 4])
    same = feature_overlaps(melodies, melodies)
    assert set(same) == {*FEATURES, "mean"}
    assert all(v == pytest.approx(1.0) for v in same.values())
    silence = degenerate_melodies("silence", 2, 16, like=melodies)
    assert feature_overlaps(silence, melodies)["mean"] == 0.0


def test_undefined_features_count_against_a_set():
    # Half of the generated melodies are silent: their pitch range, scale fit and repeat
    # rate do not exist, and that mass must not vanish from the histogram.
    silent = [OFF] + [H] * 15
    overlap = feature_overlaps(np.array([MELODY, silent]), np.array([MELODY, MELODY]))
    assert overlap["pitch_range"] == 0.5
    assert overlap["in_scale_rate"] == 0.5 and overlap["repeated_note_rate"] == 0.5
    assert overlap["pitch_class"] == 1.0  # pooled over onsets: the silent one adds none


def test_bad_input_is_a_data_error():
    with pytest.raises(DataError, match="0..89"):
        melody_features(np.array([[C4, 90]]))
    with pytest.raises(DataError, match="integer"):
        melody_features(np.array([[1.0, 2.0]]))
    with pytest.raises(DataError, match="shape"):
        melody_features(np.zeros((2, 0), dtype=np.int64))
    with pytest.raises(DataError, match="one length"):
        feature_overlaps(np.array([MELODY]), np.array([MELODY[:8]]))
    with pytest.raises(ValueError, match="degenerate"):
        degenerate_melodies("noise", 2, 16, like=np.array([MELODY]))


@pytest.fixture(scope="module")
def nottingham(shared_data):
    data = load_dataset("nottingham")
    return data.train.x.numpy(), data.test.x.numpy()


def test_training_set_is_the_ceiling_and_junk_the_floor(nottingham):
    train, test = nottingham
    # real music standing in for a perfect generator: windows of many tunes (the last
    # 1,000 windows come from about 30 tunes and overlap the test set at only 0.75)
    generated = train[np.random.default_rng(1).choice(len(train), 1000, replace=False)]
    stats = music_statistics(generated, test, train=train).to_dict()
    assert json.loads(json.dumps(stats)) == stats
    ceiling = stats["reference"]["test"]["overlap"]
    assert ceiling["mean"] > 0.9 and min(ceiling[f] for f in FEATURES) > 0.8
    assert stats["overlap"]["mean"] > 0.9
    floors = stats["reference"]["floors"]
    assert set(floors) == set(FLOORS)
    for name in FLOORS:
        assert floors[name]["overlap"]["mean"] < 0.4, name
    worst = stats["reference"]["degenerate"]
    assert worst["overlap"] == floors[worst["name"]]["overlap"]
    assert worst["overlap"]["mean"] == max(f["overlap"]["mean"] for f in floors.values())


def test_one_repeated_melody_scores_low(nottingham):
    _, test = nottingham
    collapsed = np.repeat(test[:1], len(test), axis=0)  # a real melody, over and over
    overlap = feature_overlaps(collapsed, test)
    assert overlap["mean"] < 0.5
    assert overlap["note_count"] < 0.2 and overlap["pitch_range"] < 0.2
