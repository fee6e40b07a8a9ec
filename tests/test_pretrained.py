"""Runs shipped with the package, opened by name with no data directory set."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import vaekit
from vaekit.checkpoint import pretrained_names

SHIPPED = ("fashion-mnist", "melody", "mnist")


def _clean_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "VAEKIT_DATA_DIR"}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), HOME=str(tmp_path), OMP_NUM_THREADS="1",
               VAEKIT_NO_DOWNLOAD="1",
               PYTHONPATH=str(Path(vaekit.__file__).resolve().parents[1]))  # this vaekit
    return env


def test_the_runs_ship_and_load_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert set(SHIPPED) <= set(pretrained_names())
    melody = vaekit.load("pretrained:melody")
    assert melody.latent_dim == 32
    run = vaekit.load_run("pretrained:mnist")
    assert run.path == tmp_path / "vaekit" / "pretrained" / "mnist"  # a writable copy
    assert run.config.data.name == "mnist" and run.metrics[-1]["test"]["negative_elbo"] < 110
    with pytest.raises(vaekit.CheckpointError, match="unknown pretrained run 'mnsit'"):
        vaekit.load("pretrained:mnsit")


def test_sample_runs_with_no_data_directory_and_data_commands_say_so(tmp_path):
    env = _clean_env(tmp_path)
    out = tmp_path / "F.png"
    proc = subprocess.run([sys.executable, "-m", "vaekit", "sample", "pretrained:mnist",
                           "--out", str(out)], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert out.is_file() and out.read_bytes()[:4] == b"\x89PNG"
    proc = subprocess.run([sys.executable, "-m", "vaekit", "reconstruct",
                           "pretrained:fashion-mnist"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "fashion-mnist" in lines[0] and "not found" in lines[0]
