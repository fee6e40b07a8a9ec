"""The trainer: one readable loop (nanoGPT's train.py style).

Data that fits in memory is held as one tensor and batched by indexing a shuffled
permutation; no per-sample Python. After every epoch: evaluation on the test split, then
the run directory is written (each file atomically). A resumed run continues bit for bit
on the CPU: the weights, the optimizer, the shuffling generator and the global RNG are
all restored from trainer_state.pt.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from vaekit import checkpoint
from vaekit.config import RunConfig
from vaekit.data.corruption import corrupt
from vaekit.data.dataset import Dataset, Split
from vaekit.errors import CheckpointError, TrainingError
from vaekit.fileio import atomic_write_json
from vaekit.models.build import build_vae
from vaekit.models.vae import VAE
from vaekit.objectives import dataset_negative_elbo, iwae_loss, negative_elbo
from vaekit.training.log import Progress
from vaekit.training.schedules import kl_weight
from vaekit.training.setup import prepare, resolve_device

LOG_EVERY_STEPS = 50  # host syncs for the progress bar happen this often, not every step
COLLAPSE_NATS = 0.5  # a test KL below this (nats per example) triggers a collapse warning


@dataclass
class TrainResult:
    run_dir: Path
    config: RunConfig
    model: VAE
    metrics: list[dict[str, Any]]


def prepare_data(config: RunConfig, dataset: Dataset | None = None) -> tuple[Split, Split]:
    """Train and test splits exactly as training sees them (limits, test binarisation)."""
    _, data = prepare(config, dataset)
    return data.train, data.test


def _stop_non_finite(model, x, loss, *, step, epoch, run_dir, lr, beta) -> None:
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


def _optimizer(model: torch.nn.Module, lr: float) -> torch.optim.Adam:
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
    config, data = prepare(config, dataset)
    tc = config.train
    torch.manual_seed(tc.seed)
    shuffle = torch.Generator().manual_seed(tc.seed)
    model = build_vae(config.model).to(device)
    optimizer = _optimizer(model, tc.lr)
    epoch, step, metrics = 0, 0, []
    if resume:
        checkpoint.remove_stale_temp_files(run_dir)
        state = checkpoint.load_trainer_state(run_dir)
        epoch, step = _restore(state, model, optimizer, shuffle, run_dir, lr=tc.lr)
        metrics = [m for m in checkpoint.load_metrics(run_dir) if m.get("epoch", 0) <= epoch]
    checkpoint.save_config(run_dir, config)
    if data.vocab_json is not None:
        atomic_write_json(run_dir / checkpoint.VOCAB_FILE, data.vocab_json)

    x_train = data.train.x.to(device)
    x_test = data.test.x.to(device)
    n, batch_size = x_train.shape[0], tc.batch_size
    steps_per_epoch = math.ceil(n / batch_size)
    log = Progress(enabled=progress)
    log.message(
        f"{'resuming' if resume else 'training'} on {config.data.name} ({n} train / "
        f"{x_test.shape[0]} test examples, input {config.model.input_shape}) -> {run_dir}"
    )
    model.train()
    while epoch < tc.epochs:
        started = time.perf_counter()
        log.start_epoch(epoch + 1, tc.epochs, steps_per_epoch)
        perm = torch.randperm(n, generator=shuffle).to(device)
        sums = torch.zeros(3, device=device)
        for k, i in enumerate(range(0, n, batch_size), 1):
            x = x_train[perm[i : i + batch_size]]  # (B, C, H, W) or (B, T)
            if config.data.binarize == "dynamic":
                x = torch.bernoulli(x)
            x_in = corrupt(x, config.data.corruption, config.data.noise_level)
            beta = kl_weight(step, beta=tc.beta, schedule=tc.kl_schedule,
                             warmup_steps=tc.kl_warmup_steps, cycle_steps=tc.kl_cycle_steps)
            if tc.objective == "iwae":
                loss = iwae_loss(model, x, tc.iw_samples)
            else:  # the model sees x_in (corrupted for denoising) and is scored against x
                loss = negative_elbo(model(x_in), x, beta=beta, free_bits=tc.free_bits)
            optimizer.zero_grad(set_to_none=True)
            loss.total.backward()
            grads = [p.grad for p in model.parameters() if p.grad is not None]
            if tc.grad_clip_norm is not None:
                grad_norm = torch.nn.utils.clip_grad_norm_(grads, tc.grad_clip_norm)
            else:
                grad_norm = torch.nn.utils.get_total_norm(grads)
            if not (torch.isfinite(loss.total) and torch.isfinite(grad_norm)):
                _stop_non_finite(model, x, loss, step=step + 1, epoch=epoch, run_dir=run_dir,
                                 lr=tc.lr, beta=beta)
            optimizer.step()
            sums += torch.stack([loss.total, loss.reconstruction, loss.kl]).detach() * x.shape[0]
            step += 1
            if k % LOG_EVERY_STEPS == 0:
                log.update(LOG_EVERY_STEPS, float(loss.total.detach()))
        epoch += 1
        train_terms = dict(zip(("loss", "reconstruction", "kl"), (sums / n).tolist()))
        test_terms = dataset_negative_elbo(
            model, x_test, beta=tc.beta, batch_size=tc.eval_batch_size, seed=tc.seed
        )
        row = {
            "epoch": epoch,
            "step": step,
            "units": "nats per example",
            "beta": beta,
            "train": train_terms,
            "test": test_terms,
            "seconds": round(time.perf_counter() - started, 3),
        }
        if not config.model.autoencoder and test_terms["kl"] < COLLAPSE_NATS:
            row["warning"] = (
                f"posterior collapse: the test KL is {test_terms['kl']:.3f} nats per example "
                f"({test_terms['active_units']} active units); the decoder ignores z. Try "
                "--kl-schedule linear --kl-warmup-steps N, --free-bits, or --word-dropout"
            )
        metrics.append(row)
        log.update(steps_per_epoch % LOG_EVERY_STEPS)
        log.end_epoch(
            f"train {train_terms['loss']:.2f}  test {test_terms['loss']:.2f} nats/example "
            f"(rec {test_terms['reconstruction']:.2f}, KL {test_terms['kl']:.2f}, "
            f"active units {test_terms['active_units']}/{config.model.latent_dim})"
        )
        if "warning" in row:
            log.message(f"warning: {row['warning']}")
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
