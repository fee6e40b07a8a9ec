"""`precision="bf16"` (`vaekit evaluate --fast`): the networks of the IWAE passes run in
bfloat16, the log-densities in float32; the estimate stays within its standard error."""

import math

import pytest
import torch

from vaekit.analysis.evaluate import (
    _as_float32,
    evaluate,
    importance_log_weights_at,
    log_likelihood,
)
from vaekit.analysis.sequences import sequence_log_likelihood
from vaekit.config import ModelConfig
from vaekit.data.music import events as music
from vaekit.errors import ConfigError
from vaekit.models.build import build_vae


def conv_model():
    torch.manual_seed(0)
    cfg = ModelConfig(arch="conv", likelihood="bernoulli", input_shape=(1, 16, 16),
                      channels=(8, 16), hidden=(32,), latent_dim=4)
    return build_vae(cfg).eval()


def images(n=40):
    """Binary images of varying ink (5 % to 60 % of the pixels on), so that log p(x)
    varies across examples as on real data."""
    g = torch.Generator().manual_seed(1)
    ink = torch.linspace(0.05, 0.6, n).view(n, 1, 1, 1).expand(n, 1, 16, 16)
    return torch.bernoulli(ink, generator=g)


def test_bf16_runs_the_networks_in_bf16_and_the_densities_in_float32():
    model, x = conv_model(), images(8)
    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731 - the same z draws
    fp32 = importance_log_weights_at(model, x, samples=3, generator=g())
    bf16 = importance_log_weights_at(model, x, samples=3, generator=g(), precision="bf16")
    assert fp32.dtype == bf16.dtype == torch.float32 and bf16.shape == (3, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = _as_float32(model(x, samples=3, generator=g()))
    assert {t.dtype for t in (out.z, out.q_mean, out.q_log_std, out.p_x.logits)} == {
        torch.float32}
    assert not torch.equal(fp32, bf16)  # the networks did round
    # ... by bf16's rounding of the logits, not more: well under a nat over 256 pixels
    assert (fp32 - bf16).abs().max() < 1.0


def test_bf16_estimate_agrees_with_fp32_within_its_standard_error():
    model, x = conv_model(), images(40)
    fp32 = log_likelihood(model, x, k=16, batch_size=20)
    bf16 = log_likelihood(model, x, k=16, batch_size=20, precision="bf16")
    assert bf16.dtype == torch.float64
    sem = float(fp32.std() / math.sqrt(len(fp32)))
    assert abs(float(bf16.mean() - fp32.mean())) < 0.1 * sem
    ev, _ = evaluate(model, x, k=16, batch_size=20, precision="bf16")
    assert ev.precision == "bf16" and ev.to_dict()["precision"] == "bf16"
    assert ev.nll == pytest.approx(-float(bf16.mean()))


def test_sequence_log_weights_sum_in_float32():
    """A categorical likelihood's log_softmax of bf16 logits would stay bf16, and its sum
    over 32 steps (~144 nats, where bf16's spacing is 1 nat) would be off by up to a nat;
    the logits are taken to float32 first, so only their rounding remains."""
    cfg = ModelConfig(arch="lstm", likelihood="categorical", input_shape=(32,),
                      vocab_size=music.NUM_CLASSES, latent_dim=4, rnn_hidden=16,
                      embedding_dim=8)
    torch.manual_seed(0)
    model = build_vae(cfg).eval()
    x = torch.randint(0, music.NUM_CLASSES, (12, 32), generator=torch.Generator().manual_seed(2))
    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731 - the same z draws
    with torch.no_grad():
        fp32 = importance_log_weights_at(model, x, samples=3, generator=g())
        bf16 = importance_log_weights_at(model, x, samples=3, generator=g(), precision="bf16")
    assert bf16.dtype == torch.float32
    assert fp32.abs().mean() > 100  # nats: where a bf16 sum would lose about a nat
    assert 0 < (fp32 - bf16).abs().max() < 0.1
    whole32 = sequence_log_likelihood(model, x, k=8)
    whole16 = sequence_log_likelihood(model, x, k=8, precision="bf16")
    assert 0 < (whole32 - whole16).abs().max() < 0.1


def test_confident_posteriors_are_sampled_in_float32():
    """sigma = e^-6 around |mean| = 3, where bf16's spacing (0.016) is 6 sigma: z must be
    formed in float32, or log q(z|x) is evaluated many sigma from where z was drawn (the
    first version of --fast moved this estimate by about 10 standard errors)."""
    torch.manual_seed(0)
    model = build_vae(ModelConfig(hidden=(32,), latent_dim=4, likelihood="bernoulli",
                                  input_shape=(1, 8, 8))).eval()
    heads = model.encoder
    with torch.no_grad():
        heads.mean.weight.mul_(0.1)
        heads.mean.bias.fill_(3.0)
        heads.log_std.weight.zero_()
        heads.log_std.bias.fill_(-6.0)
    x = torch.bernoulli(torch.full((50, 1, 8, 8), 0.4),
                        generator=torch.Generator().manual_seed(3))
    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x, samples=2, generator=g())
    assert out.q_mean.dtype == torch.bfloat16 and out.z.dtype == torch.float32
    fp32 = log_likelihood(model, x, k=16)
    bf16 = log_likelihood(model, x, k=16, precision="bf16")
    sem = float(fp32.std() / math.sqrt(len(fp32)))
    assert abs(float(bf16.mean() - fp32.mean())) < 0.1 * sem
    assert (bf16 - fp32).abs().max() < 1.0


@pytest.mark.parametrize("precision", ["fp16", "bfloat16", ""])
def test_unknown_precision_is_refused(precision):
    with pytest.raises(ConfigError, match="precision must be one of fp32, bf16"):
        log_likelihood(conv_model(), images(2), k=2, precision=precision)
