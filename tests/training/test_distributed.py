"""Two processes under torchrun (gloo) take exactly the steps one process takes with the
same global batch: parameters agree within 1e-5 after K steps."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

import vaekit

# 515 examples, global batch 64: 9 steps, the last one of 3 examples split 2/1 unevenly.
ARGS = ["train", "--data", "mnist", "--limit-train", "515", "--limit-test", "64",
        "--hidden", "32", "--latent-dim", "3", "--likelihood", "bernoulli",
        "--binarize", "dynamic", "--batch-size", "64", "--epochs", "1", "--seed", "5",
        "--quiet"]


def _run(cmd: list[str]) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("objective", [[], ["--objective", "iwae", "--iw-samples", "3"]],
                         ids=["elbo", "iwae"])
def test_two_processes_equal_one(tmp_path, objective):
    """Also for the importance-weighted bound: its K samples per example go through the
    DDP-wrapped forward, so its gradients are averaged like the ELBO's."""
    one, two = tmp_path / "one", tmp_path / "two"
    _run([sys.executable, "-m", "vaekit", *ARGS, *objective, "--out", str(one)])
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
          "2", "-m", "vaekit", *ARGS, *objective, "--out", str(two)])
    a, b = load_file(one / "model.safetensors"), load_file(two / "model.safetensors")
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=0, atol=1e-5, msg=name)
    # the parameters did move: the comparison is not between two untrained models
    torch.manual_seed(5)  # the trainer's initialisation, before any step
    fresh = vaekit.build_vae(vaekit.load_run(one).config.model).state_dict()
    assert max(float((a[k] - fresh[k]).abs().max()) for k in a) > 1e-3
    # the 2-process checkpoint loads in a single process
    vaekit.load(two)
    rows = (two / "metrics.jsonl").read_text().splitlines()
    assert len(rows) == 1 and '"step": 9' in rows[0]


def test_each_process_reads_its_slice_and_follows_rank_0s_controls(tmp_path, monkeypatch):
    """Without binarisation or corruption each rank reads only its slice of a batch from
    uint8 storage; early stopping is decided on rank 0 and followed by every rank."""
    args = [a for a in ARGS if a not in ("--binarize", "dynamic")]
    args = [*args[: args.index("--epochs")], "--epochs", "3", "--valid-fraction", "0.2",
            "--early-stopping", "1", "--seed", "5", "--quiet"]
    one, two = tmp_path / "one", tmp_path / "two"
    _run([sys.executable, "-m", "vaekit", *args, "--out", str(one)])
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
          "2", "-m", "vaekit", *args, "--out", str(two)])
    a, b = load_file(one / "model.safetensors"), load_file(two / "model.safetensors")
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=0, atol=1e-5, msg=name)
    rows_one = (one / "metrics.jsonl").read_text().splitlines()
    assert len(rows_one) == len((two / "metrics.jsonl").read_text().splitlines())
