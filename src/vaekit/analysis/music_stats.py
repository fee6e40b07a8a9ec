"""Statistics of generated melodies against held-out music (Yang & Lerch 2018 style).

Likelihood says little about whether samples sound like the data: a model can score well
and still emit repeated 16th notes or jumps to extreme octaves. Following Yang & Lerch
(2018, "On the evaluation of generative models in music"), we compute musically
meaningful features of each melody (an event window, see vaekit.data.music.events) and
ask how much the distribution of each feature over generated melodies overlaps its
distribution over held-out melodies.

Features (T steps of 16th notes; a beat is 4 steps):

* ``pitch_class``: pitch classes of the note onsets, pooled over the set (12 bins);
* ``pitch_range``: highest minus lowest onset pitch of a melody, semitones;
* ``note_count``: note onsets per melody;
* ``inter_onset_interval``: steps between consecutive onsets, pooled over the set;
* ``note_length``: steps from an onset to the next event (note-on or NOTE_OFF) or the end
  of the window, pooled over the set;
* ``in_scale_rate``: fraction of a melody's onsets in its best-fitting major or natural
  minor scale (as muspy's scale_consistency; relative keys share one pitch set, so the 12
  major scales cover all 24);
* ``repeated_note_rate``: fraction of consecutive onset pairs with the same pitch;
* ``empty_beat_rate``: fraction of a melody's beats in which no note sounds.

A feature that does not exist for a melody (a pitch range without notes, a repeat rate
with fewer than two) falls in its own "undefined" bin, so silence cannot match music.

Overlap: the overlapped area of two histograms with shared bins, sum_b min(p_b, q_b),
which is 1 - the total variation distance, in [0, 1]. Yang & Lerch smooth with a
Gaussian KDE because their quantities (pairwise distances) are continuous; ours are
discrete (integer steps, semitones, counts, rates with denominators of at most T), so
exact histograms with one bin per value (twenty equal bins for rates) need no bandwidth
and never put mass on impossible values such as negative lengths or rates above 1. An
empty histogram (no onsets anywhere in a set) overlaps nothing: 0.

Reference rows put a score in context (STYLE.md: "a number stands beside its baseline"):
the training set against the test set, with as many training melodies as generated ones,
is the ceiling; degenerate generators of the same size are the floors.

muspy (Dong et al. 2020) implements several of these features (pitch_range,
scale_consistency, empty_beat_rate) but on its own Music objects, one melody at a time,
and its empty_beat_rate counts a note ending on a beat line as sounding in the next beat;
numpy on our (N, T) event arrays is shorter and needs no extra dependency.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from vaekit.data.music.events import (
    FIRST_NOTE_EVENT,
    HOLD,
    MIN_PITCH,
    NOTE_OFF,
    NUM_CLASSES,
    normalize_events,
    pitch_to_event,
)
from vaekit.errors import DataError

FEATURES = (
    "pitch_class",
    "pitch_range",
    "note_count",
    "inter_onset_interval",
    "note_length",
    "in_scale_rate",
    "repeated_note_rate",
    "empty_beat_rate",
)
FLOORS = ("silence", "single_note", "uniform_random", "repeated_melody")
RATE_BINS = 20
_MAJOR = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], dtype=np.int64)  # C D E F G A B
_SCALES = np.stack([np.roll(_MAJOR, root) for root in range(12)])  # (12 roots, 12 classes)


# ---------------------------------------------------------------------------- helpers


def _melodies(x: np.ndarray, what: str) -> np.ndarray:
    """`x` as a non-empty int64 array (N, T) of event classes; DataError otherwise."""
    arr = np.asarray(x)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DataError(f"{what}: expected melodies of shape (N, T), got {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise DataError(f"{what}: expected integer event classes, got dtype {arr.dtype}")
    if arr.min() < 0 or arr.max() >= NUM_CLASSES:
        raise DataError(f"{what}: events must lie in 0..{NUM_CLASSES - 1}, "
                        f"got {arr.min()}..{arr.max()}")
    return arr.astype(np.int64, copy=False)


def _sounding(x: np.ndarray) -> np.ndarray:
    """MIDI pitch sounding at each step of each melody, -1 in silence: (N, T).

    The 2-D form of events.sounding_pitch: the state is set by the last non-HOLD event;
    HOLD before any event (a non-canonical start) is silence.
    """
    steps = np.broadcast_to(np.arange(x.shape[1]), x.shape)
    last = np.maximum.accumulate(np.where(x != HOLD, steps, -1), axis=1)
    setter = np.where(last >= 0, np.take_along_axis(x, np.maximum(last, 0), axis=1), NOTE_OFF)
    return np.where(setter >= FIRST_NOTE_EVENT, setter - FIRST_NOTE_EVENT + MIN_PITCH, -1)


@dataclass(frozen=True, eq=False)
class MelodyFeatures:
    """The features of a set of N melodies (see the module docstring). Per-melody values
    are NaN where undefined; pooled ones hold one value per onset (pair)."""

    pitch_classes: np.ndarray  # int64 (N, 12): onsets per pitch class
    pitch_range: np.ndarray  # float64 (N,), semitones
    note_count: np.ndarray  # int64 (N,)
    inter_onset_intervals: np.ndarray  # int64 (K,), steps, pooled
    note_lengths: np.ndarray  # int64 (L,), steps, pooled
    in_scale_rate: np.ndarray  # float64 (N,)
    repeated_note_rate: np.ndarray  # float64 (N,)
    empty_beat_rate: np.ndarray  # float64 (N,)
    steps: int  # T


def melody_features(melodies: np.ndarray, *, steps_per_beat: int = 4) -> MelodyFeatures:
    """Features of event melodies (N, T) or one melody (T,), vectorised over the set."""
    x = _melodies(melodies, "melody_features")
    if isinstance(steps_per_beat, bool) or not isinstance(steps_per_beat, int) \
            or steps_per_beat < 1:
        raise ValueError(f"steps_per_beat must be a positive int, got {steps_per_beat!r}")
    n, length = x.shape
    onset = x >= FIRST_NOTE_EVENT  # (N, T)
    count = onset.sum(axis=1)
    pitch = np.where(onset, x - FIRST_NOTE_EVENT + MIN_PITCH, -1)  # (N, T), -1 off onsets

    rows, cols = np.nonzero(onset)  # onsets in row-major order: by melody, then by time
    classes = np.zeros((n, 12), dtype=np.int64)
    np.add.at(classes, (rows, pitch[rows, cols] % 12), 1)

    has_note = count > 0
    high = np.where(onset, pitch, -1).max(axis=1)
    low = np.where(onset, pitch, 10**3).min(axis=1)
    pitch_range = np.where(has_note, high - low, np.nan)

    same_melody = rows[1:] == rows[:-1]  # consecutive onsets of one melody
    ioi = (cols[1:] - cols[:-1])[same_melody]
    pairs = np.bincount(rows[1:][same_melody], minlength=n)
    repeats = np.bincount(rows[1:][same_melody], minlength=n,
                          weights=(pitch[rows[1:], cols[1:]] == pitch[rows[:-1], cols[:-1]])
                          [same_melody])
    with np.errstate(invalid="ignore", divide="ignore"):
        repeated = np.where(pairs > 0, repeats / pairs, np.nan)
        in_scale = np.where(has_note, (classes @ _SCALES.T).max(axis=1) / count, np.nan)

    # Note length: to the next event (note-on or NOTE_OFF) of the same melody, or the end.
    ev_rows, ev_cols = np.nonzero(x != HOLD)
    following = np.append(ev_cols[1:], length)
    following[np.append(ev_rows[1:] != ev_rows[:-1], True)] = length
    lengths = (following - ev_cols)[x[ev_rows, ev_cols] >= FIRST_NOTE_EVENT]

    beats = -(-length // steps_per_beat)
    sounding = np.zeros((n, beats * steps_per_beat), dtype=bool)
    sounding[:, :length] = _sounding(x) >= 0
    empty = ~sounding.reshape(n, beats, steps_per_beat).any(axis=2)
    return MelodyFeatures(
        pitch_classes=classes,
        pitch_range=pitch_range.astype(np.float64),
        note_count=count.astype(np.int64),
        inter_onset_intervals=ioi.astype(np.int64),
        note_lengths=lengths.astype(np.int64),
        in_scale_rate=in_scale.astype(np.float64),
        repeated_note_rate=repeated.astype(np.float64),
        empty_beat_rate=empty.mean(axis=1),
        steps=length,
    )


def histogram_overlap(p: np.ndarray, q: np.ndarray) -> float:
    """Overlapped area of two histograms on the same bins (counts or masses): the sum of
    the bin-wise minimum of the normalised histograms, in [0, 1]; 0 if either is empty."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if p.shape != q.shape or p.ndim != 1:
        raise DataError(f"histograms must be 1-D on the same bins, got {p.shape}, {q.shape}")
    if (p < 0).any() or (q < 0).any() or not (np.isfinite(p).all() and np.isfinite(q).all()):
        raise DataError("histograms must hold finite, non-negative counts")
    if p.sum() == 0 or q.sum() == 0:
        return 0.0
    return float(np.minimum(p / p.sum(), q / q.sum()).sum())


