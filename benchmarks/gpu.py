"""Every speed benchmark on a CUDA device, in one prepared run (under ten minutes on a
modern GPU), ending with one table: for each benchmark, the peer's and vaekit's samples
per second, vaekit's GFLOP/s against the matmul peak measured on the device, and the
median speed-up.

Runs, each as a subprocess with `--device cuda` and few epochs (data on the device, the
compiled steps, as in the CPU runs):
  dense   benchmarks/train_speed.py  (pytorch/examples' loop)
  conv    benchmarks/conv_speed.py   (the keras.io loop, transcribed to PyTorch)
  lstm    benchmarks/lstm_speed.py   (a tutorial loop with per-batch padding)
  eval    benchmarks/eval_speed.py   (IWAE log p(x), K = 64; fp32, then bf16 = evaluate --fast)

    python benchmarks/gpu.py [--epochs 3] [--out gpu-speed.txt]

Not run by CI. On a machine without CUDA it says so and exits 2.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RATIO = re.compile(r"^(?P<who>vaekit [\w+\-]+): median speed-up over (?P<peer>.+?) "
                   r"(?P<ratio>[\d.]+)x$")
PEAK = re.compile(r"of (?:the )?(?:matmul )?peak")


def runs(epochs: int) -> dict[str, list[str]]:
    common = ["--device", "cuda"]
    return {
        "dense": [str(HERE / "train_speed.py"), "--epochs", str(epochs), *common],
        "conv": [str(HERE / "conv_speed.py"), "--epochs", str(epochs), *common],
        "lstm": [str(HERE / "lstm_speed.py"), "--epochs", str(epochs), *common],
        "eval": [str(HERE / "eval_speed.py"), "--n", "10000", "--k", "64", *common],
        "eval-bf16": [str(HERE / "eval_speed.py"), "--n", "10000", "--k", "64",
                      "--precision", "bf16", *common],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", help="also write the whole log here")
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("benchmarks/gpu.py: no CUDA device here; nothing was run", file=sys.stderr)
        return 2
    name = torch.cuda.get_device_name()
    print(f"device: {name}, torch {torch.__version__}, CUDA {torch.version.cuda}", flush=True)
    log, table = [], []
    for bench, cmd in runs(args.epochs).items():
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, *cmd], capture_output=True, text=True,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"}, check=False)
        seconds = time.perf_counter() - started
        print(f"--- {bench} ({seconds:.0f} s, exit {proc.returncode})", flush=True)
        print(proc.stdout[-4000:], proc.stderr[-2000:] if proc.returncode else "", flush=True)
        log += [f"--- {bench}", proc.stdout, proc.stderr]
        for line in proc.stdout.splitlines():
            match = RATIO.match(line.strip())
            if match:
                table.append((bench, match["who"], match["peer"], match["ratio"]))
            elif bench.startswith("eval") and PEAK.search(line):
                table.append((bench, line.split(":")[0], "the FLOP count", line.strip()))
    print(f"\nGPU speed table ({name}):")
    print("| benchmark | vaekit | against | result |\n|---|---|---|---|")
    for bench, who, peer, result in table:
        print(f"| {bench} | {who} | {peer} | {result} |")
    if args.out:
        Path(args.out).write_text("\n".join(log))
    return 0


if __name__ == "__main__":
    sys.exit(main())
