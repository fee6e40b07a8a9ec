"""Configuration: frozen dataclasses whose field defaults are the defaults.

One source of truth (as nanoGPT's GPTConfig): the command line, TOML files and
`--set section.key=value` overrides all land here, and the resolved `RunConfig` is saved
in every run directory (config.json) and rebuilds the model from it. Unknown keys and
values of the wrong type are `ConfigError`s, never silently ignored.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vaekit.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


@dataclass(frozen=True)
class ModelConfig:
    """The VAE's parts. Sizes are in units (neurons), `latent_dim` in dimensions of z."""

    arch: str = "dense"  # encoder/decoder family: dense | conv | lstm (vaekit.models.build)
    latent_dim: int = 5  # the seed's default
    hidden: tuple[int, ...] = (400,)  # dense layers (encoder order; the decoder mirrors them)
    activation: str = "relu"
    # gaussian (squared error, fixed sigma) | gaussian_learned (one learned sigma) |
    # gaussian_optimal (sigma-VAE's analytic sigma) | bernoulli (BCE) | continuous_bernoulli
    # | categorical (tokens); see vaekit.models.likelihoods
    likelihood: str = "gaussian"
    autoencoder: bool = False  # plain AE: same encoder/decoder, no sampling, no KL
    conditional: bool = False  # images: the class label (one-hot) goes to encoder and decoder
    channels: tuple[int, ...] = (32, 64)  # conv: channels of each stride-2 convolution
    embedding_dim: int = 64  # lstm: token embedding size
    rnn_hidden: int = 256  # lstm: units per direction
    decoder: str = "flat"  # lstm: flat | hierarchical (bar by bar) | language_model (no z)
    word_dropout: float = 0.0  # lstm decoder: fraction of input tokens replaced (Bowman 2016)
    scheduled_sampling: float = 0.0  # lstm decoder: fraction of inputs from its own predictions
    log_std_min: float = -10.0  # clamp on the log-sigma head (numerical safety), nats
    log_std_max: float = 5.0
    # Filled in from the data when training starts, so a run directory rebuilds alone.
    input_shape: tuple[int, ...] | None = None  # (C, H, W) images, (T,) sequences
    vocab_size: int | None = None  # sequences: number of token classes
    pad_token: int | None = None  # sequences: the class that marks padding (not scored)
    classes: int | None = None  # conditional models: number of class labels


@dataclass(frozen=True)
class DataConfig:
    """Which data, and how it is presented to the model."""

    name: str = "mnist"  # a named dataset or KIND:PATH, see vaekit.data.registry
    path: str | None = None  # folder holding the dataset's files (searched first)
    binarize: str = "none"  # none | dynamic (Bernoulli-resampled each batch; test set fixed)
    limit_train: int | None = None  # use only the first N training examples (tests, demos)
    limit_test: int | None = None
    # Images from folders and arrays: (H, W), or one side for a square; None keeps the
    # images' own size (a folder's images must then all have one size).
    image_size: tuple[int, ...] | None = None
    # How images of another aspect ratio reach image_size: none (refused: the whole image,
    # aspect kept, nothing added or cut) | pad | crop | stretch (vaekit.data.images.decode)
    fit: str = "none"
    channels: int = 3  # image folders: 1 (grey) or 3 (RGB)
    labels_key: str | None = None  # npz arrays: the archive key holding (N,) int labels
    corruption: str = "none"  # denoising: none | gaussian | salt_pepper | mask (input only)
    noise_level: float = 0.0  # gaussian: sigma; salt_pepper: p; mask: fraction of pixels
    bars: int = 2  # melodies: window length in bars of 16 sixteenth-note steps
    transpose: tuple[int, ...] = (0,)  # melodies: semitone shifts added as augmentation
    melody: str = "top"  # MIDI: top | bottom | track:N | program:N (notes that make the melody)
    strict: bool = False  # MIDI folders: stop at an unreadable file (default: skip, warn)
    text_level: str = "char"  # text: char | word tokens
    max_len: int = 64  # text: longest line in tokens (longer lines are dropped)
    test_fraction: float = 0.1  # datasets without an official split: held-out fraction
    # Validation examples carved from the training split (seeded, vaekit.data.prepare) for
    # per-epoch evaluation, early stopping and the best weights. None: 0.1 when early
    # stopping, keep_best or the plateau schedule needs one, else 0 (all training data).
    valid_fraction: float | None = None
    # Filled in from the data when training starts (vaekit.data.prepare).
    kind: str | None = None  # image | melody | text: what the run's examples are


