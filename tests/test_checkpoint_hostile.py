"""Hostile run directories: malicious pickles, garbage files, edited configs."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import tempfile
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import vaekit
from vaekit import checkpoint
from vaekit.cli import main
from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.errors import CheckpointError
from vaekit.training.trainer import train


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    cfg = RunConfig(model=ModelConfig(hidden=(16,), latent_dim=2),
                    data=DataConfig(name="digits"), train=TrainConfig(epochs=1))
    out = tmp_path_factory.mktemp("good") / "run"
    train(cfg, out)
    return out


class _Payload:
    """Unpickling this object would create the file `target`."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


@pytest.mark.parametrize("kind", ["torch-zip", "raw-pickle"])
def test_malicious_trainer_state_never_executes(good_run, tmp_path, kind, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(good_run, run_dir)
    marker = tmp_path / "pwned"
    state = {"model": {}, "optimizer": {}, "epoch": 1, "step": 1, "rng": {},
             "evil": _Payload(str(marker))}
    if kind == "torch-zip":
        torch.save(state, run_dir / "trainer_state.pt")
    else:
        (run_dir / "trainer_state.pt").write_bytes(pickle.dumps(state))
    # sanity: the payload really works when unpickled unsafely
    probe = tmp_path / "probe"
    pickle.loads(pickle.dumps(_Payload(str(probe))))
    assert probe.exists()
    with pytest.raises(CheckpointError, match="refused or unreadable"):
        checkpoint.load_trainer_state(run_dir)
    assert main(["train", "--resume", str(run_dir), "--epochs", "2", "--quiet"]) == 2
    assert "refused or unreadable" in capsys.readouterr().err
    assert not marker.exists()


def test_resume_without_trainer_state(good_run, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(good_run, run_dir)
    (run_dir / "trainer_state.pt").unlink()
    assert main(["train", "--resume", str(run_dir), "--epochs", "2"]) == 2
    assert "nothing to resume" in capsys.readouterr().err


# --- fuzzing: any bytes in any file of a run directory -> a model or a CheckpointError ---

_ANY = st.one_of(st.binary(max_size=2048), st.text(max_size=512).map(str.encode))


def _fuzz_dir(good_run: Path) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="vaekit-fuzz-"))
    shutil.copytree(good_run, tmp / "run")
    return tmp / "run"


def _mutations(original: bytes):
    """Truncations and byte edits of a real file, mixed with random bytes."""
    return st.one_of(
        _ANY,
        st.integers(0, len(original)).map(lambda n: original[:n]),
        st.tuples(st.integers(0, max(len(original) - 1, 0)), st.integers(0, 255)).map(
            lambda e: original[: e[0]] + bytes([e[1]]) + original[e[0] + 1 :]
        ),
    )


@pytest.fixture(scope="module")
def originals(good_run) -> dict[str, bytes]:
    return {name: (good_run / name).read_bytes()
            for name in ("config.json", "model.safetensors", "trainer_state.pt")}


def _load_model(run_dir: Path) -> None:
    vaekit.load(run_dir)


def _load_state(run_dir: Path) -> None:
    assert isinstance(checkpoint.load_trainer_state(run_dir), dict)


# file of the run directory -> how it is loaded, and whether the message must be one line
_FUZZED = {
    "config.json": (_load_model, True),
    "model.safetensors": (_load_model, False),
    "trainer_state.pt": (_load_state, False),
}


@pytest.mark.fuzz
@pytest.mark.parametrize("name", sorted(_FUZZED))
@given(data=st.data())
def test_fuzz_run_directory_file(good_run, originals, name, data):
    """Truncations, byte edits and random bytes in one file of a good run directory."""
    load, one_line = _FUZZED[name]
    run_dir = _fuzz_dir(good_run)
    try:
        (run_dir / name).write_bytes(data.draw(_mutations(originals[name])))
        try:
            load(run_dir)
        except CheckpointError as exc:
            assert str(exc)
            assert not one_line or "\n" not in str(exc)
    finally:
        shutil.rmtree(run_dir.parent)


@pytest.mark.fuzz
@given(doc=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["model", "data", "train", "format", "format_version",
                                       "latent_dim", "hidden", "epochs", "name", "x"]),
                      children, max_size=5),
    max_leaves=20,
))
def test_fuzz_config_documents(good_run, doc):
    """Structured edits of config.json: valid JSON with any shape."""
    run_dir = _fuzz_dir(good_run)
    try:
        base = json.loads((good_run / "config.json").read_text())
        if isinstance(doc, dict):
            base.update(doc)
        else:
            base = doc
        (run_dir / "config.json").write_text(json.dumps(base))
        try:
            vaekit.load(run_dir)
        except CheckpointError as exc:
            assert str(exc)
    finally:
        shutil.rmtree(run_dir.parent)


def test_env_is_clean():
    assert not os.environ.get("VAEKIT_TEST_WRITE_PAUSE")


def test_resume_with_a_malformed_rng_state_is_exit_2(good_run, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(good_run, run_dir)
    state = torch.load(run_dir / "trainer_state.pt", weights_only=True)
    state["rng"]["noise"] = torch.zeros(3, dtype=torch.uint8)  # not a generator state
    torch.save(state, run_dir / "trainer_state.pt")
    assert main(["train", "--resume", str(run_dir), "--epochs", "2", "--quiet"]) == 2
    assert "trainer state does not fit" in capsys.readouterr().err
