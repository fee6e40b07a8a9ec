"""Optional fast paths train the same model: bf16 autocast and torch.compile."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.training.trainer import Trainer, train


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    # Each compiled trainer adds dynamo cache entries; start every test from none, so no
    # test runs into the cache-size limit (past it dynamo quietly runs the code eagerly).
    torch._dynamo.reset()


def _cfg(arch="dense", epochs=2, **train_kw):
    return RunConfig(
        model=ModelConfig(arch=arch, hidden=(32,), latent_dim=2, likelihood="bernoulli"),
        data=DataConfig(name="digits"),
        train=TrainConfig(epochs=epochs, batch_size=100, seed=1, **train_kw),
    )


def _assert_same_losses(got, want, rel=1e-5):
    for a, b in zip(got, want, strict=True):
        for split in ("train", "test"):
            assert abs(a[split]["loss"] - b[split]["loss"]) < rel * b[split]["loss"], (a, b)


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
    # Same data and noise. The compiled run takes its gradients with torch.func and does
    # Adam inside the graph (compiled_step); its kernels differ only in the last bits.
    _assert_same_losses(result.metrics, eager)
    keys = list(result.model.state_dict())
    assert not any("_orig_mod" in k for k in keys)  # the run directory holds the plain model


def test_compiled_step_is_used_and_clips_like_eager(tmp_path):
    compiled = Trainer(_cfg(compile=True, grad_clip_norm=0.1), tmp_path / "c")
    assert compiled.compiled_step is not None
    got = compiled.fit().metrics
    want = train(_cfg(grad_clip_norm=0.1), tmp_path / "e").metrics
    unclipped = train(_cfg(), tmp_path / "u").metrics
    _assert_same_losses(got, want)
    # and the clipping did something (else this test would not test it)
    assert abs(got[-1]["train"]["loss"] - unclipped[-1]["train"]["loss"]) > 1e-3


def test_compiled_step_follows_the_kl_schedule_like_eager(tmp_path):
    # beta changes every step; it reaches the graph as data, not as a constant
    warmup = {"kl_schedule": "linear", "kl_warmup_steps": 20}
    got = train(_cfg(compile=True, **warmup), tmp_path / "c").metrics
    _assert_same_losses(got, train(_cfg(**warmup), tmp_path / "e").metrics)
    constant = train(_cfg(), tmp_path / "u").metrics
    assert abs(got[0]["train"]["loss"] - constant[0]["train"]["loss"]) > 1e-2


def test_compiled_conv_model_trains_like_eager(tmp_path):
    # conv models run channels_last; the compiled step must see the same weights
    compiled = Trainer(_cfg("conv", epochs=1, compile=True), tmp_path / "c")
    assert compiled.compiled_step is not None
    _assert_same_losses(compiled.fit().metrics,
                        train(_cfg("conv", epochs=1), tmp_path / "e").metrics)


def test_compiled_run_resumes_exactly(tmp_path):
    straight = train(_cfg(compile=True), tmp_path / "straight")
    train(_cfg(epochs=1, compile=True), tmp_path / "resumed")
    torch._dynamo.reset()
    resumed = train(_cfg(compile=True), tmp_path / "resumed", resume=True)
    assert [m["train"] for m in resumed.metrics] == [m["train"] for m in straight.metrics]
    for (name, p), q in zip(straight.model.named_parameters(), resumed.model.parameters()):
        assert torch.equal(p, q), name


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


def test_compiled_and_eager_runs_resume_each_other(tmp_path):
    """Adam's state is the torch optimizer's in both paths, so a run may switch."""
    straight = [m["train"]["loss"] for m in train(_cfg(), tmp_path / "straight").metrics]
    train(_cfg(epochs=1, compile=True), tmp_path / "c2e")
    c2e = train(_cfg(), tmp_path / "c2e", resume=True).metrics
    train(_cfg(epochs=1), tmp_path / "e2c")
    e2c = train(_cfg(compile=True), tmp_path / "e2c", resume=True).metrics
    for run in (c2e, e2c):
        assert len(run) == 2
        for got, want in zip([m["train"]["loss"] for m in run], straight):
            assert abs(got - want) < 1e-5 * want
