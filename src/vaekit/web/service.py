"""Model access for the latent explorer: one run, loaded once at start.

`Explorer` holds the run's model and its test split, encodes the test set once (for the
latent map and the attribute vectors) and answers each request with plain Python values:
latents as lists, images as PNG data URIs, melodies as events and notes. Every model call
runs under torch.inference_mode. Nothing here chooses a file: the run directory is fixed
when the Explorer is built. Callers bound concurrency (vaekit.web.guard.Gate).

Samples come from the run's samplers (vaekit.samplers): the prior, or the mixture fitted
to the training codes (fitted on the first request that asks for it, once, and kept in
the run directory). A conditional run decodes every latent with a class label: the one
a request names, or, for a test example, its own.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Any

import torch

from vaekit.analysis.attributes import attributes_of
from vaekit.analysis.latent import INTERPOLATIONS, attribute_vector, encode_means, pca
from vaekit.checkpoint import load_run
from vaekit.config import config_to_dict
from vaekit.data.prepare import prepare
from vaekit.errors import CheckpointError
from vaekit.samplers import SAMPLERS, default_sampler, sample_labels, sample_latents
from vaekit.web.codec import InputError, image_from_upload, melody_notes, midi_bytes, png_data_uris

Z_MAX = 10.0  # |z| bound on every latent a request sends or an answer returns
SLIDER_DIMS = 16  # the page shows a slider for the first this-many latent dimensions
ENCODE_LIMIT = 10_000  # test examples encoded at start (map and attribute vectors)
MAP_POINTS = 2_000  # of which this many are drawn on the latent map


def _projection(means: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, str]:
    """A 2-D view of the latents: (origin (D,), axes (2, D), name). The first two dims
    when D <= 2, otherwise the top two principal components of the encodings."""
    d = means.shape[1]
    if d <= 2:
        axes = torch.eye(2, d)  # D = 1: the second axis is zero
        return torch.zeros(d), axes, "latent dimensions 1 and 2" if d == 2 else "dimension 1"
    fit = pca(means, 2)
    return fit.mean, fit.components, "principal components 1 and 2 of the test encodings"


def _attributes(test, means: torch.Tensor, label_names) -> dict[str, dict[str, Any]]:
    """Attribute vectors (vaekit.analysis.attributes) for each class label and each
    per-example attribute that splits the encoded examples in two."""
    encoded = test.select(slice(0, means.shape[0]))
    return {name: {"vector": attribute_vector(means, found.has),
                   "description": found.description}
            for name, found in attributes_of(encoded, label_names).items()}


def _summary(run, kind: str, n_test: int) -> list[tuple[str, str]]:
    m, d, t = run.config.model, run.config.data, run.config.train
    sizes = {"dense": "hidden " + "-".join(str(s) for s in m.hidden),
             "conv": "channels " + "-".join(str(s) for s in m.channels),
             "lstm": f"{m.rnn_hidden} units, embedding {m.embedding_dim}"}.get(m.arch, "")
    lines = [("model", f"{m.arch} ({sizes}), latent {m.latent_dim}, {m.likelihood} likelihood"
                       + (", auto-encoder" if m.autoencoder else "")),
             ("data", f"{d.name} ({kind}, input {tuple(m.input_shape)}, {n_test} test examples)")]
    last = next((r for r in reversed(run.metrics) if isinstance(r.get("test"), dict)), None)
    if last is not None:
        test = last["test"]
        elbo = test.get("negative_elbo", test.get("loss", float("nan")))  # older runs: "loss"
        lines.append(("trained", f"{last.get('epoch', '?')} of {t.epochs} epochs; test -ELBO "
                                 f"{elbo:.2f} nats/example (rec "
                                 f"{test.get('reconstruction', float('nan')):.2f}, KL "
                                 f"{test.get('kl', float('nan')):.2f})"))
    return lines


class Explorer:
    """The one run a server explores. Build once; the methods are thread-safe (the model is
    only read) and return JSON-ready values."""

    def __init__(self, run_dir: str | Path, *, encode_limit: int = ENCODE_LIMIT,
                 map_points: int = MAP_POINTS) -> None:
        run = load_run(run_dir)
        self.run, self.model = run, run.model
        _, data = prepare(run.config)
        if data.kind == "text":
            raise CheckpointError(f"{run_dir}: vaekit serve explores image and melody runs; "
                                  "this run models text")
        self.kind = data.kind
        self.test = data.test
        self.latent_dim = self.model.latent_dim
        self.input_shape = tuple(run.config.model.input_shape)
        self.classes = self.model.classes  # None unless the run is conditional
        self.fitting = threading.Lock()  # one mixture fit at a time (see sample)
        encoded = self.test.select(slice(0, encode_limit))
        with torch.inference_mode():
            means, _ = encode_means(self.model, encoded.x, labels=self._own_labels(encoded.y))
        origin, axes, projection = _projection(means)
        points = (means[:map_points] - origin) @ axes.T  # (N, 2)
        y = self.test.y
        self.map = {"projection": projection, "origin": origin.tolist(), "axes": axes.tolist(),
                    "points": points.round(decimals=4).tolist(),
                    "labels": None if y is None else y[:map_points].tolist(),
                    "label_names": list(data.label_names) if data.label_names else None}
        self.attributes = _attributes(self.test, means, data.label_names)
        self.info = {
            "run": run.path.resolve().name, "kind": self.kind, "latent_dim": self.latent_dim,
            "slider_dims": min(self.latent_dim, SLIDER_DIMS), "input_shape": self.input_shape,
            "z_max": Z_MAX, "test_examples": len(self.test),
            "summary": [{"name": k, "value": v} for k, v in _summary(run, self.kind,
                                                                      len(self.test))],
            "attributes": [{"name": k, "description": v["description"]}
                           for k, v in self.attributes.items()],
            "config": config_to_dict(run.config),
            "samplers": list(SAMPLERS),
            "default_sampler": default_sampler(run),
            "classes": self.classes,
            "label_names": (list(data.label_names) if data.label_names and self.classes
                            else None),
        }

    # --- helpers -------------------------------------------------------------------------

    def _latent(self, z: list[float]) -> torch.Tensor:
        if len(z) != self.latent_dim:
            raise InputError(f"z has {len(z)} values; this model's latent has {self.latent_dim}")
        return torch.tensor(z, dtype=torch.float32)

    def _own_labels(self, y: torch.Tensor | None) -> torch.Tensor | None:
        """Test examples' labels, for a conditional model; None for any other."""
        return y if self.classes is not None else None

    def _label(self, label: int | None, n: int) -> torch.Tensor | None:
        """The labels (n,) a request's latents are decoded with (conditional runs only)."""
        if self.classes is None:
            if label is not None:
                raise InputError("this run is not conditional: it takes no label")
            return None
        if label is None:
            raise InputError(f"this run is conditional: give a label (0..{self.classes - 1})")
        if not 0 <= label < self.classes:
            raise InputError(f"label {label} is not a class of this run (0..{self.classes - 1})")
        return torch.full((n,), label, dtype=torch.long)

    def _decoded(self, z: torch.Tensor, *, temperature: float = 0.0, seed: int = 0,
                 labels: torch.Tensor | None = None, **extra: Any) -> dict[str, Any]:
        """Decode latents (B, D) (with their labels, for a conditional run) into the answer
        every endpoint shares."""
        z = z.clamp(-Z_MAX, Z_MAX)
        with torch.inference_mode():
            if self.kind == "melody":
                generator = torch.Generator().manual_seed(seed)
                tokens = self.model.generate(z, temperature=temperature, generator=generator)
                events = [row.tolist() for row in tokens.cpu()]
                out = {"melodies": [{"events": e, "notes": melody_notes(e)} for e in events]}
            else:
                out = {"images": png_data_uris(self.model.decode(z, y=labels).mean)}
        if labels is not None:
            out["labels"] = labels.tolist()
        return {"z": z.tolist(), **out, **extra}

    # --- what the endpoints ask ----------------------------------------------------------

    def decode(self, z: list[float], *, temperature: float = 0.0, seed: int = 0,
               label: int | None = None) -> dict:
        return self._decoded(self._latent(z)[None], temperature=temperature, seed=seed,
                             labels=self._label(label, 1))

    def sample(self, n: int, *, temperature: float, seed: int | None,
               sampler: str | None = None, label: int | None = None) -> dict:
        """n latents from the sampler (None: the run's default), decoded; a conditional run
        draws class `label`, or every class in turn when no label is given."""
        seed = secrets.randbelow(2**31) if seed is None else seed
        sampler = sampler or self.info["default_sampler"]
        labels = sample_labels(self.run, n) if label is None else self._label(label, n)
        with self.fitting:  # the first gmm request fits the mixture; the others wait for it
            try:
                z = sample_latents(self.run, n, sampler=sampler, temperature=temperature,
                                   seed=seed, labels=labels)
            except ValueError as exc:  # e.g. too few training codes for a mixture
                raise InputError(str(exc)) from None
        return self._decoded(z, temperature=temperature, seed=seed, labels=labels,
                             seed_used=seed, sampler=sampler)

    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self.test):
            raise InputError(f"index {index} is out of range: the test split has "
                             f"{len(self.test)} examples (0..{len(self.test) - 1})")

    def example(self, index: int) -> dict:
        """Test example `index`: its posterior mean decoded, with the input itself."""
        self._check_index(index)
        x = self.test.x[index : index + 1]
        own = self._own_labels(None if self.test.y is None else self.test.y[index : index + 1])
        with torch.inference_mode():
            z = self.model.encode(x, y=own).mean
        label = None if self.test.y is None else int(self.test.y[index])
        if self.kind == "melody":
            events = x[0].tolist()
            return self._decoded(z, label=label, input_melodies=[
                {"events": events, "notes": melody_notes(events)}])
        return self._decoded(z, label=label, inputs=png_data_uris(x), labels=own)

    def encode_upload(self, data: bytes, *, max_pixels: int, invert: bool = False,
                      label: int | None = None) -> dict:
        if self.kind != "image":
            raise InputError("this run models melodies; uploads are for image runs")
        labels = self._label(label, 1)  # a conditional run encodes the upload as this class
        x = image_from_upload(data, self.input_shape, max_pixels=max_pixels, invert=invert)
        with torch.inference_mode():
            z = self.model.encode(x[None], y=labels).mean
        return self._decoded(z, inputs=png_data_uris(x[None]), labels=labels)

    def interpolate(self, ends: tuple[int | list[float], int | list[float]], *, steps: int,
                    method: str, label: int | None = None) -> dict:
        """Decodings along a path between two ends, each a test index (encoded with its own
        label) or a latent; a conditional run decodes the path as class `label`."""
        labels = self._label(label, steps)
        z = []
        for end in ends:
            if isinstance(end, int):
                self._check_index(end)
                y = self._own_labels(None if self.test.y is None else self.test.y[end : end + 1])
                with torch.inference_mode():
                    z.append(self.model.encode(self.test.x[end : end + 1], y=y).mean[0])
            else:
                z.append(self._latent(end))
        return self._decoded(INTERPOLATIONS[method](z[0], z[1], steps), labels=labels)

    def attribute(self, name: str, scale: float, z: list[float], *,
                  label: int | None = None) -> dict:
        if name not in self.attributes:
            valid = ", ".join(self.attributes) or "none for this run"
            raise InputError(f"unknown attribute {name!r} (valid: {valid})")
        moved = self._latent(z) + scale * self.attributes[name]["vector"]
        return self._decoded(moved[None], labels=self._label(label, 1))

    def midi(self, events: list[int]) -> bytes:
        if self.kind != "melody":
            raise InputError("this run models images; MIDI is for melody runs")
        return midi_bytes(events)