@dataclass(frozen=True)
class TrainConfig:
    """The optimisation. Loss units: nats per example (summed over pixels, batch mean)."""

    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    beta: float = 1.0  # weight on the KL term (1 = the ELBO); the schedule's final value
    kl_schedule: str = "constant"  # constant | linear | cyclical (Fu et al. 2019)
    kl_warmup_steps: int = 0  # linear: steps from beta=0 to beta; cyclical: ramp per cycle
    kl_cycle_steps: int = 0  # cyclical: steps per cycle (ramp, then hold)
    # Nats per latent dimension below which KL is not penalised; None: the kind's default
    # (KIND_DEFAULTS), filled in when the data is known.
    free_bits: float | None = None
    objective: str = "elbo"  # elbo | iwae (Burda et al. 2016)
    iw_samples: int = 1  # iwae: importance samples per example
    seed: int = 0
    grad_clip_norm: float | None = None  # clip the global gradient norm; None = off
    eval_batch_size: int = 1000
    device: str = "cpu"  # cpu | cuda | mps | auto
    # fp32: IEEE float32 everywhere. fp32-fast: float32 tensors, but CPU matmuls and convs
    # run in oneDNN's reduced-precision fp32 mode (see README: ~2x, error ~1e-6 relative).
    # bf16: autocast the forward pass to bfloat16.
    precision: str = "fp32"
    compile: bool = False  # torch.compile the training step (see training/compiled_step.py)
    # The recommended fast setting (--fast): FAST_SETTINGS for the model's family fills in
    # precision and compile where they are left at their defaults, once the data is known.
    fast: bool = False
    # Learning rate: constant | cosine (to lr_min over the run's steps, Loshchilov & Hutter
    # 2017, no restarts) | plateau (times plateau_factor after plateau_patience epochs
    # without a better validation -ELBO). See vaekit.training.controls.
    lr_schedule: str = "constant"
    lr_min: float = 0.0
    plateau_patience: int = 2  # epochs
    plateau_factor: float = 0.5
    early_stopping: int = 0  # stop after this many epochs without a better validation -ELBO
    keep_best: bool = False  # keep the best validation epoch's weights (early stopping does)
    tensorboard: bool = False  # also log scalars to RUN/tensorboard (extra: vaekit[tensorboard])


@dataclass(frozen=True)
class RunConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


MAX_WIDTH = 65_536  # units per layer / latent dimensions: a guard against absurd configs
MAX_INPUT_SIZE = 2**24  # values per example (4096 x 4096 grey)
MAX_PARAMETERS = 2**30  # weights of a model (4 GiB of float32): refused before allocating

SECTIONS: dict[str, type] = {"model": ModelConfig, "data": DataConfig, "train": TrainConfig}

# Defaults that depend on the kind of data, for fields whose default is None; the one place
# they live. vaekit.data.prepare fills them in (`complete_for_kind`) once the data says its
# kind, and the run saves the value it trained with. Why these values: README, "Melodies
# and text" -- measured on Nottingham, an LSTM VAE with beta = 1 collapses (test KL 0.2
# nats); 1 free nat per dimension (Kingma et al. 2016) keeps z in use and its held-out
# NLL below the count baselines'. Images keep the seed's plain ELBO.
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "train.free_bits": {"image": 0.0, "melody": 1.0, "text": 1.0},
}

# What --fast (train.fast) sets for each model family, where the user left the field at its
# default; measured against the tutorial loops in benchmarks/ (README: Speed).
FAST_SETTINGS: dict[str, dict[str, Any]] = {
    "dense": {"precision": "bf16", "compile": True},
    "conv": {"precision": "bf16", "compile": True},
    # LSTM: bf16 alone. On 2 CPU threads (benchmarks/lstm_speed.py, epoch 2) bf16 took
    # 11.3 s an epoch, bf16 + compile 16.7 s, compile 20.6 s, fp32 22.0 s: the fused LSTM
    # kernels leave inductor little to fuse, and its graph breaks cost more.
    "lstm": {"precision": "bf16"},
}

