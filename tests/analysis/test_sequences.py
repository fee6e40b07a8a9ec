"""Scores, samples, paths and file helpers for sequence VAEs (analysis/sequences.py)."""

import numpy as np
import pytest
import torch

from vaekit.analysis import sequences as seq
from vaekit.config import ModelConfig
from vaekit.data.music import events as music
from vaekit.data.music import midi
from vaekit.data.text import vocab as text
from vaekit.errors import DataError
from vaekit.models.build import build_vae

T, D = 32, 4


def tiny(pad=None, vocab_size=music.NUM_CLASSES) -> torch.nn.Module:
    torch.manual_seed(0)
    cfg = ModelConfig(arch="lstm", likelihood="categorical", latent_dim=D, embedding_dim=8,
                      rnn_hidden=16, input_shape=(T,), vocab_size=vocab_size, pad_token=pad)
    return build_vae(cfg).eval()


def melodies(n=6) -> torch.Tensor:
    x = torch.full((n, T), music.HOLD)
    x[:, ::4] = torch.arange(40, 40 + n).unsqueeze(1)  # a quarter-note pulse per melody
    return x


@pytest.fixture(scope="module")
def vocab() -> text.Vocabulary:
    return text.Vocabulary.build(["to be or not to be", "that is the question"], level="char")


def test_scores_match_a_direct_computation():
    model, x = tiny(), melodies()
    scores = seq.score_sequences(model, x, batch_size=4)
    z = model.encode(x).mean
    tf = (model.decode(z, x).logits.argmax(-1) == x).float().mean().item()
    gen = (model.generate(z) == x).float().mean().item()
    assert scores.teacher_forced_accuracy == pytest.approx(tf)
    assert scores.sampled_accuracy == pytest.approx(gen)
    assert scores.tokens_per_sequence == T and scores.sequences == len(x)
    assert scores.negative_elbo == pytest.approx(scores.reconstruction + scores.kl)
    assert scores.nll_per_token == pytest.approx(scores.negative_elbo / T)
    assert scores.kl > 0 and 0 <= scores.exact_match <= 1
    assert seq.score_sequences(model, x, seed=3) == seq.score_sequences(model, x, seed=3)
    assert set(scores.as_dict()) >= {"teacher_forced_accuracy", "nll_per_token", "kl"}


def test_padding_is_not_scored(vocab):
    model = tiny(pad=text.PAD, vocab_size=len(vocab))
    x = seq.encode_sentences(vocab, ["to be", "that is the question"], length=T)
    scores = seq.score_sequences(model, x)
    assert scores.tokens_per_sequence == pytest.approx(((5 + 2) + (20 + 2)) / 2)


def test_samples_interpolations_and_reconstructions_of_token_models():
    """The same functions as for images (analysis.sampling, .latent), via VAE.generate."""
    from vaekit.analysis.attributes import edit_with_attribute
    from vaekit.analysis.latent import encode_means, interpolate
    from vaekit.analysis.sampling import prior_samples, reconstructions

    model, x = tiny(), melodies()
    a = prior_samples(model, 5, temperature=0.8, seed=1)
    assert a.shape == (5, T) and a.dtype == torch.int64
    assert torch.equal(a, prior_samples(model, 5, temperature=0.8, seed=1))
    b = prior_samples(model, 5, token_temperature=1.0, seed=2)
    assert b.shape == (5, T) and int(b.max()) < music.NUM_CLASSES
    rec = reconstructions(model, x, batch_size=4)
    for method in ("lerp", "slerp"):
        path = interpolate(model, x[0], x[1], steps=5, method=method)
        assert path.shape == (5, T)
        assert torch.equal(path[0], rec[0]) and torch.equal(path[-1], rec[1])
    with pytest.raises(ValueError, match="unknown interpolation"):
        interpolate(model, x[0], x[1], steps=3, method="cubic")
    has = torch.tensor([True, False] * 3)
    edit = edit_with_attribute(model, encode_means(model, x)[0], has, x[:2],
                               scales=[-1.0, 0.0, 1.0])
    assert edit.vector.shape == (D,) and edit.decoded.shape == (2, 3, T)
    assert torch.equal(edit.decoded[:, 1], rec[:2])


def test_melody_from_midi_windows_pads_and_offsets(tmp_path):
    events = np.full(48, music.HOLD)
    events[[0, 8, 20, 40]] = [50, 52, 54, 58]  # the note at 20 sounds across step 32
    path = tmp_path / "m.mid"
    midi.melody_to_midi(events, path)
    first = seq.melody_from_midi(path, length=T)
    assert first.dtype == torch.int64 and first.tolist() == events[:T].tolist()
    later = seq.melody_from_midi(path, length=T, offset_bars=2)  # steps 32..63, padded
    assert len(later) == T and later[0] == 54  # re-articulated, not a HOLD from nowhere
    assert later[1:16].tolist() == events[33:48].tolist()
    assert later[16] == music.NOTE_OFF and (later[17:] == music.HOLD).all()
    short = seq.melody_from_midi(path, length=64)
    assert short[:48].tolist() == events.tolist() and short[48] == music.NOTE_OFF
    with pytest.raises(DataError, match="bar 5"):
        seq.melody_from_midi(path, length=T, offset_bars=5)


def test_pianoroll_arrays_mark_onsets():
    x = melodies(2)
    rolls, onsets = seq.pianoroll_arrays(x)
    assert rolls.shape == onsets.shape == (2, music.NUM_PITCHES, T)
    assert onsets.sum() == (x >= music.FIRST_NOTE_EVENT).sum()
    assert rolls[0].sum() == T and onsets[0, 40 - music.FIRST_NOTE_EVENT, ::4].all()


def test_sentences_round_trip_and_homotopy(vocab):
    x = seq.encode_sentences(vocab, ["to be", "not to be or"], length=10)
    assert x.shape == (2, 10) and x[0, 0] == text.BOS
    assert seq.decode_sentences(vocab, x) == ["to be", "not to b"]  # cut to 8 tokens
    model = tiny(pad=text.PAD, vocab_size=len(vocab))
    lines = seq.homotopy(model, vocab, "to be", "the question", steps=4)
    assert len(lines) == 4 and all(isinstance(line, str) for line in lines)
