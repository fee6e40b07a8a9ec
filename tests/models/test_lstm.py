"""The LSTM sequence VAE's parts (models/sequence.py, nn/recurrent.py)."""

import pytest
import torch

from vaekit.checkpoint import load_run, save_config, save_weights
from vaekit.config import ModelConfig, RunConfig
from vaekit.data.music import datasets as sequence_datasets
from vaekit.data.music import events as music
from vaekit.data.text import vocab as text
from vaekit.errors import ConfigError
from vaekit.models import lstm as sequence
from vaekit.models.build import build_vae
from vaekit.nn.recurrent import choose_tokens, replace_tokens
from vaekit.objectives import negative_elbo

T, V, D = 12, 20, 4


def tiny(pad=None, **kw) -> ModelConfig:
    base = dict(arch="lstm", likelihood="categorical", latent_dim=D, embedding_dim=8,
                rnn_hidden=16, input_shape=(T,), vocab_size=V, pad_token=pad)
    return ModelConfig(**{**base, **kw})


def melodies(n=5, seed=0) -> torch.Tensor:
    return torch.randint(0, V, (n, T), generator=torch.Generator().manual_seed(seed))


def sentences() -> torch.Tensor:
    x = torch.randint(4, V, (3, T), generator=torch.Generator().manual_seed(1))
    x[:, 0] = text.BOS
    for row, end in enumerate((4, 7, T - 1)):
        x[row, end] = text.EOS
        x[row, end + 1 :] = text.PAD
    return x


@pytest.fixture(params=[None, 0], ids=["melody", "text"])
def model_and_x(request):
    torch.manual_seed(0)
    pad = request.param
    return build_vae(tiny(pad)).eval(), (melodies() if pad is None else sentences())


def test_shapes_and_loss(model_and_x):
    model, x = model_and_x
    mean, log_std = model.encoder(x)
    assert mean.shape == log_std.shape == (len(x), D)
    out = model(x)
    assert out.p_x.logits.shape == (len(x), T, V)
    assert out.p_x.reconstruction(x).shape == (len(x),)
    assert torch.isfinite(negative_elbo(out, x).total)
    assert model.teacher_forced and sequence.LSTMDecoder.teacher_forced


def test_position_t_never_sees_x_t(model_and_x):
    model, x = model_and_x
    z = torch.randn(len(x), D)
    logits = model.decoder(z, x)
    for t in range(T):
        x2 = x.clone()
        x2[:, t] = (x2[:, t] + 7) % V
        changed = model.decoder(z, x2)
        assert torch.equal(logits[:, : t + 1], changed[:, : t + 1]), t
        if t < T - 1:  # ... but the next position does read it
            assert not torch.allclose(logits[:, t + 1], changed[:, t + 1])


def test_generate_length_range_and_padding(model_and_x):
    model, x = model_and_x
    z = torch.randn(6, D) * 3
    for kwargs in ({}, {"temperature": 1.5, "generator": torch.Generator().manual_seed(0)}):
        tokens = model.generate(z, **kwargs)
        assert tokens.shape == (6, T) and tokens.dtype == torch.int64
        assert int(tokens.min()) >= 0 and int(tokens.max()) < V
    assert model.generate(z, max_len=5).shape == (6, 5)
    with pytest.raises(ValueError):
        model.generate(z, max_len=0)
    if model.decoder.pad_token is not None:  # text: no <pad> before <eos>, only <pad> after
        for row in model.generate(z, temperature=2.0).tolist():
            end = row.index(text.EOS) if text.EOS in row else len(row)
            assert text.PAD not in row[: end + 1]
            assert all(t == text.PAD for t in row[end + 1 :])


