"""Scores, samples, paths and file helpers for sequence VAEs (analysis/sequences.py)."""

import numpy as np
import pytest
import torch

from vaekit.analysis import sequences as seq
from vaekit.analysis.baselines import melody_baselines
from vaekit.analysis.music_stats import music_statistics
from vaekit.config import ModelConfig
from vaekit.data.music import events as music
from vaekit.data.music import midi
from vaekit.data.text import vocab as text
from vaekit.errors import ConfigError, DataError
from vaekit.models.build import build_vae

T, D = 32, 4


def tiny(pad=None, vocab_size=music.NUM_CLASSES, decoder="flat") -> torch.nn.Module:
    torch.manual_seed(0)
    cfg = ModelConfig(arch="lstm", likelihood="categorical", latent_dim=D, embedding_dim=8,
                      rnn_hidden=16, input_shape=(T,), vocab_size=vocab_size, pad_token=pad,
                      decoder=decoder)
    return build_vae(cfg).eval()


def melodies(n=6) -> torch.Tensor:
    x = torch.full((n, T), music.HOLD)
    x[:, ::4] = torch.arange(40, 40 + n).unsqueeze(1)  # a quarter-note pulse per melody
    return x


@pytest.fixture(scope="module")
def vocab() -> text.Vocabulary:
    return text.Vocabulary.build(["to be or not to be", "that is the question"], level="char")


def test_evaluation_matches_a_direct_computation():
    model, x = tiny(), melodies()
    train = melodies(5)
    ev = seq.evaluate_sequences(model, x, train=train, k=4, batch_size=4, free_bits=0.5)
    z = model.encode(x).mean
    teacher, generated = model.decode(z, x).logits.argmax(-1), model.generate(z)
    events = x != music.HOLD
    assert ev.accuracy["teacher_forced"] == pytest.approx((teacher == x).float().mean().item())
    assert ev.accuracy["generated"] == pytest.approx((generated == x).float().mean().item())
    assert ev.note_accuracy["teacher_forced"] == pytest.approx(
        (teacher == x)[events].float().mean().item())
    assert ev.note_accuracy["generated"] == pytest.approx(
        (generated == x)[events].float().mean().item())
    assert ev.tokens_per_sequence == T and ev.sequences == len(x) and ev.iw_samples == 4
    assert ev.negative_elbo == pytest.approx(ev.reconstruction + ev.kl)
    assert ev.negative_elbo_per_token == pytest.approx(ev.negative_elbo / T)
    assert ev.nll_per_token == pytest.approx(ev.nll / T)
    assert ev.free_bits_floor == 0.5 * D and ev.latent_dim == D
    expected = {n: s.to_dict() for n, s in melody_baselines(train, x).items()}
    assert ev.baselines == expected and "always_hold" in ev.baselines
    again = seq.evaluate_sequences(model, x, train=train, k=4, batch_size=4, free_bits=0.5)
    assert again == ev  # seeded
    doc = ev.to_dict()
    assert doc["accuracy"]["teacher_forced"] == ev.accuracy["teacher_forced"]
    assert doc["baselines"]["bigram"]["nll_per_token"] > 0


def test_importance_sampled_nll_is_exact_for_a_model_that_ignores_z():
    """A language model (decoder fed z = 0) whose encoder outputs the prior: every
    importance weight is p(x), so the estimate is exact for any K and equals the
    reconstruction term, while the ELBO's KL is 0."""
    model = tiny(decoder="language_model")
    with torch.no_grad():
        for head in (model.encoder.mean, model.encoder.log_std):
            head.weight.zero_()
            head.bias.zero_()
    x = melodies()
    with torch.no_grad():
        exact = -model.decode(torch.zeros(len(x), D), x).reconstruction(x)  # log p(x), (N,)
    for k in (1, 7):
        torch.testing.assert_close(seq.sequence_log_likelihood(model, x, k=k),
                                   exact.double(), rtol=0, atol=1e-4)
    ev = seq.evaluate_sequences(model, x, k=3)
    assert ev.kl == pytest.approx(0.0, abs=1e-6) and ev.active_units == 0
    assert ev.nll_per_token == pytest.approx(float(-exact.mean()) / T, abs=1e-5)


def test_importance_sampling_tightens_the_bound():
    # L_K increases with K in expectation (Burda et al. 2016, thm. 1): over many
    # sequences, K = 50 gives a lower NLL than K = 1 (the ELBO), never above it.
    model = tiny()
    x = torch.cat([melodies()] * 10)
    one = seq.sequence_log_likelihood(model, x, k=1, seed=1).mean()
    many = seq.sequence_log_likelihood(model, x, k=50, seed=1).mean()
    assert many > one
    with pytest.raises(ConfigError, match="at least 1"):
        seq.sequence_log_likelihood(model, x, k=0)


def test_note_accuracy_exposes_a_model_that_always_says_hold():
    """Junk that the all-token accuracy flatters: a decoder that always outputs HOLD is
    right on every HOLD step (3/4 of these melodies) and on no note."""
    model = tiny()
    with torch.no_grad():
        model.decoder.output.weight.zero_()
        model.decoder.output.bias.fill_(-10.0)
        model.decoder.output.bias[music.HOLD] = 10.0
    x = melodies()
    ev = seq.evaluate_sequences(model, x, train=x, k=2)
    hold_share = (x == music.HOLD).float().mean().item()
    assert ev.accuracy["teacher_forced"] == pytest.approx(hold_share) and hold_share == 0.75
    assert ev.note_accuracy == {"teacher_forced": 0.0, "generated": 0.0}
    assert ev.accuracy["teacher_forced"] == ev.baselines["always_hold"]["accuracy"]


def test_text_evaluation_skips_padding_and_has_no_note_accuracy(vocab):
    model = tiny(pad=text.PAD, vocab_size=len(vocab))
    x = seq.encode_sentences(vocab, ["to be", "that is the question"], length=T)
    ev = seq.evaluate_sequences(model, x, train=x, k=2)
    assert ev.tokens_per_sequence == pytest.approx(((5 + 2) + (20 + 2)) / 2)
    assert ev.note_accuracy is None
    assert set(ev.baselines) == {"most_frequent", "unigram", "bigram"}
    assert ev.baselines["bigram"]["note_accuracy"] is None


def test_sample_statistics_of_decoded_latents():
    model = tiny()
    train, test = melodies(6), melodies(6)
    z = torch.randn(6, D)
    stats = seq.melody_sample_statistics(model, z, test=test, train=train)
    decoded = model.generate(z).numpy()
    assert stats.overlap == music_statistics(decoded, test.numpy(), train=train.numpy()).overlap
    assert stats.reference["test"]["overlap"]["mean"] == pytest.approx(1.0)  # same melodies


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
