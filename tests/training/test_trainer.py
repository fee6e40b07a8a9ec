import json

import pytest
import torch

from vaekit import checkpoint
from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.training.trainer import train


def _cfg(epochs, **train_kw):
    return RunConfig(
        model=ModelConfig(hidden=(64,), latent_dim=4, likelihood="bernoulli"),
        data=DataConfig(name="mnist", limit_train=1024, limit_test=256, binarize="dynamic"),
        train=TrainConfig(epochs=epochs, batch_size=64, seed=7, **train_kw),
    )


def test_loss_goes_down_and_metrics_are_written(tmp_path):
    result = train(_cfg(3), tmp_path)
    losses = [m["test"]["negative_elbo"] for m in result.metrics]
    assert losses[-1] < losses[0] - 20
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert rows[-1]["step"] == 3 * 16
    assert rows[0]["units"] == "nats per example"
    for r in rows:
        total = r["test"]["reconstruction"] + r["test"]["kl"]
        assert abs(r["test"]["negative_elbo"] - total) < 1e-3


def test_resume_is_bit_exact(tmp_path):
    straight = train(_cfg(2), tmp_path / "a").model.state_dict()
    train(_cfg(1), tmp_path / "b")
    resumed = train(_cfg(2), tmp_path / "b", resume=True)
    for name, tensor in resumed.model.state_dict().items():
        assert torch.equal(tensor, straight[name]), name
    assert [m["epoch"] for m in resumed.metrics] == [1, 2]
    loaded = checkpoint.load_run(tmp_path / "b").model.state_dict()
    assert all(torch.equal(loaded[k], straight[k]) for k in straight)


def test_autoencoder_trains_without_kl(tmp_path):
    cfg = _cfg(1)
    cfg = RunConfig(
        model=ModelConfig(hidden=(32,), latent_dim=2, autoencoder=True),
        data=DataConfig(name="digits"),
        train=cfg.train,
    )
    result = train(cfg, tmp_path)
    assert result.metrics[0]["test"]["kl"] == 0.0


def _digits(epochs=2, **train_kw):
    return RunConfig(model=ModelConfig(hidden=(32,), latent_dim=4, likelihood="bernoulli"),
                     data=DataConfig(name="digits"),
                     train=TrainConfig(epochs=epochs, batch_size=100, seed=2, **train_kw))


def test_free_bits_objective_and_negative_elbo_are_named_apart(tmp_path, capsys):
    result = train(_digits(free_bits=2.0), tmp_path, progress=True)
    for row in result.metrics:
        for split in ("train", "test"):
            terms = row[split]
            assert terms["negative_elbo"] == pytest.approx(terms["reconstruction"] + terms["kl"],
                                                           rel=1e-6)
            # the objective adds the floor the KL does not reach: 4 dims x 2 nats
            assert terms["objective"] > terms["negative_elbo"]
    assert "train objective" in capsys.readouterr().err  # the log names both numbers


def test_collapse_warning_is_said_once_with_advice_for_the_kind(tmp_path, capsys):
    result = train(_digits(epochs=3, beta=50.0), tmp_path, progress=True)
    warned = [row for row in result.metrics if "warning" in row]
    assert len(warned) == 3  # every collapsed epoch is marked in metrics.jsonl ...
    err = capsys.readouterr().err
    assert err.count("warning: posterior collapse") == 1  # ... but said once
    assert "--free-bits" in err and "--word-dropout" not in err  # image advice


def _poison_from_step(monkeypatch, module, first_bad):
    from vaekit.objectives import Loss

    real, calls = module.negative_elbo, {"n": 0}

    def poisoned(out, x, **kwargs):
        loss = real(out, x, **kwargs)
        calls["n"] += 1
        if calls["n"] >= first_bad:
            loss = Loss(total=loss.total * float("nan"), reconstruction=loss.reconstruction,
                        kl=loss.kl)
        return loss

    monkeypatch.setattr(module, "negative_elbo", poisoned)


@pytest.mark.parametrize("compiled", [False, True])
def test_bad_steps_between_checks_are_counted_and_reported(tmp_path, monkeypatch, compiled):
    """On a GPU the host reads finiteness every LOG_EVERY_STEPS steps; a bad step between
    two reads is counted on the device and reported, never skipped in silence."""
    import dataclasses

    from vaekit.errors import TrainingError
    from vaekit.training import compiled_step, trainer

    torch._dynamo.reset()
    cfg = _digits(epochs=1)
    cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, compile=compiled))
    t = trainer.Trainer(cfg, tmp_path)
    assert (t.compiled_step is not None) == compiled
    t.check_every = 4  # as on a GPU, with a shorter period
    _poison_from_step(monkeypatch, compiled_step if compiled else trainer, first_bad=6)
    if not compiled:  # the eager step calls the loss through the trainer's compiled wrapper
        t.elbo_terms = t._elbo_terms
    with pytest.raises(TrainingError, match=r"3 non-finite step\(s\) between step 5 and step 8"):
        t.train_epoch()
    assert not (tmp_path / "model.safetensors").exists()  # nothing saved after a bad step
