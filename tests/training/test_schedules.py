import pytest

from vaekit.training.schedules import kl_weight


def test_constant():
    assert kl_weight(0, beta=0.5, schedule="constant", warmup_steps=100) == 0.5


def test_linear_ramp():
    weights = [kl_weight(s, beta=2.0, schedule="linear", warmup_steps=4) for s in range(6)]
    assert weights == [0.0, 0.5, 1.0, 1.5, 2.0, 2.0]


def test_cyclical_repeats():
    w = [kl_weight(s, beta=1.0, schedule="cyclical", warmup_steps=2, cycle_steps=4)
         for s in range(9)]
    assert w == [0.0, 0.5, 1.0, 1.0, 0.0, 0.5, 1.0, 1.0, 0.0]


def test_unknown_schedule():
    with pytest.raises(ValueError):
        kl_weight(1, beta=1.0, schedule="nope", warmup_steps=2)
