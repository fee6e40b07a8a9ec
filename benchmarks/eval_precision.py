"""Is `vaekit evaluate --fast` (the IWAE passes' networks in bfloat16) worth it, and does
it change the answer? For each pretrained run it estimates log p(x) on N held-out examples
with K importance samples twice, fp32 and bf16, with the same seed (the same z draws), in
alternating order, and prints the seconds of each, the speed-up, both mean NLLs with their
standard errors, the shift of the mean in standard errors, and the largest change of a
single example's value.

    python benchmarks/eval_precision.py --n 1000 --k 64

Fashion-MNIST and Nottingham are read from $VAEKIT_DATA_DIR (or vaekit's data cache);
MNIST ships with vaekit.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import torch

from vaekit.analysis.evaluate import log_likelihood
from vaekit.analysis.sequences import sequence_log_likelihood
from vaekit.checkpoint import load_run
from vaekit.data.prepare import prepare

RUNS = ("pretrained:mnist", "pretrained:fashion-mnist", "pretrained:melody")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="held-out examples per run")
    parser.add_argument("--k", type=int, default=64, help="importance samples")
    parser.add_argument("--runs", nargs="+", default=list(RUNS))
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, {os.cpu_count()} CPUs; "
          f"N = {args.n} held-out examples, K = {args.k}, seed 0; times: best of two")
    for name in args.runs:
        run = load_run(name)
        _, data = prepare(run.config)
        x = data.test.x[: args.n]
        estimate = (log_likelihood if run.config.data.kind == "image"
                    else sequence_log_likelihood)
        estimate(run.model, x[:4], k=2)  # warm-up
        seconds: dict[str, list[float]] = {"fp32": [], "bf16": []}
        values = {}
        for order in (("fp32", "bf16"), ("bf16", "fp32")):
            for precision in order:
                started = time.perf_counter()
                values[precision] = estimate(run.model, x, k=args.k, precision=precision)
                seconds[precision].append(time.perf_counter() - started)
        fp32, bf16 = values["fp32"], values["bf16"]
        sem = float(fp32.std() / math.sqrt(len(fp32)))
        shift = float(bf16.mean() - fp32.mean())
        t32, t16 = min(seconds["fp32"]), min(seconds["bf16"])
        print(f"{name} ({run.config.model.arch}): fp32 {t32:.1f} s, bf16 {t16:.1f} s = "
              f"{t32 / t16:.2f}x; -log p(x) fp32 {-float(fp32.mean()):.3f} ± {sem:.3f}, "
              f"bf16 {-float(bf16.mean()):.3f} (shift {abs(shift) / sem:.3f} standard "
              f"errors); largest change of one example {float((bf16 - fp32).abs().max()):.3f} "
              "nats", flush=True)
    print("nats per example (melody: per 2-bar window); standard error of the fp32 mean over "
          "examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
