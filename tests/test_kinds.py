"""vaekit.kinds: the one dispatch point between kinds of run -- files in and out."""

import math

import numpy as np
import torch
from PIL import Image

from vaekit.kinds import ImageKind, MelodyKind, output_path
from vaekit.viz.images import save_png


def test_image_files_become_inputs_of_the_run_shape(tmp_path):
    picture = np.zeros((16, 16, 1), np.uint8)
    picture[4:12, 4:12] = 255
    save_png(picture, tmp_path / "a.png")
    rgb = np.zeros((20, 10, 3), np.uint8)
    rgb[..., 0] = 255
    save_png(rgb, tmp_path / "b.png")
    x = ImageKind((1, 8, 8)).read_inputs([str(tmp_path / "a.png"), str(tmp_path / "b.png")])
    assert x.shape == (2, 1, 8, 8) and x.dtype == torch.float32
    assert float(x[0, 0, 4, 4]) == 1.0 and float(x[0, 0, 0, 0]) == 0.0
    assert math.isclose(float(x[1].mean()), 0.299, abs_tol=0.01)  # red -> grey (ITU-R 601)


def test_image_kind_writes_one_grid(tmp_path):
    written = ImageKind((1, 8, 8)).write(torch.rand(6, 1, 8, 8), tmp_path / "g.png", columns=3)
    assert written.paths == [tmp_path / "g.png"] and written.lines == []
    assert Image.open(tmp_path / "g.png").size == (2 * (3 * 10 + 2), 2 * (2 * 10 + 2))


def test_melody_kind_writes_a_midi_file_per_example_beside_the_figure(tmp_path):
    items = torch.full((3, 32), 1)
    items[:, 0] = torch.tensor([40, 45, 50])
    written = MelodyKind(32).write(items, tmp_path / "m.png", columns=3, path_like=True)
    assert written.paths[0] == tmp_path / "m.png"
    assert [p.name for p in written.paths[1:]] == ["m-000.mid", "m-001.mid", "m-002.mid", "m.mid"]
    assert all(p.parent == tmp_path / "m" for p in written.paths[1:])


def test_output_path_rules(tmp_path):
    assert output_path(None, tmp_path, "samples", ".png") == tmp_path / "samples.png"
    assert output_path(str(tmp_path), tmp_path / "x", "samples", ".txt") == (
        tmp_path / "samples.txt")  # an existing folder: the file goes inside
    assert output_path("new/", tmp_path, "s", ".png") == tmp_path.__class__("new") / "s.png"
    assert output_path("a/b.png", tmp_path, "s", ".png").name == "b.png"
