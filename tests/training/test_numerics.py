"""Numerical safety: non-finite losses and gradients stop training with a clear message;
data a likelihood cannot score is refused at load."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from vaekit.cli import main
from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.data.dataset import Dataset, Split
from vaekit.errors import DataError, TrainingError
from vaekit.objectives import Loss
from vaekit.training import trainer


def _cfg(epochs=1, likelihood="gaussian"):
    return RunConfig(
        model=ModelConfig(hidden=(16,), latent_dim=2, likelihood=likelihood),
        data=DataConfig(name="digits"),
        train=TrainConfig(epochs=epochs, batch_size=100, lr=1e-3),
    )


def _files(run_dir):
    """The checkpoint files (config.json records the resumed settings, so it may change)."""
    names = ("model.safetensors", "trainer_state.pt", "metrics.jsonl")
    return {name: (run_dir / name).read_bytes() for name in names}


@pytest.mark.parametrize("term", ["reconstruction", "kl"])
def test_non_finite_loss_names_step_and_term_and_keeps_checkpoint(tmp_path, monkeypatch, term):
    trainer.train(_cfg(1), tmp_path)
    before = _files(tmp_path)
    real = trainer.negative_elbo
    calls = {"n": 0}

    def poisoned(out, x, *, beta=1.0, free_bits=0.0):
        loss = real(out, x, beta=beta, free_bits=free_bits)
        calls["n"] += 1
        if calls["n"] == 4:  # the 4th step of epoch 2
            bad = {term: loss.__getattribute__(term) * float("nan")}
            loss = dataclasses.replace(loss, **bad)
            loss = Loss(total=loss.reconstruction + beta * loss.kl,
                        reconstruction=loss.reconstruction, kl=loss.kl)
        return loss

    monkeypatch.setattr(trainer, "negative_elbo", poisoned)
    with pytest.raises(TrainingError) as info:
        trainer.train(_cfg(2), tmp_path, resume=True)
    message = str(info.value)
    steps_per_epoch = 15  # 1500 digits / batch 100
    assert f"step {steps_per_epoch + 4} (epoch 2)" in message
    assert ("reconstruction" if term == "reconstruction" else "KL") in message
    assert "Last good checkpoint kept: epoch 1" in message
    assert f"vaekit train --resume {tmp_path} --lr 0.0001" in message
    assert _files(tmp_path) == before  # nothing was overwritten


def test_non_finite_gradient_is_caught_before_the_update(tmp_path, monkeypatch):
    real_build = trainer.build_vae

    def build_with_exploding_grad(cfg):
        model = real_build(cfg)
        model.encoder.mean.weight.register_hook(lambda g: g * float("inf"))
        return model

    monkeypatch.setattr(trainer, "build_vae", build_with_exploding_grad)
    with pytest.raises(TrainingError, match=r"step 1 \(epoch 1\): the gradient of .* not "
                                            r"finite .*Last good checkpoint kept: none"):
        trainer.train(_cfg(1), tmp_path)


def test_gradient_clipping_bounds_the_norm_adam_sees(tmp_path):
    cfg = dataclasses.replace(_cfg(1), train=dataclasses.replace(_cfg().train,
                                                                grad_clip_norm=0.5))
    t = trainer.Trainer(cfg, tmp_path)
    norms, step = [], t.optimizer.step

    def recording_step(*args, **kwargs):
        norms.append(float(torch.nn.utils.get_total_norm([p.grad for p in t.params])))
        return step(*args, **kwargs)

    t.optimizer.step = recording_step
    t.train_epoch()
    assert len(norms) == -(-len(t.train_split) // 100)  # one per batch of 100
    # every step's gradient was larger than 0.5 here, and every one was clipped to it
    assert all(0.5 * (1 - 1e-4) < n <= 0.5 * (1 + 1e-5) for n in norms), norms


def _poisoned_elbo(real_elbo, poison):
    def elbo(out, x, **kwargs):
        loss = real_elbo(out, x, **kwargs)
        return Loss(total=loss.total + poison(out.q_mean), reconstruction=loss.reconstruction,
                    kl=loss.kl)

    return elbo


def _compiled_trainer(tmp_path):
    torch._dynamo.reset()
    cfg = dataclasses.replace(_cfg(1), train=dataclasses.replace(_cfg().train, compile=True))
    t = trainer.Trainer(cfg, tmp_path)
    assert t.compiled_step is not None  # --compile runs the step as one graph here
    return t


def _assert_untouched(t, before):
    for k, v in t.model.state_dict().items():
        assert torch.equal(v, before[k]), k
    for state in t.optimizer.state.values():
        assert float(state["step"]) == 0
        assert not state["exp_avg"].any() and not state["exp_avg_sq"].any()


def test_compiled_step_masks_a_non_finite_update_and_stops(tmp_path, monkeypatch):
    from vaekit.training import compiled_step

    monkeypatch.setattr(compiled_step, "negative_elbo", _poisoned_elbo(
        compiled_step.negative_elbo, lambda q: q.sum() * float("nan")))
    t = _compiled_trainer(tmp_path)
    before = {k: v.clone() for k, v in t.model.state_dict().items()}
    with pytest.raises(TrainingError, match=r"non-finite value at step 1 \(epoch 1\)"):
        t.train_epoch()
    _assert_untouched(t, before)


def test_compiled_step_checks_every_gradient_not_just_the_loss(tmp_path, monkeypatch):
    """A finite loss with a NaN gradient. Run uncompiled (the step's own Python), since
    inductor may fold this particular 0 * inf away."""
    from vaekit.training import compiled_step

    monkeypatch.setattr(compiled_step, "negative_elbo", _poisoned_elbo(
        compiled_step.negative_elbo, lambda q: torch.sqrt(q * 0).sum()))  # 0; grad 0*inf
    t = _compiled_trainer(tmp_path)
    step = t.compiled_step
    step.sync()
    before = {k: v.clone() for k, v in t.model.state_dict().items()}
    x = t.train_split.x[:100]
    scalars = torch.tensor([1e-3, 1.0, 1.0])  # step size, sqrt(bias correction 2), beta
    terms, ok = step._step(step.weights, step.exp_avgs, step.exp_avg_sqs, step.steps,
                           scalars, x, x, torch.zeros(100, 2))
    assert torch.isfinite(terms).all() and not ok
    _assert_untouched(t, before)


def _dataset(x):
    return Dataset(name="custom", train=Split(x), test=Split(x[:10]))


def test_nan_in_data_is_refused_at_load(tmp_path):
    x = torch.rand(50, 1, 4, 4)
    x[3, 0, 1, 1] = float("nan")
    with pytest.raises(DataError, match="1 values are NaN or infinite"):
        trainer.train(_cfg(1), tmp_path, dataset=_dataset(x))


def test_bernoulli_targets_outside_unit_interval_are_refused(tmp_path):
    x = torch.rand(50, 1, 4, 4) * 2
    with pytest.raises(DataError, match="bernoulli likelihood needs targets in"):
        trainer.train(_cfg(1, likelihood="bernoulli"), tmp_path, dataset=_dataset(x))
    trainer.train(_cfg(1, likelihood="gaussian"), tmp_path / "g", dataset=_dataset(x))


def test_training_error_is_exit_2_one_line(tmp_path, monkeypatch, capsys):
    def fail(*args, **kwargs):
        raise TrainingError("non-finite value at step 7 (epoch 1): the KL term is nan; stopped.")

    monkeypatch.setattr(trainer, "train", fail)
    assert main(["train", "--out", str(tmp_path / "r"), "--data", "digits"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "step 7" in err


def test_internal_error_is_exit_1_with_a_hint(monkeypatch, capsys):
    import vaekit.cli.sample as sample

    def boom(args):
        raise RuntimeError("something vaekit did not expect")

    monkeypatch.setattr(sample, "run", boom)
    assert main(["sample", "anything"]) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "please report" in err and "Traceback" not in err
