import base64
import io

import numpy as np
import pytest
from PIL import Image

from vaekit.viz.report import Figure, Preformatted, Section, Table, data_uri, flatten, render_report


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_report_is_self_contained_and_escaped():
    png = _png()
    page = render_report("run <x>", [
        Section("Figures", [Figure("samples & more", png)]),
        Section("Numbers", [Table("t", [("loss", 1.23456), ("d", {"a": 1})], ("key", "value")),
                            Preformatted("json", "{<b>}")]),
    ], subtitle="VAE")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "run &lt;x&gt;" in page and "samples &amp; more" in page and "{&lt;b&gt;}" in page
    assert "1.235" in page and "<th>key</th>" in page
    assert "http" not in page and "<script" not in page and "<link" not in page
    encoded = page.split('src="data:image/png;base64,')[1].split('"')[0]
    assert base64.b64decode(encoded) == png


def test_data_uri_knows_png_and_gif_only():
    assert data_uri(_png()).startswith("data:image/png;base64,")
    assert data_uri(b"GIF89a....").startswith("data:image/gif;base64,")
    with pytest.raises(ValueError):
        data_uri(b"<svg></svg>")


def test_flatten_nested_json():
    assert flatten({"a": {"b": 1, "c": [1, 2]}, "d": "x"}) == [("a.b", 1), ("a.c", [1, 2]),
                                                               ("d", "x")]
