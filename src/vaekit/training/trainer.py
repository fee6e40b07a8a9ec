"""The trainer: one readable loop (nanoGPT's train.py style).

Data that fits in memory is held as one tensor and batched by indexing a shuffled
permutation; no per-sample Python. After every epoch: evaluation on the test split
(vaekit.analysis.evaluate), then the run directory is written (each file atomically). A
resumed run continues bit for bit on the CPU: the weights, the optimizer, the shuffling
generator and the global RNG are all restored from trainer_state.pt.

Two numbers are logged for each split, and named apart: the `objective` training
minimises (beta times the KL, with the free-bits floor, or the IWAE bound) and the
`negative_elbo` (reconstruction + KL), which is a bound on -log p(x) whatever the settings.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from vaekit import checkpoint
from vaekit.analysis.evaluate import elbo_terms
from vaekit.config import RunConfig
from vaekit.data.dataset import Dataset
from vaekit.data.images.corruption import corrupt
from vaekit.data.prepare import prepare
from vaekit.errors import CheckpointError
from vaekit.fileio import atomic_write_json
from vaekit.models.build import build_vae
from vaekit.models.vae import VAE
from vaekit.objectives import iwae_loss, negative_elbo
from vaekit.training import compiled_step
from vaekit.training.distributed import (
    barrier,
    init_distributed,
    resolve_device,
    shard,
    shutdown,
)
from vaekit.training.guards import bad_steps_error, stop_non_finite
from vaekit.training.log import Progress
from vaekit.training.schedules import kl_weight

LOG_EVERY_STEPS = 50  # host syncs for the progress bar happen this often, not every step
# Model families whose step runs as one compiled graph under --compile (compiled_step).
# The LSTM models keep the compiled forward + autograd backward + optimizer.step: under
# torch.func their fused LSTM kernel is unrolled, and the one graph ran 2.2x slower per
# epoch (Nottingham, 3,000 windows, batch 64: 6.9 s against 3.1 s).
SINGLE_GRAPH_ARCHS = ("dense", "conv")
COLLAPSE_NATS = 0.5  # a test KL below this (nats per example) triggers a collapse warning
# What to try against posterior collapse, by kind of data (word dropout is for sequences).
COLLAPSE_ADVICE = {
    "image": "--kl-schedule linear --kl-warmup-steps N, --free-bits F, or a smaller --beta",
    "melody": "--kl-schedule linear --kl-warmup-steps N, --free-bits F, or --word-dropout P",
    "text": "--word-dropout P with --kl-schedule linear --kl-warmup-steps N, or --free-bits F",
}


@dataclass
class TrainResult:
    run_dir: Path
    config: RunConfig
    model: VAE
    metrics: list[dict[str, Any]]


def _restore(state, model, optimizer, shuffle, noise, run_dir: Path, *,
             lr: float) -> tuple[int, int]:
    """Put a run back exactly where its last completed epoch left it."""
    checkpoint.load_state_dict_checked(model, state["model"], str(run_dir))
    try:
        optimizer.load_state_dict(state["optimizer"])
        shuffle.set_state(state["rng"]["shuffle"])
        if "noise" in state["rng"]:
            noise.set_state(state["rng"]["noise"])
        torch.set_rng_state(state["rng"]["torch"])
    except Exception as exc:  # noqa: BLE001 - torch raises many types for malformed state
        raise CheckpointError(f"{run_dir}: trainer state does not fit this run ({exc})") from None
    for group in optimizer.param_groups:  # a resumed run may lower the learning rate
        group["lr"] = lr
    return int(state["epoch"]), int(state["step"])


@contextlib.contextmanager
def matmul_precision(precision: str) -> Iterator[None]:
    """fp32-fast: let oneDNN run float32 matmuls/convs in its reduced-precision mode for
    the duration (a process-wide backend flag, restored afterwards)."""
    backends = [torch.backends.mkldnn.matmul, torch.backends.mkldnn.conv]
    saved = [b.fp32_precision for b in backends]
    try:
        if precision == "fp32-fast":
            for b in backends:
                b.fp32_precision = "bf16"
        yield
    finally:
        for b, value in zip(backends, saved):
            b.fp32_precision = value


def _optimizer(model: torch.nn.Module, lr: float) -> torch.optim.Adam:
    # The fused kernel does Adam's elementwise update in one pass (CPU and CUDA).
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except (RuntimeError, TypeError):  # pragma: no cover - older torch / other devices
        return torch.optim.Adam(model.parameters(), lr=lr, foreach=True)


class Trainer:
    """Holds a run's model, optimizer, data and generators; `fit` is the whole loop.

    Randomness comes from seeded generators whose states are checkpointed: `shuffle`
    orders the data, `noise` draws the sampler's eps, dynamic binarisation and input
    corruption for each *global* batch, so a resumed run -- or N processes under torchrun,
    each taking its slice of the batch -- reproduces a single uninterrupted run.
    """

    def __init__(
        self,
        config: RunConfig,
        run_dir: str | Path,
        *,
        resume: bool = False,
        dataset: Dataset | None = None,
        progress: bool = False,
    ) -> None:
        self.run_dir = Path(run_dir)
        self.dist, self.device = init_distributed(resolve_device(config.train.device))
        self.config, data = prepare(config, dataset)
        tc = self.config.train
        torch.manual_seed(tc.seed)
        self.shuffle = torch.Generator().manual_seed(tc.seed)
        self.noise = torch.Generator(device=self.device).manual_seed(tc.seed + 1)
        self.model = build_vae(self.config.model).to(self.device)
        self.channels_last = self.config.model.arch == "conv" and self.device.type != "mps"
        if self.channels_last:  # NHWC lets oneDNN / cuDNN pick faster convolution kernels
            self.model.to(memory_format=torch.channels_last)
        self.optimizer = _optimizer(self.model, tc.lr)
        self.params = list(self.model.parameters())  # walked once, not every step
        self.epoch, self.step, self.metrics = 0, 0, []
        # Finiteness: on the CPU every step is checked before its update; on a GPU a host
        # sync every step would stall the device, so bad steps are counted on the device
        # and the count is read every `check_every` steps and before anything is saved.
        self.check_every = 1 if self.device.type == "cpu" else LOG_EVERY_STEPS
        self.bad_steps = torch.zeros((), dtype=torch.int64, device=self.device)
        self.collapse_warned = False
        if resume:
            if self.dist.is_main:
                checkpoint.remove_stale_temp_files(self.run_dir)
            state = checkpoint.load_trainer_state(self.run_dir)
            self.epoch, self.step = _restore(state, self.model, self.optimizer, self.shuffle,
                                             self.noise, self.run_dir, lr=tc.lr)
            self.metrics = [m for m in checkpoint.load_metrics(self.run_dir)
                            if m.get("epoch", 0) <= self.epoch]
        self.net = self.model  # what the loop calls: maybe DDP-wrapped
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = DistributedDataParallel(self.model, device_ids=ids)
        # torch.compile the whole forward + loss, so inductor fuses the elementwise work of
        # the sampler, the likelihood and the KL (forward and backward) around the matmuls.
        # On the CPU, inductor's C++ wrapper launches the compiled kernels without a Python
        # call per kernel (measured on the one-graph step: 3-5 % faster epochs, paired in
        # one process, in either order of creation).
        options = {"cpp_wrapper": True} if self.device.type == "cpu" else None
        # Where it applies, the whole step (gradients, check, Adam) is one compiled graph.
        self.compiled_step = None
        # A conditional model's labels, and buffers that training updates (the running
        # sigma of gaussian_optimal, which torch.func cannot write), do not go through
        # the one graph: those models take the compiled forward + autograd path below.
        if (tc.compile and not self.dist.enabled and tc.objective == "elbo"
                and self.config.model.arch in SINGLE_GRAPH_ARCHS
                and not self.config.model.conditional and not list(self.model.buffers())
                and compiled_step.supported(self.optimizer)):
            self.compiled_step = compiled_step.CompiledStep(
                self.model, self.optimizer, free_bits=tc.free_bits,
                grad_clip_norm=tc.grad_clip_norm, bf16=tc.precision == "bf16",
                compile_options=options)
        self.elbo_terms = (torch.compile(self._elbo_terms, options=options)
                           if tc.compile and self.compiled_step is None else self._elbo_terms)
        self.x_train = data.train.x.to(self.device)
        self.x_test = data.test.x.to(self.device)
        # A conditional model's class labels (prepare has checked that both splits have them).
        conditional = self.config.model.conditional
        self.y_train = data.train.y.to(self.device) if conditional else None
        self.y_test = data.test.y.to(self.device) if conditional else None
        if self.channels_last:
            self.x_train = self.x_train.contiguous(memory_format=torch.channels_last)
        self.log = Progress(enabled=progress and self.dist.is_main)
        if self.dist.is_main:
            checkpoint.save_config(self.run_dir, self.config)
            if data.vocab_json is not None:
                atomic_write_json(self.run_dir / checkpoint.VOCAB_FILE, data.vocab_json)
        self.log.message(
            f"{'resuming' if resume else 'training'} on {self.config.data.name} "
            f"({self.x_train.shape[0]} train / {self.x_test.shape[0]} test examples, input "
            f"{self.config.model.input_shape}) -> {self.run_dir}"
            + (f" [{self.dist.world_size} processes]" if self.dist.enabled else "")
        )

    def _global_batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The batch every rank agrees on, then this rank's slice of it."""
        cfg = self.config
        x = self.x_train.index_select(0, idx)  # (B, C, H, W) or (B, T); faster than [idx]
        if cfg.data.binarize == "dynamic":
            x = torch.bernoulli(x, generator=self.noise)
        x_in = corrupt(x, cfg.data.corruption, cfg.data.noise_level, generator=self.noise)
        k = cfg.train.iw_samples if cfg.train.objective == "iwae" else 1
        shape = (x.shape[0], cfg.model.latent_dim) if k == 1 else (k, x.shape[0],
                                                                   cfg.model.latent_dim)
        eps = torch.randn(shape, generator=self.noise, device=self.device)
        part = shard(x.shape[0], self.dist)
        y = None if self.y_train is None else self.y_train.index_select(0, idx)[part]
        return x[part], x_in[part], eps[..., part, :], y, x.shape[0]

    def _elbo_terms(self, x_in, x, eps, beta, y=None) -> tuple[torch.Tensor, torch.Tensor]:
        """The loss to minimise and, detached, [total, reconstruction, KL] for the log."""
        loss = negative_elbo(self.net(x_in, eps=eps, y=y), x, beta=beta,
                             free_bits=self.config.train.free_bits)
        return loss.total, loss.terms()

    def _autograd_step(self, x, x_in, eps, y, global_b) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss and gradients by autograd; the update is the caller's. Returns the step's
        [total, reconstruction, KL] and whether the loss and every gradient are finite."""
        tc = self.config.train
        with torch.autocast(self.device.type, dtype=torch.bfloat16,
                            enabled=tc.precision == "bf16"):
            if tc.objective == "iwae":  # through the (DDP-wrapped) forward, K z per example
                loss = iwae_loss(self.net(x_in, eps=eps, y=y), x)
                total, terms = loss.total, loss.terms()
            else:  # the model sees x_in (corrupted for denoising), is scored against x
                beta = torch.tensor(self.beta, device=self.device) if tc.compile else self.beta
                total, terms = self.elbo_terms(x_in, x, eps, beta, y)
        # DDP averages gradients over ranks; weight each rank's batch mean by its share
        # so the result is the global batch mean even when the last batch splits unevenly.
        scale = x.shape[0] * self.dist.world_size / global_b
        self.optimizer.zero_grad(set_to_none=True)
        (total if scale == 1 else total * scale).backward()
        if tc.grad_clip_norm is not None:  # it takes the parameters, not their gradients
            grad_norm = torch.nn.utils.clip_grad_norm_(self.params, tc.grad_clip_norm)
        else:
            grad_norm = torch.nn.utils.get_total_norm(
                [p.grad for p in self.params if p.grad is not None])
        # The sum is finite only if the loss and every gradient are.
        return terms, torch.isfinite(total.detach() + grad_norm)

    def train_epoch(self) -> dict[str, float]:
        """One pass over the training data; returns its mean loss terms (nats/example)."""
        tc, n = self.config.train, self.x_train.shape[0]
        steps = math.ceil(n / tc.batch_size)
        self.log.start_epoch(self.epoch + 1, tc.epochs, steps)
        perm = torch.randperm(n, generator=self.shuffle).to(self.device)
        sums = torch.zeros(3, device=self.device)
        seen = 0  # examples this rank trained on
        checked = self.step  # the last step whose finiteness was read on the host
        self.net.train()
        if self.compiled_step is not None:
            self.compiled_step.sync()
        for k, i in enumerate(range(0, n, tc.batch_size), 1):
            x, x_in, eps, y, global_b = self._global_batch(perm[i : i + tc.batch_size])
            self.beta = kl_weight(self.step, beta=tc.beta, schedule=tc.kl_schedule,
                                  warmup_steps=tc.kl_warmup_steps, cycle_steps=tc.kl_cycle_steps)
            if self.compiled_step is not None:
                # One graph: gradients, check and Adam; a non-finite step updates nothing.
                terms, ok = self.compiled_step(x_in, x, eps, self.beta)
            else:
                terms, ok = self._autograd_step(x, x_in, eps, y, global_b)
            if self.check_every == 1:  # one host sync, before the update
                if not ok:
                    stop_non_finite(self.model, x, terms, step=self.step + 1,
                                     epoch=self.epoch, run_dir=self.run_dir, lr=tc.lr,
                                     beta=self.beta, y=y)
            else:
                self.bad_steps += ~ok
                if k % self.check_every == 0:
                    self._stop_if_bad_steps(checked)
                    checked = self.step + 1
            if self.compiled_step is None:
                self.optimizer.step()
            sums.add_(terms, alpha=x.shape[0])
            seen += x.shape[0]
            self.step += 1
            if k % LOG_EVERY_STEPS == 0:
                self.log.update(LOG_EVERY_STEPS, float(terms[0]))
        if self.check_every > 1:
            self._stop_if_bad_steps(checked)  # nothing is saved after an unreported bad step
        self.log.update(steps % LOG_EVERY_STEPS)
        self.epoch += 1
        objective, reconstruction, kl = (sums / max(seen, 1)).tolist()
        return {"objective": objective, "negative_elbo": reconstruction + kl,
                "reconstruction": reconstruction, "kl": kl}

    def _stop_if_bad_steps(self, since: int) -> None:
        """Read the device's count of non-finite steps (one host sync); stop if any."""
        bad = int(self.bad_steps)
        if bad:
            raise bad_steps_error(bad, first=since + 1, last=self.step + 1, epoch=self.epoch,
                                  every=self.check_every, device=self.device.type,
                                  masked=self.compiled_step is not None,
                                  run_dir=self.run_dir, lr=self.config.train.lr)

    def evaluate(self) -> dict[str, Any]:
        """Test-split loss terms, KL per dimension and active units (analysis.evaluate)."""
        tc = self.config.train
        return elbo_terms(self.model, self.x_test, beta=tc.beta, free_bits=tc.free_bits,
                          batch_size=tc.eval_batch_size, seed=tc.seed,
                          labels=self.y_test).to_dict()

    def fit(self) -> TrainResult:
        """Train up to config.train.epochs; evaluate and save after every epoch (rank 0)."""
        tc = self.config.train
        with matmul_precision(tc.precision):
            while self.epoch < tc.epochs:
                started = time.perf_counter()
                train_terms = self.train_epoch()
                if self.dist.is_main:
                    self._end_epoch(train_terms, time.perf_counter() - started)
                barrier(self.dist)
        self.model.eval()
        shutdown(self.dist)
        return TrainResult(self.run_dir, self.config, self.model, self.metrics)

    def _end_epoch(self, train_terms: dict[str, float], seconds: float) -> None:
        test_terms = self.evaluate()
        row = {
            "epoch": self.epoch,
            "step": self.step,
            "units": "nats per example",
            "beta": self.beta,
            "train": train_terms,
            "test": test_terms,
            "seconds": round(seconds, 3),
        }
        collapsed = (not self.config.model.autoencoder and test_terms["kl"] < COLLAPSE_NATS)
        if collapsed:
            row["warning"] = (
                f"posterior collapse: the test KL is {test_terms['kl']:.3f} nats per example "
                f"({test_terms['active_units']} active units); the decoder ignores z. Try "
                + COLLAPSE_ADVICE.get(self.config.data.kind, COLLAPSE_ADVICE["image"]))
        self.metrics.append(row)
        tc = self.config.train  # the objective is the negative ELBO itself only so:
        same = self.beta == 1 and tc.free_bits == 0 and tc.objective == "elbo"
        shown = (f"train -ELBO {train_terms['negative_elbo']:.2f}" if same else
                 f"train objective {train_terms['objective']:.2f} (-ELBO "
                 f"{train_terms['negative_elbo']:.2f})")
        self.log.end_epoch(
            f"{shown}  test -ELBO {test_terms['negative_elbo']:.2f} nats/example "
            f"(rec {test_terms['reconstruction']:.2f}, KL {test_terms['kl']:.2f}, "
            f"active units {test_terms['active_units']}/{self.config.model.latent_dim})"
        )
        if collapsed and not self.collapse_warned:  # once per run, not every epoch
            self.log.message(f"warning: {row['warning']} (metrics.jsonl marks every epoch "
                             "where it holds)")
            self.collapse_warned = True
        self._save()

    def _save(self) -> None:
        # Order matters for crash safety: the weights users load, then the resume point
        # (which holds its own copy of the weights), then the log.
        checkpoint.save_weights(self.run_dir, self.model, step=self.step)
        state = {
            "model": {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "epoch": self.epoch,
            "step": self.step,
            "rng": {"shuffle": self.shuffle.get_state(), "noise": self.noise.get_state().cpu(),
                    "torch": torch.get_rng_state()},
        }
        checkpoint.save_trainer_state(self.run_dir, state)
        checkpoint.save_metrics(self.run_dir, self.metrics)


def train(
    config: RunConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    dataset: Dataset | None = None,
    progress: bool = False,
) -> TrainResult:
    """Train (or, with resume=True, continue training) and write the run directory."""
    return Trainer(config, run_dir, resume=resume, dataset=dataset, progress=progress).fit()
