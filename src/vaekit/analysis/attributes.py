"""Attribute vectors: latent-space arithmetic for every kind of run (White 2016; Engel et
al. 2017; MusicVAE's attribute vectors, Roberts et al. 2018).

An attribute splits examples in two (a class label, a 0/1 attribute such as Olivetti's
glasses, or a measured value such as a melody's note density above its median). Its
vector is the mean code of the examples that have it minus the mean code of those that
do not; adding multiples of it to other codes edits them towards or away from it. The
command line (`vaekit attribute`) and the web explorer both use what is here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from vaekit.analysis.latent import attribute_vector, decode_latents, encode_means, shift_latents
from vaekit.data.dataset import Split
from vaekit.data.music import events as music
from vaekit.errors import ConfigError
from vaekit.models.vae import VAE

# Attributes that can be measured on any example, generated ones included: an edit's
# effect is then read off the decodings directly (no probe classifier needed).
MEASURES: dict[str, Callable[[torch.Tensor], np.ndarray]] = {
    "note_density": lambda melodies: music.note_density(melodies.numpy()),
}


@dataclass(frozen=True)
class Attribute:
    """Which examples of a split have an attribute: `has` (N,) bool. `key` names the
    per-example value (or None for a class label, `label`); having it means a value equal
    to `level`, or above `threshold` for a measured value."""

    name: str
    description: str
    has: torch.Tensor
    key: str | None = None
    label: int | None = None
    level: float | None = None
    threshold: float | None = None

    def of(self, split: Split) -> torch.Tensor:
        """Which examples of another split have it, by the same rule (e.g. test examples
        against the training median)."""
        if self.key is None:
            return split.y == self.label
        values = split.attrs[self.key].float()
        return values > self.threshold if self.threshold is not None else values == self.level


def _named_attribute(split: Split, name: str) -> Attribute | None:
    """A per-example attribute as a split in two: 0/1 -> 1 vs 0; a continuous value ->
    above its median vs at or below; an integer identifier (e.g. a subject number) has no
    direction: None."""
    values = split.attrs[name].float()
    distinct = torch.unique(values)
    if len(distinct) <= 2:
        top = float(distinct.max())
        return Attribute(name, f"{name} = {top:g} minus the rest", values == top, key=name,
                         level=top)
    if not torch.equal(values, values.round()):
        median = float(values.median())
        return Attribute(name, f"{name} above its median ({median:.3g}) minus below",
                         values > median, key=name, threshold=median)
    return None


def _label_attribute(split: Split, label: int, label_names: tuple[str, ...] | None
                     ) -> Attribute:
    name = label_names[label] if label_names and 0 <= label < len(label_names) else f"{label}"
    return Attribute(f"label-{label}", f"label {name!r} minus the other labels",
                     split.y == label, label=label)


def _splits_in_two(attribute: Attribute) -> bool:
    return 0 < int(attribute.has.sum()) < len(attribute.has)


def attributes_of(split: Split, label_names: tuple[str, ...] | None = None
                  ) -> dict[str, Attribute]:
    """Every attribute of a split that divides it in two: one per class label (named by
    `label_names` where given) and one per usable per-example attribute."""
    found: dict[str, Attribute] = {}
    if split.y is not None:
        for k in torch.unique(split.y).tolist():
            attribute = _label_attribute(split, int(k), label_names)
            shown = label_names[k] if label_names and k < len(label_names) else f"class {k}"
            if _splits_in_two(attribute):
                found[str(shown)] = attribute
    for name in split.attrs:
        attribute = _named_attribute(split, name)
        if attribute is not None and _splits_in_two(attribute):
            found[name] = attribute
    return found


def attribute_of(split: Split, *, attribute: str | None = None, label: int | None = None
                 ) -> Attribute:
    """One attribute by name (`attribute`) or class (`label`); ConfigError when the split
    has no such attribute or it does not divide the split in two."""
    if label is not None:
        if split.y is None:
            raise ConfigError("--label needs a dataset with class labels")
        found = _label_attribute(split, label, None)
    else:
        if attribute not in split.attrs:
            valid = ", ".join(sorted(split.attrs)) or "none"
            raise ConfigError(f"unknown attribute {attribute!r} (this dataset has: {valid})")
        found = _named_attribute(split, attribute)
        if found is None:
            raise ConfigError(f"attribute {attribute!r} is an identifier, not a property "
                              "with a direction")
    if not _splits_in_two(found):
        raise ConfigError(f"attribute {found.name!r}: an attribute vector needs examples "
                          "both with and without it")
    return found


@dataclass(frozen=True)
class AttributeEdit:
    """An attribute vector applied to some examples at several scales."""

    vector: torch.Tensor  # (D,)
    scales: tuple[float, ...]
    inputs: torch.Tensor  # (N, ...) the examples edited
    decoded: torch.Tensor  # (N, S, ...) decodings of code + scale * vector
    codes: torch.Tensor  # (N, D) posterior means of the inputs


@torch.no_grad()
def edit_with_attribute(model: VAE, means: torch.Tensor, has: torch.Tensor,
                        inputs: torch.Tensor, *, scales: list[float]) -> AttributeEdit:
    """The vector of `has` over the codes `means` (N', D), added at each scale to the
    codes of `inputs` and decoded (images, or greedy sequences)."""
    vector = attribute_vector(means, has)
    codes, _ = encode_means(model, inputs)
    decoded = decode_latents(model, shift_latents(codes, vector, scales))
    return AttributeEdit(vector, tuple(scales), inputs,
                         decoded.view(len(inputs), len(scales), *decoded.shape[1:]), codes)


def measured_effect(name: str, edit: AttributeEdit) -> dict[str, float] | None:
    """The attribute's mean value on the inputs and on the decodings at each scale, for
    attributes measurable on any example (`MEASURES`); None otherwise."""
    if name not in MEASURES:
        return None
    measure = MEASURES[name]
    return {"inputs": float(measure(edit.inputs).mean()),
            **{f"{s:+g}": float(measure(edit.decoded[:, i]).mean())
               for i, s in enumerate(edit.scales)}}


def probe_effect(model: VAE, train: Split, has_train: torch.Tensor, edit: AttributeEdit,
                 test: Split, has_test: torch.Tensor) -> dict:
    """For image attributes that cannot be computed from pixels: a probe (logistic
    regression on pooled pixels, vaekit.analysis.judge) trained on train images and their
    reconstructions, then its mean probability of the attribute on the edited examples
    before and at each scale."""
    from vaekit.analysis.judge import train_attribute_probe

    train_rec = decode_latents(model, encode_means(model, train.x)[0])
    probe = train_attribute_probe(torch.cat([train.x, train_rec]),
                                  torch.cat([has_train, has_train]))
    test_acc = float(((probe.probability(test.x) > 0.5) == has_test).float().mean())
    flat = edit.decoded.flatten(0, 1)
    probs = probe.probability(flat).view(len(edit.inputs), len(edit.scales)).mean(0)
    return {
        "protocol": "vector and probe from the train split; applied to test examples without "
                    "the attribute (for olivetti: people never seen in training)",
        "probe_train_examples": 2 * len(train),
        "probe_test_accuracy": test_acc,
        "examples": len(edit.inputs),
        "probability_originals": float(probe.probability(edit.inputs).mean()),
        "probability_at_scale": {f"{s:+g}": float(p) for s, p in zip(edit.scales, probs)},
    }
