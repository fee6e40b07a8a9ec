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
from vaekit.errors import CheckpointError, ConfigError, DataError, TrainingError
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
    for name, split in (("train", train), ("test", test)):
        _check_values(f"{config.data.name} {name}", split.x, config.model.likelihood)
    if config.data.binarize == "dynamic":
        # Training batches are resampled each step; the test set is binarised once, seeded,
        # so test numbers are comparable between runs (the binarised-MNIST protocol).
        gen = torch.Generator().manual_seed(TEST_BINARIZATION_SEED)
        test = Split(torch.bernoulli(test.x, generator=gen), test.y)
    return train, test


def _check_values(name: str, x: torch.Tensor, likelihood: str) -> None:
    """Refuse data a likelihood cannot score, at load time rather than as a NaN later."""
    if x.shape[0] == 0:
        raise DataError(f"{name}: the split is empty")
    if not torch.isfinite(x).all():
        raise DataError(f"{name}: {int((~torch.isfinite(x)).sum())} values are NaN or infinite")
    lo, hi = float(x.min()), float(x.max())
    if likelihood == "bernoulli" and (lo < 0.0 or hi > 1.0):
        raise DataError(
            f"{name}: values in [{lo:g}, {hi:g}], but a Bernoulli likelihood needs targets in "
            "[0, 1]; rescale the data or use --likelihood gaussian"
        )


def _stop_non_finite(model, x, loss, grad_norm, *, step, epoch, run_dir, lr, beta) -> None:
    """Raise a TrainingError that names the step, the term, and how to go on."""
    rec, kl = float(loss.reconstruction.detach()), float(loss.kl.detach())
    if math.isfinite(rec) and math.isfinite(kl):
        # The loss was finite, so a gradient blew up: find out which term's gradient.
        bad = []
        for term in ("reconstruction", "kl"):
            model.zero_grad(set_to_none=True)
            part = getattr(negative_elbo(model(x), x, beta=beta), term)
            if part.requires_grad:
                part.backward()
            norms = [p.grad.norm() for p in model.parameters() if p.grad is not None]
            if norms and not torch.isfinite(torch.stack(norms)).all():
                bad.append(term)
        what = f"the gradient of {' and '.join(bad) or 'the loss'} is not finite"
        what += f" (loss terms were finite: reconstruction {rec:.4g}, KL {kl:.4g})"
    else:
        terms = [t for t, v in (("reconstruction", rec), ("KL", kl)) if not math.isfinite(v)]
        what = f"the {' and '.join(terms)} term is {rec if 'reconstruction' in terms else kl}"
    kept = f"epoch {epoch}" if epoch else "none (no epoch had completed)"
    raise TrainingError(
        f"non-finite value at step {step} (epoch {epoch + 1}): {what}; stopped. Last good "
        f"checkpoint kept: {kept}. To go on: vaekit train --resume {run_dir} --lr {lr / 10:g}"
        " (a lower learning rate), optionally with --grad-clip-norm 10"
    )


def _restore(state, model, optimizer, shuffle, run_dir: Path, *, lr: float) -> tuple[int, int]:
    """Put a run back exactly where its last completed epoch left it."""
    checkpoint.load_state_dict_checked(model, state["model"], str(run_dir))
    try:
        optimizer.load_state_dict(state["optimizer"])
        shuffle.set_state(state["rng"]["shuffle"])
        torch.set_rng_state(state["rng"]["torch"])
    except Exception as exc:  # noqa: BLE001 - torch raises many types for malformed state
        raise CheckpointError(f"{run_dir}: trainer state does not fit this run ({exc})") from None
    for group in optimizer.param_groups:  # a resumed run may lower the learning rate
        group["lr"] = lr
    return int(state["epoch"]), int(state["step"])


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
        checkpoint.remove_stale_temp_files(run_dir)
        state = checkpoint.load_trainer_state(run_dir)
        epoch, step = _restore(state, model, optimizer, shuffle, run_dir, lr=config.train.lr)
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
            grads = [p.grad for p in model.parameters() if p.grad is not None]
            if config.train.grad_clip_norm is not None:
                grad_norm = torch.nn.utils.clip_grad_norm_(grads, config.train.grad_clip_norm)
            else:
                grad_norm = torch.nn.utils.get_total_norm(grads)
            if not (torch.isfinite(loss.total) and torch.isfinite(grad_norm)):
                _stop_non_finite(model, x, loss, grad_norm, step=step + 1, epoch=epoch,
                                 run_dir=run_dir, lr=config.train.lr, beta=config.train.beta)
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
