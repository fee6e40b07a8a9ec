"""Crash safety: SIGKILL / SIGINT a real `vaekit train` process, then --resume.

The resumed run must complete, the last complete checkpoint must never be corrupted, and
the final weights must equal those of an uninterrupted run with the same seed, bit for bit
(CPU: same data order, same noise, same float operations in the same order).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import vaekit

ARGS = ["--data", "mnist", "--limit-train", "16000", "--limit-test", "200", "--hidden", "32",
        "--latent-dim", "2", "--batch-size", "8", "--epochs", "3", "--seed", "3", "--quiet"]


def _start(run_dir: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "vaekit", "train", "--out", str(run_dir), *ARGS, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})},
    )


def _resume(run_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vaekit", "train", "--resume", str(run_dir), "--quiet"],
        capture_output=True, text=True, timeout=300, check=False,
    )


def _epochs_done(run_dir: Path) -> int:
    path = run_dir / "metrics.jsonl"
    return len(path.read_text().splitlines()) if path.exists() else 0


def _wait_for(predicate, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(f"training ended early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("timed out waiting for the training process")
        time.sleep(0.01)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, torch.Tensor]:
    run_dir = tmp_path_factory.mktemp("reference") / "run"
    proc = _start(run_dir)
    assert proc.wait(timeout=300) == 0, proc.communicate()
    return load_file(run_dir / "model.safetensors")


def _assert_same_weights(run_dir: Path, reference: dict[str, torch.Tensor]) -> None:
    weights = load_file(run_dir / "model.safetensors")
    assert weights.keys() == reference.keys()
    for name, tensor in weights.items():
        assert torch.equal(tensor, reference[name]), f"{name} differs from the reference run"


def test_sigkill_mid_epoch_then_resume(tmp_path, reference):
    run_dir = tmp_path / "run"
    proc = _start(run_dir)
    _wait_for(lambda: _epochs_done(run_dir) == 1, proc)
    time.sleep(0.3)  # well inside epoch 2 (an epoch takes seconds)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _epochs_done(run_dir) == 1, "the kill was meant to land inside epoch 2"
    vaekit.load(run_dir)  # the epoch-1 checkpoint is intact and loadable
    done = _resume(run_dir)
    assert done.returncode == 0, done.stderr
    rows = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(r)["epoch"] for r in rows] == [1, 2, 3]
    _assert_same_weights(run_dir, reference)


@pytest.mark.parametrize("file", ["model.safetensors", "trainer_state.pt"])
def test_sigkill_while_a_checkpoint_is_written(tmp_path, reference, file):
    run_dir = tmp_path / "run"
    # Every write pauses half-way for 0.5 s, so the kill lands inside one.
    proc = _start(run_dir, env={"VAEKIT_TEST_WRITE_PAUSE": "0.5"})
    partial = f".{file}.*.tmp"
    _wait_for(lambda: _epochs_done(run_dir) == 1 and any(run_dir.glob(partial)), proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert list(run_dir.glob(partial)), "a half-written temporary file was expected"
    # The complete files are untouched: the epoch-1 resume point loads.
    state = torch.load(run_dir / "trainer_state.pt", weights_only=True)
    assert state["epoch"] == 1
    vaekit.load(run_dir)
    done = _resume(run_dir)
    assert done.returncode == 0, done.stderr
    assert not list(run_dir.glob(".*.tmp")), "stale temporary files are cleaned on resume"
    _assert_same_weights(run_dir, reference)


def test_ctrl_c_saves_nothing_half_written_and_says_how_to_resume(tmp_path, reference):
    run_dir = tmp_path / "run"
    proc = _start(run_dir)
    _wait_for(lambda: _epochs_done(run_dir) == 1, proc)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert f"vaekit train --resume {run_dir}" in out
    assert not list(run_dir.glob(".*.tmp"))
    assert _epochs_done(run_dir) == 1
    done = _resume(run_dir)
    assert done.returncode == 0, done.stderr
    _assert_same_weights(run_dir, reference)
