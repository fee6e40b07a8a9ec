import json

import pytest
import torch

import vaekit
from vaekit.cli import main
from vaekit.config import ModelConfig
from vaekit.errors import ConfigError
from vaekit.models.build import build_vae
from vaekit.models.conv import ConvDecoder, ConvEncoder, conv_parameter_count
from vaekit.nn.conv import downsampled_size, fit_to


def _cfg(shape, **kw):
    kw = {"hidden": (16,), "latent_dim": 2, **kw}
    return ModelConfig(arch="conv", input_shape=shape, **kw)


def _count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("shape", [(1, 28, 28), (1, 64, 64), (3, 32, 32), (1, 8, 8),
                                   (1, 7, 9), (2, 27, 5)])
def test_adapts_to_any_image_shape(shape):
    model = build_vae(_cfg(shape, latent_dim=3))
    x = torch.rand(4, *shape)
    out = model(x)
    assert out.q_mean.shape == (4, 3) and out.q_log_std.shape == (4, 3)
    assert out.p_x.mean.shape == x.shape  # cropped to exactly H x W for odd sides
    assert torch.isfinite(out.p_x.reconstruction(x)).all()
    assert conv_parameter_count(model.config) == _count(model)


def test_keras_io_architecture_parameter_for_parameter():
    """keras.io's VAE example prints 69,076 (encoder) and 65,089 (decoder) parameters."""
    model = build_vae(_cfg((1, 28, 28), channels=(32, 64)))
    assert isinstance(model.encoder, ConvEncoder) and isinstance(model.decoder, ConvDecoder)
    assert _count(model.encoder) == 69_076
    assert _count(model.decoder) == 65_089
    assert model.decoder.map_shape == (64, 7, 7)


def test_downsampling_is_keras_same_padding():
    assert [downsampled_size(n, 1) for n in (28, 7, 8, 1)] == [14, 4, 4, 1]
    assert downsampled_size(28, 2) == 7 and downsampled_size(64, 3) == 8


def test_fit_to_crops_and_pads():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    assert fit_to(x, 3, 2).tolist() == [[[[0, 1], [4, 5], [8, 9]]]]
    padded = fit_to(x, 5, 6)
    assert padded.shape == (1, 1, 5, 6) and padded[..., 4, :].abs().sum() == 0
    assert torch.equal(padded[..., :4, :4], x)


@pytest.mark.parametrize(
    "cfg, fragment",
    [
        (_cfg((1, 1024, 1024), channels=(64,), hidden=(4096,)), "parameters"),
        (_cfg((1, 4, 4), channels=(8, 16, 32, 64)), "too small"),
        (_cfg((1, 28, 28), channels=()), "at least one"),
        (ModelConfig(arch="conv", input_shape=(32,)), "needs images"),
    ],
)
def test_absurd_or_impossible_configs_are_config_errors(cfg, fragment):
    with pytest.raises(ConfigError, match=fragment):
        build_vae(cfg)


def test_conv_trains_end_to_end_through_the_cli(tmp_path, capsys):
    run = tmp_path / "conv"
    argv = ["train", "--data", "mnist", "--limit-train", "256", "--limit-test", "64",
            "--model", "conv", "--conv-channels", "8", "16", "--hidden", "16",
            "--latent-dim", "2", "--likelihood", "bernoulli", "--epochs", "2",
            "--batch-size", "32", "--lr", "3e-3", "--quiet", "--out", str(run)]
    assert main(argv) == 0
    rows = [json.loads(r) for r in (run / "metrics.jsonl").read_text().splitlines()]
    losses = [r["test"]["negative_elbo"] for r in rows]
    assert losses[-1] < losses[0] - 5, losses  # nats per example: it learns
    model = vaekit.load(run)
    assert model.config.arch == "conv" and model.config.input_shape == (1, 28, 28)
    x = vaekit.load_dataset("mnist").test.x[:3]
    assert model.decode(model.encode(x).mean).mean.shape == (3, 1, 28, 28)
    assert "test negative ELBO" in capsys.readouterr().out
