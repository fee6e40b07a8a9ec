"""Convolution stacks that adapt to the input size: no VAE knowledge here.

Each downsampling layer is a 3x3 convolution with stride 2 and padding 1, so a side of n
pixels becomes ceil(n / 2) (Keras' padding="same"); each upsampling layer is the
transposed convolution that exactly doubles a side. After L layers the decoder's side is
2^L * ceil(n / 2^L) >= n, and `fit_to` crops it back to n (odd sizes such as 7 or 27).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vaekit.nn.mlp import activation

KERNEL, STRIDE, PADDING = 3, 2, 1


def downsampled_size(n: int, layers: int) -> int:
    """Side length after `layers` stride-2 convolutions: ceil(n / 2) each time."""
    for _ in range(layers):
        n = (n + 2 * PADDING - KERNEL) // STRIDE + 1
    return n


def conv_down(in_channels: int, channels: tuple[int, ...], *, act: str = "relu") -> nn.Sequential:
    """Stride-2 3x3 convolutions through `channels`, an activation after each:
    (B, in_channels, H, W) -> (B, channels[-1], ceil(H / 2^L), ceil(W / 2^L))."""
    layers: list[nn.Module] = []
    for c_in, c_out in zip((in_channels, *channels[:-1]), channels):
        layers += [nn.Conv2d(c_in, c_out, KERNEL, STRIDE, PADDING), activation(act)]
    return nn.Sequential(*layers)


def conv_up(
    channels: tuple[int, ...], out_channels: int, *, act: str = "relu"
) -> nn.Sequential:
    """The mirror of `conv_down(out_channels, channels)`: stride-2 transposed convolutions
    through reversed(channels), each doubling H and W and followed by an activation, then a
    stride-1 3x3 convolution to `out_channels` with no activation (unconstrained outputs)."""
    layers: list[nn.Module] = []
    rev = tuple(reversed(channels))  # (c_L, ..., c_1)
    for c_in, c_out in zip((rev[0], *rev[:-1]), rev):  # Keras: 64 -> 64, 64 -> 32
        # output side = (n - 1) * 2 - 2 * 1 + 3 + 1 = 2n
        layers += [
            nn.ConvTranspose2d(c_in, c_out, KERNEL, STRIDE, PADDING, output_padding=1),
            activation(act),
        ]
    layers.append(nn.Conv2d(rev[-1], out_channels, KERNEL, 1, PADDING))
    return nn.Sequential(*layers)


def fit_to(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Crop (bottom/right) or zero-pad (bottom/right) (B, C, h, w) to (B, C, height, width)."""
    h, w = x.shape[-2:]
    if h > height or w > width:
        x = x[..., : min(h, height), : min(w, width)]
    h, w = x.shape[-2:]
    if h < height or w < width:
        x = F.pad(x, (0, width - w, 0, height - h))
    return x
