"""Every bad input to the explorer is a 4xx with a one-line JSON detail, never a 5xx;
oversized bodies are 413 and a saturated model is 503."""

from __future__ import annotations

import io
import json
import threading
import zlib

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from vaekit.web.app import create_app


@pytest.fixture(scope="module")
def client(digits_explorer):
    with TestClient(create_app(digits_explorer, max_body_bytes=64 * 1024)) as c:
        yield c


def assert_refused(r, status: int = 422) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    detail = r.json()["detail"]
    assert isinstance(detail, str) and detail and "\n" not in detail


BAD_JSON = [  # (endpoint, body): each must be 422
    ("decode", {"z": [0.0]}),  # wrong latent length (the model has 2)
    ("decode", {"z": [0.0, 0.0, 0.0]}),
    ("decode", {"z": []}),
    ("decode", {"z": ["NaN", 0]}),  # strings, even of numbers
    ("decode", {"z": ["1", "2"]}),
    ("decode", {"z": [True, False]}),
    ("decode", {"z": [None, 0]}),
    ("decode", {"z": [[0], [0]]}),
    ("decode", {"z": [10.001, 0]}),  # out of range |z| <= 10
    ("decode", {"z": [-1e308, 0]}),
    ("decode", {"z": [10**400, 0]}),  # a huge integer
    ("decode", {"z": [0, 0], "extra": 1}),  # unknown field
    ("decode", {}),
    ("decode", {"z": [0, 0], "temperature": 99}),
    ("decode", {"z": [0.0] * 5000}),  # longer than any latent
    ("sample", {"n": 0}), ("sample", {"n": -1}), ("sample", {"n": 65}),
    ("sample", {"n": 10**12}), ("sample", {"n": 2.5}), ("sample", {"n": "3"}),
    ("sample", {"temperature": -0.1}), ("sample", {"temperature": 3.5}),
    ("sample", {"temperature": "hot"}), ("sample", {"seed": -1}), ("sample", {"seed": 2**40}),
    ("sample", {"sampler": "flow"}), ("sample", {"sampler": 1}),
    ("sample", {"label": 1}),  # the run is not conditional
    ("sample", {"label": -1}), ("sample", {"label": "3"}),
    ("decode", {"z": [0, 0], "label": 0}),
    ("interpolate", {"from_index": 0, "to_index": 1, "label": 2}),
    ("interpolate", {"from_index": 0, "to_index": 1, "steps": 1}),
    ("interpolate", {"from_index": 0, "to_index": 1, "steps": 33}),
    ("interpolate", {"from_index": 0, "to_index": 1, "steps": 10**9}),
    ("interpolate", {"from_index": 0, "to_index": 1, "method": "cubic"}),
    ("interpolate", {"from_index": -1, "to_index": 1}),
    ("interpolate", {"from_index": 297, "to_index": 1}),  # past the end of the test split
    ("interpolate", {"from_index": 10**30, "to_index": 1}),
    ("interpolate", {"from_index": 0}),  # one end missing
    ("interpolate", {"from_index": 0, "z_from": [0, 0], "to_index": 1}),  # both given
    ("interpolate", {"z_from": [0, 0, 0], "z_to": [0, 0]}),
    ("attribute", {"name": "no such attribute", "z": [0, 0]}),
    ("attribute", {"name": "", "z": [0, 0]}),
    ("attribute", {"name": "3", "z": [0, 0], "scale": 6}),
    ("attribute", {"name": "3", "z": [0]}),
    ("midi", {"events": [60] * 8}),  # an image run has no melodies
    ("midi", {"events": [90]}), ("midi", {"events": [-1]}), ("midi", {"events": []}),
]


@pytest.mark.parametrize(("endpoint", "body"), BAD_JSON)
def test_bad_json_is_422(client, endpoint, body):
    assert_refused(client.post(f"/api/{endpoint}", content=json.dumps(body),
                               headers={"content-type": "application/json"}))


@pytest.mark.parametrize("raw", [b'{"z": [NaN, 0]}', b'{"z": [Infinity, 0]}',
                                 b'{"z": [-Infinity, 0]}', b'{"z": [1e400, 0]}',
                                 b'{"z": [0, 0', b"[0, 0]", b"", b"\xff\xfe", b"null",
                                 b"[" * 30_000, b'{"z": ' + b"[" * 20_000 + b"]" * 20_000])
def test_non_finite_and_malformed_json_is_4xx(client, raw):
    r = client.post("/api/decode", content=raw, headers={"content-type": "application/json"})
    assert_refused(r, 400 if raw.startswith((b"[[", b'{"z": [[')) else 422)


@pytest.mark.parametrize("path", ["/api/example/297", "/api/example/-1",
                                  "/api/example/abc", "/api/example/99999999999999999999"])
