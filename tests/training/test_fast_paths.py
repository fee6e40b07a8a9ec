"""Optional fast paths train the same model: bf16 autocast and torch.compile."""

from __future__ import annotations

import dataclasses

import torch

from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.training.trainer import Trainer, train


def _cfg(**train_kw):
    return RunConfig(
        model=ModelConfig(hidden=(32,), latent_dim=2, likelihood="bernoulli"),
        data=DataConfig(name="digits"),
        train=TrainConfig(epochs=2, batch_size=100, seed=1, **train_kw),
    )


def test_bf16_autocast_learns_like_fp32(tmp_path):
    fp32 = train(_cfg(), tmp_path / "fp32").metrics
    bf16 = train(_cfg(precision="bf16"), tmp_path / "bf16").metrics
    assert bf16[-1]["test"]["loss"] < bf16[0]["train"]["loss"]
    # same data, same noise: bf16 rounding moves the result only a little
    assert abs(bf16[-1]["test"]["loss"] - fp32[-1]["test"]["loss"]) < 0.05 * fp32[-1]["test"][
        "loss"
    ]


def test_compiled_model_trains_like_eager_and_saves_plain_weights(tmp_path):
    result = train(_cfg(compile=True), tmp_path / "compiled")
    eager = train(_cfg(), tmp_path / "eager").metrics
    assert result.metrics[-1]["test"]["loss"] < result.metrics[0]["train"]["loss"]
    # same data and noise; compiled kernels (C++ wrapper on the CPU) differ in the last bits
    for got, want in zip(result.metrics, eager):
        for split in ("train", "test"):
            assert abs(got[split]["loss"] - want[split]["loss"]) < 1e-5 * want[split]["loss"]
    keys = list(result.model.state_dict())
    assert not any("_orig_mod" in k for k in keys)  # the run directory holds the plain model


def test_same_noise_for_same_seed(tmp_path):
    a = Trainer(_cfg(), tmp_path / "a")
    b = Trainer(dataclasses.replace(_cfg()), tmp_path / "b")
    a.train_epoch()
    b.train_epoch()
    for (name, p), q in zip(a.model.named_parameters(), b.model.parameters()):
        assert torch.equal(p, q), name


def test_fp32_fast_learns_like_fp32_and_restores_the_flag(tmp_path):
    before = torch.backends.mkldnn.matmul.fp32_precision
    fp32 = train(_cfg(), tmp_path / "fp32").metrics
    fast = train(_cfg(precision="fp32-fast"), tmp_path / "fast").metrics
    assert torch.backends.mkldnn.matmul.fp32_precision == before
    assert abs(fast[-1]["test"]["loss"] - fp32[-1]["test"]["loss"]) < 0.01 * fp32[-1]["test"][
        "loss"
    ]