def test_temperature_zero_is_deterministic_and_matches_teacher_forcing(model_and_x):
    model, _ = model_and_x
    z = torch.randn(4, D)
    greedy = model.generate(z)
    assert torch.equal(greedy, model.generate(z, generator=torch.Generator().manual_seed(5)))
    if model.decoder.pad_token is None:  # the step-by-step path agrees with forward()
        assert torch.equal(model.decoder(z, greedy).argmax(-1), greedy)
    a = model.generate(z, temperature=1.0, generator=torch.Generator().manual_seed(1))
    b = model.generate(z, temperature=1.0, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


def test_word_dropout_only_in_training_mode():
    torch.manual_seed(0)
    model = build_vae(tiny(word_dropout=1.0))
    x, z = melodies(), torch.randn(5, D)
    other = melodies(seed=3)
    model.train()  # every input token is the mask class: the logits cannot depend on x
    assert torch.equal(model.decoder(z, x), model.decoder(z, other))
    model.eval()
    assert not torch.allclose(model.decoder(z, x), model.decoder(z, other))
    plain = build_vae(tiny())
    plain.load_state_dict(model.state_dict())
    assert torch.equal(model.decoder(z, x), plain.eval().decoder(z, x))


def test_word_dropout_replacement_and_constants():
    tokens = torch.arange(2, 12).repeat(50, 1)
    keep = tokens == 2
    out = replace_tokens(tokens, 0.5, 99, keep=keep, generator=torch.Generator().manual_seed(0))
    assert (out[keep] == 2).all() and 0.4 < (out == 99).float().mean() < 0.55
    assert torch.equal(replace_tokens(tokens, 0.0, 99), tokens)
    text_decoder = build_vae(tiny(pad=0, word_dropout=0.5)).decoder
    melody_decoder = build_vae(tiny(word_dropout=0.5)).decoder
    assert text_decoder.dropout_token == text.UNK and melody_decoder.dropout_token == V + 1
    assert (sequence.TEXT_EOS, sequence.TEXT_UNK) == (text.EOS, text.UNK)
    assert choose_tokens(torch.tensor([[0.0, 3.0, 1.0]])).tolist() == [1]
    with pytest.raises(ValueError):
        choose_tokens(torch.zeros(1, 3), temperature=-1.0)


def test_encoder_ignores_trailing_padding():
    torch.manual_seed(0)
    short = build_vae(tiny(pad=0)).eval()
    x = sentences()
    longer = torch.cat([x, torch.zeros(3, 5, dtype=torch.long)], dim=1)
    torch.testing.assert_close(short.encoder(x), short.encoder(longer))


def test_save_load_gives_identical_logits(tmp_path):
    torch.manual_seed(0)
    cfg = tiny(pad=0)
    model = build_vae(cfg).eval()
    save_config(tmp_path, RunConfig(model=cfg))
    save_weights(tmp_path, model, step=0)
    loaded = load_run(tmp_path).model
    x, z = sentences(), torch.randn(3, D)
    assert torch.equal(model.decoder(z, x), loaded.decoder(z, x))
    assert torch.equal(model.encoder(x)[0], loaded.encoder(x)[0])
    assert torch.equal(model.generate(z), loaded.generate(z))


def test_bad_configs_are_config_errors():
    with pytest.raises(ConfigError, match="vocab_size"):
        sequence.build_parts(tiny(vocab_size=None))
    with pytest.raises(ConfigError, match="parameters"):
        sequence.build_parts(tiny(vocab_size=10**6, embedding_dim=4096))


def test_tiny_model_overfits_a_handful_of_melodies(shared_data):
    folder = shared_data / "music" / "nottingham" / "melody"
    windows, _ = sequence_datasets.load_midi_folder(folder, bars=1, max_files=2)
    x = torch.from_numpy(windows[:8])  # 8 real one-bar melodies (16 steps)
    torch.manual_seed(0)
    cfg = tiny(input_shape=(16,), vocab_size=music.NUM_CLASSES, latent_dim=8,
               embedding_dim=16, rnn_hidden=64)
    model = build_vae(cfg)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-2)
    for _ in range(250):
        loss = negative_elbo(model(x), x, beta=0.02)
        optimizer.zero_grad()
        loss.total.backward()
        optimizer.step()
    model.eval()
    z = model.encode(x).mean
    accuracy = (model.decode(z, x).mean == x).float().mean()
    assert accuracy > 0.95
    assert (model.generate(z) == x).float().mean() > 0.9


def test_scheduled_sampling_feeds_the_models_own_predictions():
    """With scheduled_sampling=1 every input after the start is the model's own greedy
    prediction, so in training the logits do not depend on x beyond what it predicts; in
    eval mode teacher forcing is untouched."""
    torch.manual_seed(0)
    model = build_vae(tiny(scheduled_sampling=1.0))
    x, z = melodies(), torch.randn(5, D)
    decoder = model.decoder
    model.eval()
    teacher = decoder(z, x)
    predicted = teacher.argmax(-1)  # what the model predicts for each position
    model.train()
    own_inputs = torch.cat([predicted.new_full((5, 1), decoder.start_token),
                            predicted[:, :-1]], dim=1)
    expected_h, _ = decoder.lstm(decoder._inputs(own_inputs, z), decoder._state(z))
    torch.testing.assert_close(decoder(z, x), decoder.output(expected_h))
    half = build_vae(tiny(scheduled_sampling=0.5))
    half.train()
    assert torch.isfinite(negative_elbo(half(x), x).total)


