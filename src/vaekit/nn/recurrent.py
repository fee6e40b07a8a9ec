"""Recurrent building blocks: no VAE knowledge here.

Shapes: tokens (B, T) int64, embeddings (B, T, E), hidden states (B, H).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence


def init_lstm_(lstm: nn.LSTM, *, forget_bias: float = 1.0) -> nn.LSTM:
    """Set the forget-gate biases to `forget_bias` (Jozefowicz et al. 2015): a new LSTM
    then keeps its state by default, which helps gradients reach early steps."""
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias_ih"):  # gates in PyTorch's order: input, forget, cell, out
                h = param.shape[0] // 4
                param[h : 2 * h].fill_(forget_bias)
            elif name.startswith("bias_hh"):
                param[param.shape[0] // 4 : param.shape[0] // 2].zero_()
    return lstm


class BidirectionalSummary(nn.Module):
    """A one-layer bidirectional LSTM over (B, T, E) inputs; returns the final hidden states
    of both directions concatenated, (B, 2H): the forward one after the last real step and
    the backward one after step 0 (MusicVAE's encoder, Roberts et al. 2018)."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.lstm = init_lstm_(nn.LSTM(input_size, hidden_size, batch_first=True,
                                       bidirectional=True))
        self.output_size = 2 * hidden_size

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if lengths is not None:  # padded batch: run each sequence over its real steps only
            inputs = pack_padded_sequence(inputs, lengths.cpu().clamp_min(1), batch_first=True,
                                          enforce_sorted=False)
        _, (h_n, _) = self.lstm(inputs)  # h_n: (2, B, H), forward then backward
        return torch.cat([h_n[0], h_n[1]], dim=-1)  # (B, 2H)


def replace_tokens(
    tokens: torch.Tensor,
    p: float,
    replacement: int,
    *,
    keep: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Word dropout (Bowman et al. 2016): each token becomes `replacement` with
    probability p, except where `keep` (bool, like tokens) is True. Returns a new tensor."""
    if p <= 0:
        return tokens
    drop = torch.rand(tokens.shape, generator=generator, device=tokens.device) < p
    if keep is not None:
        drop &= ~keep
    return tokens.masked_fill(drop, replacement)


def choose_tokens(
    logits: torch.Tensor, *, temperature: float = 0.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """One token per row of (B, V) logits: the argmax for temperature 0, otherwise a draw
    from softmax(logits / temperature). Returns (B,) int64."""
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)
