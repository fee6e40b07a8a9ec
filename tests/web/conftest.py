"""Tiny trained runs for the explorer's tests (one training each per test session)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.training.trainer import train

SEQUENCE_MODEL = importlib.util.find_spec("vaekit.models.lstm") is not None
NO_SEQUENCE_MODEL = "vaekit.models.lstm (the LSTM melody model) is not written yet"


def _train(tmp_path_factory, name: str, config: RunConfig) -> Path:
    out = tmp_path_factory.mktemp("web") / name
    train(config, out)
    return out


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory) -> Path:
    """A dense VAE with a 2-D latent on the 8x8 digits, 1 epoch."""
    return _train(tmp_path_factory, "digits", RunConfig(
        model=ModelConfig(hidden=(32,), latent_dim=2, likelihood="bernoulli"),
        data=DataConfig(name="digits"), train=TrainConfig(epochs=1, batch_size=100)))


@pytest.fixture(scope="session")
def conditional_run(tmp_path_factory) -> Path:
    """A conditional VAE on the 8x8 digits: every decoding takes a class label."""
    return _train(tmp_path_factory, "conditional", RunConfig(
        model=ModelConfig(hidden=(32,), latent_dim=2, likelihood="bernoulli", conditional=True),
        data=DataConfig(name="digits"), train=TrainConfig(epochs=1, batch_size=100)))


@pytest.fixture(scope="session")
def wide_run(tmp_path_factory) -> Path:
    """A 20-D latent: more dimensions than sliders, and a PCA map."""
    return _train(tmp_path_factory, "wide", RunConfig(
        model=ModelConfig(hidden=(32,), latent_dim=20), data=DataConfig(name="digits"),
        train=TrainConfig(epochs=1, batch_size=100)))


@pytest.fixture(scope="session")
def melody_run(tmp_path_factory) -> Path:
    if not SEQUENCE_MODEL:
        pytest.skip(NO_SEQUENCE_MODEL)
    return _train(tmp_path_factory, "melody", RunConfig(
        model=ModelConfig(arch="lstm", likelihood="categorical", latent_dim=4,
                          embedding_dim=16, rnn_hidden=32),
        data=DataConfig(name="nottingham", limit_train=512, limit_test=64),
        train=TrainConfig(epochs=1, batch_size=64)))


@pytest.fixture(scope="session")
def digits_explorer(digits_run):
    from vaekit.web.service import Explorer

    return Explorer(digits_run)
