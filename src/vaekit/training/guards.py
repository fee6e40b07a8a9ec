"""What stops training, and the one-line messages that say where and how to go on.

A non-finite loss or gradient must never reach the weights unreported. On the CPU every
step is checked before its update (`stop_non_finite` names the step and the term); on a
GPU the trainer counts bad steps on the device and reads the count every few steps
(`bad_steps_error`), since a host sync per step would stall the device.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from vaekit.errors import TrainingError
from vaekit.objectives import negative_elbo


def _how_to_go_on(epoch: int, run_dir: Path, lr: float) -> str:
    kept = f"epoch {epoch}" if epoch else "none (no epoch had completed)"
    return (f"Last good checkpoint kept: {kept}. To go on: vaekit train --resume {run_dir} "
            f"--lr {lr / 10:g} (a lower learning rate), optionally with --grad-clip-norm 10")


def stop_non_finite(model, x, terms, *, step, epoch, run_dir, lr, beta, y=None) -> None:
    """Raise a TrainingError that names the step, the term, and how to go on. `terms`:
    the step's [total, reconstruction, KL]; `y`: a conditional model's labels."""
    rec, kl = float(terms[1]), float(terms[2])
    if math.isfinite(rec) and math.isfinite(kl):
        # The loss was finite, so a gradient blew up: find out which term's gradient.
        bad = []
        for term in ("reconstruction", "kl"):
            model.zero_grad(set_to_none=True)
            part = getattr(negative_elbo(model(x, y=y), x, beta=beta), term)
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
    raise TrainingError(f"non-finite value at step {step} (epoch {epoch + 1}): {what}; "
                        f"stopped. {_how_to_go_on(epoch, run_dir, lr)}")


def bad_steps_error(bad: int, *, first: int, last: int, epoch: int, every: int, device: str,
                    masked: bool, run_dir: Path, lr: float) -> TrainingError:
    """The error for `bad` non-finite steps counted on the device between two reads."""
    what = ("masked: their updates were skipped" if masked
            else "their updates were applied, so the weights in memory are not used")
    return TrainingError(
        f"{bad} non-finite step(s) between step {first} and step {last} (epoch {epoch + 1}; "
        f"checked every {every} steps on {device}), {what}; stopped. "
        f"{_how_to_go_on(epoch, run_dir, lr)}")