def test_bad_example_index_is_422(client, path):
    assert_refused(client.get(path))


def test_unknown_endpoint_and_method(client):
    assert_refused(client.get("/api/nothing"), 404)
    assert_refused(client.get("/static/../../config.json"), 404)
    assert_refused(client.get("/api/decode"), 405)
    assert_refused(client.delete("/api/info"), 405)
    assert_refused(client.put("/api/sample", json={}), 405)


def test_oversized_body_is_413_by_header_and_by_stream(client):
    big = json.dumps({"z": [0.0] * 20_000}).encode()  # > 64 KiB
    assert_refused(client.post("/api/decode", content=big,
                               headers={"content-type": "application/json"}), 413)

    def chunks():  # no Content-Length: the limit applies to what arrives
        for i in range(0, len(big), 4096):
            yield big[i : i + 4096]

    assert_refused(client.post("/api/decode", content=chunks(),
                               headers={"content-type": "application/json"}), 413)
    assert_refused(client.post("/api/decode", content=b"{}",
                               headers={"content-length": "-5"}), 413)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG signature and IHDR claiming a huge image, then no pixel data."""
    ihdr = b"IHDR" + width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + (13).to_bytes(4, "big") + ihdr
            + zlib.crc32(ihdr).to_bytes(4, "big"))


def _image(fmt: str, size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, 128).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "data"), [
    ("gif", _image("GIF")), ("bmp", _image("BMP")), ("tiff", _image("TIFF")),
    ("text", b"hello, not an image"), ("empty", b""),
    ("svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'),
    ("truncated png", _image("PNG", (64, 64))[:60]),
    ("corrupt png", _image("PNG", (64, 64))[:40] + b"\x00" * 200),
    ("truncated jpeg", _image("JPEG", (64, 64))[:200]),
    ("bomb header", _png_header_only(100_000, 100_000)),
    ("too many pixels", _image("PNG", (3000, 2000))),
])
def test_bad_uploads_are_422(client, name, data):
    assert_refused(client.post("/api/encode", files={"file": ("x.png", data, "image/png")}))


def test_upload_limits(digits_explorer):
    c = TestClient(create_app(digits_explorer))  # default 2 MiB body limit
    noise = np.random.default_rng(0).integers(0, 256, (1100, 1100), dtype=np.uint8)
    data = io.BytesIO()
    Image.fromarray(noise).save(data, format="PNG", compress_level=0)
    assert 2**20 < len(data.getvalue()) < 2 * 2**20 - 4096
    assert_refused(c.post("/api/encode", files={"file": ("n.png", data.getvalue())}), 413)
    assert_refused(c.post("/api/encode", data={"invert": "true"}))  # no file
    assert_refused(c.post("/api/encode", json={"file": "x"}))
    ok = c.post("/api/encode", files={"file": ("d.png", _image("PNG"))}, data={"invert": "x"})
    assert_refused(ok)  # invert must be a boolean
    assert_refused(c.post("/api/encode", content=b"garbage",
                          headers={"content-type": "multipart/form-data"}), 400)
    unterminated = b'--xx\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nab'
    assert_refused(c.post("/api/encode", content=unterminated,
                          headers={"content-type": "multipart/form-data; boundary=xx"}))


def test_saturated_model_answers_503(digits_explorer):
    release, entered = threading.Event(), threading.Event()

    class Slow:
        info, map = digits_explorer.info, digits_explorer.map

        def decode(self, z, **_):
            entered.set()
            release.wait(10)
            return digits_explorer.decode(z)

    with TestClient(create_app(Slow(), workers=1, max_pending=1)) as c:
        first = {}
        worker = threading.Thread(target=lambda: first.update(
            r=c.post("/api/decode", json={"z": [0, 0]})))
        worker.start()
        assert entered.wait(10)
        busy = c.post("/api/decode", json={"z": [0, 0]})
        assert_refused(busy, 503)
        assert busy.headers["retry-after"] == "1"
        release.set()
        worker.join(10)
        assert first["r"].status_code == 200
        assert c.post("/api/decode", json={"z": [0, 0]}).status_code == 200


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(["z", "n", "seed", "steps", "name",
                                                       "scale", "temperature", "from_index",
                                                       "z_to", "events", "x"]), inner,
                                      max_size=4), max_leaves=12)


@pytest.mark.fuzz
@given(endpoint=st.sampled_from(["decode", "sample", "interpolate", "attribute", "midi"]),
       body=JSON)
def test_any_json_gets_an_answer_below_500(client, endpoint, body):
    r = client.post(f"/api/{endpoint}", content=json.dumps(body),
                    headers={"content-type": "application/json"})
    assert r.status_code < 500, r.text
