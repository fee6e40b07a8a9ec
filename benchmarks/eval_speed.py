"""Throughput of `vaekit evaluate` (IWAE log p(x), K importance samples per example)
against the FLOP count of the work and the matmul peak measured in the same process.

For each model it times `vaekit.analysis.evaluate.log_likelihood` on N MNIST test images
with K samples each, counts the FLOPs of one (example, sample) pair with PyTorch's
FlopCounterMode (the encoder runs once per chunk of samples; the decoder and the
likelihood once per pair), and prints examples x K per second, GFLOP/s and the fraction
of the matmul peak of its precision: fp32, or with `--precision bf16` (what `vaekit
evaluate --fast` runs: the networks under bfloat16 autocast) the bf16 peak. The weights
are untrained: the work does not depend on them.

    python benchmarks/eval_speed.py --n 500 --k 64 --threads 2 [--precision bf16]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import torch
from hardware import matmul_peak, sync  # benchmarks/hardware.py
from torch.utils.flop_counter import FlopCounterMode

from vaekit.analysis.evaluate import VALUES_PER_PASS, log_likelihood
from vaekit.config import ModelConfig
from vaekit.data.registry import load_dataset
from vaekit.models.build import build_vae

MODELS = {
    # pytorch/examples' 784-400-20 VAE, Bernoulli
    "dense": ModelConfig(hidden=(400,), latent_dim=20, likelihood="bernoulli",
                         input_shape=(1, 28, 28)),
    # vaekit's default conv model (conv 32/64, dense 400, latent 5), Bernoulli
    "conv": ModelConfig(arch="conv", likelihood="bernoulli", input_shape=(1, 28, 28)),
}




@torch.no_grad()
def flops_per_pair(model, x: torch.Tensor, k: int) -> float:
    """FLOPs of the work per (example, sample) pair, as log_likelihood chunks it: the
    encoder once per chunk of samples, the decoder and log-weights once per pair."""
    from vaekit.objectives import importance_log_weights

    chunk = max(1, min(k, (VALUES_PER_PASS // x[0].numel()) // x.shape[0]))
    counter = FlopCounterMode(display=False)
    with counter:
        importance_log_weights(model(x, samples=chunk), x)
    per_chunk = counter.get_total_flops()
    chunks = -(-k // chunk)
    return per_chunk * chunks / (x.shape[0] * k)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="test images (default 500)")
    parser.add_argument("--k", type=int, default=64, help="importance samples (default 64)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--device", default="cpu", help="cpu or cuda (benchmarks/gpu.py)")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"],
                        help="of the networks' passes (bf16: vaekit evaluate --fast)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x = load_dataset("mnist").test.x[: args.n]
    x = torch.bernoulli(x, generator=torch.Generator().manual_seed(0))
    dtype = torch.bfloat16 if args.precision == "bf16" else torch.float32
    peak = matmul_peak(dtype, device=args.device)
    print(f"torch {torch.__version__}, {args.threads} threads, {os.cpu_count()} CPUs; "
          f"{args.precision} matmul peak here (2048^3): {peak:.0f} GFLOP/s")
    print(f"log_likelihood on {args.n} binarised MNIST test images, K = {args.k}, batch "
          f"{args.batch_size}, networks in {args.precision}")
    for name in args.models:
        torch.manual_seed(0)
        model = build_vae(MODELS[name]).to(args.device).eval()
        per_pair = flops_per_pair(model, x[: args.batch_size].to(args.device), args.k)
        log_likelihood(model, x[:10], k=2, precision=args.precision)  # warm-up
        sync(args.device)
        started = time.perf_counter()
        log_likelihood(model, x, k=args.k, batch_size=args.batch_size,
                       precision=args.precision)
        sync(args.device)
        seconds = time.perf_counter() - started
        pairs = args.n * args.k / seconds
        gflops = pairs * per_pair / 1e9
        print(f"{name}: {seconds:.1f} s, {pairs:,.0f} examples x K per second, "
              f"{per_pair / 1e6:.2f} MFLOP per pair, {gflops:.0f} GFLOP/s = "
              f"{gflops / peak:.2f} of the matmul peak; 10,000 images at K = {args.k} would "
              f"take {10_000 * args.k / pairs / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
