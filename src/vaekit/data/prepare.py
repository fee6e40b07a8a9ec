"""A run's data: the one place that turns a config into the examples a run sees.

Training, every command and the web explorer call `prepare` (or `load_split`): it loads
the dataset as configured (or takes one passed from Python), completes the config from it
-- the input shape, the vocabulary, the kind of data (image, melody or text) and the name
that reopens it -- checks the values, applies the limits and binarises the test set once
with a fixed seed (the binarised-MNIST protocol). Fields whose default depends on the kind
of data (config.KIND_DEFAULTS: free bits) are filled in here, once the kind is known. The
completed config is what a run saves, so a later command gets the same examples back.
"""

from __future__ import annotations

import dataclasses

import torch

from vaekit.config import ModelConfig, RunConfig, complete_for_kind
from vaekit.data.dataset import Dataset, Split
from vaekit.data.registry import IN_MEMORY, load_dataset
from vaekit.errors import ConfigError, DataError

TEST_BINARIZATION_SEED = 1234  # the fixed binarisation of the test set


def check_values(name: str, x: torch.Tensor, model: ModelConfig) -> None:
    """Refuse data the likelihood cannot score, at load time rather than as a NaN later."""
    if x.shape[0] == 0:
        raise DataError(f"{name}: the split is empty")
    if model.likelihood == "categorical":
        if x.dtype != torch.int64:
            raise DataError(f"{name}: sequence data must be int64 token classes")
        lo, hi = int(x.min()), int(x.max())
        if lo < 0 or (model.vocab_size is not None and hi >= model.vocab_size):
            raise DataError(f"{name}: token classes in [{lo}, {hi}] outside the vocabulary "
                            f"of {model.vocab_size}")
        return
    if not torch.isfinite(x).all():
        raise DataError(f"{name}: {int((~torch.isfinite(x)).sum())} values are NaN or infinite")
    lo, hi = float(x.min()), float(x.max())
    if model.likelihood in ("bernoulli", "continuous_bernoulli") and (lo < 0.0 or hi > 1.0):
        raise DataError(
            f"{name}: values in [{lo:g}, {hi:g}], but a {model.likelihood} likelihood needs "
            "targets in [0, 1]; rescale the data or use --likelihood gaussian"
        )


def _model_config(model: ModelConfig, data: Dataset) -> ModelConfig:
    """Complete the model config from the data. Sequence data with the default (image)
    model switches to the LSTM model with a categorical likelihood. A shape given in the
    config must be the data's: shapes come from the data, never the other way round."""
    sequence = data.kind in ("melody", "text")
    if sequence and model.arch != "lstm":
        if (model.arch, model.likelihood) != ("dense", "gaussian"):
            raise ConfigError(f"{data.name} holds sequences: use --model lstm "
                              "(with the categorical likelihood)")
        model = dataclasses.replace(model, arch="lstm", likelihood="categorical")
    if sequence and model.likelihood == "gaussian":  # the default: --model lstm alone
        model = dataclasses.replace(model, likelihood="categorical")
    if not sequence and model.arch == "lstm":
        raise ConfigError(f"{data.name} holds images: --model lstm is for sequences")
    if not sequence and model.decoder != "flat":
        raise ConfigError(f"{data.name} holds images: model.decoder={model.decoder} is for "
                          "sequences")
    shape = tuple(data.train.x.shape[1:])
    if model.input_shape is not None and tuple(model.input_shape) != shape:
        raise DataError(
            f"model.input_shape {list(model.input_shape)} does not match the data: "
            f"{data.name} gives {list(shape)} (the input shape comes from the data"
            + ("; image folders are resized with --image-size)" if not sequence else ")"))
    return dataclasses.replace(
        model,
        input_shape=shape,
        vocab_size=data.vocab_size if sequence else None,
        pad_token=data.pad_token if sequence else None,
        classes=_classes(model, data),
    )


def _classes(model: ModelConfig, data: Dataset) -> int | None:
    """The number of class labels a conditional model is fed (None for other models): from
    the data's label names, else the largest label + 1; both splits must be labelled."""
    if not model.conditional:
        return None
    if data.train.y is None or data.test.y is None:
        raise ConfigError(f"--conditional needs class labels, and {data.name} has none "
                          "(image folders: one subfolder per class)")
    if min(int(data.train.y.min()), int(data.test.y.min())) < 0:
        raise DataError(f"{data.name}: class labels must be 0, 1, 2, ...; found a negative one")
    found = max(int(data.train.y.max()), int(data.test.y.max())) + 1
    classes = max(found, len(data.label_names or ()))
    if model.classes is not None and model.classes != classes:
        raise DataError(f"model.classes is {model.classes} but {data.name} has {classes} "
                        "classes")
    return classes


def prepare(config: RunConfig, dataset: Dataset | None = None) -> tuple[RunConfig, Dataset]:
    """The run's data and its completed config.

    Loads `config.data.name` (or takes `dataset`, e.g. one built in Python), completes the
    config from it (input shape, vocabulary, `data.kind`, and `data.name`: a dataset
    passed from Python that no name reopens is recorded as "python:NAME"), applies the
    limits, checks the values, and binarises the test set once (seeded) for dynamic
    binarisation."""
    data = dataset or load_dataset(config.data.name, config=config.data)
    if config.data.kind is not None and config.data.kind != data.kind:
        raise DataError(f"data.kind is {config.data.kind!r} but {data.name} holds {data.kind} "
                        "data")
    name = data.source or f"{IN_MEMORY}:{data.name}"
    config = dataclasses.replace(
        config, model=_model_config(config.model, data),
        data=dataclasses.replace(config.data, name=name, kind=data.kind))
    config = complete_for_kind(config, data.kind)  # per-kind defaults (config.KIND_DEFAULTS)
    if data.kind != "image" and (config.data.binarize != "none"
                                 or config.data.corruption != "none"):
        raise ConfigError("data.binarize and data.corruption apply to images only")
    train = data.train.head(config.data.limit_train)
    test = data.test.head(config.data.limit_test)
    for split_name, split in (("train", train), ("test", test)):
        check_values(f"{data.name} {split_name}", split.x, config.model)
    if config.data.binarize == "dynamic":
        gen = torch.Generator().manual_seed(TEST_BINARIZATION_SEED)
        test = Split(torch.bernoulli(test.x, generator=gen), test.y, test.attrs)
    return config, dataclasses.replace(data, train=train, test=test)


def load_split(config: RunConfig, name: str) -> Split:
    """One split ("train" or "test") of a run's data, exactly as the run saw it."""
    if name not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {name!r}")
    _, data = prepare(config)
    return data.train if name == "train" else data.test