def _integer_histogram(values: np.ndarray, size: int) -> np.ndarray:
    """Counts of the integers 0..size-1, plus a last bin for NaN (undefined)."""
    undefined = np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), bool)
    bins = np.bincount(values[~undefined].astype(np.int64), minlength=size)
    return np.append(bins, undefined.sum())


def _rate_histogram(values: np.ndarray) -> np.ndarray:
    """Counts of rates in [0, 1] in RATE_BINS equal bins (1.0 in the last), plus NaN."""
    undefined = np.isnan(values)
    index = np.minimum((values[~undefined] * RATE_BINS).astype(np.int64), RATE_BINS - 1)
    return np.append(np.bincount(index, minlength=RATE_BINS), undefined.sum())


def _histograms(f: MelodyFeatures, steps: int) -> dict[str, np.ndarray]:
    """Each feature of a set as counts on bins shared by all sets of `steps`-step melodies."""
    top = NUM_CLASSES  # pitch ranges and counts stay below the number of classes / steps
    return {
        "pitch_class": f.pitch_classes.sum(axis=0),
        "pitch_range": _integer_histogram(f.pitch_range, top),
        "note_count": _integer_histogram(f.note_count, steps + 1),
        "inter_onset_interval": np.bincount(f.inter_onset_intervals, minlength=steps + 1),
        "note_length": np.bincount(f.note_lengths, minlength=steps + 1),
        "in_scale_rate": _rate_histogram(f.in_scale_rate),
        "repeated_note_rate": _rate_histogram(f.repeated_note_rate),
        "empty_beat_rate": _rate_histogram(f.empty_beat_rate),
    }


