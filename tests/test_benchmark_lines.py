"""The speed benchmarks' summary line: the median of the per-epoch ratios (for an even
number of epochs the mean of the two middle ones), in the form benchmarks/gpu.py parses."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import gpu  # noqa: E402  (benchmarks/gpu.py, a script folder)
import hardware  # noqa: E402


def test_even_count_takes_the_mean_of_the_two_middle_ratios():
    # The first epoch compiles (a low ratio); the upper middle value (4.23) was printed
    # before 2026-12-01, overstating the run.
    ratios = [0.47, 4.39, 5.21, 4.23, 4.39, 4.54, 3.19, 2.90, 3.13, 3.28]
    line = hardware.ratio_line("vaekit fast", "the tutorial", ratios)
    assert line == "vaekit fast: median speed-up over the tutorial 3.75x"


def test_odd_count_takes_the_middle_ratio():
    line = hardware.ratio_line("vaekit fp32", "the tutorial loop", [1.3, 0.9, 1.1])
    assert line.endswith(" 1.10x")


def test_gpu_table_parses_the_line():
    line = hardware.ratio_line("vaekit fp32-fast", "the keras.io example (TensorFlow)",
                               [1.0, 2.0])
    match = gpu.RATIO.match(line)
    assert match is not None
    assert (match["who"], match["peer"], match["ratio"]) == (
        "vaekit fp32-fast", "the keras.io example (TensorFlow)", "1.50")


def test_no_epochs_is_a_clear_error_not_a_number():
    with pytest.raises(ValueError, match="no epochs were timed"):
        hardware.ratio_line("vaekit fast", "the tutorial", [])
