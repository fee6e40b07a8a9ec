"""Training controls in the loop: the validation split, early stopping with the best
weights, schedules that survive --resume bit for bit, TensorBoard, non-square inputs."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from vaekit import checkpoint
from vaekit.analysis.evaluate import elbo_terms
from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.data.prepare import load_split
from vaekit.training.trainer import Trainer, train


def _overfitting(epochs=40, **train_kw):
    """50 training digits (8x8), a wide net, a high rate: after about 8 epochs the
    validation -ELBO turns up."""
    return RunConfig(
        model=ModelConfig(hidden=(256,), latent_dim=16, likelihood="bernoulli"),
        data=DataConfig(name="digits", limit_train=100, valid_fraction=0.5),
        train=TrainConfig(epochs=epochs, batch_size=10, lr=3e-3, seed=0, **train_kw))


def test_early_stopping_stops_before_the_budget_and_keeps_the_best_weights(tmp_path):
    result = train(_overfitting(early_stopping=3), tmp_path)
    rows = result.metrics
    valid = [r["valid"]["negative_elbo"] for r in rows]
    best = int(np.argmin(valid))
    assert len(rows) < 40 and rows[-1]["stopped_early"]  # stopped before its budget
    assert len(rows) == best + 1 + 3  # three epochs without a better validation -ELBO
    assert valid[-1] > valid[best]  # it overfits: the last weights are worse
    # the run keeps the best epoch's weights: scoring them again gives its number exactly
    run = checkpoint.load_run(tmp_path)
    tc = run.config.train
    again = elbo_terms(run.model, load_split(run.config, "valid").x, beta=tc.beta,
                       batch_size=tc.eval_batch_size, seed=tc.seed)
    assert again.negative_elbo == pytest.approx(valid[best], rel=1e-6)
    assert rows[-1]["test_weights_epoch"] == best + 1 and "test" in rows[-1]
    assert all("test" not in r for r in rows[:-1])  # the test split only at the end
    assert run.step == rows[best]["step"]


def _interrupted(cfg, run_dir, epochs):
    """A run of `cfg` stopped (as by a crash) after `epochs` saved epochs."""
    t = Trainer(cfg, run_dir)
    for _ in range(epochs):
        t._end_epoch(t.train_epoch(), 0.0)


@pytest.mark.parametrize("schedule", ["cosine", "plateau"])
def test_schedules_survive_resume_bit_for_bit(tmp_path, schedule):
    # plateau: the rate is halved after epoch 9, the first without a better -ELBO
    cfg = _overfitting(epochs=10, lr_schedule=schedule, plateau_patience=0, lr_min=1e-5)
    straight = train(cfg, tmp_path / "a")
    _interrupted(cfg, tmp_path / "b", 9 if schedule == "plateau" else 5)
    resumed = train(cfg, tmp_path / "b", resume=True)
    for name, tensor in resumed.model.state_dict().items():
        assert torch.equal(tensor, straight.model.state_dict()[name]), name
    rates = [r["lr"] for r in straight.metrics]
    assert [r["lr"] for r in resumed.metrics] == rates
    assert rates[-1] < rates[0]  # the schedule did lower the rate (the test is not vacuous)


def test_validation_rows_and_tensorboard(tmp_path):
    pytest.importorskip("tensorboard")
    cfg = _overfitting(epochs=2, tensorboard=True)
    result = train(cfg, tmp_path)
    assert [sorted(k for k in r if k in ("train", "valid", "test")) for r in result.metrics] \
        == [["train", "valid"], ["test", "train", "valid"]]
    events = list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    assert events
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(tmp_path / "tensorboard"))
    acc.Reload()
    assert {"train/negative_elbo", "valid/kl", "test/negative_elbo", "train/lr"} <= set(
        acc.Tags()["scalars"])
    assert [e.value for e in acc.Scalars("valid/negative_elbo")] == pytest.approx(
        [r["valid"]["negative_elbo"] for r in result.metrics])
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["test"]["negative_elbo"] > 0


@pytest.mark.parametrize("arch", ["dense", "conv"])
def test_dense_and_conv_train_on_28x20_arrays(tmp_path, arch):
    rng = np.random.default_rng(0)
    faces = rng.integers(0, 256, (120, 28, 20), dtype=np.uint8)
    cfg = RunConfig(model=ModelConfig(arch=arch, hidden=(32,), latent_dim=3, channels=(8, 16)),
                    data=DataConfig(), train=TrainConfig(epochs=2, batch_size=32))
    result = train(cfg, tmp_path, data=faces)
    assert result.config.model.input_shape == (1, 28, 20)
    assert result.config.data.name == "python:array"
    out = result.model(torch.rand(2, 1, 28, 20))
    assert out.p_x.mean.shape == (2, 1, 28, 20)
    losses = [r["test"]["negative_elbo"] for r in result.metrics]
    assert losses[-1] < losses[0]


def test_old_runs_read_without_the_new_fields(tmp_path):
    cfg = dataclasses.replace(_overfitting(epochs=1), data=DataConfig(name="digits"))
    train(cfg, tmp_path)
    doc = json.loads((tmp_path / "config.json").read_text())
    for key in ("fit", "valid_fraction", "labels_key"):
        doc["data"].pop(key)
    doc["data"]["name"] = "folder:/somewhere"
    doc["data"]["image_size"] = 64  # written as one int then
    (tmp_path / "config.json").write_text(json.dumps(doc))
    config = checkpoint.load_config(tmp_path)
    assert config.data.fit == "crop" and config.data.valid_fraction == 0.0
    assert config.data.image_size == (64,)
