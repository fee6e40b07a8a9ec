import json

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
    losses = [m["test"]["loss"] for m in result.metrics]
    assert losses[-1] < losses[0] - 20
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert rows[-1]["step"] == 3 * 16
    assert rows[0]["units"] == "nats per example"
    for r in rows:
        total = r["test"]["reconstruction"] + r["test"]["kl"]
        assert abs(r["test"]["loss"] - total) < 1e-3


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
