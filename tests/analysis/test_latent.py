
import pytest
import torch

from vaekit.analysis.latent import (
    attribute_vector,
    decode_latents,
    halfway,
    latent_grid,
    lerp,
    manifold,
    pca,
    shift_latents,
    slerp,
)
from vaekit.analysis.traversal import traversal_latents, traverse
from vaekit.config import ModelConfig
from vaekit.models.build import build_vae


def _vae(latent_dim=2):
    torch.manual_seed(0)
    return build_vae(ModelConfig(input_shape=(1, 8, 8), latent_dim=latent_dim, hidden=(16,))).eval()


def test_halfway_is_the_midpoint_of_lerp():
    za, zb = torch.tensor([0.0, 2.0, -4.0]), torch.tensor([2.0, 2.0, 0.0])
    assert torch.equal(halfway(za, zb), torch.tensor([1.0, 2.0, -2.0]))
    assert torch.allclose(lerp(za, zb, 3)[1], halfway(za, zb))


def test_slerp_keeps_the_norm_between_equal_norm_ends():
    za, zb = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 3.0])
    path = slerp(za, zb, 7)
    assert torch.allclose(path.norm(dim=1), torch.full((7,), 3.0), atol=1e-5)
    assert lerp(za, zb, 7)[3].norm() < 2.2  # the straight line cuts the corner


def test_pca_recovers_known_axes_and_variance_fractions():
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(20000, 3, generator=gen) * torch.tensor([3.0, 2.0, 1.0])  # var 9, 4, 1
    fit = pca(z + 5.0, 2)
    assert fit.projected.shape == (20000, 2)
    assert torch.allclose(fit.explained, torch.tensor([9 / 14, 4 / 14]), atol=0.01)
    assert torch.allclose(fit.components.abs(), torch.eye(3)[:2], atol=0.02)
    assert torch.allclose(fit.mean, torch.full((3,), 5.0), atol=0.1)
    with pytest.raises(ValueError):
        pca(z, 4)


def test_latent_grid_reads_like_an_image():
    g = latent_grid(3, 2.0)
    assert g.shape == (9, 2)
    assert g[0].tolist() == [-2.0, 2.0]  # top left
    assert g[2].tolist() == [2.0, 2.0]  # top right
    assert g[8].tolist() == [2.0, -2.0]  # bottom right


def test_shift_latents_adds_each_scale_in_order():
    z = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    out = shift_latents(z, torch.tensor([1.0, -1.0]), [-1.0, 0.0, 2.0])
    assert out.shape == (6, 2)
    assert out[:3].tolist() == [[-1.0, 1.0], [0.0, 0.0], [2.0, -2.0]]
    assert out[3:].tolist() == [[0.0, 2.0], [1.0, 1.0], [3.0, -1.0]]


def test_attribute_vector_is_the_difference_of_means():
    means = torch.tensor([[1.0, 0.0], [3.0, 0.0], [0.0, 1.0], [0.0, 3.0]])
    v = attribute_vector(means, torch.tensor([1, 1, 0, 0]))
    assert v.tolist() == [2.0, -2.0]
    with pytest.raises(ValueError):
        attribute_vector(means, torch.ones(4))


def test_decodings_have_the_input_shape_and_manifold_needs_2d():
    model = _vae()
    assert decode_latents(model, torch.zeros(5, 2), batch_size=2).shape == (5, 1, 8, 8)
    assert manifold(model, 4, 3.0).shape == (16, 1, 8, 8)
    with pytest.raises(ValueError, match="2-D latent"):
        manifold(_vae(3), 4, 3.0)


def test_traversal_moves_one_coordinate_per_row():
    z0 = torch.tensor([0.5, -0.5, 0.25])
    z = traversal_latents(z0, [2, 0], span=2.0, steps=5)
    assert z.shape == (10, 3)
    assert torch.equal(z[:5, 2], torch.linspace(-2, 2, 5)) and (z[:5, :2] == z0[:2]).all()
    assert torch.equal(z[5:, 0], torch.linspace(-2, 2, 5)) and (z[5:, 1:] == z0[1:]).all()
    with pytest.raises(ValueError, match="out of range"):
        traversal_latents(z0, [3], span=1.0, steps=3)
    assert traverse(_vae(3), z0, [0, 1], span=1.0, steps=4).shape == (8, 1, 8, 8)

