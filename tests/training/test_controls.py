"""Schedules and early stopping: the rules, as pure functions of their state."""

import math

import pytest

from vaekit.config import TrainConfig
from vaekit.training.controls import Controls, cosine_lr


def test_cosine_runs_from_lr_to_lr_min():
    assert cosine_lr(0, 100, lr=1e-3, lr_min=1e-5) == pytest.approx(1e-3)
    assert cosine_lr(50, 100, lr=1e-3, lr_min=1e-5) == pytest.approx((1e-3 + 1e-5) / 2)
    assert cosine_lr(100, 100, lr=1e-3, lr_min=1e-5) == pytest.approx(1e-5)
    half = 0.5 * (1 + math.cos(math.pi / 4))
    assert cosine_lr(25, 100, lr=1.0, lr_min=0.0) == pytest.approx(half)


def test_plateau_lowers_after_patience_and_early_stopping_stops():
    tc = TrainConfig(lr=1.0, lr_schedule="plateau", plateau_patience=1, plateau_factor=0.5,
                     early_stopping=3)
    c = Controls()
    seen = [c.update(v, epoch=e, step=e, tc=tc) for e, v in enumerate([5, 4, 4.5, 4.2, 4.1], 1)]
    assert [v.improved for v in seen] == [True, True, False, False, False]
    assert [v.lowered_lr for v in seen] == [False, False, False, True, False]
    assert c.lr(0, 10, tc) == 0.5 and c.best_epoch == 2
    assert [v.stop for v in seen] == [False, False, False, False, True]
    assert Controls.from_state(c.state()) == c
