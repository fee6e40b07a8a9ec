"""prepare: the validation split (seeded, recorded), data passed as arrays."""

import numpy as np
import pytest
import torch

from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.data.prepare import load_split, prepare
from vaekit.errors import ConfigError


def _cfg(**data_kw):
    return RunConfig(model=ModelConfig(hidden=(8,), latent_dim=2),
                     data=DataConfig(name="digits", **data_kw), train=TrainConfig())


def test_validation_split_is_carved_from_training_seeded_and_recorded():
    config, data = prepare(_cfg(valid_fraction=0.2))
    assert config.data.valid_fraction == 0.2
    assert (len(data.train), len(data.valid), len(data.test)) == (1200, 300, 297)
    again = load_split(config, "valid")
    assert torch.equal(again.x, data.valid.x)
    rows = {tuple(r.flatten().tolist()) for r in data.train.x}
    assert not any(tuple(r.flatten().tolist()) in rows for r in data.valid.x[:50])


def test_default_validation_fraction_follows_the_controls():
    assert prepare(_cfg())[0].data.valid_fraction == 0.0  # plain runs: all training data
    stopping = RunConfig(model=ModelConfig(hidden=(8,), latent_dim=2),
                         data=DataConfig(name="digits"), train=TrainConfig(early_stopping=3))
    config, data = prepare(stopping)
    assert config.data.valid_fraction == 0.1 and len(data.valid) == 150
    with pytest.raises(ConfigError, match="no validation split"):
        load_split(prepare(_cfg())[0], "valid")


def test_arrays_from_python_are_recorded_as_python_data():
    faces = np.random.default_rng(0).integers(0, 256, (40, 28, 20), dtype=np.uint8)
    config, data = prepare(_cfg(), data=faces, labels=np.arange(40) % 2)
    assert config.data.name == "python:array" and config.model.input_shape == (1, 28, 20)
    assert len(data.train) + len(data.test) == 40 and data.train.y is not None
