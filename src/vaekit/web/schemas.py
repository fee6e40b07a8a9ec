"""Request and answer models of the explorer's JSON API (they make its OpenAPI schema).

Numbers are strict: a latent value is a finite JSON number (not a string, not a boolean)
with |z| <= 10; counts and steps are bounded integers. Unknown fields are refused. The
latent's length is checked against the model (it differs per run).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vaekit.web.service import Z_MAX

MAX_LATENT = 4096  # longest latent a request may carry (the model's own length is enforced)
MAX_SAMPLES = 64
MAX_STEPS = 32
MAX_TEMPERATURE = 3.0
MAX_SCALE = 5.0
MAX_SEED = 2**31 - 1
MAX_EVENTS = 4096  # melody steps in a MIDI request
MAX_CLASSES = 100_000  # a label is below the run's number of classes (checked per run)

ZValue = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-Z_MAX, le=Z_MAX)]
Latent = Annotated[list[ZValue], Field(min_length=1, max_length=MAX_LATENT,
                                       description=f"a latent vector; |z_i| <= {Z_MAX:g}")]
Temperature = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0.0,
                                     le=MAX_TEMPERATURE)]
Seed = Annotated[int, Field(strict=True, ge=0, le=MAX_SEED)]
Label = Annotated[int, Field(strict=True, ge=0, le=MAX_CLASSES,
                             description="conditional runs: the class to decode as")]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecodeRequest(Request):
    z: Latent
    temperature: Temperature = Field(0.0, description="melody runs: 0 = most likely event")
    seed: Seed = 0
    label: Label | None = None


class SampleRequest(Request):
    n: Annotated[int, Field(strict=True, ge=1, le=MAX_SAMPLES)] = 1
    temperature: Temperature = Field(1.0, description="the sampler's spread is scaled by it "
                                                      "(prior: z ~ N(0, temperature^2 I))")
    seed: Seed | None = Field(None, description="omit for a fresh random seed")
    sampler: Literal["prior", "gmm"] | None = Field(
        None, description="prior: N(0, I); gmm: a Gaussian mixture fitted to the training "
                          "codes (fitted on first use, kept in the run); omitted: the run's "
                          "default (gmm for conditional runs, else prior)")
    label: Label | None = Field(None, description="conditional runs: the class to draw "
                                                  "(omitted: every class in turn)")


class InterpolateRequest(Request):
    """Either test-example indices or latents (e.g. of two uploads) for each end."""

    from_index: Annotated[int, Field(strict=True, ge=0)] | None = None
    to_index: Annotated[int, Field(strict=True, ge=0)] | None = None
    z_from: Latent | None = None
    z_to: Latent | None = None
    steps: Annotated[int, Field(strict=True, ge=2, le=MAX_STEPS)] = 8
    method: Literal["lerp", "slerp"] = "lerp"
    label: Label | None = None

    @model_validator(mode="after")
    def _one_of_each_end(self) -> InterpolateRequest:
        for index, z, end in ((self.from_index, self.z_from, "from"),
                              (self.to_index, self.z_to, "to")):
            if (index is None) == (z is None):
                raise ValueError(f"give exactly one of {end}_index and z_{end}")
        return self


class AttributeRequest(Request):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    scale: Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-MAX_SCALE,
                                  le=MAX_SCALE)] = 1.0
    z: Latent
    label: Label | None = None


class MidiRequest(Request):
    events: Annotated[list[Annotated[int, Field(strict=True, ge=0, le=89)]],
                      Field(min_length=1, max_length=MAX_EVENTS,
                            description="melody events: 0 note-off, 1 hold, 2..89 pitch 21..108")]


class Melody(BaseModel):
    events: list[int]
    notes: list[tuple[int, int, int]] = Field(description="(MIDI pitch, start step, length)")


class Decoded(BaseModel):
    """What every decoding endpoint answers: the latents and their decodings, in order."""

    z: list[list[float]]
    images: list[str] | None = Field(None, description="PNG data URIs at the model's size")
    melodies: list[Melody] | None = None
    inputs: list[str] | None = Field(None, description="the encoded inputs, as PNG data URIs")
    input_melodies: list[Melody] | None = Field(None, description="the encoded melodies")
    label: int | None = Field(None, description="the test example's own label")
    labels: list[int] | None = Field(None, description="conditional runs: the class each "
                                                       "latent was decoded as")
    seed_used: int | None = None
    sampler: str | None = None


class Summary(BaseModel):
    name: str
    value: str


class AttributeInfo(BaseModel):
    name: str
    description: str


class Info(BaseModel):
    run: str
    kind: Literal["image", "melody"]
    latent_dim: int
    slider_dims: int
    input_shape: list[int]
    z_max: float
    test_examples: int
    summary: list[Summary]
    attributes: list[AttributeInfo]
    config: dict
    limits: dict
    samplers: list[str]
    default_sampler: str = Field(description="what /api/sample uses when no sampler is given")
    classes: int | None = Field(None, description="conditional runs: the number of classes "
                                                  "(every decoding request takes a label)")
    label_names: list[str] | None = None


class LatentMap(BaseModel):
    projection: str
    origin: list[float] = Field(description="z = origin + u * axes[0] + v * axes[1]")
    axes: list[list[float]]
    points: list[tuple[float, float]]
    labels: list[int] | None
    label_names: list[str] | None