def feature_overlaps(generated: np.ndarray, reference: np.ndarray, *,
                     steps_per_beat: int = 4) -> dict[str, float]:
    """Overlap of each feature between two sets of melodies (N, T) and (M, T), and their
    unweighted "mean" over FEATURES."""
    gen = _melodies(generated, "generated melodies")
    ref = _melodies(reference, "reference melodies")
    if gen.shape[1] != ref.shape[1]:
        raise DataError(f"generated melodies have {gen.shape[1]} steps, the reference "
                        f"{ref.shape[1]}: compare windows of one length")
    steps = ref.shape[1]
    g = _histograms(melody_features(gen, steps_per_beat=steps_per_beat), steps)
    r = _histograms(melody_features(ref, steps_per_beat=steps_per_beat), steps)
    out = {name: histogram_overlap(g[name], r[name]) for name in FEATURES}
    out["mean"] = float(np.mean([out[name] for name in FEATURES]))
    return out


def degenerate_melodies(name: str, n: int, steps: int, *, like: np.ndarray,
                        seed: int = 0) -> np.ndarray:
    """n melodies of `steps` steps from a degenerate generator, canonical events (n, T).

    ``silence``: all HOLD (canonically NOTE_OFF then HOLD); ``single_note``: the most
    common onset pitch of `like` held for the whole window; ``uniform_random``: every
    step a uniformly random class; ``repeated_melody``: the first melody of `like`, n
    times (a collapsed generator).
    """
    like = _melodies(like, "like")
    rng = np.random.default_rng(seed)
    if name == "silence":
        out = np.full((n, steps), HOLD, dtype=np.int64)
    elif name == "single_note":
        onsets = like[like >= FIRST_NOTE_EVENT]
        out = np.full((n, steps), HOLD, dtype=np.int64)
        out[:, 0] = int(np.bincount(onsets).argmax()) if onsets.size else pitch_to_event(60)
    elif name == "uniform_random":
        out = rng.integers(0, NUM_CLASSES, size=(n, steps))
    elif name == "repeated_melody":
        out = np.resize(like[0], (n, steps))
    else:
        raise ValueError(f"unknown degenerate generator {name!r} (valid: {', '.join(FLOORS)})")
    return np.stack([normalize_events(row) for row in out])


