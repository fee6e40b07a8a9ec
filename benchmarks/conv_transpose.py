"""The conv model's transposed convolutions, forward + backward of one batch, in fp32 and
bf16 (channels-last, as the trainer runs them), each beside the same map recast as a
sub-pixel convolution: a stride-2 3x3 transposed convolution (padding 1, output padding
1) equals a 2x2 convolution with 4x the output channels, on the input padded by one row
and column, followed by a pixel shuffle. The recast is checked equal (to float rounding)
before it is timed. It asks whether faster kernels for the layers that dominate the conv
step's backward are there to be had on this machine (README: Speed).

    python benchmarks/conv_transpose.py
"""

from __future__ import annotations

import argparse
import sys

import torch
import torch.nn.functional as F
from hardware import timed


def subpixel_weight(w: torch.Tensor) -> torch.Tensor:
    """(C_in, C_out, 3, 3) transposed-convolution weights -> (4 C_out, C_in, 2, 2) weights
    of the equal convolution. Per spatial dimension, with o = 2 i - 1 + k: even outputs
    2m take x[m] w[1]; odd outputs 2m + 1 take x[m] w[2] + x[m + 1] w[0]."""
    def taps(v: torch.Tensor, dim: int) -> list[torch.Tensor]:
        one, zero = v.narrow(dim, 1, 1), torch.zeros_like(v.narrow(dim, 0, 1))
        return [torch.cat([one, zero], dim),
                torch.cat([v.narrow(dim, 2, 1), v.narrow(dim, 0, 1)], dim)]

    kernels = [col for row in taps(w, 2) for col in taps(row, 3)]  # phases (a, b) in order
    cin, cout = w.shape[:2]
    return torch.stack(kernels, 2).reshape(cin, cout * 4, 2, 2).transpose(0, 1).contiguous()


def subpixel(x: torch.Tensor, layer: torch.nn.ConvTranspose2d) -> torch.Tensor:
    y = F.conv2d(F.pad(x, (0, 1, 0, 1)), subpixel_weight(layer.weight))
    return F.pixel_shuffle(y, 2) + layer.bias.view(1, -1, 1, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {args.threads} threads; batch 128, channels-last; "
          "ms per forward + backward")
    for cin, cout, side in [(64, 64, 7), (64, 32, 14)]:  # the default conv decoder's layers
        layer = torch.nn.ConvTranspose2d(cin, cout, 3, 2, 1, output_padding=1)
        layer.to(memory_format=torch.channels_last)
        x = torch.randn(128, cin, side, side).contiguous(memory_format=torch.channels_last)
        gap = (layer(x) - subpixel(x, layer)).abs().max().item()
        assert gap < 1e-4, f"the recast differs by {gap}"
        x.requires_grad_()
        cells = []
        for precision in ("fp32", "bf16"):
            for name, recast in (("transposed", False), ("sub-pixel", True)):
                def step(layer=layer, x=x, recast=recast, bf16=precision == "bf16") -> None:
                    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                        y = subpixel(x, layer) if recast else layer(x)
                    y.float().sum().backward()

                for _ in range(3):
                    step()
                _, seconds = timed("cpu", lambda: [step() for _ in range(args.reps)])
                cells.append(f"{precision} {name} {seconds / args.reps * 1e3:.1f}")
        print(f"{cin} -> {cout}, {side}x{side} -> {2 * side}x{2 * side} (recast differs by "
              f"{gap:.1e}): " + ", ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
