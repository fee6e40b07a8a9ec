"""How good are a trained image run's samples? Draw N latents from a sampler (the prior, or
the mixture fitted to the training codes; vaekit.samplers), decode them, and score them
against the held-out test images with vaekit.analysis.quality, beside the reference rows
measured the same way with the same N: the training images (what a perfect generator
gets) and uniform noise (what a useless one gets). A conditional run draws every class in
turn, and the judge's accuracy on the classes asked for is reported as well.

N is capped at the number of training images, because the "test" reference row scores N
of them and the Fréchet distance depends on N (it is biased upwards for small N): the
numbers of one report are only comparable at one N.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from vaekit.analysis.latent import decode_latents
from vaekit.analysis.quality import (
    JudgeSpace,
    QualityReference,
    QualityReport,
    feature_space,
    prepare_reference,
    score_samples,
)
from vaekit.checkpoint import Run, load_run
from vaekit.config import RunConfig
from vaekit.data.dataset import Dataset
from vaekit.data.prepare import prepare
from vaekit.errors import ConfigError
from vaekit.samplers import sample_labels, sample_latents

DEFAULT_SAMPLES = 10_000
MAX_SAMPLES = 100_000
MIN_SAMPLES = 10  # more than k = 5 neighbours, with room


@dataclass(frozen=True)
class RunSampleQuality:
    """The report for one run and sampler, and what it was measured with."""

    run: str
    sampler: str
    temperature: float
    seed: int
    report: QualityReport
    requested: int  # the N asked for; report.samples.n is the N used
    conditional: bool
    seconds: float

    @property
    def capped(self) -> bool:
        return self.report.samples.n < self.requested

    def notes(self) -> list[str]:
        """What a reader must know to read the numbers right, one line each."""
        lines = []
        if self.capped:
            lines.append(f"N capped at {self.report.samples.n} (of {self.requested} asked "
                         "for): the training images the reference row scores")
        if self.report.reference.space.note:
            lines.append(self.report.reference.space.note)
        if self.conditional and self.report.samples.label_accuracy is None:
            lines.append("no judge for this data: no label accuracy")
        return lines

    def to_dict(self) -> dict[str, Any]:
        """{"sample_quality": {"sampler", "n", "fd", "precision", "recall", "validity",
        ["label_accuracy",] "reference": {"test": {...}, "noise": {...}}, ...}}"""
        row = {"sampler": self.sampler, "temperature": self.temperature, "seed": self.seed,
               **self.report.to_dict(), "requested_n": self.requested,
               "conditional": self.conditional, "seconds": round(self.seconds, 1),
               "units": "fd: squared feature units; precision, recall, coverage, validity, "
                        "label_accuracy: fractions; density: mean count / k"}
        row["note"] = "; ".join(self.notes()) or None
        return {"run": self.run, "sample_quality": row}


def sample_quality(
    run: Run | str | Path, *, n: int = DEFAULT_SAMPLES, sampler: str = "prior",
    temperature: float = 1.0, seed: int = 0, report: Callable[[str], None] | None = None,
) -> RunSampleQuality:
    """Score n decoded samples of an image run (see the module docstring); `report(text)`
    hears each stage of the work as it starts (the whole takes about half a minute for
    N = 10,000 MNIST images on one CPU thread)."""
    run = run if isinstance(run, Run) else load_run(run)
    say = report or (lambda _text: None)
    if run.config.data.kind != "image":
        raise ConfigError(f"sample quality here is for image runs; this run holds "
                          f"{run.config.data.kind} data")
    if not MIN_SAMPLES <= n <= MAX_SAMPLES:
        raise ConfigError(f"the number of samples must be in {MIN_SAMPLES}..{MAX_SAMPLES}, "
                          f"got {n}")
    started = time.perf_counter()
    reference = quality_reference(run.config, n=n, seed=seed, report=say)
    scored, _ = score_run(run, reference, sampler=sampler, temperature=temperature,
                          seed=seed, report=say)
    return RunSampleQuality(run=str(run.path), sampler=sampler, temperature=temperature,
                            seed=seed, report=scored, requested=n,
                            conditional=run.model.classes is not None,
                            seconds=time.perf_counter() - started)


def quality_reference(config: RunConfig, *, n: int, seed: int = 0,
                      dataset: Dataset | None = None,
                      report: Callable[[str], None] | None = None) -> QualityReference:
    """The test images in the data's feature space and the reference rows, for sets of
    min(n, training images) samples: what every run on this data is scored against.
    `dataset`: the data, when already loaded (else config.data names it)."""
    # The grey images, also for runs trained on binarised pixels: samples are means.
    config = dataclasses.replace(config, data=dataclasses.replace(config.data,
                                                                  binarize="none"))
    _, data = prepare(config, dataset)
    used = min(n, len(data.train))
    space = feature_space(config.data.name, data.train.x)
    if report is not None:
        report(f"reference rows: {len(data.test)} test images, {used} training images and "
               f"{used} noise images in {space.name} features")
    return prepare_reference(train_x=data.train.x, test_x=data.test.x, space=space, n=used,
                             seed=seed)


def score_run(
    run: Run, reference: QualityReference, *, sampler: str = "prior", temperature: float = 1.0,
    seed: int = 0, report: Callable[[str], None] | None = None,
) -> tuple[QualityReport, torch.Tensor]:
    """Draw reference.n latents from the run's sampler, decode them (every class in turn,
    for a conditional run) and score them; also returns the latents (N, D)."""
    say = report or (lambda _text: None)
    say(f"drawing {reference.n} latents ({sampler}) and decoding them")
    labels = sample_labels(run, reference.n)  # None unless the run is conditional
    z = sample_latents(run, reference.n, sampler=sampler, temperature=temperature, seed=seed,
                       labels=labels, report=say)
    images = decode_latents(run.model, z, labels=labels)
    say(f"scoring {reference.n} samples")
    judged = labels if isinstance(reference.space, JudgeSpace) else None
    return score_samples(images, reference, labels=judged), z
