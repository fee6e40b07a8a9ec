"""vaekit.samplers: prior draws, or draws from a mixture fitted to the training codes and
kept in the run directory (refitted when the weights change)."""

import dataclasses

import pytest
import torch

from vaekit.checkpoint import load_run
from vaekit.cli import main
from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.errors import ConfigError
from vaekit.samplers import DENSITY_FILE, sample_labels, sample_latents
from vaekit.training.trainer import train


def _cfg(epochs):
    return RunConfig(model=ModelConfig(hidden=(32,), latent_dim=3, likelihood="bernoulli"),
                     data=DataConfig(name="digits"),
                     train=TrainConfig(epochs=epochs, batch_size=100))


def test_gmm_is_fitted_once_kept_and_refitted_when_the_weights_change(tmp_path):
    train(_cfg(1), tmp_path)
    run = load_run(tmp_path)
    said = []
    z = sample_latents(run, 500, sampler="gmm", seed=1, report=said.append)
    assert z.shape == (500, 3) and len(said) == 1 and (tmp_path / DENSITY_FILE).is_file()
    stamp = (tmp_path / DENSITY_FILE).stat().st_mtime_ns
    again = sample_latents(load_run(tmp_path), 500, sampler="gmm", seed=1, report=said.append)
    assert torch.equal(z, again) and len(said) == 1  # read back, not refitted
    assert (tmp_path / DENSITY_FILE).stat().st_mtime_ns == stamp
    # the mixture sits where the codes are, unlike the prior's unit ball
    from vaekit.analysis.latent import encode_means
    from vaekit.data.prepare import load_split

    codes, _ = encode_means(run.model, load_split(run.config, "train").x)
    assert (z.mean(0) - codes.mean(0)).abs().max() < 0.25 * float(codes.std(0).max())
    train(_cfg(2), tmp_path, resume=True)  # new weights: the kept mixture is stale
    sample_latents(load_run(tmp_path), 10, sampler="gmm", report=said.append)
    assert len(said) == 2


def test_prior_sampler_temperature_and_bad_names(tmp_path):
    train(_cfg(1), tmp_path)
    run = load_run(tmp_path)
    z = sample_latents(run, 4000, temperature=0.5, seed=3)
    assert abs(float(z.std()) - 0.5) < 0.03 and not (tmp_path / DENSITY_FILE).exists()
    with pytest.raises(ConfigError, match="unknown sampler"):
        sample_latents(run, 2, sampler="flow")
    assert main(["sample", str(tmp_path), "--n", "8", "--sampler", "gmm"]) == 0
    assert (tmp_path / "figures" / "samples.png").is_file()


def test_labels_for_conditional_runs_and_sample_label(tmp_path, capsys):
    cfg = _cfg(1)
    train(dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, conditional=True)),
          tmp_path / "cvae")
    run = load_run(tmp_path / "cvae")
    assert sample_labels(run, 12).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert sample_labels(run, 3, label=7).tolist() == [7, 7, 7]
    with pytest.raises(ConfigError, match="0..9"):
        sample_labels(run, 3, label=10)
    # one mixture per class, each fitted to the codes of that class's training images
    from vaekit.analysis.latent import encode_means
    from vaekit.data.prepare import load_split

    split = load_split(run.config, "train")
    codes, _ = encode_means(run.model, split.x, labels=split.y)
    sevens = torch.full((400,), 7)
    z = sample_latents(run, 400, sampler="gmm", labels=sevens, seed=2)
    spread = float(codes.std(0).max())
    assert (z.mean(0) - codes[split.y == 7].mean(0)).abs().max() < 0.25 * spread
    again = sample_latents(load_run(tmp_path / "cvae"), 400, sampler="gmm", labels=sevens,
                           seed=2)  # read back from the run directory
    assert torch.equal(z, again)
    assert sample_latents(run, 20, sampler="gmm").shape == (20, 3)  # every class in turn
    out = tmp_path / "sevens.png"
    assert main(["sample", str(tmp_path / "cvae"), "--label", "7", "--n", "16", "--out",
                 str(out)]) == 0
    assert "class-7" in capsys.readouterr().out and out.is_file()
    assert main(["sample", str(tmp_path / "cvae"), "--n", "20"]) == 0  # a class per column
    train(_cfg(1), tmp_path / "vae")
    assert sample_labels(load_run(tmp_path / "vae"), 4) is None
    assert main(["sample", str(tmp_path / "vae"), "--label", "3"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--label is for conditional runs" in err and len(err.splitlines()) == 1
