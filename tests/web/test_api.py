"""The explorer's JSON API through FastAPI's TestClient: answers match the library's own
computations, and every bad input is a 4xx with a one-line JSON detail (never a 5xx)."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

from vaekit.analysis.latent import encode_means
from vaekit.viz.images import to_uint8
from vaekit.web.app import STATIC, create_app
from vaekit.web.service import Explorer


@pytest.fixture(scope="module")
def client(digits_explorer):
    with TestClient(create_app(digits_explorer)) as c:
        yield c


def png(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


def upload_bytes(array: np.ndarray, fmt: str, mode: str = "L") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buffer, format=fmt)
    return buffer.getvalue()


def test_info_describes_the_run(client, digits_explorer):
    info = client.get("/api/info").json()
    assert info["run"] == "digits" and info["kind"] == "image"
    assert info["latent_dim"] == info["slider_dims"] == 2
    assert info["input_shape"] == [1, 8, 8] and info["test_examples"] == 297
    assert info["config"]["data"]["name"] == "digits"
    assert {a["name"] for a in info["attributes"]} == {str(k) for k in range(10)}
    assert [s["name"] for s in info["summary"]] == ["model", "data", "trained"]
    assert info["limits"]["max_body_bytes"] == 2 * 2**20


def test_decode_is_the_models_decoding(client, digits_explorer):
    z = [0.5, -1.25]
    r = client.post("/api/decode", json={"z": z})
    assert r.status_code == 200 and r.json()["z"] == [z]
    expected = to_uint8(digits_explorer.model.decode(torch.tensor([z])).mean.detach().numpy())
    assert np.array_equal(png(r.json()["images"][0]), expected[0, ..., 0])


def test_sample_is_reproducible_with_a_seed(client, digits_explorer):
    a = client.post("/api/sample", json={"n": 5, "temperature": 0.7, "seed": 42}).json()
    b = client.post("/api/sample", json={"n": 5, "temperature": 0.7, "seed": 42}).json()
    assert a == b and len(a["images"]) == 5 and a["seed_used"] == 42
    prior = digits_explorer.model.prior
    expected = prior.sample(5, temperature=0.7, generator=torch.Generator().manual_seed(42))
    assert np.allclose(a["z"], expected.numpy(), atol=1e-6)
    fresh = client.post("/api/sample", json={}).json()
    assert len(fresh["z"]) == 1 and isinstance(fresh["seed_used"], int)


def test_sample_from_the_fitted_mixture(client, digits_explorer):
    from vaekit.samplers import sample_latents

    info = client.get("/api/info").json()
    assert info["samplers"] == ["prior", "gmm"] and info["default_sampler"] == "prior"
    body = {"n": 6, "temperature": 0.5, "seed": 3}
    gmm = client.post("/api/sample", json={**body, "sampler": "gmm"}).json()
    prior = client.post("/api/sample", json=body).json()
    assert gmm["sampler"] == "gmm" and prior["sampler"] == "prior" and gmm["z"] != prior["z"]
    expected = sample_latents(digits_explorer.run, 6, sampler="gmm", temperature=0.5, seed=3)
    torch.testing.assert_close(torch.tensor(gmm["z"]), expected.clamp(-10, 10))
    again = client.post("/api/sample", json={**body, "sampler": "gmm"}).json()
    assert again["images"] == gmm["images"]  # the kept mixture, the same seed


def test_a_conditional_run_decodes_the_class_asked_for(conditional_run):
    explorer = Explorer(conditional_run)
    with TestClient(create_app(explorer)) as c:
        info = c.get("/api/info").json()
        assert info["classes"] == 10 and len(info["label_names"]) == 10
        assert info["default_sampler"] == "gmm"  # the per-class mixtures
        z = [0.3, -0.7]
        three = c.post("/api/decode", json={"z": z, "label": 3}).json()
        expected = to_uint8(explorer.model.generate(torch.tensor([z]), y=3).numpy())
        assert three["labels"] == [3]
        assert np.array_equal(png(three["images"][0]), expected[0, ..., 0])
        eight = c.post("/api/decode", json={"z": z, "label": 8}).json()
        assert eight["images"] != three["images"]  # the same z, another class
        for body in ({"z": z}, {"z": z, "label": 10}):
            r = c.post("/api/decode", json=body)
            assert r.status_code == 422 and "label" in r.json()["detail"]
        every = c.post("/api/sample", json={"n": 12, "seed": 1}).json()
        assert every["labels"] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
        sevens = c.post("/api/sample", json={"n": 4, "seed": 1, "label": 7,
                                              "sampler": "gmm"}).json()
        assert sevens["labels"] == [7] * 4
        example = c.get("/api/example/5").json()  # reconstructed as its own class
        assert example["labels"] == [example["label"]] == [int(explorer.test.y[5])]
        path = c.post("/api/interpolate", json={"from_index": 0, "to_index": 1, "steps": 4,
                                                "label": 2}).json()
        assert path["labels"] == [2] * 4
        assert c.post("/api/attribute", json={"name": "3", "z": z, "label": 1}).status_code == 200
        upload = upload_bytes((explorer.test.x[0, 0].numpy() * 255).astype(np.uint8), "PNG")
        r = c.post("/api/encode", files={"file": ("a.png", upload, "image/png")},
                   data={"label": "4"})
        assert r.status_code == 200 and r.json()["labels"] == [4]


def test_example_map_and_interpolation_use_the_test_encodings(client, digits_explorer):
    means, _ = encode_means(digits_explorer.model, digits_explorer.test.x)
    ex = client.get("/api/example/7").json()
    assert ex["label"] == int(digits_explorer.test.y[7])
    assert np.allclose(ex["z"][0], means[7].numpy(), atol=1e-5) and len(ex["inputs"]) == 1
    m = client.get("/api/map").json()
    assert len(m["points"]) == len(m["labels"]) == 297 and m["axes"] == [[1, 0], [0, 1]]
    assert np.allclose(m["points"], means.numpy(), atol=1e-3)
    r = client.post("/api/interpolate", json={"from_index": 3, "to_index": 9, "steps": 6}).json()
    assert len(r["images"]) == len(r["z"]) == 6
    assert np.allclose([r["z"][0], r["z"][-1]], means[[3, 9]].numpy(), atol=1e-5)
    r = client.post("/api/interpolate", json={"z_from": [0, 1], "to_index": 9, "steps": 3,
                                              "method": "slerp"}).json()
    assert r["z"][0] == [0, 1] and np.allclose(r["z"][-1], means[9].numpy(), atol=1e-5)


def test_attribute_moves_z_along_the_class_difference(client, digits_explorer):
    means, _ = encode_means(digits_explorer.model, digits_explorer.test.x)
    y = digits_explorer.test.y
    vector = means[y == 3].mean(0) - means[y != 3].mean(0)
    r = client.post("/api/attribute", json={"name": "3", "scale": 1.5, "z": [0.1, 0.2]}).json()
    assert np.allclose(r["z"][0], (torch.tensor([0.1, 0.2]) + 1.5 * vector).numpy(), atol=1e-5)


def test_uploaded_png_and_jpeg_encode_like_the_test_image(client, digits_explorer):
    x = digits_explorer.test.x[4]  # (1, 8, 8)
    grey = to_uint8(x[None].numpy())[0, ..., 0]
    z_true = digits_explorer.model.encode(x[None]).mean[0].detach().numpy()
    r = client.post("/api/encode", files={"file": ("d.png", upload_bytes(grey, "PNG"))})
    assert r.status_code == 200 and np.allclose(r.json()["z"][0], z_true, atol=2e-2)
    assert np.array_equal(png(r.json()["inputs"][0]), grey)
    big = np.asarray(Image.fromarray(255 - grey).resize((64, 64), Image.NEAREST))
    r = client.post("/api/encode", files={"file": ("d.jpg", upload_bytes(big, "JPEG"))},
                    data={"invert": "true"})
    assert r.status_code == 200 and len(r.json()["images"]) == 1
    rgba = np.dstack([np.stack([big] * 3, -1), np.full(big.shape, 255, np.uint8)])
    r = client.post("/api/encode", files={"file": ("d.png", upload_bytes(rgba, "PNG", "RGBA"))})
    assert r.status_code == 200


def test_wide_latent_has_capped_sliders_and_a_pca_map(wide_run):
    explorer = Explorer(wide_run)
    c = TestClient(create_app(explorer))
    info = c.get("/api/info").json()
    assert info["latent_dim"] == 20 and info["slider_dims"] == 16
    m = c.get("/api/map").json()
    axes = np.array(m["axes"])
    assert "principal components" in m["projection"] and axes.shape == (2, 20)
    assert np.allclose(axes @ axes.T, np.eye(2), atol=1e-5)
    means, _ = encode_means(explorer.model, explorer.test.x)
    assert np.allclose(m["points"], (means.numpy() - m["origin"]) @ axes.T, atol=1e-3)
    assert c.post("/api/decode", json={"z": [0.0] * 20}).status_code == 200
    assert c.post("/api/decode", json={"z": [0.0] * 2}).status_code == 422


def test_page_and_assets_are_local(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name in ("index.html", "app.js", "draw.js", "style.css"):
        text = (STATIC / name).read_text()
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), name
        if name != "index.html":
            assert client.get(f"/static/{name}").status_code == 200
    schema = client.get("/api/openapi.json").json()
    for path in ("/api/info", "/api/decode", "/api/sample", "/api/encode", "/api/interpolate",
                 "/api/map", "/api/attribute", "/api/midi", "/api/example/{index}"):
        assert path in schema["paths"], path
    assert client.get("/docs").status_code == 404  # Swagger UI would load from a CDN


def test_foreign_host_header_is_refused(digits_explorer):
    from vaekit.web.app import LOOPBACK_HOSTS

    c = TestClient(create_app(digits_explorer, allowed_hosts=LOOPBACK_HOSTS),
                   base_url="http://127.0.0.1:8000")
    assert c.get("/api/info").status_code == 200
    assert c.get("/api/info", headers={"host": "attacker.example"}).status_code == 400


def test_melody_run_decodes_to_events_notes_and_midi(melody_run):
    from vaekit.data.music.events import normalize_events
    from vaekit.data.music.midi import parse_midi_melody

    explorer = Explorer(melody_run)
    c = TestClient(create_app(explorer))
    info = c.get("/api/info").json()
    assert info["kind"] == "melody" and "note_density" in {a["name"] for a in info["attributes"]}
    r = c.post("/api/decode", json={"z": [0.0] * 4}).json()
    events = r["melodies"][0]["events"]
    assert len(events) == 32 and all(0 <= e < 90 for e in events)
    midi = c.post("/api/midi", json={"events": events})
    assert midi.status_code == 200 and midi.headers["content-type"] == "audio/midi"
    assert midi.content.startswith(b"MThd")
    parsed = parse_midi_melody(midi.content, name="decoded.mid")
    assert parsed.events.tolist() == normalize_events(events).tolist()
    ex = c.get("/api/example/5").json()
    assert ex["input_melodies"][0]["events"] == explorer.test.x[5].tolist()
    strip = c.post("/api/interpolate", json={"from_index": 0, "to_index": 1, "steps": 4}).json()
    assert len(strip["melodies"]) == 4
    assert c.post("/api/encode", files={"file": ("a.png", b"x")}).status_code == 422
