"""The speed benchmarks' FLOP counts: PyTorch's FlopCounterMode counts nothing for the
fused LSTM kernels, so benchmarks/hardware.py counts their gates by formula. The formula
is checked against FlopCounterMode's count of the same LSTM written out step by step
with F.linear (which it does count)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import hardware  # noqa: E402  (benchmarks/hardware.py, a script folder)


def unrolled_forward_flops(lstm: torch.nn.LSTM, x: torch.Tensor) -> int:
    """FlopCounterMode's count of lstm's forward written as linear maps per step."""
    b, t, _ = x.shape
    h = lstm.hidden_size
    counter = FlopCounterMode(display=False)
    with counter:
        layer_in = x
        for layer in range(lstm.num_layers):
            outs = []
            for direction in range(2 if lstm.bidirectional else 1):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                w_ih, w_hh = getattr(lstm, "weight_ih" + sfx), getattr(lstm, "weight_hh" + sfx)
                hs, c = torch.zeros(b, h), torch.zeros(b, h)
                seq = []
                steps = range(t - 1, -1, -1) if direction else range(t)
                for s in steps:
                    gates = F.linear(layer_in[:, s], w_ih) + F.linear(hs, w_hh)
                    i, f, g, o = gates.chunk(4, dim=1)
                    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    hs = torch.sigmoid(o) * torch.tanh(c)
                    seq.append(hs)
                outs.append(torch.stack(seq[::-1] if direction else seq, dim=1))
            layer_in = torch.cat(outs, dim=-1)
    return counter.get_total_flops()


@pytest.mark.parametrize("layers,bidirectional", [(1, False), (1, True), (2, True)])
def test_the_lstm_formula_counts_what_the_unrolled_lstm_does(layers, bidirectional):
    lstm = torch.nn.LSTM(6, 5, num_layers=layers, bidirectional=bidirectional,
                         batch_first=True)
    x = torch.randn(3, 4, 6)
    expected = unrolled_forward_flops(lstm, x)
    assert expected > 0
    assert hardware.lstm_forward_flops(lstm, x) == expected


def test_count_flops_adds_the_fused_lstm_kernels_that_pytorch_misses():
    class Model(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(6, 5, batch_first=True, bidirectional=True)
            self.out = torch.nn.Linear(10, 3)

        def forward(self, x):
            return self.out(self.lstm(x)[0])

    model, x = Model(), torch.randn(3, 4, 6)
    plain = FlopCounterMode(display=False)
    with plain:
        model(x).sum().backward()
    linear_only = plain.get_total_flops()  # the fused LSTM kernel is not in it
    assert linear_only == 3 * 2 * 3 * 4 * 10 * 3  # forward, input and weight gradients

    total = hardware.count_flops(model, lambda: model(x).sum().backward())
    # forward, input gradients and weight gradients: three times the forward's matmuls
    assert total == linear_only + 3 * unrolled_forward_flops(model.lstm, x)
    assert all(p.grad is None for p in model.parameters())


def test_a_packed_batch_counts_only_the_steps_it_has():
    """Sequences of lengths 4 and 2, packed: the work of 6 steps, as the two sequences
    unrolled one by one (none for the padding a padded batch would carry)."""
    lstm = torch.nn.LSTM(6, 5, batch_first=True, bidirectional=True)
    long, short = torch.randn(1, 4, 6), torch.randn(1, 2, 6)
    padded = torch.cat([long, F.pad(short, (0, 0, 0, 2))])
    packed = torch.nn.utils.rnn.pack_padded_sequence(padded, [4, 2], batch_first=True)
    expected = unrolled_forward_flops(lstm, long) + unrolled_forward_flops(lstm, short)
    assert hardware.lstm_forward_flops(lstm, packed) == expected
    assert hardware.lstm_forward_flops(lstm, padded) > expected
