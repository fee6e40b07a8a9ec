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
    # the sequence default of free bits (config.KIND_DEFAULTS), recorded in the run
    assert melody_run.config.train.free_bits == text_run.config.train.free_bits == 1.0
    assert json.loads((melody_run.path / "config.json").read_text())["train"]["free_bits"] == 1.0
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


def test_evaluate_command_on_a_melody_run(melody_run, tmp_path, capsys):
    """The JSON contract of issue #15, and every number printed beside its baselines."""
    out = tmp_path / "e.json"
    assert main(["evaluate", str(melody_run.path), "--limit", "16", "--iw-samples", "3",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    doc = json.loads(out.read_text())
    ev = doc["evaluation"]
    for key in ("accuracy", "note_accuracy"):
        for mode in ("teacher_forced", "generated"):
            assert 0 <= ev[key][mode] <= 1
    assert ev["nll_per_token"] > 0 and ev["sequences"] == 16 and ev["iw_samples"] == 3
    for name in ("always_hold", "unigram", "bigram", "bigram_position"):
        assert set(ev["baselines"][name]) >= {"accuracy", "note_accuracy", "nll_per_token"}
    assert ev["baselines"]["always_hold"]["note_accuracy"] == 0.0
    assert ev["baselines"]["bigram"]["nll_per_token"] > 0
    assert ev["free_bits"] == melody_run.config.train.free_bits
    line = next(row for row in printed.splitlines() if "note accuracy, teacher-forced" in row)
    numbers = line.split()[3:]
    assert len(numbers) == 5  # the model and four baselines, side by side
    assert float(numbers[0]) == pytest.approx(ev["note_accuracy"]["teacher_forced"], abs=1e-4)
    assert "always_hold" in printed and "not penalised" in printed or "no free bits" in printed
    assert main(["evaluate", str(melody_run.path), "--ood", "noise"]) == 2
    assert ev["precision"] == "fp32"
    fast = tmp_path / "fast.json"
    assert main(["evaluate", str(melody_run.path), "--limit", "16", "--iw-samples", "3",
                 "--fast", "--out", str(fast)]) == 0
    assert "networks in bf16 (--fast)" in capsys.readouterr().out
    ev_fast = json.loads(fast.read_text())["evaluation"]
    assert ev_fast["precision"] == "bf16" and ev_fast["nll"] != ev["nll"]
    assert ev_fast["nll_per_token"] == pytest.approx(  # (the standard error is per token)
        ev["nll_per_token"], abs=ev["nll_standard_error"] / 4)
    assert ev_fast["accuracy"] == ev["accuracy"]  # only the IWAE passes change precision


def test_evaluate_sample_quality_on_a_melody_run(melody_run, tmp_path, capsys):
    out = tmp_path / "q.json"
    assert main(["evaluate", str(melody_run.path), "--limit", "8", "--iw-samples", "2",
                 "--sample-quality", "--n-samples", "40", "--sampler", "gmm",
                 "--out", str(out)]) == 0
    quality = json.loads(out.read_text())["sample_quality"]
    assert quality["n_samples"] == 40 and quality["sampler"] == "gmm"
    for name in ("pitch_class", "note_count", "empty_beat_rate", "mean"):
        assert 0 <= quality["overlap"][name] <= 1
    for row in ("test", "degenerate"):  # the reference rows (their separation on real
        assert 0 <= quality["reference"][row]["overlap"]["mean"] <= 1  # data: test_music_stats)
    assert "train (ceiling)" in capsys.readouterr().out
    assert main(["evaluate", str(melody_run.path), "--sample-quality", "--n-samples", "0"]) == 2


def test_evaluate_a_text_run_beside_a_language_model(text_run, tmp_path, capsys):
    out = tmp_path / "t.json"
    assert main(["evaluate", str(text_run.path), "--limit", "8", "--iw-samples", "2",
                 "--language-model", str(text_run.path), "--out", str(out)]) == 0
    ev = json.loads(out.read_text())["evaluation"]
    assert ev["note_accuracy"] is None
    assert set(ev["baselines"]) == {"most_frequent", "unigram", "bigram",
                                    "lstm_language_model"}
    lm = ev["baselines"]["lstm_language_model"]
    assert lm["nll_per_token"] == pytest.approx(ev["nll_per_token"])  # the same run
    assert "note accuracy" not in capsys.readouterr().out
    assert main(["evaluate", str(text_run.path), "--sample-quality"]) == 2  # melodies only


def _duet(path) -> None:
    """One bar in two tracks: quarter notes C5 D5 C5 D5 above half notes C3 D3."""
    import mido

    song = mido.MidiFile(type=1, ticks_per_beat=4)  # one tick per 16th note
    for notes in ([(72, 4), (74, 4), (72, 4), (74, 4)], [(48, 8), (50, 8)]):
        track = mido.MidiTrack()
        for pitch, length in notes:
            track.append(mido.Message("note_on", note=pitch, velocity=64, time=0))
            track.append(mido.Message("note_off", note=pitch, velocity=0, time=length))
        song.tracks.append(track)
    song.save(path)


def test_melody_and_strict_flags_for_midi_folders(tmp_path, capsys):
    folder = tmp_path / "midi"
    folder.mkdir()
    for name in ("a", "b"):
        _duet(folder / f"{name}.mid")
    low = [music.pitch_to_event(48)] + [music.HOLD] * 7 + [music.pitch_to_event(50)] + [
        music.HOLD] * 7
    tiny = ["--epochs", "1", "--latent-dim", "2", "--rnn-hidden", "8", "--embedding-dim", "4",
            "--quiet"]
    out = tmp_path / "run"
    assert main(["train", "--data", f"midi:{folder}", "--bars", "1", "--melody", "bottom",
                 "--out", str(out), *tiny]) == 0
    assert "melody of each MIDI file: bottom" in capsys.readouterr().out
    run = load_run(out)
    assert run.config.data.melody == "bottom"
    from vaekit.data.prepare import load_split

    assert load_split(run.config, "train").x.tolist() == [low]
    assert main(["train", "--data", f"midi:{folder}", "--bars", "1", "--out",
                 str(tmp_path / "default"), *tiny]) == 0
    assert "melody of each MIDI file: top (" in capsys.readouterr().out  # the default, said
    (folder / "broken.mid").write_bytes(b"MThd not a MIDI file")
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        assert main(["train", "--data", f"midi:{folder}", "--bars", "1", "--out",
                     str(tmp_path / "skip"), *tiny]) == 0
    capsys.readouterr()
    assert main(["train", "--data", f"midi:{folder}", "--bars", "1", "--strict", "--out",
                 str(tmp_path / "strict"), *tiny]) == 2
    err = capsys.readouterr().err
    assert "broken.mid" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "strict").exists()  # nothing half-made left behind


def test_a_hierarchical_run_trains_reloads_and_evaluates(tmp_path):
    out = tmp_path / "hier"
    assert main(["train", "--data", "nottingham", "--bars", "2", "--limit-train", "128",
                 "--limit-test", "16", "--epochs", "1", "--latent-dim", "4", "--rnn-hidden",
                 "16", "--embedding-dim", "8", "--set", "model.decoder=hierarchical",
                 "--quiet", "--out", str(out)]) == 0
    run = load_run(out)
    assert run.config.model.decoder == "hierarchical"
    assert type(run.model.decoder).__name__ == "HierarchicalLSTMDecoder"
    assert main(["evaluate", str(out), "--iw-samples", "2", "--out", str(tmp_path / "e.json")]) == 0
    ev = json.loads((tmp_path / "e.json").read_text())["evaluation"]
    assert 0 <= ev["note_accuracy"]["generated"] <= 1
    assert main(["sample", str(out), "--n", "2", "--out", str(tmp_path / "s.png")]) == 0
    assert main(["train", "--data", "mnist", "--set", "model.decoder=hierarchical", "--out",
                 str(tmp_path / "img")]) == 2  # a sequence decoder, refused for images
