"""KL weight schedules: pure functions of the training step.

Warm-up (Bowman et al. 2016) starts the KL weight at 0 so the decoder learns to use z
before the KL term can push q(z|x) onto the prior; the cyclical schedule (Fu et al.
2019) repeats that ramp, which fights posterior collapse in sequence models.
"""

from __future__ import annotations

from vaekit.config import CHOICES


def kl_weight(step: int, *, beta: float, schedule: str, warmup_steps: int,
              cycle_steps: int = 0) -> float:
    """The KL weight for training step `step` (0-based).

    constant: beta. linear: beta * min(1, step / warmup_steps). cyclical: within each
    cycle of `cycle_steps`, a linear ramp over the first `warmup_steps`, then beta.
    """
    if schedule == "constant" or warmup_steps <= 0:
        return beta
    if schedule == "linear":
        return beta * min(1.0, step / warmup_steps)
    if schedule == "cyclical":
        return beta * min(1.0, (step % cycle_steps) / warmup_steps)
    raise ValueError(f"unknown KL schedule {schedule!r} "
                     f"(valid: {', '.join(CHOICES['train.kl_schedule'])})")
