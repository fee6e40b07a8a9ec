import torch

from vaekit.config import ModelConfig
from vaekit.models.build import build_vae
from vaekit.objectives import negative_elbo


def _model(**kw):
    cfg = ModelConfig(input_shape=(1, 6, 5), hidden=(16,), latent_dim=3, **kw)
    return build_vae(cfg)


def test_shapes_and_dataclass_output():
    model = _model()
    x = torch.rand(4, 1, 6, 5)
    out = model(x)
    assert out.z.shape == (4, 3) and out.q_mean.shape == (4, 3)
    assert out.p_x.mean.shape == x.shape
    assert out.q_z.mean.shape == (4, 3)


def test_seed_architecture_is_dense_with_two_heads():
    model = _model()
    names = [n for n, _ in model.named_parameters()]
    assert "encoder.mean.weight" in names and "encoder.log_std.weight" in names
    assert model.encoder.mean.out_features == 3 and model.encoder.log_std.out_features == 3


def test_heads_computed_as_one_matmul_equal_the_two_layers_and_their_gradients():
    model = _model()
    enc = model.encoder
    x = torch.rand(5, 1, 6, 5)
    mean, log_std = enc(x)
    (mean.square().sum() + 2 * log_std.sum()).backward()
    fused = [p.grad.clone() for p in (enc.mean.weight, enc.log_std.weight, enc.mean.bias)]
    model.zero_grad()
    h = enc.body(x.flatten(1))
    ref_mean, ref_log_std = enc.mean(h), enc.log_std(h)
    torch.testing.assert_close(mean, ref_mean, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(log_std, ref_log_std, rtol=1e-6, atol=1e-6)
    (ref_mean.square().sum() + 2 * ref_log_std.sum()).backward()
    for got, p in zip(fused, (enc.mean.weight, enc.log_std.weight, enc.mean.bias)):
        torch.testing.assert_close(got, p.grad, rtol=1e-6, atol=1e-6)


def test_sampler_statistics():
    """z = mean + exp(log_std) * eps: check mean and std of many draws for one input."""
    model = _model()
    with torch.no_grad():
        model.encoder.mean.weight.zero_()
        model.encoder.mean.bias.copy_(torch.tensor([1.0, -2.0, 0.5]))
        model.encoder.log_std.weight.zero_()
        model.encoder.log_std.bias.copy_(torch.tensor([1.0, 0.36788, 0.7]).log())
    x = torch.rand(1, 1, 6, 5).expand(50000, 1, 6, 5)
    torch.manual_seed(0)
    z = model(x).z
    torch.testing.assert_close(z.mean(0), torch.tensor([1.0, -2.0, 0.5]), atol=0.02, rtol=0)
    torch.testing.assert_close(z.std(0), torch.tensor([1.0, 0.3679, 0.7]), atol=0.01, rtol=0)


def test_log_std_is_clamped():
    model = _model(log_std_min=-2.0, log_std_max=1.0)
    with torch.no_grad():
        model.encoder.log_std.bias.fill_(50.0)
    assert float(model.encode(torch.rand(2, 1, 6, 5)).stddev.detach().max()) <= torch.e + 1e-5


def test_autoencoder_does_not_sample():
    model = _model(autoencoder=True)
    x = torch.rand(3, 1, 6, 5)
    a, b = model(x), model(x)
    torch.testing.assert_close(a.z, b.z)
    assert a.q_z is None
    assert float(negative_elbo(a, x).kl) == 0.0


def test_vae_samples_differ_and_generator_reproduces():
    model = _model()
    x = torch.rand(3, 1, 6, 5)
    a = model(x, generator=torch.Generator().manual_seed(3)).z
    b = model(x, generator=torch.Generator().manual_seed(3)).z
    c = model(x, generator=torch.Generator().manual_seed(4)).z
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, c)


def test_sample_shape():
    images = _model().sample(7, generator=torch.Generator().manual_seed(0))
    assert images.shape == (7, 1, 6, 5)
    assert float(images.min()) >= 0 and float(images.max()) <= 1
