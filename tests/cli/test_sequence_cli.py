"""Every command on sequence runs (melodies and text), through the one path each command
has for all kinds of run (vaekit.kinds), on tiny models trained for one epoch."""

import json

import pytest
import torch
from PIL import Image

from vaekit.checkpoint import load_run
from vaekit.cli import main
from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.data.music import events as music
from vaekit.data.music import midi
from vaekit.kinds import MelodyKind, TextKind, kind_of
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


def test_the_kind_is_recorded_and_dispatched(melody_run, text_run):
    assert melody_run.config.data.kind == "melody" and text_run.config.data.kind == "text"
    assert isinstance(kind_of(melody_run), MelodyKind)
    assert isinstance(kind_of(text_run), TextKind)


def test_sampled_midi_files_read_back(melody_run, tmp_path, capsys):
    out = tmp_path / "s.png"
    assert main(["sample", str(melody_run.path), "--n", "3", "--out", str(out)]) == 0
    assert Image.open(out).format == "PNG" and "more file(s)" in capsys.readouterr().out
    midis = sorted((tmp_path / "s").glob("*.mid"))
    assert len(midis) == 3  # beside the figure, in a folder named after it
    from vaekit.analysis.sampling import prior_samples

    tokens = prior_samples(melody_run.model, 3, seed=0)
    for path, row in zip(midis, tokens):
        melody = midi.read_midi_melody(path)
        assert melody.events.tolist() == music.normalize_events(row.numpy()).tolist()


def test_out_may_be_an_existing_folder(melody_run, tmp_path):
    assert main(["sample", str(melody_run.path), "--n", "2", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "samples.png").is_file()
    assert len(list((tmp_path / "samples").glob("*.mid"))) == 2


def test_interpolate_between_midi_files(melody_run, tmp_path, capsys):
    windows = melody_run.model.generate(torch.randn(2, 4))  # any two valid melodies
    ends = [tmp_path / f"{i}.mid" for i in range(2)]
    for window, path in zip(windows, ends):
        midi.melody_to_midi(window.numpy(), path)
    out = tmp_path / "path.png"
    assert main(["interpolate", str(melody_run.path), "--from", str(ends[0]), "--to",
                 str(ends[1]), "--steps", "4", "--method", "slerp", "--out", str(out)]) == 0
    steps = sorted((tmp_path / "path").glob("path-*.mid"))
    assert len(steps) == 6  # input A, 4 steps, input B
    first = midi.read_midi_melody(steps[0]).events.tolist()
    assert first == music.normalize_events(windows[0].numpy()).tolist()
    joined = midi.read_midi_melody(tmp_path / "path" / "path.mid").events
    assert len(joined) == 6 * 32
    assert Image.open(out).size[1] > 100 and "endpoints reconstructed" in capsys.readouterr().out
    assert main(["interpolate", str(melody_run.path), "--from", str(ends[0])]) == 2
    assert main(["interpolate", str(melody_run.path), "--steps", "1"]) == 2
    assert main(["interpolate", str(melody_run.path), "--gif"]) == 2  # images only


def test_attribute_reconstruct_traverse_on_melodies(melody_run, tmp_path, capsys):
    run_dir = str(melody_run.path)
    assert main(["attribute", run_dir, "--attribute", "note_density", "--n", "2",
                 "--scales", "-1", "1", "--out", str(tmp_path / "a.png")]) == 0
    out = capsys.readouterr().out
    assert "note_density: inputs" in out and (tmp_path / "a.png").is_file()
    doc = json.loads((melody_run.path / "attribute-note_density.json").read_text())
    assert set(doc["measured"]) == {"inputs", "-1", "+1"}
    assert main(["reconstruct", run_dir, "--n", "3", "--out", str(tmp_path / "r.png")]) == 0
    assert "over note events" in capsys.readouterr().out
    assert len(list((tmp_path / "r").glob("*.mid"))) == 6
    assert main(["traverse", run_dir, "--steps", "3", "--out", str(tmp_path / "t.png")]) == 0
    assert len(list((tmp_path / "t").glob("*.mid"))) == 4 * 3  # 4 dims by default


def test_text_sample_homotopy_and_reconstruct(text_run, tmp_path, capsys):
    run_dir = str(text_run.path)
    assert main(["sample", run_dir, "--n", "4", "--out", str(tmp_path / "s.txt")]) == 0
    written = (tmp_path / "s.txt").read_text().splitlines()
    printed = capsys.readouterr().out.splitlines()
    assert len(written) == 4 and printed[:4] == written
    assert main(["interpolate", run_dir, "--from", "To be, or not to be", "--to",
                 "Good night, sweet prince", "--steps", "5", "--out", str(tmp_path / "h.txt")]) == 0
    assert len((tmp_path / "h.txt").read_text().splitlines()) == 7  # A, 5 steps, B
    assert main(["reconstruct", run_dir, "--n", "2", "--out", str(tmp_path / "r.txt")]) == 0
    assert "per token" in capsys.readouterr().out
    assert main(["attribute", run_dir, "--attribute", "x"]) == 2  # text has no attributes


def test_evaluate_command_on_a_melody_run(melody_run, tmp_path):
    out = tmp_path / "e.json"
    assert main(["evaluate", str(melody_run.path), "--limit", "16", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())["evaluation"]
    assert 0 <= doc["teacher_forced_accuracy"] <= 1 and doc["sequences"] == 16
    assert main(["evaluate", str(melody_run.path), "--ood", "noise"]) == 2