def reference_overlaps(train: np.ndarray, test: np.ndarray, *, size: int | None = None,
                       seed: int = 0, steps_per_beat: int = 4) -> dict[str, dict]:
    """The reference rows for generated sets of `size` melodies (default: len(test)).

    ``test``: `size` training melodies drawn without replacement (seeded; all of them if
    fewer) against the test set, the ceiling; ``floors``: each degenerate generator of
    FLOORS with `size` melodies; ``degenerate``: the floor with the highest mean, named,
    so that beating it means beating every degenerate generator.
    """
    train = _melodies(train, "training melodies")
    test = _melodies(test, "test melodies")
    size = len(test) if size is None else size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive int, got {size!r}")
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(train), size=min(size, len(train)), replace=False)
    ceiling = feature_overlaps(train[np.sort(pick)], test, steps_per_beat=steps_per_beat)
    floors = {
        name: {"overlap": feature_overlaps(
            degenerate_melodies(name, size, test.shape[1], like=train, seed=seed), test,
            steps_per_beat=steps_per_beat)}
        for name in FLOORS
    }
    worst_case = max(FLOORS, key=lambda name: floors[name]["overlap"]["mean"])
    return {
        "test": {"overlap": ceiling},
        "degenerate": {"name": worst_case, **floors[worst_case]},
        "floors": floors,
    }


@dataclass(frozen=True)
class MusicStatistics:
    """Feature overlaps of generated melodies with held-out ones, and reference rows."""

    overlap: dict[str, float]  # FEATURES and "mean"
    reference: dict[str, dict]  # see reference_overlaps

    def to_dict(self) -> dict[str, dict]:
        return {"overlap": dict(self.overlap), "reference": copy.deepcopy(self.reference)}


def music_statistics(generated: np.ndarray, test: np.ndarray, *, train: np.ndarray,
                     seed: int = 0, steps_per_beat: int = 4) -> MusicStatistics:
    """Overlap of generated melodies (N, T) with held-out `test` melodies (M, T), beside
    the training set's (the ceiling) and degenerate generators' (the floors), all with N
    melodies. Raises DataError for melodies that are not (N, T) classes 0..89 or sets
    whose windows differ in length."""
    return MusicStatistics(
        overlap=feature_overlaps(generated, test, steps_per_beat=steps_per_beat),
        reference=reference_overlaps(train, test, size=len(_melodies(generated, "generated")),
                                     seed=seed, steps_per_beat=steps_per_beat),
    )