# --- the hierarchical ("conductor") decoder and the language model --------------------

BAR, BARS = sequence.STEPS_PER_BAR, 3


def hierarchical(**kw) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_vae(tiny(decoder="hierarchical", input_shape=(BAR * BARS,), **kw)).eval()


def long_melodies(n=4, seed=0) -> torch.Tensor:
    return torch.randint(0, V, (n, BAR * BARS), generator=torch.Generator().manual_seed(seed))


def test_parameter_count_matches_the_built_model():
    for decoder, shape in (("flat", (T,)), ("hierarchical", (BAR * BARS,))):
        cfg = tiny(decoder=decoder, input_shape=shape)
        model = build_vae(cfg)
        sizes = (V, cfg.embedding_dim, cfg.rnn_hidden, D)
        expected = sequence._parameter_count(*sizes, hierarchical=decoder == "hierarchical")
        assert sum(p.numel() for p in model.parameters()) == expected


def test_flat_parameter_names_are_unchanged():
    # Run directories written before the hierarchical decoder must still load.
    names = set(build_vae(tiny()).state_dict())
    assert {"decoder.embedding.weight", "decoder.initial_state.weight", "decoder.lstm.weight_ih_l0",
            "decoder.output.weight", "encoder.rnn.lstm.weight_ih_l0", "encoder.mean.weight",
            "encoder.log_std.weight"} <= names
    assert not any("conductor" in name or "segment" in name for name in names)


def test_hierarchical_bars_are_causal_and_depend_on_z_through_the_conductor():
    model, x = hierarchical(), long_melodies()
    z = torch.randn(len(x), D)
    logits = model.decoder(z, x)
    assert logits.shape == (len(x), BAR * BARS, V)
    for t in (0, 5, BAR - 1, BAR, 2 * BAR + 3):
        changed = x.clone()
        changed[:, t] = (changed[:, t] + 7) % V
        after = model.decoder(z, changed)
        assert torch.equal(logits[:, : t + 1], after[:, : t + 1]), t
        end = (t // BAR + 1) * BAR  # a bar starts again from its start token:
        assert torch.equal(logits[:, end:], after[:, end:]), t  # later bars never see x_t
        if t + 1 < end:
            assert not torch.allclose(logits[:, t + 1], after[:, t + 1])
    other = model.decoder(torch.randn(len(x), D), x)
    for bar in range(BARS):  # every bar's first step is decided by z alone
        assert not torch.allclose(logits[:, bar * BAR], other[:, bar * BAR])


def test_hierarchical_generation_agrees_with_teacher_forcing():
    model = hierarchical()
    z = torch.randn(5, D) * 2
    greedy = model.generate(z)
    assert greedy.shape == (5, BAR * BARS) and greedy.dtype == torch.int64
    assert torch.equal(model.decoder(z, greedy).argmax(-1), greedy)
    assert model.generate(z, max_len=BAR).shape == (5, BAR)
    with pytest.raises(ValueError, match="max_len"):
        model.generate(z, max_len=BAR * BARS + 1)
    drawn = model.generate(z, temperature=1.0, generator=torch.Generator().manual_seed(0))
    assert int(drawn.max()) < V
    out = model(long_melodies(5))
    assert torch.isfinite(negative_elbo(out, long_melodies(5)).total)


def test_hierarchical_needs_whole_bars_and_melodies():
    with pytest.raises(ConfigError, match="whole bars"):
        sequence.build_parts(tiny(decoder="hierarchical", input_shape=(BAR + 3,)))
    with pytest.raises(ConfigError, match="text"):
        sequence.build_parts(tiny(decoder="hierarchical", input_shape=(BAR * 2,), pad=0))


def test_language_model_decoder_never_reads_z():
    torch.manual_seed(0)
    model = build_vae(tiny(decoder="language_model")).eval()
    x = melodies()
    a, b = torch.randn(5, D), torch.randn(5, D) * 3
    assert torch.equal(model.decoder(a, x), model.decoder(b, x))
    assert torch.equal(model.generate(a), model.generate(b))
    flat = build_vae(tiny()).eval()  # the same parameters as the flat decoder
    flat.load_state_dict(model.state_dict())
    assert not torch.equal(flat.decoder(a, x), flat.decoder(b, x))
