"""The trainer: one readable loop (nanoGPT's train.py style).

Data that fits in memory is held as one tensor and batched by indexing a shuffled
permutation; no per-sample Python. After every epoch: evaluation on the test split, then
the run directory is written (each file atomically). A resumed run continues bit for bit
on the CPU: the weights, the optimizer, the shuffling generator and the global RNG are
all restored from trainer_state.pt.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from vaekit import checkpoint
from vaekit.config import RunConfig
from vaekit.data.dataset import Dataset, Split
from vaekit.data.registry import load_dataset
from vaekit.errors import CheckpointError, ConfigError
from vaekit.models.build import build_vae
from vaekit.models.vae import VAE
from vaekit.objectives import dataset_negative_elbo, negative_elbo
from vaekit.training.log import Progress

LOG_EVERY_STEPS = 50  # host syncs for the progress bar happen this often, not every step
TEST_BINARIZATION_SEED = 1234  # the fixed binarisation of the test set


@dataclass
class TrainResult:
    run_dir: Path
    config: RunConfig
    model: VAE
    metrics: list[dict[str, Any]]


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("train.device=cuda but no CUDA device is available")
    if name == "mps" and not (
        getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
    ):
        raise ConfigError("train.device=mps but MPS is not available")
    return torch.device(name)


def prepare_data(config: RunConfig, dataset: Dataset | None = None) -> tuple[Split, Split]:
    """Train and test splits as configured (limits, fixed test binarisation)."""
    data = dataset or load_dataset(config.data.name, path=config.data.path)
    train, test = data.train.head(config.data.limit_train), data.test.head(config.data.limit_test)
    if config.data.binarize == "dynamic":
        # Training batches are resampled each step; the test set is binarised once, seeded,
        # so test numbers are comparable between runs (the binarised-MNIST protocol).
        gen = torch.Generator().manual_seed(TEST_BINARIZATION_SEED)
        test = Split(torch.bernoulli(test.x, generator=gen), test.y)
    return train, test


def _optimizer(model: torch.nn.Module, lr: float, device: torch.device) -> torch.optim.Adam:
    # The fused kernel does Adam's elementwise update in one pass (CPU and CUDA).
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except (RuntimeError, TypeError):  # pragma: no cover - older torch / other devices
        return torch.optim.Adam(model.parameters(), lr=lr, foreach=True)


def train(
    config: RunConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    dataset: Dataset | None = None,
    progress: bool = False,
) -> TrainResult:
    """Train (or, with resume=True, continue training) and write the run directory."""
    run_dir = Path(run_dir)
    device = resolve_device(config.train.device)
    train_split, test_split = prepare_data(config, dataset)
    config = dataclasses.replace(
        config, model=dataclasses.replace(config.model, input_shape=tuple(train_split.x.shape[1:]))
    )
    torch.manual_seed(config.train.seed)
    shuffle = torch.Generator().manual_seed(config.train.seed)
    model = build_vae(config.model).to(device)
    optimizer = _optimizer(model, config.train.lr, device)
    epoch, step, metrics = 0, 0, []
    if resume:
        state = checkpoint.load_trainer_state(run_dir)
        checkpoint.load_state_dict_checked(model, state["model"], str(run_dir))
        try:
            optimizer.load_state_dict(state["optimizer"])
        except (ValueError, KeyError, RuntimeError) as exc:
            raise CheckpointError(f"{run_dir}: optimizer state does not fit ({exc})") from None
        for group in optimizer.param_groups:  # a resumed run may lower the learning rate
            group["lr"] = config.train.lr
        epoch, step = int(state["epoch"]), int(state["step"])
        shuffle.set_state(state["rng"]["shuffle"])
        torch.set_rng_state(state["rng"]["torch"])
        metrics = [m for m in checkpoint.load_metrics(run_dir) if m.get("epoch", 0) <= epoch]
    checkpoint.save_config(run_dir, config)

    x_train = train_split.x.to(device)
    x_test = test_split.x.to(device)
    n, batch_size = x_train.shape[0], config.train.batch_size
    steps_per_epoch = math.ceil(n / batch_size)
    log = Progress(enabled=progress)
    log.message(
        f"{'resuming' if resume else 'training'} on {config.data.name} ({len(train_split)} train"
        f" / {len(test_split)} test examples, input {config.model.input_shape}) -> {run_dir}"
    )
    model.train()
    while epoch < config.train.epochs:
        started = time.perf_counter()
        log.start_epoch(epoch + 1, config.train.epochs, steps_per_epoch)
        perm = torch.randperm(n, generator=shuffle).to(device)
        sums = torch.zeros(3, device=device)
        for k, i in enumerate(range(0, n, batch_size), 1):
            x = x_train[perm[i : i + batch_size]]  # (B, C, H, W)
            if config.data.binarize == "dynamic":
                x = torch.bernoulli(x)
            loss = negative_elbo(model(x), x, beta=config.train.beta)
            optimizer.zero_grad(set_to_none=True)
            loss.total.backward()
            if config.train.grad_clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.train.grad_clip_norm)
            optimizer.step()
            sums += torch.stack([loss.total, loss.reconstruction, loss.kl]).detach() * x.shape[0]
            step += 1
            if k % LOG_EVERY_STEPS == 0:
                log.update(LOG_EVERY_STEPS, float(loss.total.detach()))
        epoch += 1
        train_terms = (sums / n).tolist()
        test_terms = dataset_negative_elbo(
            model, x_test, beta=config.train.beta,
            batch_size=config.train.eval_batch_size, seed=config.train.seed,
        )
        row = {
            "epoch": epoch,
            "step": step,
            "units": "nats per example",
            "train": dict(zip(("loss", "reconstruction", "kl"), train_terms)),
            "test": test_terms,
            "seconds": round(time.perf_counter() - started, 3),
        }
        metrics.append(row)
        log.update(steps_per_epoch % LOG_EVERY_STEPS)
        log.end_epoch(
            f"train {train_terms[0]:.2f}  test {test_terms['loss']:.2f} nats/example "
            f"(rec {test_terms['reconstruction']:.2f}, KL {test_terms['kl']:.2f})"
        )
        _save_epoch(run_dir, model, optimizer, shuffle, epoch, step, metrics)
    model.eval()
    return TrainResult(run_dir=run_dir, config=config, model=model, metrics=metrics)


def _save_epoch(run_dir, model, optimizer, shuffle, epoch, step, metrics) -> None:
    # Order matters for crash safety: the weights users load, then the resume point
    # (which holds its own copy of the weights), then the log.
    checkpoint.save_weights(run_dir, model, step=step)
    state = {
        "model": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "optimizer": optimizer.state_dict(),
        "epoch": epoch,
        "step": step,
        "rng": {"shuffle": shuffle.get_state(), "torch": torch.get_rng_state()},
    }
    checkpoint.save_trainer_state(run_dir, state)
    checkpoint.save_metrics(run_dir, metrics)