# Every enumerated option, declared once: validation here, the command line's choices, and
# the registries that map names to classes (vaekit.models.build, tested to agree).
CHOICES: dict[str, tuple[str, ...]] = {
    "model.arch": ("dense", "conv", "lstm"),
    "model.likelihood": ("gaussian", "gaussian_learned", "gaussian_optimal", "bernoulli",
                         "continuous_bernoulli", "categorical"),
    "model.activation": ("relu", "tanh", "elu", "gelu", "leaky_relu"),
    "model.decoder": ("flat", "hierarchical", "language_model"),
    "data.binarize": ("none", "dynamic"),
    "data.corruption": ("none", "gaussian", "salt_pepper", "mask"),
    "data.fit": ("none", "pad", "crop", "stretch"),
    "data.text_level": ("char", "word"),
    "data.kind": ("image", "melody", "text"),
    "train.kl_schedule": ("constant", "linear", "cyclical"),
    "train.objective": ("elbo", "iwae"),
    "train.precision": ("fp32", "fp32-fast", "bf16"),
    "train.lr_schedule": ("constant", "cosine", "plateau"),
}


# --- validation and coercion -------------------------------------------------------


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp).replace("typing.", ""))


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Turn a JSON/TOML/CLI value into the declared field type, or raise ConfigError."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        is_none = value is None or (isinstance(value, str) and value.lower() in ("none", "null"))
        if is_none and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], key)
    if origin is tuple:
        if isinstance(value, str):
            value = [v for v in value.replace(",", " ").split() if v]
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{key}: expected a list of numbers, got {value!r}")
        return tuple(_coerce(v, args[0], key) for v in value)
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
            return value.lower() in ("true", "1", "yes")
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    if tp is int:
        if isinstance(value, bool):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    if tp is float:
        if isinstance(value, bool):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{key}: expected a number, got {value!r}") from None
        if not math.isfinite(out):
            raise ConfigError(f"{key}: expected a finite number, got {value!r}")
        return out
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return value
    raise ConfigError(f"{key}: unsupported type {_type_name(tp)}")  # pragma: no cover


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _check(cfg: RunConfig) -> RunConfig:
    """Range checks that types alone cannot express."""
    m, d, t = cfg.model, cfg.data, cfg.train
    positive = {
        "model.latent_dim": m.latent_dim,
        "train.epochs": t.epochs,
        "train.batch_size": t.batch_size,
        "train.eval_batch_size": t.eval_batch_size,
    }
    for key, v in positive.items():
        if v < 1:
            raise ConfigError(f"{key} must be at least 1, got {v}")
    if any(h < 1 for h in m.hidden):
        raise ConfigError(f"model.hidden sizes must be at least 1, got {list(m.hidden)}")
    if m.latent_dim > MAX_WIDTH or any(h > MAX_WIDTH for h in m.hidden):
        raise ConfigError(f"model.latent_dim and model.hidden sizes must be at most {MAX_WIDTH}")
    if m.input_shape is not None:
        if not 1 <= len(m.input_shape) <= 3 or any(d < 1 for d in m.input_shape):
            raise ConfigError(f"model.input_shape must be 1 to 3 positive sizes, got "
                              f"{list(m.input_shape)}")
        if math.prod(m.input_shape) > MAX_INPUT_SIZE:
            raise ConfigError(f"model.input_shape {list(m.input_shape)} is larger than "
                              f"{MAX_INPUT_SIZE} values per example")
    if not t.lr > 0:
        raise ConfigError(f"train.lr must be positive, got {t.lr}")
    if t.beta < 0:
        raise ConfigError(f"train.beta must be >= 0, got {t.beta}")
    if t.grad_clip_norm is not None and not t.grad_clip_norm > 0:
        raise ConfigError(f"train.grad_clip_norm must be positive, got {t.grad_clip_norm}")
    if m.log_std_min >= m.log_std_max:
        raise ConfigError("model.log_std_min must be below model.log_std_max")
    for key, valid in CHOICES.items():
        section, name = key.split(".")
        value = getattr(getattr(cfg, section), name)
        if value is not None and value not in valid:
            raise ConfigError(f"{key} must be one of {', '.join(valid)}; got {value!r}")
    if d.binarize == "dynamic" and m.likelihood != "bernoulli":
        raise ConfigError("data.binarize=dynamic needs model.likelihood=bernoulli")
    for key, v in (("data.limit_train", d.limit_train), ("data.limit_test", d.limit_test)):
        if v is not None and v < 1:
            raise ConfigError(f"{key} must be at least 1, got {v}")
    if d.channels not in (1, 3):
        raise ConfigError(f"data.channels must be 1 or 3, got {d.channels}")
    if d.image_size is not None and (not 1 <= len(d.image_size) <= 2
                                     or any(not 1 <= n <= 4096 for n in d.image_size)):
        raise ConfigError(f"data.image_size must be one or two sizes (H W) in 1..4096, got "
                          f"{list(d.image_size)}")
    if d.noise_level < 0 or (d.corruption in ("salt_pepper", "mask") and d.noise_level > 1):
        raise ConfigError(f"data.noise_level {d.noise_level} is out of range for "
                          f"data.corruption={d.corruption}")
    if not 0 < d.test_fraction < 1:
        raise ConfigError(f"data.test_fraction must be in (0, 1), got {d.test_fraction}")
    if d.valid_fraction is not None and not 0 <= d.valid_fraction < 1:
        raise ConfigError(f"data.valid_fraction must be in [0, 1), got {d.valid_fraction}")
    if t.early_stopping < 0 or t.plateau_patience < 0:
        raise ConfigError("train.early_stopping and train.plateau_patience must be >= 0")
    if not 0 < t.plateau_factor < 1:
        raise ConfigError(f"train.plateau_factor must be in (0, 1), got {t.plateau_factor}")
    if not 0 <= t.lr_min < t.lr:
        raise ConfigError(f"train.lr_min must be in [0, train.lr), got {t.lr_min}")
    if (t.early_stopping or t.keep_best or t.lr_schedule == "plateau") and \
            d.valid_fraction == 0:
        raise ConfigError("early stopping, keep_best and the plateau schedule need a "
                          "validation split: set data.valid_fraction above 0")
    if not 1 <= d.bars <= 64 or not 1 <= d.max_len <= 10_000:
        raise ConfigError("data.bars must be in 1..64 and data.max_len in 1..10000")
    if any(abs(s) > 24 for s in d.transpose):
        raise ConfigError("data.transpose shifts must be within +-24 semitones")
    rule, _, number = d.melody.partition(":")
    if not (d.melody in ("top", "bottom") or (rule in ("track", "program") and number.isdigit()
                                               and (rule == "track" or int(number) <= 127))):
        raise ConfigError(f"data.melody must be top, bottom, track:N or program:N "
                          f"(program 0..127), got {d.melody!r}")
    if m.decoder != "flat" and m.arch not in ("lstm", "dense"):
        raise ConfigError(f"model.decoder={m.decoder} is a sequence decoder (model.arch=lstm)")
    if not 0 <= m.word_dropout <= 1:
        raise ConfigError(f"model.word_dropout must be in [0, 1], got {m.word_dropout}")
    if not 0 <= m.scheduled_sampling <= 1:
        raise ConfigError(f"model.scheduled_sampling must be in [0, 1], got "
                          f"{m.scheduled_sampling}")
    for key, v in (("model.embedding_dim", m.embedding_dim), ("model.rnn_hidden", m.rnn_hidden),
                   ("train.iw_samples", t.iw_samples)):
        if not 1 <= v <= MAX_WIDTH:
            raise ConfigError(f"{key} must be between 1 and {MAX_WIDTH}, got {v}")
    if any(not 1 <= c <= 4096 for c in m.channels) or len(m.channels) > 8:
        raise ConfigError(f"model.channels must be at most 8 sizes in 1..4096, got "
                          f"{list(m.channels)}")
    if m.vocab_size is not None and not 1 <= m.vocab_size <= 10**6:
        raise ConfigError(f"model.vocab_size must be in 1..1000000, got {m.vocab_size}")
    if m.pad_token is not None and not (m.vocab_size and 0 <= m.pad_token < m.vocab_size):
        raise ConfigError("model.pad_token must be a class index below model.vocab_size")
    if m.conditional and m.arch == "lstm":
        raise ConfigError("model.conditional is for image models (dense, conv)")
    if m.classes is not None and not 2 <= m.classes <= 100_000:
        raise ConfigError(f"model.classes must be between 2 and 100000, got {m.classes}")
    if min(t.kl_warmup_steps, t.kl_cycle_steps) < 0 or (t.free_bits or 0.0) < 0:
        raise ConfigError("train.kl_warmup_steps, kl_cycle_steps and free_bits must be >= 0")
    if t.kl_schedule == "cyclical" and not 0 < t.kl_warmup_steps <= t.kl_cycle_steps:
        raise ConfigError("train.kl_schedule=cyclical needs 0 < kl_warmup_steps <= "
                          "kl_cycle_steps")
    if t.objective == "iwae":
        if m.autoencoder:
            raise ConfigError("train.objective=iwae needs a VAE, not an auto-encoder")
        # The importance-weighted bound has no separate KL term to weight or floor.
        unsupported = [key for key, off in (("train.beta", t.beta == 1.0),
                                            ("train.free_bits", not t.free_bits),
                                            ("train.kl_schedule", t.kl_schedule == "constant"))
                       if not off]
        if unsupported:
            raise ConfigError(f"train.objective=iwae trains the bound itself, with no KL term "
                              f"to weight: drop {', '.join(unsupported)}")
    if t.device not in ("cpu", "cuda", "auto", "mps") and not t.device.startswith("cuda:"):
        raise ConfigError(f"train.device must be cpu, cuda, mps or auto, got {t.device!r}")
    return cfg


