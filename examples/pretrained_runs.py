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
               "--bars", "2", "--transpose", "0", "--set", "data.melody=top",
               "--embedding-dim", "32", "--rnn-hidden", "128", "--latent-dim", "32",
               "--word-dropout", "0",
               "--scheduled-sampling", "0", "--free-bits", "2", "--beta", "1",
               "--kl-schedule", "constant", "--grad-clip-norm", "5", "--epochs", "8",
               "--batch-size", "64", "--lr", "3e-3", "--lr-schedule", "cosine", "--lr-min",
               "1e-4", "--valid-fraction", "0.1", "--early-stopping", "3", "--seed", "0"],
}
SHIPPED = ("config.json", "model.safetensors", "metrics.jsonl", "vocab.json")
PACKAGE = Path(__file__).resolve().parents[1] / "src" / "vaekit" / "pretrained"


def pixel_baseline(run_dir: Path) -> float:
    """The trivial model beside an image run: independent pixels, each a Bernoulli with
    the training split's mean as its parameter, scored on the test split as the run is
    (summed BCE, nats per example)."""

    from vaekit.checkpoint import load_config
    from vaekit.data.prepare import load_split

    config = load_config(run_dir)
    mean = load_split(config, "train").x.mean(0).clamp(1e-6, 1 - 1e-6)  # (C, H, W)
    x = load_split(config, "test").x
    bce = -(x * mean.log() + (1 - x) * (1 - mean).log())
    return float(bce.flatten(1).sum(1).mean())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/pretrained")
    p.add_argument("--only", nargs="+", choices=list(RUNS), default=list(RUNS))
    p.add_argument("--copy", action="store_true", help="copy the runs into the package")
    p.add_argument("--skip-train", action="store_true", help="evaluate (and copy) only")
    p.add_argument("--baselines", action="store_true",
                   help="only print the image runs' independent-pixel baselines")
    args = p.parse_args()
    if args.baselines:
        for name in [n for n in args.only if n != "melody"]:
            print(f"{name}: independent pixels (mean training image as Bernoulli "
                  f"parameters): {pixel_baseline(Path(args.out) / name):.2f} nats per example "
                  "on the test split")
        return 0
    from vaekit.cli import main as vaekit

    for name in args.only:
        run_dir = Path(args.out) / name
        argv = ["train", "--out", str(run_dir), "--overwrite", "--quiet", *RUNS[name]]
        if not args.skip_train:
            print("vaekit", " ".join(argv), flush=True)
            started = time.perf_counter()
            if vaekit(argv) != 0:
                raise SystemExit(f"training failed: vaekit {' '.join(argv)}")
            print(f"{name}: trained in {time.perf_counter() - started:.0f} s", flush=True)
        # IWAE with K = 1000 on all 10,000 test images for the dense MNIST run; the conv
        # run's forward passes cost ~30x more, so K = 100 on the first 1,000.
        evaluate = {"mnist": ["--iw-samples", "1000"],
                    "fashion-mnist": ["--iw-samples", "100", "--limit", "1000"],
                    "melody": []}[name]
        evaluate = ["evaluate", str(run_dir), *evaluate]
        print("vaekit", " ".join(evaluate), flush=True)
        vaekit(evaluate)
        if args.copy:
            target = PACKAGE / name
            target.mkdir(parents=True, exist_ok=True)
            for file in SHIPPED:
                if (run_dir / file).is_file():  # vocab.json: sequence runs only
                    shutil.copy(run_dir / file, target / file)
            print(f"copied {', '.join(SHIPPED)} to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
