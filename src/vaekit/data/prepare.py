"""A run's data: the one place that turns a config into the examples a run sees.

Training, every command and the web explorer call `prepare` (or `load_split`): it loads
the dataset as configured (or takes one passed from Python: a Dataset, or image arrays),
completes the config from it -- the input shape, the vocabulary, the kind of data (image,
melody or text), the validation fraction and the name that reopens it -- checks the
values, applies the limits, carves the validation split out of the training split and
binarises the held-out sets once with a fixed seed (the binarised-MNIST protocol). Fields
whose default depends on the kind of data (config.KIND_DEFAULTS: free bits) are filled in
here, once the kind is known. The completed config is what a run saves, so a later
command gets the same examples back.

The validation split: data.valid_fraction of the (limited) training examples, drawn by a
permutation seeded with 0 (`random_split`, the same whatever train.seed is); the rest
train. When data.valid_fraction is None it is DEFAULT_VALID_FRACTION if early stopping,
keep_best or the plateau schedule needs a validation split, else 0. Melody and text
windows are drawn from the training tunes and lines, so their validation split is closer
to the training data than the test split (whole held-out tunes) is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import torch

from vaekit.config import ModelConfig, RunConfig, complete_for_kind
from vaekit.data.dataset import Dataset, Split, random_split
from vaekit.data.registry import IN_MEMORY, load_dataset
from vaekit.errors import ConfigError, DataError

TEST_BINARIZATION_SEED = 1234  # the fixed binarisation of the test set
VALID_BINARIZATION_SEED = 1235  # ... and of the validation set
DEFAULT_VALID_FRACTION = 0.1
VALID_SPLIT_SEED = 0
SPLITS = ("train", "valid", "test")


def check_values(name: str, split: Split, model: ModelConfig) -> None:
    """Refuse data the likelihood cannot score, at load time rather than as a NaN later.
    Integer pixels lie in [0, 1] once scaled (the registry checks them against their
    scale), so only float and token data are scanned here."""
    if len(split) == 0:
        raise DataError(f"{name}: the split is empty")
    if split.scale is not None:
        return
    x = split.data
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
    shape = tuple(data.train.data.shape[1:])
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


def valid_fraction(config: RunConfig) -> float:
    """The validation fraction a run uses (see the module docstring for None)."""
    if config.data.valid_fraction is not None:
        return config.data.valid_fraction
    t = config.train
    needed = t.early_stopping > 0 or t.keep_best or t.lr_schedule == "plateau"
    return DEFAULT_VALID_FRACTION if needed else 0.0


def _binarized(split: Split, seed: int) -> Split:
    """One fixed Bernoulli draw of a held-out split, kept as 0/1 uint8."""
    gen = torch.Generator().manual_seed(seed)
    b = torch.bernoulli(split.x[:], generator=gen).to(torch.uint8)
    return Split(b, split.y, split.attrs, scale=1.0)


def prepare(config: RunConfig, dataset: Dataset | None = None, *, data: Any = None,
            labels: Any = None, progress: Callable[[int, int], None] | None = None
            ) -> tuple[RunConfig, Dataset]:
    """The run's data and its completed config.

    Loads `config.data.name` (or takes `dataset`, e.g. one built in Python, or `data`:
    image arrays or tensors with optional `labels`, see vaekit.data.images.arrays),
    completes the config from it (input shape, vocabulary, `data.kind`, the validation
    fraction, and `data.name`: data passed from Python that no name reopens is recorded as
    "python:NAME"), applies the limits, carves the validation split, checks the values,
    and binarises the held-out splits once (seeded) for dynamic binarisation.
    `progress(done, total)` reports a first decoding of image folders."""
    if data is not None:
        if dataset is not None:
            raise ValueError("pass either dataset= or data=, not both")
        from vaekit.data.images.arrays import array_dataset

        dataset = array_dataset("array", data, train_labels=labels, cfg=config.data)
    loaded = dataset or load_dataset(config.data.name, config=config.data, progress=progress)
    if config.data.kind is not None and config.data.kind != loaded.kind:
        raise DataError(f"data.kind is {config.data.kind!r} but {loaded.name} holds "
                        f"{loaded.kind} data")
    fraction = valid_fraction(config)
    name = loaded.source or f"{IN_MEMORY}:{loaded.name}"
    config = dataclasses.replace(
        config, model=_model_config(config.model, loaded),
        data=dataclasses.replace(config.data, name=name, kind=loaded.kind,
                                 valid_fraction=fraction))
    config = complete_for_kind(config, loaded.kind)  # per-kind defaults (KIND_DEFAULTS)
    if loaded.kind != "image" and (config.data.binarize != "none"
                                   or config.data.corruption != "none"):
        raise ConfigError("data.binarize and data.corruption apply to images only")
    train = loaded.train.head(config.data.limit_train)
    test = loaded.test.head(config.data.limit_test)
    valid = None
    if fraction > 0:
        if len(train) < 2:
            raise DataError(f"{loaded.name}: too few training examples for a validation split")
        train_idx, valid_idx = random_split(len(train), fraction, seed=VALID_SPLIT_SEED)
        train, valid = train.select(train_idx), train.select(valid_idx)
    for split_name, split in (("train", train), ("valid", valid), ("test", test)):
        if split is not None:
            check_values(f"{loaded.name} {split_name}", split, config.model)
    if config.data.binarize == "dynamic":
        test = _binarized(test, TEST_BINARIZATION_SEED)
        valid = None if valid is None else _binarized(valid, VALID_BINARIZATION_SEED)
    return config, dataclasses.replace(loaded, train=train, valid=valid, test=test)


def load_split(config: RunConfig, name: str) -> Split:
    """One split ("train", "valid" or "test") of a run's data, exactly as the run saw it."""
    if name not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {name!r}")
    _, data = prepare(config)
    split = getattr(data, name)
    if split is None:
        raise ConfigError(f"{config.data.name}: this run has no validation split "
                          "(data.valid_fraction is 0)")
    return split
