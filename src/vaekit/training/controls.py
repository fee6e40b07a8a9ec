"""Training controls: the learning-rate schedule, early stopping and the best weights.

Every decision is taken on the validation split's negative ELBO (nats per example, the
bound on -log p(x) whatever the objective's beta, free bits or IWAE), never on the test
split. The state is a handful of plain numbers, saved in trainer_state.pt, so a resumed
run takes exactly the decisions of an uninterrupted one.

Written here rather than with torch.optim.lr_scheduler: there the learning rate lives in
the optimizer and is updated recursively (CosineAnnealingLR's chainable form), which a
resume that lowers --lr, or the one-graph compiled step that reads the rate itself,
would have to thread through. Here the rate is a pure function of the step and of the
plateau's factor.

- cosine (Loshchilov & Hutter 2017, SGDR without restarts): lr_min + (lr - lr_min) *
  (1 + cos(pi * step / total_steps)) / 2, per step, over the run's epochs;
- plateau (as torch's ReduceLROnPlateau, threshold 0): the rate is multiplied by
  plateau_factor once the validation -ELBO has not improved for more than
  plateau_patience epochs, and the count starts again;
- early stopping (Prechelt 1998): stop once it has not improved for `early_stopping`
  epochs; with it (or keep_best) the weights of the best epoch are what the run keeps.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from vaekit.config import TrainConfig


def cosine_lr(step: int, total_steps: int, *, lr: float, lr_min: float) -> float:
    """The cosine schedule's rate at `step` (0-based) of `total_steps`."""
    t = min(step, total_steps) / max(total_steps, 1)
    return lr_min + (lr - lr_min) * 0.5 * (1.0 + math.cos(math.pi * t))


@dataclass
class Verdict:
    """What one epoch's validation number decided."""

    improved: bool
    stop: bool
    lowered_lr: bool


@dataclass
class Controls:
    """The state of the controls between epochs (checkpointed as plain numbers)."""

    best: float = math.inf  # best validation -ELBO so far, nats per example
    best_epoch: int = 0
    best_step: int = 0
    bad_epochs: int = 0  # epochs since the best one
    plateau_epochs: int = 0  # epochs without improvement since the last lowering
    lr_scale: float = 1.0  # the plateau schedule's factor so far

    def state(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Controls:
        return cls(**{k: type(getattr(cls(), k))(v) for k, v in state.items()})

    def lr(self, step: int, total_steps: int, tc: TrainConfig) -> float:
        """The learning rate for training step `step`."""
        if tc.lr_schedule == "cosine":
            return cosine_lr(step, total_steps, lr=tc.lr, lr_min=tc.lr_min)
        return tc.lr * self.lr_scale

    def should_stop(self, tc: TrainConfig) -> bool:
        return tc.early_stopping > 0 and self.bad_epochs >= tc.early_stopping

    def update(self, value: float, *, epoch: int, step: int, tc: TrainConfig) -> Verdict:
        """Take one epoch's validation -ELBO."""
        improved = value < self.best
        if improved:
            self.best, self.best_epoch, self.best_step = value, epoch, step
            self.bad_epochs = self.plateau_epochs = 0
        else:
            self.bad_epochs += 1
            self.plateau_epochs += 1
        lowered = tc.lr_schedule == "plateau" and self.plateau_epochs > tc.plateau_patience
        if lowered:
            self.lr_scale *= tc.plateau_factor
            self.plateau_epochs = 0
        return Verdict(improved, self.should_stop(tc), lowered)


def keeps_best(tc: TrainConfig) -> bool:
    """Whether the run keeps its best validation epoch's weights."""
    return tc.keep_best or tc.early_stopping > 0
