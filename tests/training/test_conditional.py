"""Conditional training: the trainer passes each batch's labels, and the decoder learns to
draw the class it is asked for. Unlabelled data is refused in one line."""

import numpy as np
import torch

from vaekit.analysis.evaluate import evaluate
from vaekit.checkpoint import load_run
from vaekit.cli import main
from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.data.prepare import prepare
from vaekit.training.trainer import train


def _cfg(conditional, epochs):
    return RunConfig(model=ModelConfig(hidden=(64,), latent_dim=4, likelihood="bernoulli",
                                       conditional=conditional),
                     data=DataConfig(name="digits"),
                     train=TrainConfig(epochs=epochs, batch_size=64, lr=3e-3))


def _nearest_class_mean_accuracy(images, asked, train):
    """A trivial judge for 8x8 digits: the class whose mean training image is nearest."""
    means = torch.stack([train.x[train.y == k].mean(0) for k in range(10)]).flatten(1)
    guess = torch.cdist(images.flatten(1), means).argmin(1)
    return float((guess == asked).float().mean())


def test_a_conditional_vae_draws_the_class_it_is_asked_for(tmp_path, capsys):
    result = train(_cfg(True, 8), tmp_path / "cvae")
    run = load_run(tmp_path / "cvae")
    assert run.config.model.classes == 10 and run.model.classes == 10
    _, data = prepare(run.config)
    asked = torch.arange(10).repeat_interleave(50)
    z = torch.randn(500, 4, generator=torch.Generator().manual_seed(0))
    images = run.model.generate(z, y=asked)
    conditional = _nearest_class_mean_accuracy(images, asked, data.train)
    plain = train(_cfg(False, 3), tmp_path / "vae").model  # the same, without labels
    baseline = _nearest_class_mean_accuracy(plain.generate(z), asked, data.train)
    assert conditional > 0.8 > 0.3 > baseline  # chance is 0.1
    # evaluation and each epoch's test row use the test labels (log p(x | y))
    assert np.isfinite(result.metrics[-1]["test"]["negative_elbo"])
    ev, _ = evaluate(run.model, data.test.x[:50], k=5, labels=data.test.y[:50])
    assert np.isfinite(ev.nll) and ev.proper_likelihood is False  # BCE on grey pixels
    # commands that give no labels say so in one line
    assert main(["reconstruct", str(tmp_path / "cvae")]) == 2
    err = capsys.readouterr().err.strip()
    assert "conditional on class labels" in err and len(err.splitlines()) == 1


def test_conditional_needs_labels_in_one_line(tmp_path, capsys):
    from vaekit.viz.images import save_png

    folder = tmp_path / "flat"  # images without class subfolders: no labels
    folder.mkdir()
    for i in range(6):
        save_png(np.full((8, 8, 1), 40 * i, np.uint8), folder / f"{i}.png")
    argv = ["train", "--data", f"folder:{folder}", "--image-size", "8", "--image-channels",
            "1", "--conditional", "--epochs", "1", "--out", str(tmp_path / "run")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()  # the folder's decoding, then one line
    assert [line for line in err if "error" in line] == err[-1:]
    assert "--conditional needs class labels" in err[-1]
    assert not (tmp_path / "run").exists()
