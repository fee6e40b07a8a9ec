"""Conditional VAEs (Sohn et al. 2015): the one-hot label goes to encoder and decoder;
unconditional models keep their parameters exactly as before."""

import pytest
import torch

from vaekit.config import ModelConfig
from vaekit.errors import ConfigError
from vaekit.models.build import build_vae
from vaekit.models.conv import conv_parameter_count
from vaekit.models.dense import dense_parameter_count

SHAPE = (1, 12, 10)

# The parameter names (and shapes) of unconditional models, as shipped and saved runs
# hold them: they must load unchanged.
DENSE_NAMES = {
    "encoder.body.0.weight": (16, 120), "encoder.body.0.bias": (16,),
    "encoder.mean.weight": (3, 16), "encoder.mean.bias": (3,),
    "encoder.log_std.weight": (3, 16), "encoder.log_std.bias": (3,),
    "decoder.net.0.0.weight": (16, 3), "decoder.net.0.0.bias": (16,),
    "decoder.net.1.weight": (120, 16), "decoder.net.1.bias": (120,),
}
CONV_NAMES = {
    "encoder.convs.0.weight": (4, 1, 3, 3), "encoder.convs.0.bias": (4,),
    "encoder.dense.0.weight": (16, 4 * 6 * 5), "encoder.dense.0.bias": (16,),
    "encoder.mean.weight": (3, 16), "encoder.mean.bias": (3,),
    "encoder.log_std.weight": (3, 16), "encoder.log_std.bias": (3,),
    "decoder.dense.0.weight": (4 * 6 * 5, 3), "decoder.dense.0.bias": (4 * 6 * 5,),
    "decoder.deconvs.0.weight": (4, 4, 3, 3), "decoder.deconvs.0.bias": (4,),
    "decoder.deconvs.2.weight": (1, 4, 3, 3), "decoder.deconvs.2.bias": (1,),
}


def _cfg(arch="dense", **kw):
    return ModelConfig(arch=arch, input_shape=SHAPE, hidden=(16,), latent_dim=3, channels=(4,),
                       **kw)


def _shapes(model):
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@pytest.mark.parametrize("arch, names", [("dense", DENSE_NAMES), ("conv", CONV_NAMES)])
def test_unconditional_models_keep_their_parameter_names(arch, names):
    assert _shapes(build_vae(_cfg(arch))) == names


@pytest.mark.parametrize("arch", ["dense", "conv"])
def test_the_label_reaches_encoder_and_decoder(arch):
    torch.manual_seed(0)
    model = build_vae(_cfg(arch, conditional=True, classes=5))
    counted = conv_parameter_count if arch == "conv" else dense_parameter_count
    assert counted(model.config) == sum(p.numel() for p in model.parameters())
    x = torch.rand(4, *SHAPE)
    y = torch.tensor([0, 1, 2, 4])
    out = model(x, y=y)
    assert out.p_x.mean.shape == x.shape and out.z.shape == (4, 3)
    q_a, q_b = model.encode(x, y=y).mean, model.encode(x, y=y.flip(0)).mean
    assert not torch.allclose(q_a, q_b)  # the encoder reads the label
    z = torch.zeros(2, 3)
    a, b = model.decode(z, y=torch.tensor([0, 3])).mean
    assert not torch.allclose(a, b)  # the same z, two labels, two images
    torch.testing.assert_close(model.generate(z, y=3), model.decode(z, y=torch.tensor([3, 3])).mean)
    assert model.sample(6, y=2).shape == (6, *SHAPE)
    many = model(x, y=y, samples=7)  # K samples: the labels follow each decoding
    assert many.z.shape == (7, 4, 3) and many.p_x.mean.shape == (28, *SHAPE)
    torch.testing.assert_close(many.p_x.mean[4:8], model.decode(many.z[1], y=y).mean)


def test_wrong_or_missing_labels_are_one_line_config_errors():
    conditional = build_vae(_cfg(conditional=True, classes=5))
    x = torch.rand(2, *SHAPE)
    with pytest.raises(ConfigError, match="conditional on class labels"):
        conditional(x)
    with pytest.raises(ConfigError, match="labels must be in 0..4"):
        conditional.encode(x, y=torch.tensor([0, 5]))
    with pytest.raises(ConfigError, match="3 labels for 2 examples"):
        conditional.encode(x, y=torch.tensor([0, 1, 2]))
    with pytest.raises(ConfigError, match="not conditional"):
        build_vae(_cfg()).decode(torch.zeros(1, 3), y=1)
    with pytest.raises(ConfigError, match="model.classes is not set"):
        build_vae(_cfg(conditional=True))
