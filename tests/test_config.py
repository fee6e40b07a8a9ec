import pytest

from vaekit.config import (
    ModelConfig,
    RunConfig,
    TrainConfig,
    apply_overrides,
    config_from_dict,
    config_to_dict,
    load_toml,
)
from vaekit.errors import ConfigError


def test_defaults_are_the_seeds_model():
    cfg = RunConfig()
    assert cfg.model.arch == "dense"
    assert cfg.model.latent_dim == 5
    assert cfg.model.likelihood == "gaussian"
    assert cfg.data.name == "mnist"


def test_dict_round_trip():
    cfg = RunConfig(model=ModelConfig(hidden=(256, 128), input_shape=(1, 28, 28)))
    assert config_from_dict(config_to_dict(cfg)) == cfg


def test_toml_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[model]\nlatent_dim = 20\nhidden = [400]\n[train]\nepochs = 3\nlr = 2e-3\n')
    cfg = load_toml(path)
    assert cfg.model.latent_dim == 20 and cfg.model.hidden == (400,)
    assert cfg.train == TrainConfig(epochs=3, lr=2e-3)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("[model]\nlatent_dims = 3\n", "unknown config key model.latent_dims"),
        ("[modle]\nlatent_dim = 3\n", "unknown config section 'modle'"),
        ("[model]\nlatent_dim = 'x'\n", "model.latent_dim: expected an integer"),
        ("[model]\nlatent_dim = 0\n", "model.latent_dim must be at least 1"),
        ("[train]\nlr = -1.0\n", "train.lr must be positive"),
        ("[train]\nlr = nan\n", "train.lr: expected a finite number"),
        ("[model\n", "invalid TOML"),
    ],
)
def test_bad_toml_is_a_config_error(tmp_path, text, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=fragment.replace("[", r"\[").replace("(", r"\(")):
        load_toml(path)


def test_missing_toml():
    with pytest.raises(ConfigError, match="config file not found"):
        load_toml("/nonexistent/c.toml")


def test_overrides_coerce_types():
    cfg = apply_overrides(
        RunConfig(),
        ["model.hidden=512,256", "model.autoencoder=true", "train.grad_clip_norm=none",
         "train.beta=0.5"],
    )
    assert cfg.model.hidden == (512, 256)
    assert cfg.model.autoencoder is True
    assert cfg.train.grad_clip_norm is None
    assert cfg.train.beta == 0.5


@pytest.mark.parametrize("item", ["model.nope=1", "nodot=1", "model.latent_dim", "x.y=1"])
def test_bad_overrides(item):
    with pytest.raises(ConfigError):
        apply_overrides(RunConfig(), [item])


def test_binarize_needs_bernoulli():
    with pytest.raises(ConfigError, match="bernoulli"):
        config_from_dict({"data": {"binarize": "dynamic"}})
