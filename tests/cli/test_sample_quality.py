"""`vaekit evaluate RUN --sample-quality` and vaekit.sample_quality: the issue's JSON
contract, the reference rows that bracket a model, the fallback without a judge."""

import json
from types import SimpleNamespace

import pytest

import vaekit
from vaekit.cli import main

# A conditional VAE, small enough for seconds of training, good enough to draw digits.
MNIST = ["--data", "mnist", "--limit-train", "3000", "--limit-test", "300", "--hidden", "256",
         "--latent-dim", "2", "--likelihood", "bernoulli", "--epochs", "3", "--batch-size",
         "50", "--lr", "3e-3", "--quiet"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("quality")
    names = {"cvae": ["--conditional"],
             "digits": ["--data", "digits", "--limit-train", "300", "--hidden", "32"]}
    for name, flags in names.items():
        assert main(["train", "--out", str(root / name), *MNIST, *flags]) == 0
    return SimpleNamespace(**{name: root / name for name in names})


def _quality(path):
    return json.loads(path.read_text())["sample_quality"]


def test_the_json_contract_and_the_reference_rows_bracket_the_model(runs, tmp_path, capsys):
    out = tmp_path / "F.json"
    assert main(["evaluate", str(runs.cvae), "--sample-quality", "--n-samples", "300",
                 "--sampler", "prior", "--out", str(out)]) == 0
    stdout, stderr = capsys.readouterr()
    q = _quality(out)
    assert q["sampler"] == "prior" and q["n"] == 300 and q["features"] == "judge:mnist"
    for row in (q, q["reference"]["test"], q["reference"]["noise"]):
        assert {"fd", "precision", "recall", "validity"} <= set(row)
    noise, test = q["reference"]["noise"], q["reference"]["test"]
    assert noise["validity"] <= 0.05 and test["validity"] >= 0.9
    assert test["fd"] < q["fd"] < noise["fd"]
    assert noise["recall"] == 0 and test["recall"] > 0.5
    assert "reference noise" in stdout and "sample quality [" in stderr  # stages, as they start
    # a conditional run's default sampler: one mixture per class; default file per sampler
    assert main(["evaluate", str(runs.cvae), "--sample-quality", "--n-samples", "300"]) == 0
    gmm = _quality(runs.cvae / "sample-quality-gmm.json")
    assert gmm["sampler"] == "gmm" and gmm["fd"] != q["fd"]
    assert gmm["reference"] == q["reference"]  # the same rows: same data, N and seed


def test_a_conditional_run_reports_label_accuracy(runs):
    result = vaekit.sample_quality(runs.cvae, n=300, seed=1)
    q = result.to_dict()["sample_quality"]
    assert q["conditional"] is True and 0.0 <= q["label_accuracy"] <= 1.0
    # every class in turn, so a decoder that ignored the label would score about 0.1
    assert q["label_accuracy"] > 0.5


def test_without_a_judge_pixel_features_are_used_and_said(runs, capsys):
    assert main(["evaluate", str(runs.digits), "--sample-quality", "--n-samples", "1000"]) == 0
    out = capsys.readouterr().out
    q = _quality(runs.digits / "sample-quality-prior.json")
    assert q["features"] == "pixel-pca" and q["validity"] is None
    assert "label_accuracy" not in q and q["conditional"] is False
    assert q["n"] == 300 and q["requested_n"] == 1000  # capped at the training images
    assert "no judge ships" in q["note"] and "N capped at 300" in q["note"]
    assert "note: no judge ships" in out
    assert q["reference"]["test"]["fd"] < q["fd"] < q["reference"]["noise"]["fd"]


@pytest.mark.parametrize("extra, fragment", [
    (["--ood", "noise"], "does not go with --sample-quality"),
    (["--n-samples", "5"], "must be in 10..100000"),
    (["--temperature", "0"], "--temperature must be in (0, 10]"),
    (["--sampler", "flow"], "invalid choice"),
])
def test_bad_options_exit_2_with_one_line(runs, extra, fragment, capsys):
    assert main(["evaluate", str(runs.cvae), "--sample-quality", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1
