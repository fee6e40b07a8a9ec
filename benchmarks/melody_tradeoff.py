"""The beta / free-bits trade-off of a 2-bar melody VAE: reconstruction against sampling
(MusicVAE ships "low-KL" and "high-KL" checkpoints for this reason; issue #15).

    OMP_NUM_THREADS=1 VAEKIT_DATA_DIR=../shared/data nice .venv/bin/python \
        benchmarks/melody_tradeoff.py [--settings NAME ...] [--runs runs/tradeoff] [--reuse]

Trains each setting (the same model, only the KL controls differ) through the command line
and prints, on the held-out test windows: note accuracy (teacher-forced, generated), the
NLL per token by importance sampling, the KL and the free-bits floor, and the mean feature
overlap of prior and fitted-mixture (gmm) samples with the held-out melodies, beside the
count baselines and the training set's overlap (the ceiling). One JSON line per setting
goes to RUNS/results.jsonl. --reuse skips training where a run directory already holds
the setting's last epoch.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

MODEL = ["--data", "nottingham", "--model", "lstm", "--rnn-hidden", "128", "--embedding-dim",
         "32", "--latent-dim", "32", "--batch-size", "64", "--grad-clip-norm", "5",
         "--seed", "0", "--quiet"]
EPOCHS = 10
# name -> (KL flags, phases of (last epoch, learning rate)); the first phase trains, the
# others resume at a lower learning rate (the trainer's rate is constant per command).
PHASES = [(6, "2e-3"), (8, "1e-3"), (EPOCHS, "3e-4")]
SETTINGS: dict[str, list[str]] = {
    "beta1": ["--beta", "1", "--free-bits", "0", "--word-dropout", "0"],
    "fb0.25": ["--free-bits", "0.25", "--word-dropout", "0"],
    "fb0.5": ["--free-bits", "0.5", "--word-dropout", "0"],
    "fb1": ["--free-bits", "1", "--word-dropout", "0"],
    "fb2": ["--free-bits", "2", "--word-dropout", "0"],
    "beta0.2": ["--beta", "0.2", "--free-bits", "0", "--word-dropout", "0",
                "--kl-schedule", "linear", "--kl-warmup-steps", "2000"],
    "beta0.5": ["--beta", "0.5", "--free-bits", "0", "--word-dropout", "0",
                "--kl-schedule", "linear", "--kl-warmup-steps", "2000"],
    "wd0.5": ["--beta", "1", "--free-bits", "0", "--word-dropout", "0.5",
              "--kl-schedule", "linear", "--kl-warmup-steps", "2000"],
    "fb0.5+wd0.25": ["--free-bits", "0.5", "--word-dropout", "0.25"],
}


def _train(run_dir: Path, flags: list[str], reuse: bool) -> float:
    from vaekit.checkpoint import load_metrics
    from vaekit.cli import main as vaekit

    last = PHASES[-1][0]
    done = load_metrics(run_dir) if (run_dir / "metrics.jsonl").is_file() else []
    if reuse and done and done[-1]["epoch"] >= last:
        return 0.0
    started = time.perf_counter()
    (epochs, lr), *later = PHASES
    commands = [["train", "--out", str(run_dir), "--overwrite", *MODEL, *flags,
                 "--epochs", str(epochs), "--lr", lr]]
    commands += [["train", "--resume", str(run_dir), "--quiet", "--epochs", str(e), "--lr", r]
                 for e, r in later]
    for argv in commands:
        print("vaekit", " ".join(argv), flush=True)
        if vaekit(argv) != 0:
            raise SystemExit(f"training failed: vaekit {' '.join(argv)}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--runs", default="runs/tradeoff")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--k", type=int, default=100, help="importance samples")
    parser.add_argument("--limit-test", type=int, help="score the first N test windows")
    args = parser.parse_args()

    from vaekit.analysis.sequences import evaluate_sequences, melody_sample_statistics
    from vaekit.checkpoint import load_run
    from vaekit.data.prepare import load_split
    from vaekit.samplers import sample_latents

    runs = Path(args.runs)
    runs.mkdir(parents=True, exist_ok=True)
    for name in args.settings:
        run_dir = runs / name
        seconds = _train(run_dir, SETTINGS[name], args.reuse)
        run = load_run(run_dir)
        train = load_split(run.config, "train").x
        test = load_split(run.config, "test").x[: args.limit_test]
        tc = run.config.train
        ev = evaluate_sequences(run.model, test, train=train, k=args.k, beta=tc.beta,
                                free_bits=tc.free_bits)
        overlap = {}
        for sampler in ("prior", "gmm"):
            z = sample_latents(run, len(test), sampler=sampler, seed=0)
            stats = melody_sample_statistics(run.model, z, test=test, train=train)
            overlap[sampler] = stats.overlap["mean"]
            overlap["ceiling"] = stats.reference["test"]["overlap"]["mean"]
        row = {"setting": name, "flags": " ".join(SETTINGS[name]), "train_seconds": seconds,
               "note_tf": ev.note_accuracy["teacher_forced"],
               "note_gen": ev.note_accuracy["generated"], "acc_tf": ev.accuracy["teacher_forced"],
               "nll_per_token": ev.nll_per_token, "elbo_per_token": ev.negative_elbo_per_token,
               "kl": ev.kl, "floor": ev.free_bits_floor, "active": ev.active_units,
               "overlap_prior": overlap["prior"], "overlap_gmm": overlap["gmm"],
               "overlap_ceiling": overlap["ceiling"],
               "bigram_position_nll": ev.baselines["bigram_position"]["nll_per_token"],
               "bigram_note_tf": ev.baselines["bigram"]["note_accuracy"]}
        with open(runs / "results.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