# --- building configs ----------------------------------------------------------------


def config_from_dict(data: dict[str, Any], *, base: RunConfig | None = None) -> RunConfig:
    """Build a RunConfig from nested dicts ({"model": {...}, ...}); unknown keys are errors."""
    if not isinstance(data, dict):
        raise ConfigError(f"a configuration must be a table of sections, got {type(data).__name__}")
    base = base or RunConfig()
    sections = {}
    for name, cls in SECTIONS.items():
        current = getattr(base, name)
        given = data.get(name, {})
        if not isinstance(given, dict):
            raise ConfigError(f"[{name}] must be a table of keys, got {given!r}")
        types_ = _field_types(cls)
        updates = {}
        for key, value in given.items():
            if key not in types_:
                valid = ", ".join(sorted(types_))
                shown = key if key.isprintable() else repr(key)  # messages stay one line
                raise ConfigError(f"unknown config key {name}.{shown} (valid keys: {valid})")
            updates[key] = _coerce(value, types_[key], f"{name}.{key}")
        sections[name] = dataclasses.replace(current, **updates)
    extra = set(data) - set(SECTIONS) - {"format", "format_version", "vaekit_version"}
    if extra:
        raise ConfigError(
            f"unknown config section {sorted(map(str, extra))[0]!r} "
            f"(valid: {', '.join(SECTIONS)})"
        )
    return _check(RunConfig(**sections))


