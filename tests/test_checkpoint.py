import json

import pytest
import torch
from safetensors.torch import save_file

import vaekit
from vaekit import checkpoint
from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.data.registry import load_dataset
from vaekit.errors import CheckpointError
from vaekit.training.trainer import train


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    cfg = RunConfig(
        model=ModelConfig(hidden=(32,), latent_dim=3),
        data=DataConfig(name="digits"),
        train=TrainConfig(epochs=1, batch_size=64),
    )
    out = tmp_path_factory.mktemp("run")
    train(cfg, out)
    return out


def test_run_directory_layout(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert {"config.json", "model.safetensors", "trainer_state.pt", "metrics.jsonl"} <= names
    doc = json.loads((run_dir / "config.json").read_text())
    assert doc["format"] == "vaekit-run" and doc["format_version"] == 1
    assert doc["model"]["input_shape"] == [1, 8, 8]
    assert not [p for p in run_dir.iterdir() if p.name.endswith(".tmp")]


def test_save_load_identical_outputs(run_dir):
    trained = checkpoint.load_run(run_dir).model
    again = vaekit.load(run_dir)
    x = load_dataset("digits").test.x[:10]
    a = trained(x, generator=torch.Generator().manual_seed(5))
    b = again(x, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(a.p_x.mean, b.p_x.mean, rtol=0, atol=0)
    torch.testing.assert_close(a.z, b.z, rtol=0, atol=0)


def _copy(run_dir, tmp_path):
    import shutil

    dst = tmp_path / "copy"
    shutil.copytree(run_dir, dst)
    return dst


def test_unknown_format_version(run_dir, tmp_path):
    dst = _copy(run_dir, tmp_path)
    doc = json.loads((dst / "config.json").read_text())
    doc["format_version"] = 99
    (dst / "config.json").write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="format_version 99 is not supported"):
        vaekit.load(dst)


def test_missing_weights(run_dir, tmp_path):
    dst = _copy(run_dir, tmp_path)
    (dst / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="missing model.safetensors"):
        vaekit.load(dst)


def test_not_a_run_directory(tmp_path):
    with pytest.raises(CheckpointError, match="not a vaekit run directory"):
        vaekit.load(tmp_path)
    with pytest.raises(CheckpointError, match="run directory not found"):
        vaekit.load(tmp_path / "nope")


def test_mismatched_shapes(run_dir, tmp_path):
    dst = _copy(run_dir, tmp_path)
    doc = json.loads((dst / "config.json").read_text())
    doc["model"]["latent_dim"] = 4
    (dst / "config.json").write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="has shape .* needs"):
        vaekit.load(dst)


def test_corrupt_and_non_finite_weights(run_dir, tmp_path):
    dst = _copy(run_dir, tmp_path)
    (dst / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="not a valid safetensors"):
        vaekit.load(dst)
    state = checkpoint.load_run(run_dir).model.state_dict()
    state["encoder.mean.bias"] = torch.full_like(state["encoder.mean.bias"], float("nan"))
    save_file({k: v.contiguous() for k, v in state.items()}, dst / "model.safetensors")
    with pytest.raises(CheckpointError, match="NaN"):
        vaekit.load(dst)
