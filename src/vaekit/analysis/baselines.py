"""Count-model baselines for token sequences (melody event windows, text lines), and the
accuracies models are scored by.

A sequence model's accuracy means little alone: on held-out Nottingham 2-bar windows
64 % of the targets are HOLD, so a predictor that always says HOLD is right 64 % of the
time. Every accuracy and likelihood of a melody VAE should be printed beside these count
models, fitted on the training windows and scored on the same test windows:

* ``always_hold``: HOLD at every step (for text, ``most_frequent``: the most frequent
  training token); a point prediction, not a distribution, so no likelihood;
* ``unigram``: p(x_t), class frequencies;
* ``bigram``: p(x_t | x_{t-1}), with a start context before step 0;
* ``bigram_position``: p(x_t | x_{t-1}, t mod steps_per_bar), the bigram per position in
  the bar (16 sixteenth-note positions in 4/4): metrical position is what decides between
  HOLD and a new note, and it does not depend on the window length.

Counts are smoothed by add-k (Lidstone): p = (count + k) / (total + k V) with V = 90
classes and k = 0.1 by default. On Nottingham, k in {1, 0.1, 0.01, 0.001} moves the
bigram's NLL by under 0.003 nats per step and bigram + position's by 0.03 (k = 1 is the
worst: most of its 1,456 contexts are rare), so the choice does not change a conclusion.

Text lines (vaekit.data.text) get ``most_frequent`` (the most frequent training token),
``unigram`` and ``bigram``, over the scored positions: every position that is not padding,
<bos> and <eos> included, as the sequence VAE's loss (:func:`text_baselines`).

Measures, each over every scored step of every test window (melody windows have no
padding; note measures are for melodies only):

* ``accuracy``: teacher forced, the argmax class given the true previous token;
* ``note_accuracy``: the same, over the steps whose target is not HOLD only: note-ons and
  NOTE_OFF, the events a listener hears. NOTE_OFF counts because a rest that starts at
  the wrong step is as audible as a wrong note; HOLD is left out because predicting it is
  what inflates ``accuracy``;
* ``generated_accuracy`` / ``generated_note_accuracy``: a greedy rollout from the start
  context, each step fed the model's own previous argmax and never the truth, scored
  against each test window (a count model's rollout is the same for every window);
* ``nll_per_token``: -log p(x_t | context), teacher forced, nats per step (= per token).
  For ``always_hold`` / ``most_frequent`` it is None: a point prediction gives every
  other class probability 0, so its NLL is infinite.

:func:`token_accuracy` and :func:`note_accuracy` score any model's predictions (N, T) the
same way, so a VAE's numbers and the baselines' are comparable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from vaekit.data.music.events import HOLD, NUM_CLASSES
from vaekit.errors import DataError

BASELINES = ("always_hold", "unigram", "bigram", "bigram_position")  # melodies
TEXT_BASELINES = ("most_frequent", "unigram", "bigram")
DEFAULT_SMOOTHING = 0.1  # add-k; see the module docstring for the sensitivity


# ---------------------------------------------------------------------------- helpers


def _windows(x: np.ndarray | torch.Tensor, what: str, classes: int = NUM_CLASSES
             ) -> np.ndarray:
    """`x` as a non-empty int64 array (N, T) of classes 0..classes-1; DataError otherwise."""
    arr = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DataError(f"{what}: expected event windows of shape (N, T), got {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise DataError(f"{what}: expected integer event classes, got dtype {arr.dtype}")
    if arr.min() < 0 or arr.max() >= classes:
        raise DataError(f"{what}: classes must lie in 0..{classes - 1}, "
                        f"got {arr.min()}..{arr.max()}")
    return arr.astype(np.int64, copy=False)


def _pair(pred: np.ndarray | torch.Tensor, target: np.ndarray | torch.Tensor, classes: int
          ) -> tuple[np.ndarray, np.ndarray]:
    p, t = _windows(pred, "predictions", classes), _windows(target, "targets", classes)
    if p.shape != t.shape:
        raise DataError(f"predictions {p.shape} and targets {t.shape} differ in shape")
    return p, t


def token_accuracy(pred: np.ndarray | torch.Tensor, target: np.ndarray | torch.Tensor,
                   *, pad: int | None = None, classes: int = NUM_CLASSES) -> float:
    """Fraction of scored steps (target not `pad`) where `pred` equals `target`, both
    (N, T) classes 0..classes-1 (default: the 90 melody events)."""
    p, t = _pair(pred, target, classes)
    scored = np.ones_like(t, dtype=bool) if pad is None else t != pad
    if not scored.any():
        raise DataError("token_accuracy: every target step is padding; nothing to score")
    return float((p[scored] == t[scored]).mean())


def note_accuracy(pred: np.ndarray | torch.Tensor, target: np.ndarray | torch.Tensor,
                  *, hold: int = HOLD) -> float:
    """Accuracy over the steps whose target is not HOLD (note-ons and NOTE_OFF).

    Raises DataError when no target step is an event: the measure is then undefined.
    """
    p, t = _pair(pred, target, NUM_CLASSES)
    events = t != hold
    if not events.any():
        raise DataError("note_accuracy: every target step is HOLD; nothing to score")
    return float((p[events] == t[events]).mean())


@dataclass(frozen=True)
class BaselineScores:
    """One baseline on one test set. Accuracies are fractions of scored steps (note
    accuracies None for text); the NLL is nats per scored step, None for a point
    prediction (``always_hold``, ``most_frequent``), whose NLL is infinite."""

    name: str
    accuracy: float
    note_accuracy: float | None
    generated_accuracy: float
    generated_note_accuracy: float | None
    nll_per_token: float | None
    smoothing: float | None  # add-k; None where nothing is smoothed

    def to_dict(self) -> dict[str, str | float | None]:
        return asdict(self)


class _CountModel:
    """p(x_t | context_t) from counts, add-k smoothed. Contexts are integer ids; the
    padding class (text) is never counted nor predicted."""

    def __init__(self, kind: str, *, classes: int, steps_per_bar: int = 1,
                 pad: int | None = None) -> None:
        self.kind, self.classes, self.pad = kind, classes, pad
        self.steps_per_bar = steps_per_bar
        self.start = classes  # the "previous token" of step 0
        positions = steps_per_bar if kind == "bigram_position" else 1
        self.num_contexts = 1 if kind == "unigram" else (classes + 1) * positions

    def context(self, previous: np.ndarray, step: np.ndarray | int) -> np.ndarray:
        """Context ids for the previous tokens (any shape) at step(s) `step`."""
        if self.kind == "unigram":
            return np.zeros_like(previous)
        if self.kind == "bigram":
            return previous
        return previous + (self.classes + 1) * (np.asarray(step) % self.steps_per_bar)

    def contexts(self, x: np.ndarray) -> np.ndarray:
        previous = np.concatenate([np.full((len(x), 1), self.start), x[:, :-1]], axis=1)
        return self.context(previous, np.arange(x.shape[1])[None, :])  # (N, T)

    def _scored(self, x: np.ndarray) -> np.ndarray:
        return np.ones_like(x, dtype=bool) if self.pad is None else x != self.pad

    def fit(self, x: np.ndarray, smoothing: float) -> _CountModel:
        counts = np.zeros((self.num_contexts, self.classes))
        scored = self._scored(x)
        np.add.at(counts, (self.contexts(x)[scored], x[scored]), 1.0)
        counts += smoothing
        if self.pad is not None:
            counts[:, self.pad] = 0.0  # never a target: probability 0
        with np.errstate(divide="ignore"):
            self.log_p = np.log(counts / counts.sum(axis=1, keepdims=True))  # (C, V)
        # Ties go to the lowest class (np.argmax), so results are deterministic.
        self.best = self.log_p.argmax(axis=1)  # (C,)
        return self

    def teacher_forced(self, x: np.ndarray) -> np.ndarray:
        return self.best[self.contexts(x)]

    def rollout(self, length: int) -> np.ndarray:
        """The greedy sequence from the start context: (length,)."""
        out = np.zeros(length, dtype=np.int64)
        previous = self.start
        for step in range(length):
            previous = out[step] = self.best[self.context(np.int64(previous), step)]
        return out

    def nll_per_token(self, x: np.ndarray) -> float:
        scored = self._scored(x)
        return float(-self.log_p[self.contexts(x), x][scored].mean())


def _scores(name: str, tf: np.ndarray, gen: np.ndarray, test: np.ndarray,
            nll: float | None, smoothing: float | None, *, classes: int,
            pad: int | None) -> BaselineScores:
    melody = pad is None and classes == NUM_CLASSES
    return BaselineScores(
        name=name,
        accuracy=token_accuracy(tf, test, pad=pad, classes=classes),
        note_accuracy=note_accuracy(tf, test) if melody else None,
        generated_accuracy=token_accuracy(gen, test, pad=pad, classes=classes),
        generated_note_accuracy=note_accuracy(gen, test) if melody else None,
        nll_per_token=nll,
        smoothing=smoothing,
    )


def _check_smoothing(smoothing: float) -> None:
    if not (np.isfinite(smoothing) and smoothing > 0):
        raise ValueError(f"smoothing must be a positive number (add-k), got {smoothing!r}")


def _count_baselines(kinds: tuple[str, ...], x_train: np.ndarray, x_test: np.ndarray, *,
                     classes: int, pad: int | None, smoothing: float,
                     steps_per_bar: int = 1) -> dict[str, BaselineScores]:
    out = {}
    for kind in kinds:
        model = _CountModel(kind, classes=classes, steps_per_bar=steps_per_bar,
                            pad=pad).fit(x_train, smoothing)
        generated = np.broadcast_to(model.rollout(x_test.shape[1]), x_test.shape)
        out[kind] = _scores(kind, model.teacher_forced(x_test), generated, x_test,
                            model.nll_per_token(x_test), smoothing, classes=classes, pad=pad)
    return out


def melody_baselines(
    train: np.ndarray | torch.Tensor,
    test: np.ndarray | torch.Tensor,
    *,
    smoothing: float = DEFAULT_SMOOTHING,
    steps_per_bar: int = 16,
) -> dict[str, BaselineScores]:
    """The four melody baselines of BASELINES (see the module docstring), fitted on
    `train` windows (N, T) and scored on `test` windows (M, T'), in that order.

    `steps_per_bar` sets the positions of ``bigram_position`` (16: 4/4 bars of 16th
    notes). Raises DataError for windows that are not (N, T) classes 0..89 or a test set
    with no event (non-HOLD) step; ValueError for a negative or non-finite smoothing.
    """
    _check_smoothing(smoothing)
    if isinstance(steps_per_bar, bool) or not isinstance(steps_per_bar, int) or steps_per_bar < 1:
        raise ValueError(f"steps_per_bar must be a positive int, got {steps_per_bar!r}")
    x_train, x_test = _windows(train, "train windows"), _windows(test, "test windows")
    hold = np.full_like(x_test, HOLD)
    out = {"always_hold": _scores("always_hold", hold, hold, x_test, None, None,
                                  classes=NUM_CLASSES, pad=None)}
    return out | _count_baselines(BASELINES[1:], x_train, x_test, classes=NUM_CLASSES,
                                  pad=None, smoothing=smoothing, steps_per_bar=steps_per_bar)


def text_baselines(
    train: np.ndarray | torch.Tensor,
    test: np.ndarray | torch.Tensor,
    *,
    vocab_size: int,
    pad: int,
    smoothing: float = DEFAULT_SMOOTHING,
) -> dict[str, BaselineScores]:
    """TEXT_BASELINES fitted on padded token lines `train` (N, T) and scored on `test`
    (M, T') over their non-`pad` positions; note accuracies are None. Raises DataError
    for tokens outside 0..vocab_size-1."""
    _check_smoothing(smoothing)
    x_train = _windows(train, "train lines", vocab_size)
    x_test = _windows(test, "test lines", vocab_size)
    scored = x_train[x_train != pad]
    if scored.size == 0:
        raise DataError("train lines: every position is padding")
    counts = np.bincount(scored, minlength=vocab_size)
    constant = np.full_like(x_test, int(counts.argmax()))
    out = {"most_frequent": _scores("most_frequent", constant, constant, x_test, None, None,
                                    classes=vocab_size, pad=pad)}
    return out | _count_baselines(TEXT_BASELINES[1:], x_train, x_test, classes=vocab_size,
                                  pad=pad, smoothing=smoothing)
