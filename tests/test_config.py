import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


# --- fuzzing: any TOML text -> a RunConfig or a ConfigError ---

_KEYS = ["model", "data", "train", "latent_dim", "hidden", "epochs", "lr", "name", "beta",
         "binarize", "autoencoder", "input_shape", "x"]
_VALUES = st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=True), st.booleans(),
                    st.text(max_size=12), st.lists(st.integers(-5, 10**6), max_size=4))


@pytest.mark.fuzz
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_fuzz_any_toml_text(text):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.toml"
        path.write_bytes(text.encode("utf-8", errors="replace"))
        try:
            cfg = load_toml(path)
        except ConfigError as exc:
            assert str(exc)
        else:
            assert isinstance(cfg, RunConfig)


@pytest.mark.fuzz
@given(st.dictionaries(st.sampled_from(["model", "data", "train", "other"]),
                       st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=4)
                       | _VALUES, max_size=3))
def test_fuzz_structured_configs(doc):
    try:
        cfg = config_from_dict(doc)
    except ConfigError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert cfg.model.latent_dim >= 1 and cfg.train.lr > 0


def test_unprintable_keys_keep_messages_on_one_line():
    # found by the 20,000-example fuzz run: a key holding a newline
    with pytest.raises(ConfigError) as info:
        config_from_dict({"model": {"\n": 1}})
    assert "\n" not in str(info.value) and "'\\n'" in str(info.value)


def test_option_lists_are_declared_once_and_the_registries_agree():
    from vaekit.config import CHOICES
    from vaekit.models.build import ARCHITECTURES, LIKELIHOODS
    from vaekit.nn.mlp import ACTIVATIONS

    assert set(CHOICES["model.arch"]) == set(ARCHITECTURES)
    assert set(CHOICES["model.likelihood"]) == set(LIKELIHOODS)
    assert set(CHOICES["model.activation"]) == set(ACTIVATIONS)


def test_kind_defaults_fill_only_fields_left_unset():
    from vaekit.config import KIND_DEFAULTS, complete_for_kind

    assert TrainConfig().free_bits is None  # decided by the kind of data
    assert KIND_DEFAULTS["train.free_bits"] == {"image": 0.0, "melody": 1.0, "text": 1.0}
    for kind, expected in (("image", 0.0), ("melody", 1.0), ("text", 1.0)):
        assert complete_for_kind(RunConfig(), kind).train.free_bits == expected
    chosen = apply_overrides(RunConfig(), ["train.free_bits=0"])
    assert complete_for_kind(chosen, "melody").train.free_bits == 0.0  # the user's 0 stays
    # no KL term to floor: the IWAE bound, an auto-encoder, a decoder that ignores z
    for override in ("train.objective=iwae", "model.autoencoder=true",
                     "model.decoder=language_model"):
        cfg = apply_overrides(RunConfig(), [override])
        assert complete_for_kind(cfg, "melody").train.free_bits == 0.0, override
    with pytest.raises(ConfigError, match="free bits|free_bits"):
        apply_overrides(RunConfig(), ["train.objective=iwae", "train.free_bits=1"])
    with pytest.raises(ConfigError, match="data.kind"):
        complete_for_kind(RunConfig(), "video")


def test_fast_fills_the_families_setting_where_the_user_left_the_default():
    from vaekit.config import complete_for_kind

    fast = apply_overrides(RunConfig(), ["train.fast=true"])
    dense = complete_for_kind(fast, "image").train
    assert (dense.precision, dense.compile) == ("bf16", True)
    lstm = complete_for_kind(apply_overrides(fast, ["model.arch=lstm",
                                                    "model.likelihood=categorical"]), "melody")
    assert (lstm.train.precision, lstm.train.compile) == ("bf16", False)  # measured: no compile
    mine = complete_for_kind(apply_overrides(fast, ["train.precision=fp32-fast"]), "image")
    assert (mine.train.precision, mine.train.compile) == ("fp32-fast", True)  # the user's wins
    plain = complete_for_kind(RunConfig(), "image").train
    assert (plain.precision, plain.compile, plain.fast) == ("fp32", False, False)


def test_fast_flag_sets_train_fast():
    import argparse

    from vaekit.cli.common import add_config_flags, config_from_args

    parser = argparse.ArgumentParser()
    add_config_flags(parser)
    assert config_from_args(parser.parse_args(["--fast"])).train.fast is True
    assert config_from_args(parser.parse_args([])).train.fast is False