def apply_overrides(cfg: RunConfig, overrides: list[str]) -> RunConfig:
    """Apply `section.key=value` strings (the CLI's --set) on top of a config."""
    nested: dict[str, dict[str, Any]] = {}
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set expects section.key=value, got {item!r}")
        path, value = item.split("=", 1)
        if path.count(".") != 1:
            raise ConfigError(f"--set expects section.key=value, got {item!r}")
        section, key = path.strip().split(".")
        if section not in SECTIONS:
            raise ConfigError(f"unknown config section {section!r} (valid: {', '.join(SECTIONS)})")
        nested.setdefault(section, {})[key] = value.strip()
    return config_from_dict(nested, base=cfg)


def load_toml(path: str | Path, *, base: RunConfig | None = None) -> RunConfig:
    """Read a TOML file with [model], [data], [train] tables."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return config_from_dict(data, base=base)


def complete_for_kind(cfg: RunConfig, kind: str) -> RunConfig:
    """`cfg` with every field left at None filled in with its KIND_DEFAULTS value for
    data of `kind` (image | melody | text). Free bits stay 0 where there is no KL term to
    floor: the IWAE objective, an auto-encoder, a decoder that never reads z. With
    train.fast, FAST_SETTINGS[model.arch] fills the fields left at their defaults."""
    if kind not in CHOICES["data.kind"]:
        raise ConfigError(f"data.kind must be one of {', '.join(CHOICES['data.kind'])}; "
                          f"got {kind!r}")
    no_kl = (cfg.train.objective == "iwae" or cfg.model.autoencoder
             or cfg.model.decoder == "language_model")
    sections = {name: {} for name in SECTIONS}
    for key, by_kind in KIND_DEFAULTS.items():
        section, name = key.split(".")
        if getattr(getattr(cfg, section), name) is None:
            sections[section][name] = 0.0 if key == "train.free_bits" and no_kl else by_kind[kind]
    if cfg.train.fast:
        defaults = TrainConfig()
        for name, value in FAST_SETTINGS[cfg.model.arch].items():
            if getattr(cfg.train, name) == getattr(defaults, name):
                sections["train"][name] = value
    return _check(RunConfig(**{name: dataclasses.replace(getattr(cfg, name), **updates)
                               for name, updates in sections.items()}))


def config_to_dict(cfg: RunConfig) -> dict[str, Any]:
    """Plain JSON-ready dict (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(cfg)))
