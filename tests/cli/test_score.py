"""vaekit score: per-example scores as CSV, and a threshold at a false-positive rate."""

import csv
import re

import numpy as np

from vaekit.cli import main
from vaekit.data.registry import load_dataset

TRAIN = ["train", "--data", "mnist", "--limit-train", "1500", "--limit-test", "300",
         "--hidden", "64", "--latent-dim", "8", "--likelihood", "bernoulli", "--epochs", "2",
         "--valid-fraction", "0.2", "--quiet"]


def test_scores_digits_above_noise_and_flags_noise_past_the_threshold(tmp_path, capsys):
    run = tmp_path / "run"
    assert main([*TRAIN, "--out", str(run)]) == 0
    digits = (load_dataset("mnist").test.x[-100:, 0] * 255).round().numpy().astype(np.uint8)
    noise = np.random.default_rng(0).integers(0, 256, (100, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "mixed.npz", x_train=digits, x_test=noise)
    capsys.readouterr()
    code = main(["score", str(run), "--data", f"npz:{tmp_path / 'mixed.npz'}", "--iw-samples",
                 "10", "--threshold-fpr", "0.05", "--out", str(tmp_path / "s.csv")])
    out = capsys.readouterr().out
    assert code == 0, out
    rows = list(csv.DictReader((tmp_path / "s.csv").open()))
    assert len(rows) == 200 and set(rows[0]) == {"split", "row", "label", "log_px_nats",
                                                 "reconstruction_error", "past_threshold"}
    real = [r for r in rows if r["split"] == "train"]
    junk = [r for r in rows if r["split"] == "test"]
    # the scores fail on junk: every noise image is less likely than every digit ...
    assert max(float(r["log_px_nats"]) for r in junk) < min(float(r["log_px_nats"]) for r in real)
    # (the squared error does not separate them: a blurry model reconstructs uniform noise
    # as flat grey about as closely as it reconstructs digits -- measured here, noise 96..,
    # digits median 126 -- so it is reported, not used for the threshold)
    assert all(float(r["reconstruction_error"]) > 0 for r in rows)
    # ... and the threshold, picked on the validation split, flags noise, not digits
    assert sum(int(r["past_threshold"]) for r in junk) == 100
    assert sum(int(r["past_threshold"]) for r in real) <= 20
    assert "quantile of the run's 300 validation examples" in out
    assert re.search(r"mixed.npz: 1\d\d of 200 examples fall past it", out)


def test_score_needs_a_validation_split_for_a_threshold(tmp_path, capsys):
    run = tmp_path / "run"
    assert main([*TRAIN[:-3], "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["score", str(run), "--data", "mnist", "--threshold-fpr", "0.1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no validation split" in err[0]
