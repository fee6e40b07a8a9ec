import numpy as np
from PIL import Image

from vaekit.viz.images import grid
from vaekit.viz.latent import ModelPanel, save_compare_figure, save_latent_map


def test_latent_map_writes_a_png_with_or_without_labels(tmp_path):
    rng = np.random.default_rng(0)
    points = rng.normal(size=(300, 2))
    out = save_latent_map(points, rng.integers(0, 10, 300), tmp_path / "a.png",
                          axis_labels=("PC1 (60.0%)", "PC2 (20.0%)"), prior_center=(0.5, -1.0),
                          title="codes")
    assert Image.open(out).size == (600, 600)
    out = save_latent_map(points, None, tmp_path / "b.png", prior_center=None,
                          label_names=("no", "yes"))
    assert out.is_file() and out.stat().st_size > 1000


def test_compare_figure_has_one_row_per_model(tmp_path):
    rng = np.random.default_rng(0)
    tiles = rng.random((16, 1, 8, 8))
    panel = ModelPanel(name="VAE", points=rng.normal(size=(50, 2)),
                       labels=rng.integers(0, 3, 50),
                       pictures=[("prior samples", grid(tiles, nrow=4)),
                                 ("gmm samples", grid(tiles, nrow=4))],
                       numbers={"FD": 12.5})
    one = Image.open(save_compare_figure([panel], tmp_path / "one.png"))
    two = Image.open(save_compare_figure([panel, panel], tmp_path / "two.png"))
    assert one.size[0] == two.size[0] and two.size[1] > 1.8 * one.size[1]
    three = ModelPanel(name="AE", points=rng.normal(size=(50, 2)), labels=None,
                       pictures=[("samples", grid(tiles, nrow=4))] * 3)
    wider = Image.open(save_compare_figure([panel, three], tmp_path / "wider.png"))
    assert wider.size[0] > one.size[0]  # a column per picture of the widest row
