"""Train the runs that ship inside the package (`pretrained:mnist`, `pretrained:fashion-mnist`,
`pretrained:melody`), measure them, and copy them into src/vaekit/pretrained/.

    OMP_NUM_THREADS=1 nice python examples/pretrained_runs.py --out runs/pretrained [--copy]

Every flag that matters is given explicitly, so the runs do not depend on defaults that
may change. Each run uses a validation split (10 % of the training examples) for early
stopping and keeps its best epoch's weights; the test split is scored once at the end.
A shipped run holds config.json, model.safetensors and metrics.jsonl (no trainer state:
it is not meant to be resumed; retrain it with the command below).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

RUNS = {
    "mnist": ["--data", "mnist", "--model", "dense", "--hidden", "256", "--latent-dim", "16",
              "--activation", "relu", "--likelihood", "bernoulli", "--binarize", "dynamic",
              "--epochs", "30", "--batch-size", "128", "--lr", "1e-3", "--lr-schedule",
              "cosine", "--lr-min", "1e-5", "--valid-fraction", "0.1", "--early-stopping", "5",
              "--beta", "1", "--seed", "0"],
    "fashion-mnist": ["--data", "fashion-mnist", "--model", "conv", "--conv-channels", "16",
                      "32", "--hidden", "64", "--latent-dim", "16", "--activation", "relu",
                      "--likelihood", "bernoulli", "--epochs", "6", "--batch-size", "128",
                      "--lr", "1e-3", "--lr-schedule", "cosine", "--lr-min", "1e-5",
                      "--valid-fraction", "0.1", "--early-stopping", "2", "--beta", "1",
                      "--seed", "0"],
    "melody": ["--data", "nottingham", "--model", "lstm", "--likelihood", "categorical",
               "--bars", "2", "--transpose", "0", "--melody", "top", "--embedding-dim", "32",
               "--rnn-hidden", "128", "--latent-dim", "32", "--word-dropout", "0",
               "--scheduled-sampling", "0", "--free-bits", "2", "--beta", "1",
               "--kl-schedule", "constant", "--grad-clip-norm", "5", "--epochs", "8",
               "--batch-size", "64", "--lr", "3e-3", "--lr-schedule", "cosine", "--lr-min",
               "1e-4", "--valid-fraction", "0.1", "--early-stopping", "3", "--seed", "0"],
}
SHIPPED = ("config.json", "model.safetensors", "metrics.jsonl")
PACKAGE = Path(__file__).resolve().parents[1] / "src" / "vaekit" / "pretrained"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/pretrained")
    p.add_argument("--only", nargs="+", choices=list(RUNS), default=list(RUNS))
    p.add_argument("--copy", action="store_true", help="copy the runs into the package")
    args = p.parse_args()
    from vaekit.cli import main as vaekit

    for name in args.only:
        run_dir = Path(args.out) / name
        argv = ["train", "--out", str(run_dir), "--overwrite", "--quiet", *RUNS[name]]
        print("vaekit", " ".join(argv), flush=True)
        started = time.perf_counter()
        if vaekit(argv) != 0:
            raise SystemExit(f"training failed: vaekit {' '.join(argv)}")
        print(f"{name}: trained in {time.perf_counter() - started:.0f} s", flush=True)
        evaluate = ["evaluate", str(run_dir), "--iw-samples", "1000" if name != "melody" else "1"]
        print("vaekit", " ".join(evaluate), flush=True)
        vaekit(evaluate)
        if args.copy:
            target = PACKAGE / name
            target.mkdir(parents=True, exist_ok=True)
            for file in SHIPPED:
                shutil.copy(run_dir / file, target / file)
            print(f"copied {', '.join(SHIPPED)} to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
