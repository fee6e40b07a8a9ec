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
        for split, term in (("train", "objective"), ("test", "negative_elbo")):
            assert abs(a[split][term] - b[split][term]) < rel * b[split][term], (a, b)


def test_bf16_autocast_learns_like_fp32(tmp_path):
    fp32 = train(_cfg(), tmp_path / "fp32").metrics
    bf16 = train(_cfg(precision="bf16"), tmp_path / "bf16").metrics
    assert bf16[-1]["test"]["negative_elbo"] < bf16[0]["train"]["objective"]
    # same data, same noise: bf16 rounding moves the result only a little
    got, want = bf16[-1]["test"]["negative_elbo"], fp32[-1]["test"]["negative_elbo"]
    assert abs(got - want) < 0.05 * want


def test_compiled_model_trains_like_eager_and_saves_plain_weights(tmp_path):
    result = train(_cfg(compile=True), tmp_path / "compiled")
    eager = train(_cfg(), tmp_path / "eager").metrics
    assert result.metrics[-1]["test"]["negative_elbo"] < result.metrics[0]["train"]["objective"]
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
    assert abs(got[-1]["train"]["objective"] - unclipped[-1]["train"]["objective"]) > 1e-3


def test_compiled_step_follows_the_kl_schedule_like_eager(tmp_path):
    # beta changes every step; it reaches the graph as data, not as a constant
    warmup = {"kl_schedule": "linear", "kl_warmup_steps": 20}
    got = train(_cfg(compile=True, **warmup), tmp_path / "c").metrics
    _assert_same_losses(got, train(_cfg(**warmup), tmp_path / "e").metrics)
    constant = train(_cfg(), tmp_path / "u").metrics
    assert abs(got[0]["train"]["objective"] - constant[0]["train"]["objective"]) > 1e-2


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
    got, want = fast[-1]["test"]["negative_elbo"], fp32[-1]["test"]["negative_elbo"]
    assert abs(got - want) < 0.01 * want


def test_compiled_and_eager_runs_resume_each_other(tmp_path):
    """Adam's state is the torch optimizer's in both paths, so a run may switch."""
    straight = [m["train"]["objective"] for m in train(_cfg(), tmp_path / "straight").metrics]
    train(_cfg(epochs=1, compile=True), tmp_path / "c2e")
    c2e = train(_cfg(), tmp_path / "c2e", resume=True).metrics
    train(_cfg(epochs=1), tmp_path / "e2c")
    e2c = train(_cfg(compile=True), tmp_path / "e2c", resume=True).metrics
    for run in (c2e, e2c):
        assert len(run) == 2
        for got, want in zip([m["train"]["objective"] for m in run], straight):
            assert abs(got - want) < 1e-5 * want


def test_the_one_graph_update_is_torch_adam_where_eps_matters(tmp_path, monkeypatch):
    """Three updates of the compiled step's own arithmetic (run uncompiled) against
    torch.optim.Adam on the same gradients. Gradients of ~1e-9 make eps (1e-8) dominate
    Adam's denominator, so eps moved inside the bias correction, or any other slip in the
    formula, changes the weights far beyond rounding."""
    import copy

    from vaekit.objectives import Loss
    from vaekit.training import compiled_step

    real = compiled_step.negative_elbo

    def tiny(out, x, **kwargs):  # the same loss, scaled so its gradients are ~1e-9
        loss = real(out, x, **kwargs)
        return Loss(total=loss.total * 1e-9, reconstruction=loss.reconstruction, kl=loss.kl)

    monkeypatch.setattr(compiled_step, "negative_elbo", tiny)
    t = Trainer(_cfg(compile=True), tmp_path)
    step = t.compiled_step
    reference = copy.deepcopy(t.model)
    adam = torch.optim.Adam(reference.parameters(), lr=1e-3, foreach=False)
    x, eps = t.train_split.x[:100], torch.randn(100, 2, generator=torch.Generator().manual_seed(0))
    start = [p.detach().clone() for p in reference.parameters()]
    step.sync()
    for n in range(1, 4):
        b1, b2 = step.beta1, step.beta2
        scalars = torch.tensor([step.lr / (1 - b1**n), (1 - b2**n) ** 0.5, 1.0])
        step._step(step.weights, step.exp_avgs, step.exp_avg_sqs, step.steps, scalars, x, x,
                   eps)
        adam.zero_grad()
        tiny(reference(x, eps=eps), x).total.backward()
        adam.step()
    for (name, got), want, before in zip(t.model.named_parameters(), reference.parameters(),
                                         start):
        assert float((want.detach() - before).abs().max()) > 1e-5, name  # Adam moved it
        torch.testing.assert_close(got.detach(), want.detach(), rtol=1e-5, atol=1e-7, msg=name)
