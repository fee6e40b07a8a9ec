"""Tests for vaekit.analysis.baselines: count-model baselines and note accuracy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vaekit.analysis.baselines import (
    BASELINES,
    TEXT_BASELINES,
    melody_baselines,
    note_accuracy,
    text_baselines,
    token_accuracy,
)
from vaekit.data.music.events import HOLD, NOTE_OFF
from vaekit.data.registry import load_dataset
from vaekit.errors import DataError

V = 90
A, B = 2, 3  # two note-on events
# Hand-made training windows: 12 tokens, 6 HOLD, 4 A, 1 B, 1 NOTE_OFF.
TRAIN = np.array([[A, HOLD, A, HOLD],
                  [A, HOLD, A, HOLD],
                  [B, HOLD, HOLD, NOTE_OFF]])


def test_token_and_note_accuracy_known_answer():
    target = np.array([[A, HOLD, B, HOLD]])
    pred = np.array([[A, HOLD, HOLD, NOTE_OFF]])
    assert token_accuracy(pred, target) == 0.5  # steps 0 and 1
    assert note_accuracy(pred, target) == 0.5  # events at steps 0 (hit) and 2 (miss)
    # NOTE_OFF is an event: a rest at the wrong step is heard
    assert note_accuracy(np.array([[NOTE_OFF, HOLD]]), np.array([[NOTE_OFF, HOLD]])) == 1.0
    assert token_accuracy(torch.tensor(pred), torch.tensor(target)) == 0.5


def test_note_accuracy_exposes_always_hold():
    # The junk predictor: right on every HOLD, so its token accuracy looks good.
    target = np.array([[A, HOLD, HOLD, HOLD], [B, HOLD, HOLD, NOTE_OFF]])
    hold = np.full_like(target, HOLD)
    assert token_accuracy(hold, target) == 5 / 8
    assert note_accuracy(hold, target) == 0.0


def test_accuracies_reject_bad_input():
    good = np.array([[A, HOLD]])
    with pytest.raises(DataError, match="differ in shape"):
        token_accuracy(good, np.array([[A, HOLD, HOLD]]))
    with pytest.raises(DataError, match="0..89"):
        note_accuracy(np.array([[A, 90]]), good)
    with pytest.raises(DataError, match="shape"):
        token_accuracy(np.array([A, HOLD]), good)
    with pytest.raises(DataError, match="integer"):
        token_accuracy(good.astype(float), good)
    with pytest.raises(DataError, match="every target step is HOLD"):
        note_accuracy(good, np.array([[HOLD, HOLD]]))


def test_always_hold_and_unigram_known_answer():
    test = np.array([[A, HOLD, A, HOLD]])
    scores = melody_baselines(TRAIN, test, smoothing=0.1, steps_per_bar=2)
    assert list(scores) == list(BASELINES)
    top = scores["always_hold"]
    assert (top.accuracy, top.note_accuracy) == (0.5, 0.0)
    assert (top.generated_accuracy, top.generated_note_accuracy) == (0.5, 0.0)
    assert top.nll_per_token is None and top.to_dict()["name"] == "always_hold"
    uni = scores["unigram"]
    # add-k: p = (count + 0.1) / (12 + 90 * 0.1); HOLD 6, A 4
    p_hold, p_a = 6.1 / 21.0, 4.1 / 21.0
    assert uni.nll_per_token == pytest.approx(-(2 * math.log(p_a) + 2 * math.log(p_hold)) / 4)
    assert uni.accuracy == 0.5 and uni.note_accuracy == 0.0


def test_bigram_known_answer():
    # Transitions in TRAIN: start->A x2, start->B; A->HOLD x4; HOLD->A x2, B->HOLD,
    # HOLD->HOLD, HOLD->NOTE_OFF. Argmax: start->A, A->HOLD, HOLD->A, B->HOLD.
    test = np.array([[B, HOLD, HOLD, NOTE_OFF]])
    bigram = melody_baselines(TRAIN, test, smoothing=0.1, steps_per_bar=2)["bigram"]
    # teacher forced: A (miss), HOLD (hit), A (miss), A (miss)
    assert bigram.accuracy == 0.25 and bigram.note_accuracy == 0.0
    # greedy rollout A HOLD A HOLD against B HOLD HOLD NOTE_OFF
    assert bigram.generated_accuracy == 0.25 and bigram.generated_note_accuracy == 0.0
    same = melody_baselines(TRAIN, np.array([[A, HOLD, A, HOLD]]), smoothing=0.1)["bigram"]
    k = 0.1
    expected = -(math.log((2 + k) / (3 + V * k)) + 2 * math.log((4 + k) / (4 + V * k))
                 + math.log((2 + k) / (4 + V * k))) / 4
    assert same.nll_per_token == pytest.approx(expected)
    assert same.accuracy == 1.0 and same.generated_accuracy == 1.0


def test_bigram_position_uses_the_position_in_the_bar():
    # With 2 steps per bar, (HOLD, position 1) was only ever followed by NOTE_OFF, and
    # (B, 1) by HOLD: the position-aware model gets step 3 right where the bigram cannot.
    test = np.array([[B, HOLD, HOLD, NOTE_OFF]])
    scores = melody_baselines(TRAIN, test, smoothing=0.1, steps_per_bar=2)
    with_position = scores["bigram_position"]
    assert with_position.accuracy == 0.5  # steps 1 and 3
    assert with_position.note_accuracy == 0.5  # NOTE_OFF at step 3, not B at step 0
    assert with_position.generated_accuracy == 0.25  # rollout A HOLD A HOLD
    assert with_position.nll_per_token < scores["bigram"].nll_per_token


def test_baselines_reject_bad_input():
    with pytest.raises(DataError, match="train windows"):
        melody_baselines(np.zeros((0, 4), dtype=np.int64), TRAIN)
    with pytest.raises(DataError, match="test windows"):
        melody_baselines(TRAIN, np.array([[A, 95]]))
    with pytest.raises(DataError, match="HOLD"):
        melody_baselines(TRAIN, np.array([[HOLD, HOLD]]))
    with pytest.raises(ValueError, match="smoothing"):
        melody_baselines(TRAIN, TRAIN, smoothing=0.0)
    with pytest.raises(ValueError, match="steps_per_bar"):
        melody_baselines(TRAIN, TRAIN, steps_per_bar=0)


def test_random_predictions_score_at_chance():
    # A metric that fails on junk: uniform random predictions hit about 1 step in 90.
    rng = np.random.default_rng(0)
    target = rng.integers(0, V, size=(200, 32))
    target[:, 0] = A
    pred = rng.integers(0, V, size=target.shape)
    assert token_accuracy(pred, target) == pytest.approx(1 / V, abs=0.01)
    assert note_accuracy(pred, target) == pytest.approx(1 / V, abs=0.01)


def test_nottingham_baselines_match_the_issue(shared_data):
    # Issue #15, measured on held-out Nottingham 2-bar windows: always HOLD 0.640,
    # bigram 0.645; unigram 1.62, bigram 1.42, bigram + position 1.26 nats per step.
    data = load_dataset("nottingham")
    scores = melody_baselines(data.train.x, data.test.x)
    assert scores["always_hold"].accuracy == pytest.approx(0.640, abs=0.001)
    assert scores["always_hold"].note_accuracy == 0.0
    assert scores["bigram"].accuracy == pytest.approx(0.645, abs=0.001)
    assert scores["unigram"].nll_per_token == pytest.approx(1.62, abs=0.005)
    assert scores["bigram"].nll_per_token == pytest.approx(1.42, abs=0.005)
    assert scores["bigram_position"].nll_per_token == pytest.approx(1.26, abs=0.005)
    for name in BASELINES:  # the note accuracy is what HOLD does not inflate
        assert scores[name].note_accuracy < scores[name].accuracy - 0.3


# Text: <pad>=0 <bos>=1 <eos>=2, and two letters a=4, b=5.
PAD, BOS, EOS, LA, LB = 0, 1, 2, 4, 5
TEXT_TRAIN = np.array([[BOS, LA, LB, EOS, PAD],
                       [BOS, LA, LB, LA, EOS],
                       [BOS, LA, EOS, PAD, PAD]])


def test_text_baselines_skip_padding_and_never_predict_it():
    test = np.array([[BOS, LA, LB, EOS, PAD]])
    scores = text_baselines(TEXT_TRAIN, test, vocab_size=6, pad=PAD, smoothing=0.1)
    assert list(scores) == list(TEXT_BASELINES)
    # 13 scored training tokens: a 4, <bos> 3, <eos> 3, b 2 -> "always a": 1 hit in 4
    top = scores["most_frequent"]
    assert top.accuracy == 0.25 and top.note_accuracy is None and top.nll_per_token is None
    bigram = scores["bigram"]
    # Transitions: start-><bos> 3, <bos>->a 3, a->b 2, a-><eos> 2, b-><eos> 1, b->a 1.
    # Ties go to the lower class: a-><eos>, b-><eos>; <eos> was only followed by padding
    # (not counted), so it predicts <bos>, the lowest class that is not padding.
    assert bigram.accuracy == 0.75  # <bos> a [<eos> for b] <eos>
    assert bigram.generated_accuracy == 0.5  # rollout <bos> a <eos> <bos>
    # p over the 5 classes that are not padding, add-k 0.1, scored positions only
    k = 0.1
    expected = -(math.log((3 + k) / (3 + 5 * k)) + math.log((3 + k) / (3 + 5 * k))
                 + math.log((2 + k) / (4 + 5 * k)) + math.log((1 + k) / (2 + 5 * k))) / 4
    assert bigram.nll_per_token == pytest.approx(expected)
    assert scores["unigram"].nll_per_token > bigram.nll_per_token
    # the padding of the test line changes nothing
    longer = np.array([[BOS, LA, LB, EOS, PAD, PAD, PAD]])
    again = text_baselines(TEXT_TRAIN, longer, vocab_size=6, pad=PAD)["bigram"]
    assert again.nll_per_token == pytest.approx(bigram.nll_per_token)
    with pytest.raises(DataError, match="0..5"):
        text_baselines(TEXT_TRAIN, np.array([[BOS, 6]]), vocab_size=6, pad=PAD)
