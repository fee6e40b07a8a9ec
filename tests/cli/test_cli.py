import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from vaekit.cli import main

TINY = ["--data", "digits", "--hidden", "32", "--latent-dim", "2", "--epochs", "2",
        "--batch-size", "100", "--quiet"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", "--out", str(out), *TINY]) == 0
    return out


def test_train_writes_run_and_loss_curve(run_dir):
    assert (run_dir / "figures" / "loss.png").is_file()
    cfg = json.loads((run_dir / "config.json").read_text())
    assert cfg["model"]["hidden"] == [32] and cfg["train"]["epochs"] == 2


def test_sample_reconstruct_interpolate_encode(run_dir, tmp_path, capsys):
    assert main(["sample", str(run_dir), "--n", "12", "--temperature", "0.8"]) == 0
    img = Image.open(run_dir / "figures" / "samples.png")
    assert img.size[0] > 8 * 8 * 2  # 8 tiles of 8 px scaled x2, plus padding
    assert main(["reconstruct", str(run_dir), "--n", "8"]) == 0
    assert main(["interpolate", str(run_dir), "--from-index", "3", "--to-index", "4",
                 "--steps", "6", "--method", "slerp"]) == 0
    strip = np.asarray(Image.open(run_dir / "figures" / "interpolation.png"))
    assert strip.shape[1] > strip.shape[0] * 6  # one row of 8 tiles
    out = tmp_path / "enc.npz"
    assert main(["encode", str(run_dir), "--out", str(out)]) == 0
    with np.load(out, allow_pickle=False) as f:
        assert f["mean"].shape == (297, 2) and f["label"].shape == (297,)
    assert "wrote" in capsys.readouterr().out


def test_resume_continues_to_more_epochs(run_dir, tmp_path):
    import shutil

    copy = tmp_path / "r"
    shutil.copytree(run_dir, copy)
    assert main(["train", "--resume", str(copy), "--epochs", "3", "--quiet"]) == 0
    rows = (copy / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(r)["epoch"] for r in rows] == [1, 2, 3]
    assert main(["train", "--resume", str(copy), "--latent-dim", "3"]) == 2


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["train", "--data", "nope"], "unknown dataset 'nope'"),
        (["train", "--set", "model.foo=1"], "unknown config key model.foo"),
        (["train", "--config", "/nonexistent.toml"], "config file not found"),
        (["train", "--epochs", "0"], "train.epochs must be at least 1"),
        (["sample", "/nonexistent/run"], "run directory not found"),
        (["train", "--latent-dim", "x"], "invalid int value"),
    ],
)
def test_user_errors_exit_2_with_one_line(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_existing_run_needs_resume_or_overwrite(run_dir, capsys):
    assert main(["train", "--out", str(run_dir), *TINY]) == 2
    assert "--resume" in capsys.readouterr().err


def test_corrupted_mnist_file_is_exit_2(tmp_path, shared_data, capsys):
    import shutil

    for f in (shared_data / "mnist").glob("*.gz"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"\x00\x00\x09\x03junk")
    assert main(["train", "--data-path", str(tmp_path), "--epochs", "1"]) == 2
    assert "checksum mismatch" in capsys.readouterr().err


def test_module_entry_point_and_help():
    proc = subprocess.run([sys.executable, "-m", "vaekit", "train", "--help"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert "--latent-dim" in proc.stdout and "default: 5" in proc.stdout


def test_ctrl_c_before_the_first_epoch_leaves_nothing_to_resume(tmp_path, monkeypatch, capsys):
    from vaekit.training import trainer

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer.Trainer, "fit", interrupted)
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), *TINY]) == 130
    said = capsys.readouterr().out
    assert "before the first epoch completed; nothing was saved" in said
    assert "--resume" not in said and not out.exists()


def test_input_shape_comes_from_the_data(tmp_path, capsys):
    argv = ["train", "--out", str(tmp_path / "r"), *TINY, "--set", "model.input_shape=1,28,20"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "model.input_shape [1, 28, 20] does not match the data" in err and "[1, 8, 8]" in err


def test_run_files_honour_the_umask(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        assert main(["train", "--out", str(tmp_path / "r"), *TINY, "--epochs", "1"]) == 0
    finally:
        os.umask(old)
    for name in ("config.json", "model.safetensors", "trainer_state.pt", "metrics.jsonl"):
        assert (tmp_path / "r" / name).stat().st_mode & 0o777 == 0o644, name


def test_a_run_trained_on_a_python_dataset_of_28x20_images(tmp_path, capsys):
    """Commands exit 0, or 2 with one line saying what they need: never 1."""
    import torch

    import vaekit

    g = torch.Generator().manual_seed(0)
    faces = vaekit.Dataset(name="faces",
                           train=vaekit.Split(torch.rand(200, 1, 28, 20, generator=g)),
                           test=vaekit.Split(torch.rand(40, 1, 28, 20, generator=g)))
    run = tmp_path / "faces"
    config = vaekit.RunConfig(model=vaekit.ModelConfig(hidden=(32,), latent_dim=3),
                              train=vaekit.TrainConfig(epochs=1, batch_size=50))
    vaekit.train(config, run, dataset=faces)
    saved = json.loads((run / "config.json").read_text())
    assert saved["model"]["input_shape"] == [1, 28, 20] and saved["data"]["name"] == "python:faces"
    assert saved["data"]["kind"] == "image"
    assert main(["sample", str(run), "--n", "4"]) == 0
    for command in (["reconstruct"], ["evaluate", "--iw-samples", "2"], ["latent-map"]):
        capsys.readouterr()
        assert main([command[0], str(run), *command[1:]]) == 2
        err = capsys.readouterr().err.strip()
        assert "passed from Python (python:faces)" in err and "\n" not in err


def test_sampler_choices_are_the_samplers_and_default_to_the_runs():
    import argparse

    from vaekit.cli import build_parser
    from vaekit.samplers import SAMPLERS

    commands = next(a for a in build_parser()._actions
                    if isinstance(a, argparse._SubParsersAction)).choices
    for name in ("sample", "evaluate"):
        action = next(a for a in commands[name]._actions if a.dest == "sampler")
        assert tuple(action.choices) == SAMPLERS and action.default is None, name
