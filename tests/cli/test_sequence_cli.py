"""The sequence-run helpers behind sample / interpolate / attribute / evaluate
(cli/_sequence.py), on tiny models trained for one epoch on real data."""

import argparse

import numpy as np
import pytest
import torch
from PIL import Image

from vaekit.checkpoint import load_run
from vaekit.cli import _sequence
from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.data.music import events as music
from vaekit.data.music import midi
from vaekit.errors import ConfigError
from vaekit.training.trainer import train

TINY_MODEL = ModelConfig(latent_dim=4, embedding_dim=8, rnn_hidden=16)
TINY_TRAIN = TrainConfig(epochs=1, batch_size=64, eval_batch_size=64)


@pytest.fixture(scope="module")
def melody_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("seq") / "melody"
    data = DataConfig(name="nottingham", limit_train=256, limit_test=48)
    train(RunConfig(model=TINY_MODEL, data=data, train=TINY_TRAIN), out)
    return load_run(out)


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("seq") / "text"
    data = DataConfig(name="shakespeare", max_len=24, limit_train=256, limit_test=32)
    model = ModelConfig(latent_dim=4, embedding_dim=8, rnn_hidden=16, word_dropout=0.3)
    train(RunConfig(model=model, data=data, train=TINY_TRAIN), out)
    return load_run(out)


def sample_args(**kw) -> argparse.Namespace:
    return argparse.Namespace(**{"n": 3, "temperature": 1.0, "seed": 0, "out": None, **kw})


def test_run_kinds(melody_run, text_run):
    assert _sequence.run_kind(melody_run) == "melody" and _sequence.is_sequence_run(melody_run)
    assert _sequence.run_kind(text_run) == "text"


def test_sampled_midi_files_read_back(melody_run, capsys):
    result = _sequence.sample(melody_run, sample_args())
    assert len(result["midi"]) == 3 and Image.open(result["figure"]).format == "PNG"
    for path, tokens in zip(result["midi"], result["tokens"]):
        melody = midi.read_midi_melody(path)
        assert melody.events.tolist() == music.normalize_events(tokens.numpy()).tolist()
    assert "MIDI files" in capsys.readouterr().out


def test_interpolate_between_midi_files(melody_run, tmp_path):
    windows = melody_run.model.generate(torch.randn(2, 4))  # any two valid melodies
    ends = [midi.melody_to_midi(w.numpy(), tmp_path / f"{i}.mid") and tmp_path / f"{i}.mid"
            for i, w in enumerate(windows)]
    result = _sequence.interpolate(melody_run, ends[0], ends[1], 4, "slerp",
                                   out=tmp_path / "path.png")
    assert result["tokens"].shape == (4, 32) and len(result["midi"]) == 4
    assert result["inputs"][0].tolist() == music.normalize_events(windows[0].numpy()).tolist()
    joined = midi.read_midi_melody(result["midi_concatenated"]).events
    assert joined.tolist() == music.normalize_events(result["tokens"].reshape(-1)).tolist()
    assert Image.open(tmp_path / "path.png").size[1] > 100
    with pytest.raises(ConfigError, match="both ends"):
        _sequence.interpolate(melody_run, ends[0], None, 4, "lerp")
    with pytest.raises(ConfigError, match="steps"):
        _sequence.interpolate(melody_run, None, None, 1, "lerp")


def test_attribute_and_evaluate(melody_run):
    result = _sequence.attribute(melody_run, scales=(-1.0, 0.0, 1.0), n=2, max_examples=200)
    assert len(result["density_by_scale"]) == 3 and result["figure"].is_file()
    assert 0 < result["threshold"] < 1 and len(result["midi"]) == 3
    scores = _sequence.evaluate(melody_run, limit=20)
    assert scores["sequences"] == 20 and 0 <= scores["teacher_forced_accuracy"] <= 1
    assert scores["kl"] >= 0 and np.isfinite(scores["nll_per_token"])


def test_text_sample_homotopy_and_no_attribute(text_run, tmp_path, capsys):
    result = _sequence.sample(text_run, sample_args(n=4, out=str(tmp_path / "s.txt")))
    written = (tmp_path / "s.txt").read_text().splitlines()
    assert written == result["sentences"] and len(written) == 4
    path = _sequence.interpolate(text_run, "To be, or not to be", "Good night, sweet prince",
                                 5, "lerp", out=tmp_path / "h.txt")
    assert len(path["sentences"]) == 5 and (tmp_path / "h.txt").is_file()
    assert path["inputs"] == ["To be, or not to be", "Good night, sweet prince"]
    assert "from: To be" in capsys.readouterr().out
    with pytest.raises(ConfigError, match="only melody runs"):
        _sequence.attribute(text_run)


def test_commands_route_melody_runs(melody_run, tmp_path, capsys):
    """`vaekit sample / interpolate / attribute` on a melody run: MIDI out, MIDI in."""
    from vaekit.cli import main

    run_dir = str(melody_run.path)
    assert main(["sample", run_dir, "--n", "2", "--out", str(tmp_path / "s.png")]) == 0
    midis = sorted((tmp_path / "samples").glob("*.mid"))
    assert len(midis) == 2
    assert midi.read_midi_melody(midis[0]).events.size >= 1
    a, b = midis
    out = tmp_path / "i.png"
    assert main(["interpolate", run_dir, "--from", str(a), "--to", str(b), "--steps", "3",
                 "--out", str(out)]) == 0
    assert (tmp_path / "i" / "i.mid").is_file() and out.is_file()
    assert main(["attribute", run_dir, "--attribute", "note_density", "--n", "2",
                 "--scales", "-1", "1",
                 "--out", str(tmp_path / "a.png")]) == 0
    assert "note density" in capsys.readouterr().out


def test_evaluate_command_on_a_melody_run(melody_run, tmp_path):
    import json

    from vaekit.cli import main

    out = tmp_path / "e.json"
    assert main(["evaluate", str(melody_run.path), "--limit", "16", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert 0 <= doc["teacher_forced_accuracy"] <= 1 and doc["sequences"] == 16
    assert main(["evaluate", str(melody_run.path), "--ood", "noise"]) == 2
