import json
import math
from types import SimpleNamespace

import pytest
import torch

from vaekit.cli import main
from vaekit.cli.evaluate import _ood_set
from vaekit.config import DataConfig, ModelConfig, RunConfig

TINY = ["--data", "digits", "--limit-train", "400", "--hidden", "32", "--latent-dim", "2",
        "--epochs", "2", "--batch-size", "50", "--lr", "3e-3", "--quiet"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate")
    bernoulli, gaussian = root / "bernoulli", root / "gaussian"
    assert main(["train", "--out", str(bernoulli), "--likelihood", "bernoulli", *TINY]) == 0
    assert main(["train", "--out", str(gaussian), *TINY]) == 0
    return SimpleNamespace(bernoulli=bernoulli, gaussian=gaussian)


def test_evaluate_prints_a_table_and_writes_json(runs, capsys):
    argv = ["evaluate", str(runs.bernoulli), "--iw-samples", "20", "--limit", "60",
            "--batch-size", "16", "--ood", "noise", "fashion-mnist"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    # progress on long work, also when stderr is not a terminal: a line per tenth
    assert "log p(x), K=20: 18% (32/180" in err and "fashion-mnist, K=20: 100% (180/180" in err
    for fragment in ("-log p(x) [not a likelihood, see note], IWAE K=20", "negative ELBO",
                     "bits per dimension", "not a log-likelihood of grey values",
                     "active units", "KL per latent dimension", "nats per example", "AUROC",
                     "fashion-mnist", "60 examples"):
        assert fragment in out, fragment
    assert "constant" not in out  # a Bernoulli run has no constant to mention
    doc = json.loads((runs.bernoulli / "evaluation.json").read_text())
    ev = doc["evaluation"]
    assert ev["examples"] == 60 and ev["iw_samples"] == 20 and ev["dims"] == 64
    # summed BCE on grey digits is not a likelihood: said, and no bits per dimension
    assert ev["proper_likelihood"] is False and ev["bits_per_dim"] is None
    assert ev["negative_elbo"] == pytest.approx(ev["reconstruction"] + ev["kl"])
    assert ev["nll"] < ev["negative_elbo"] + 3 * ev["nll_standard_error"]
    assert len(ev["kl_per_dim"]) == 2 and 0 <= ev["active_units"] <= 2
    ood = {r["source"]: r for r in doc["ood"]}
    assert set(ood) == {"noise", "fashion-mnist"}
    assert ood["noise"]["auroc"] > 0.9 and ood["noise"]["examples_out"] == 60
    assert ood["noise"]["mean_log_px_in"] == pytest.approx(-ev["nll"])
    assert ood["noise"]["mean_log_px_out"] < ood["noise"]["mean_log_px_in"]


def test_gaussian_runs_say_the_constant_is_included(runs, tmp_path, capsys):
    target = tmp_path / "ev.json"
    argv = ["evaluate", str(runs.gaussian), "--iw-samples", "5", "--limit", "30",
            "--split", "train", "--out", str(target)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "gaussian likelihood: a density" in out and "constant" in out and "train split" in out
    ev = json.loads(target.read_text())["evaluation"]
    # sklearn's digits have 17 levels: densities are taken on dequantised pixels, and the
    # bits per dimension bound the NLL of the discrete pixels
    assert ev["proper_likelihood"] is True and ev["dequantized_levels"] == 17
    assert ev["bits_per_dim"] == pytest.approx((ev["nll"] + 64 * math.log(17))
                                               / (64 * math.log(2)))
    # sigma = 1/sqrt(2): D log(sigma sqrt(2 pi)) = 64 log(sqrt(pi))
    assert ev["gaussian_constant"] == pytest.approx(64 * math.log(math.sqrt(math.pi)), abs=1e-3)
    assert not (runs.gaussian / "evaluation.json").exists()


def test_ood_sets_are_preprocessed_like_the_runs_test_set():
    run = SimpleNamespace(config=RunConfig(
        model=ModelConfig(input_shape=(1, 8, 8), likelihood="bernoulli"),
        data=DataConfig(binarize="dynamic")))
    x = _ood_set("noise", run, 50, seed=0)
    assert x.shape == (50, 1, 8, 8) and set(torch.unique(x).tolist()) <= {0.0, 1.0}
    assert torch.equal(x, _ood_set("noise", run, 50, seed=0))  # fixed, seeded


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--iw-samples", "0"], "--iw-samples"),
        (["--limit", "0"], "--limit"),
        (["--ood", "nope"], "unknown dataset 'nope'"),
        (["--batch-size", "0"], "--batch-size"),
        (["--fast", "--sample-quality"], "--fast speeds up the likelihood passes"),
    ],
)
def test_user_errors_exit_2_with_one_line(runs, extra, fragment, capsys):
    assert main(["evaluate", str(runs.bernoulli), "--iw-samples", "2", "--limit", "5",
                 *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and "\n" not in err


def test_fast_evaluates_in_bf16_and_says_so(runs, tmp_path, capsys):
    argv = ["evaluate", str(runs.bernoulli), "--iw-samples", "8", "--limit", "40"]
    assert main([*argv, "--out", str(tmp_path / "fp32.json")]) == 0
    assert main([*argv, "--fast", "--out", str(tmp_path / "bf16.json")]) == 0
    out = capsys.readouterr().out
    assert out.count("networks in bf16 (--fast)") == 1
    fp32, bf16 = (json.loads((tmp_path / f"{p}.json").read_text())["evaluation"]
                  for p in ("fp32", "bf16"))
    assert (fp32["precision"], bf16["precision"]) == ("fp32", "bf16")
    assert bf16["nll"] != fp32["nll"]  # the networks ran in bf16 ...
    assert abs(bf16["nll"] - fp32["nll"]) < 0.1 * fp32["nll_standard_error"]  # ... harmlessly
    # the ELBO terms are always computed in float32
    assert bf16["negative_elbo"] == fp32["negative_elbo"]
