"""A sentence VAE against an LSTM language model, and the posterior-collapse fixes that work
at small scale (Bowman et al. 2016; Fu et al. 2019; Li et al. 2019).

Character-level Tiny Shakespeare lines of at most 32 characters; every run has the same
encoder and decoder (bi-LSTM 128 encoder, LSTM 128 decoder, 16-d z) and the same budget:

* **LSTM language model**: the same decoder fed z = 0 (`--set model.decoder=language_model`),
  the baseline a sentence VAE must beat on NLL;
* **plain VAE**: beta = 1 from the start; the decoder learns to ignore z (collapse);
* **word dropout + KL warm-up** (Bowman et al. 2016);
* **cyclical annealing** (Fu et al. 2019): the KL weight ramps from 0 to 1 four times;
* **free bits** (Kingma et al. 2016): 1 nat per dimension, vaekit's default for sequences;
* **AE-pretrained encoder + free bits** (Li et al. 2019): an auto-encoder is trained
  first; the VAE starts from its encoder (the decoder starts afresh) and trains with
  free bits, so no dimension is pushed below the threshold.

Each is scored on the held-out lines by `vaekit.analysis.sequences.evaluate_sequences`:
NLL per character by importance sampling (K = 100), the negative ELBO, the KL (with the
free-bits floor), active units and accuracy, beside the count baselines (unigram,
bigram) and the language model; then greedy homotopies (Bowman et al. 2016, sec. 5).

    OMP_NUM_THREADS=1 nice python examples/text_collapse.py [--out-dir runs/text-collapse]

Prints a Markdown report (docs/text-collapse.md is its saved output). About 15 minutes on
one busy CPU core. Needs Tiny Shakespeare (data/text/tinyshakespeare.txt under
$VAEKIT_DATA_DIR, or the user cache).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
import time
from pathlib import Path

EPOCHS = 10
COMMON = ["--data", "shakespeare", "--text-level", "char", "--max-len", "32",
          "--embedding-dim", "32", "--rnn-hidden", "128", "--latent-dim", "16",
          "--batch-size", "64", "--epochs", str(EPOCHS), "--lr", "2e-3", "--grad-clip-norm",
          "5", "--seed", "0", "--quiet"]
OFF = ["--free-bits", "0", "--word-dropout", "0"]  # the fixes off, whatever the defaults
PRETRAINED = "AE-pretrained encoder + free bits 1"
RUNS = {  # name -> (run folder, extra flags); "pretrained" is set up in Python below
    "LSTM language model": ("lm", [*OFF, "--set", "model.decoder=language_model"]),
    "plain VAE": ("plain", OFF),
    "word dropout + KL warm-up": ("bowman", ["--free-bits", "0", "--word-dropout", "0.5",
                                             "--kl-schedule", "linear",
                                             "--kl-warmup-steps", "825"]),
    "cyclical annealing": ("cyclical", [*OFF, "--kl-schedule", "cyclical",
                                        "--kl-warmup-steps", "206", "--kl-cycle-steps", "412"]),
    "free bits 1 (the sequence default)": ("freebits", ["--free-bits", "1",
                                                         "--word-dropout", "0"]),
    PRETRAINED: ("pretrained", ["--free-bits", "1", "--word-dropout", "0"]),
}
PRETRAIN = ("ae", [*OFF, "--autoencoder"])
PAIRS = [("To be, or not to be: that is", "Good night, sweet prince."),
         ("I will go with you.", "What is your name?")]
K = 100


def _vaekit(argv: list[str]) -> None:
    from vaekit.cli import main as vaekit

    with contextlib.redirect_stdout(sys.stderr):  # stdout holds only the report
        if vaekit(argv) != 0:
            raise SystemExit(f"training failed: vaekit {' '.join(argv)}")


def _pretrained_vae(out_dir: Path, flags: list[str]) -> None:
    """Li et al. (2019): an auto-encoder first; then a VAE whose encoder starts from the
    auto-encoder's (the decoder starts afresh), trained with free bits."""
    from vaekit.checkpoint import load_run
    from vaekit.cli.common import add_config_flags, config_from_args
    from vaekit.training.trainer import Trainer

    folder, ae_flags = PRETRAIN
    _vaekit(["train", "--out", str(out_dir / folder), "--overwrite", *COMMON, *ae_flags])
    ae = load_run(out_dir / folder)
    parser = argparse.ArgumentParser()
    add_config_flags(parser)
    config = config_from_args(parser.parse_args([a for a in [*COMMON, *flags]
                                                 if a != "--quiet"]))
    config = dataclasses.replace(config, model=dataclasses.replace(config.model,
                                                                   autoencoder=False))
    trainer = Trainer(config, out_dir / RUNS[PRETRAINED][0])
    trainer.model.encoder.load_state_dict(ae.model.encoder.state_dict())
    trainer.fit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default="runs/text-collapse")
    parser.add_argument("--skip-train", action="store_true", help="reuse trained runs")
    args = parser.parse_args()

    from vaekit.analysis.sequences import evaluate_sequences, homotopy
    from vaekit.checkpoint import load_run
    from vaekit.data.prepare import load_split
    from vaekit.kinds import kind_of

    out_dir = Path(args.out_dir)
    rows, examples = [], {}
    for name, (folder, flags) in RUNS.items():
        run_dir = out_dir / folder
        started = time.perf_counter()
        if not args.skip_train:
            if folder == "pretrained":
                _pretrained_vae(out_dir, flags)
            else:
                _vaekit(["train", "--out", str(run_dir), "--overwrite", *COMMON, *flags])
        seconds = time.perf_counter() - started
        run = load_run(run_dir)
        train, test = (load_split(run.config, s).x for s in ("train", "test"))
        tc = run.config.train
        ev = evaluate_sequences(run.model, test, train=train, k=K, beta=tc.beta,
                                free_bits=tc.free_bits)
        rows.append((name, " ".join(flags), ev, run.metrics[-1]["step"], seconds,
                     [round(m["test"]["kl"], 2) for m in run.metrics]))
        if folder != "lm":
            examples[name] = [homotopy(run.model, kind_of(run).vocab, a, b, steps=5)
                              for a, b in PAIRS]

    base = rows[0][2].baselines
    print("# A sentence VAE against an LSTM language model (examples/text_collapse.py)\n")
    print(f"Common settings: `vaekit train {' '.join(COMMON)}` (character-level Tiny "
          "Shakespeare lines of at most 32 characters; the held-out 10 % of lines are the "
          f"test split, {rows[0][2].sequences} lines, "
          f"{rows[0][2].tokens_per_sequence:.1f} scored tokens per line with <bos> and "
          "<eos>). The AE-pretrained run first trains the same model with `--autoencoder`, "
          "then starts the VAE from its encoder (Python API, see the example).\n")
    print(f"NLL: -log p(x) by importance sampling, K = {K}, nats per character; the "
          "negative ELBO is the one-sample bound. KL in nats per line, with the free-bits "
          "floor (free bits x 16 dimensions) the objective did not penalise.\n")
    print("| run | extra flags | NLL (nats/char) | negative ELBO (nats/char) | KL (nats/line) "
          "| free-bits floor | active units | teacher-forced accuracy | steps | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, flags, ev, steps, seconds, _ in rows:
        print(f"| {name} | `{flags}` | **{ev.nll_per_token:.4f}** ± "
              f"{ev.nll_standard_error:.4f} | {ev.negative_elbo_per_token:.4f} | {ev.kl:.2f} | "
              f"{ev.free_bits_floor:g} | {ev.active_units}/{ev.latent_dim} | "
              f"{ev.accuracy['teacher_forced']:.4f} | {steps} | {seconds:.0f} |")
    for name in ("unigram", "bigram"):
        print(f"| {name} count model (add-k 0.1) | | {base[name]['nll_per_token']:.4f} | | | | "
              f"| {base[name]['accuracy']:.4f} | | |")
    print(f"| most frequent character | | — | | | | | {base['most_frequent']['accuracy']:.4f} "
          "| | |")
    print("\nTest KL after each epoch (nats per line):\n")
    for name, *_, kls in rows:
        print(f"- {name}: {kls}")
    print("\nHomotopies (Bowman et al. 2016, sec. 5): greedy decodings of 5 evenly spaced "
          "points between two sentences' posterior means.\n")
    for name, paths in examples.items():
        print(f"**{name}**\n")
        for path in paths:
            print("```\n" + "\n".join(path) + "\n```")
        print()


if __name__ == "__main__":
    main()
