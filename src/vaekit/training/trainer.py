"""The trainer: one readable loop (nanoGPT's train.py style).

The training data is one tensor -- images as uint8 (a quarter of float32), memory-mapped
when they come from the image cache or a .npy file -- batched by indexing a shuffled
permutation, and each batch is converted to float32 as it is taken (`Split.batch`); no
per-sample Python. Under torchrun each process reads only its own slice of every global
batch (all of it only where dynamic binarisation or input corruption draw noise for the
whole batch). After every epoch: evaluation on the validation split when the run has one
(vaekit.training.controls: schedules, early stopping, the best weights), else on the test
split as before; with a validation split the test split is evaluated once, at the end,
on the weights the run keeps. Then the run directory is written (each file atomically). A
resumed run continues bit for bit on the CPU: the weights, the optimizer, the shuffling
generator, the global RNG and the controls' state are all restored from trainer_state.pt.

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
from vaekit.data.dataset import Dataset, Split
from vaekit.data.images.corruption import corrupt
from vaekit.data.prepare import prepare
from vaekit.errors import CheckpointError
from vaekit.fileio import atomic_write_json
from vaekit.models.build import build_vae
from vaekit.models.vae import VAE
from vaekit.objectives import iwae_loss, negative_elbo
from vaekit.training import compiled_step
from vaekit.training.controls import Controls, keeps_best
from vaekit.training.distributed import (
    barrier,
    init_distributed,
    resolve_device,
    shard,
    shutdown,
)
from vaekit.training.guards import bad_steps_error, stop_non_finite
from vaekit.training.log import Progress, TensorBoardLog
from vaekit.training.schedules import kl_weight

LOG_EVERY_STEPS = 50  # host syncs for the progress bar happen this often, not every step
# On an accelerator the training data moves to the device once when it is at most this big
# (uint8 images: 4x less than float32); larger sets stay on the host and each batch moves.
DEVICE_DATA_BYTES = 2 * 2**30
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
             lr: float) -> tuple[int, int, Controls, dict | None]:
    """Put a run back exactly where its last completed epoch left it: (epoch, step, the
    controls' state, the best weights kept so far or None)."""
    checkpoint.load_state_dict_checked(model, state["model"], str(run_dir))
    try:
        optimizer.load_state_dict(state["optimizer"])
        shuffle.set_state(state["rng"]["shuffle"])
        if "noise" in state["rng"]:
            noise.set_state(state["rng"]["noise"])
        torch.set_rng_state(state["rng"]["torch"])
        controls = Controls.from_state(state.get("controls", {}))
    except Exception as exc:  # noqa: BLE001 - torch raises many types for malformed state
        raise CheckpointError(f"{run_dir}: trainer state does not fit this run ({exc})") from None
    best = state.get("best_model")
    if best is not None:  # checked as the weights are, then the current ones go back in
        checkpoint.load_state_dict_checked(model, best, str(run_dir))
        checkpoint.load_state_dict_checked(model, state["model"], str(run_dir))
    for group in optimizer.param_groups:  # a resumed run may lower the learning rate
        group["lr"] = lr
    return int(state["epoch"]), int(state["step"]), controls, best


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


def _on_device(split: Split, device: torch.device) -> Split:
    """The training split where batches are taken: the host keeps it as it is (maybe
    memory-mapped); an accelerator gets a copy when it is small enough."""
    if device.type == "cpu" or split.data.numel() * split.data.element_size() > DEVICE_DATA_BYTES:
        return split
    rows = None if split.rows is None else split.rows.to(device)
    return Split(split.data.to(device), split.y, split.attrs, scale=split.scale, rows=rows)


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
        data: Any = None,
        labels: Any = None,
        progress: bool = False,
    ) -> None:
        self.run_dir = Path(run_dir)
        self.dist, self.device = init_distributed(resolve_device(config.train.device))
        self.log = Progress(enabled=progress and self.dist.is_main)
        self.config, prepared = prepare(config, dataset, data=data, labels=labels,
                                        progress=self.log.counter("decoding images"))
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
        self.controls, self.best_model = Controls(), None
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
            self.epoch, self.step, self.controls, self.best_model = _restore(
                state, self.model, self.optimizer, self.shuffle, self.noise, self.run_dir,
                lr=tc.lr)
            self.metrics = [m for m in checkpoint.load_metrics(self.run_dir)
                            if m.get("epoch", 0) <= self.epoch]
            if prepared.valid is not None:  # the test split is evaluated again at the end
                for row in self.metrics:
                    row.pop("test", None)
                    row.pop("test_weights_epoch", None)
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
        self.train_split = _on_device(prepared.train, self.device)
        self.valid_split, self.test_split = prepared.valid, prepared.test
        self.steps_per_epoch = math.ceil(len(self.train_split) / tc.batch_size)
        self.tensorboard = None
        # A conditional model's class labels (prepare has checked that the splits have them).
        conditional = self.config.model.conditional
        self.y_train = self.train_split.y.to(self.device) if conditional else None
        if self.dist.is_main:
            checkpoint.save_config(self.run_dir, self.config)
            if prepared.vocab_json is not None:
                atomic_write_json(self.run_dir / checkpoint.VOCAB_FILE, prepared.vocab_json)
            if tc.tensorboard:
                self.tensorboard = TensorBoardLog(self.run_dir / "tensorboard",
                                                  first_epoch=self.epoch + 1)
        for note in prepared.notes:
            self.log.message(f"data: {note}")
        valid = "" if self.valid_split is None else f" / {len(self.valid_split)} valid"
        self.log.message(
            f"{'resuming' if resume else 'training'} on {self.config.data.name} "
            f"({len(self.train_split)} train{valid} / {len(self.test_split)} test examples, "
            f"input {self.config.model.input_shape}) -> {self.run_dir}"
            + (f" [{self.dist.world_size} processes]" if self.dist.enabled else "")
        )

    def _global_batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """This rank's slice of the global batch `idx`, as every rank agrees on it. Only
        the slice is read, unless binarisation or corruption draw noise for the whole
        batch (one draw per global batch keeps N processes equal to one)."""
        cfg = self.config
        part = shard(idx.shape[0], self.dist)
        whole = cfg.data.binarize == "dynamic" or cfg.data.corruption != "none"
        x = self.train_split.batch(idx if whole else idx[part].to(self.device))
        x = x.to(self.device, non_blocking=True)  # (B, C, H, W) float32 or (B, T) int64
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        if cfg.data.binarize == "dynamic":
            x = torch.bernoulli(x, generator=self.noise)
        x_in = corrupt(x, cfg.data.corruption, cfg.data.noise_level, generator=self.noise)
        k = cfg.train.iw_samples if cfg.train.objective == "iwae" else 1
        b = idx.shape[0]
        shape = (b, cfg.model.latent_dim) if k == 1 else (k, b, cfg.model.latent_dim)
        eps = torch.randn(shape, generator=self.noise, device=self.device)
        if whole:
            x, x_in = x[part], x_in[part]
        y = None if self.y_train is None else self.y_train[idx[part].to(self.y_train.device)]
        return x, x_in, eps[..., part, :], y, b

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
        tc, n = self.config.train, len(self.train_split)
        steps = self.steps_per_epoch
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
            self._set_lr(self.controls.lr(self.step, tc.epochs * steps, tc))
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

    def _set_lr(self, lr: float) -> None:
        """The schedule's rate for this step (a constant schedule leaves it alone, so a
        resumed run's --lr holds)."""
        if self.config.train.lr_schedule == "constant" and self.controls.lr_scale == 1.0:
            self.lr = self.config.train.lr
            return
        self.lr = lr
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        if self.compiled_step is not None:
            self.compiled_step.lr = lr

    def evaluate(self, split: Split | None = None) -> dict[str, Any]:
        """A held-out split's loss terms, KL per dimension and active units
        (analysis.evaluate): the validation split when there is one, else the test split."""
        tc = self.config.train
        split = split or self.valid_split or self.test_split
        labels = split.y if self.config.model.conditional else None
        return elbo_terms(self.model, split.x, beta=tc.beta, free_bits=tc.free_bits,
                          batch_size=tc.eval_batch_size, seed=tc.seed,
                          labels=labels).to_dict()

    def fit(self) -> TrainResult:
        """Train up to config.train.epochs (or until early stopping); evaluate and save
        after every epoch (rank 0); with a validation split, evaluate the test split once
        at the end on the weights the run keeps."""
        tc = self.config.train
        with matmul_precision(tc.precision):
            while self.epoch < tc.epochs and not self.controls.should_stop(tc):
                started = time.perf_counter()
                train_terms = self.train_epoch()
                if self.dist.is_main:
                    self._end_epoch(train_terms, time.perf_counter() - started)
                barrier(self.dist)
                self.controls = self._shared_controls()
            if self.best_model is not None:
                self.model.load_state_dict(self.best_model)
            if self.dist.is_main and self.valid_split is not None and self.metrics:
                self._final_test()
        self.model.eval()
        if self.tensorboard is not None:
            self.tensorboard.close()
        if self.dist.enabled:
            # Every rank waits for rank 0's last evaluation, then lets go of DDP (its reducer
            # holds the process group) so that the group is torn down now, while the
            # interpreter is alive: torn down at exit, gloo's threads aborted a rank now
            # and then (1 run in 6-10 under load, exit -6 after a finished run).
            barrier(self.dist)
            self.net = self.model
        shutdown(self.dist)
        return TrainResult(self.run_dir, self.config, self.model, self.metrics)

    def _shared_controls(self) -> Controls:
        """Rank 0 decides (it alone evaluates); every rank follows its controls."""
        if not self.dist.enabled:
            return self.controls
        import torch.distributed as dist

        shared = [self.controls.state()]
        dist.broadcast_object_list(shared, src=0)
        return Controls.from_state(shared[0])

    def _final_test(self) -> None:
        """The test split, once, on the kept weights: the run's reported numbers."""
        row = self.metrics[-1]
        if "test" not in row:
            row["test"] = self.evaluate(self.test_split)
            row["test_weights_epoch"] = (self.controls.best_epoch if self.best_model is not None
                                         else row["epoch"])
            checkpoint.save_metrics(self.run_dir, self.metrics)
        if self.tensorboard is not None:
            self.tensorboard.write({"epoch": row["epoch"], "test": row["test"]})
        self.log.message(
            f"test (once, weights of epoch {row['test_weights_epoch']}): -ELBO "
            f"{row['test']['negative_elbo']:.2f} nats/example (rec "
            f"{row['test']['reconstruction']:.2f}, KL {row['test']['kl']:.2f})")

    def _end_epoch(self, train_terms: dict[str, float], seconds: float) -> None:
        tc = self.config.train
        held, held_terms = ("valid", self.evaluate()) if self.valid_split is not None else (
            "test", self.evaluate())
        row = {
            "epoch": self.epoch,
            "step": self.step,
            "units": "nats per example",
            "beta": self.beta,
            "lr": self.lr,
            "train": train_terms,
            held: held_terms,
            "seconds": round(seconds, 3),
        }
        collapsed = (not self.config.model.autoencoder and held_terms["kl"] < COLLAPSE_NATS)
        if collapsed:
            row["warning"] = (
                f"posterior collapse: the {held} KL is {held_terms['kl']:.3f} nats per example "
                f"({held_terms['active_units']} active units); the decoder ignores z. Try "
                + COLLAPSE_ADVICE.get(self.config.data.kind, COLLAPSE_ADVICE["image"]))
        verdict = None
        if self.valid_split is not None:
            verdict = self.controls.update(held_terms["negative_elbo"], epoch=self.epoch,
                                           step=self.step, tc=tc)
            if verdict.improved and keeps_best(tc):
                self.best_model = {k: v.detach().cpu().clone()
                                   for k, v in self.model.state_dict().items()}
            row["best_epoch"] = self.controls.best_epoch
            if verdict.stop:
                row["stopped_early"] = True
        self.metrics.append(row)
        same = self.beta == 1 and tc.free_bits == 0 and tc.objective == "elbo"
        shown = (f"train -ELBO {train_terms['negative_elbo']:.2f}" if same else
                 f"train objective {train_terms['objective']:.2f} (-ELBO "
                 f"{train_terms['negative_elbo']:.2f})")
        self.log.end_epoch(
            f"{shown}  {held} -ELBO {held_terms['negative_elbo']:.2f} nats/example "
            f"(rec {held_terms['reconstruction']:.2f}, KL {held_terms['kl']:.2f}, "
            f"active units {held_terms['active_units']}/{self.config.model.latent_dim})"
            + ("" if verdict is None or verdict.improved else
               f" [best: epoch {self.controls.best_epoch}]"))
        if collapsed and not self.collapse_warned:  # once per run, not every epoch
            self.log.message(f"warning: {row['warning']} (metrics.jsonl marks every epoch "
                             "where it holds)")
            self.collapse_warned = True
        if verdict is not None and verdict.lowered_lr:
            self.log.message(f"plateau: no better valid -ELBO for {tc.plateau_patience + 1} "
                             f"epochs; learning rate now {tc.lr * self.controls.lr_scale:g}")
        if verdict is not None and verdict.stop:
            self.log.message(
                f"early stopping: no better valid -ELBO for {tc.early_stopping} epochs; "
                f"keeping the weights of epoch {self.controls.best_epoch} (valid -ELBO "
                f"{self.controls.best:.2f})")
        if self.tensorboard is not None:
            self.tensorboard.write(row)
        self._save()

    def _save(self) -> None:
        # Order matters for crash safety: the weights users load, then the resume point
        # (which holds its own copy of the weights), then the log. With keep_best, users
        # load the best epoch's weights; the resume point holds the current ones as well.
        if self.best_model is not None:
            checkpoint.save_tensors(self.run_dir / checkpoint.WEIGHTS_FILE, self.best_model,
                                    {"step": str(self.controls.best_step)})
        else:
            checkpoint.save_weights(self.run_dir, self.model, step=self.step)
        state = {
            "model": {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "epoch": self.epoch,
            "step": self.step,
            "rng": {"shuffle": self.shuffle.get_state(), "noise": self.noise.get_state().cpu(),
                    "torch": torch.get_rng_state()},
            "controls": self.controls.state(),
        }
        if self.best_model is not None:
            state["best_model"] = self.best_model
        checkpoint.save_trainer_state(self.run_dir, state)
        checkpoint.save_metrics(self.run_dir, self.metrics)


def train(
    config: RunConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    dataset: Dataset | None = None,
    data: Any = None,
    labels: Any = None,
    progress: bool = False,
) -> TrainResult:
    """Train (or, with resume=True, continue training) and write the run directory.

    The data: config.data.name, or `dataset` (a vaekit.Dataset), or `data` -- image arrays
    or tensors, (N, H, W) or (N, H, W, C), uint8 or floats in [0, 1], with optional
    `labels` (N,) -- split at random (seeded) into train and test. Data passed from Python
    is recorded as "python:NAME": commands that need it cannot reopen it."""
    return Trainer(config, run_dir, resume=resume, dataset=dataset, data=data, labels=labels,
                   progress=progress).fit()
