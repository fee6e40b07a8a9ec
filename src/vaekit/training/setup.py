"""Everything the trainer needs before its loop: the device, the data as configured, and
the model config completed from the data (input shape, vocabulary)."""

from __future__ import annotations

import dataclasses

import torch

from vaekit.config import ModelConfig, RunConfig
from vaekit.data.dataset import Dataset, Split
from vaekit.data.registry import load_dataset
from vaekit.errors import ConfigError, DataError

TEST_BINARIZATION_SEED = 1234  # the fixed binarisation of the test set


def resolve_device(name: str) -> torch.device:
    mps = getattr(torch.backends, "mps", None)
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("train.device=cuda but no CUDA device is available")
    if name == "mps" and not (mps is not None and mps.is_available()):
        raise ConfigError("train.device=mps but MPS is not available")
    return torch.device(name)


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
    if model.likelihood == "bernoulli" and (lo < 0.0 or hi > 1.0):
        raise DataError(
            f"{name}: values in [{lo:g}, {hi:g}], but a Bernoulli likelihood needs targets in "
            "[0, 1]; rescale the data or use --likelihood gaussian"
        )


def model_config_for(model: ModelConfig, data: Dataset) -> ModelConfig:
    """Complete the model config from the data. Sequence data with the default (image)
    model switches to the LSTM model with a categorical likelihood."""
    sequence = data.kind in ("melody", "text")
    if sequence and model.arch != "lstm":
        if (model.arch, model.likelihood) != ("dense", "gaussian"):
            raise ConfigError(f"{data.name} holds sequences: use --model lstm "
                              "(with the categorical likelihood)")
        model = dataclasses.replace(model, arch="lstm", likelihood="categorical")
    if not sequence and model.arch == "lstm":
        raise ConfigError(f"{data.name} holds images: --model lstm is for sequences")
    return dataclasses.replace(
        model,
        input_shape=tuple(data.train.x.shape[1:]),
        vocab_size=data.vocab_size if sequence else None,
        pad_token=data.pad_token if sequence else None,
    )


def prepare(config: RunConfig, dataset: Dataset | None = None) -> tuple[RunConfig, Dataset]:
    """Load the data, complete the config from it, apply limits, check values, and binarise
    the test set once (seeded) for dynamic binarisation (the binarised-MNIST protocol)."""
    data = dataset or load_dataset(config.data.name, config=config.data)
    config = dataclasses.replace(config, model=model_config_for(config.model, data))
    if data.kind != "image" and (config.data.binarize != "none"
                                 or config.data.corruption != "none"):
        raise ConfigError("data.binarize and data.corruption apply to images only")
    train = data.train.head(config.data.limit_train)
    test = data.test.head(config.data.limit_test)
    for name, split in (("train", train), ("test", test)):
        check_values(f"{config.data.name} {name}", split.x, config.model)
    if config.data.binarize == "dynamic":
        gen = torch.Generator().manual_seed(TEST_BINARIZATION_SEED)
        test = Split(torch.bernoulli(test.x, generator=gen), test.y, test.attrs)
    return config, dataclasses.replace(data, train=train, test=test)
