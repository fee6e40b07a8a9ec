"""The explorer's FastAPI app: a JSON API over one Explorer, and the static page.

Every error is JSON {"detail": "one line"}: 422 for invalid input (the model is never
reached), 404/405 for unknown paths and methods, 413 for bodies over the limit, 503 when
the model is busy. The OpenAPI schema is at /api/openapi.json; the interactive docs pages
are off, because they would load their scripts from a CDN.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from vaekit.web.codec import InputError
from vaekit.web.guard import BodyLimit, Gate
from vaekit.web.schemas import (
    AttributeRequest,
    Decoded,
    DecodeRequest,
    Info,
    InterpolateRequest,
    LatentMap,
    MidiRequest,
    SampleRequest,
)
from vaekit.web.service import Explorer

STATIC = Path(__file__).with_name("static")
MAX_BODY_BYTES = 2 * 2**20  # any request body
MAX_UPLOAD_BYTES = 2**20  # an uploaded image file
MAX_UPLOAD_PIXELS = 2048 * 2048  # checked from the image header, before decoding
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]

DESCRIPTION = """Explore the latent space of one trained vaekit run.

Latents are JSON lists of the model's length with finite values, |z_i| <= 10. Images are
PNG data URIs (`data:image/png;base64,...`) at the model's resolution; melodies are event
lists (0 note-off, 1 hold, 2..89 MIDI pitch 21..108) with their notes.
Errors are JSON `{"detail": "message"}` with a 4xx status (503 when the model is busy)."""


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        if error.get("type") == "json_invalid":
            return "the request body is not valid JSON"
        loc = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "path"))
        parts.append(f"{loc}: {error.get('msg', 'invalid')}" if loc else error.get("msg", ""))
    return "; ".join(parts) or "invalid request"


def create_app(
    explorer: Explorer,
    *,
    workers: int = 2,
    max_pending: int = 16,
    max_body_bytes: int = MAX_BODY_BYTES,
    allowed_hosts: list[str] | None = None,
) -> FastAPI:
    """The app for one explorer. `allowed_hosts` (e.g. LOOPBACK_HOSTS) refuses requests
    whose Host header names another host (a guard against DNS rebinding)."""
    gate = Gate(workers=workers, max_pending=max_pending)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        gate.close()

    app = FastAPI(title="vaekit latent explorer", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.gate = gate
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    if allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    limits = {"z_max": explorer.info["z_max"], "max_body_bytes": max_body_bytes,
              "max_upload_bytes": MAX_UPLOAD_BYTES, "max_upload_pixels": MAX_UPLOAD_PIXELS,
              "workers": workers, "max_pending": max_pending}

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_message(exc)}, status_code=422)

    @app.exception_handler(Exception)
    async def _bug(_request: Request, exc: Exception) -> JSONResponse:  # a vaekit bug
        return JSONResponse({"detail": f"internal error ({type(exc).__name__})"},
                            status_code=500)

    @app.exception_handler(InputError)
    async def _refused(_request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/info", response_model=Info)
    async def info() -> dict:
        """The run: name, kind (image or melody), latent size, config, attributes, limits."""
        return {**explorer.info, "limits": limits}

    @app.get("/api/map", response_model=LatentMap)
    async def latent_map() -> dict:
        """Test encodings (posterior means) projected to 2-D, with their labels."""
        return explorer.map

    @app.post("/api/decode", response_model=Decoded)
    async def decode(req: DecodeRequest) -> dict:
        """Decode one latent."""
        return await gate.run(explorer.decode, req.z, temperature=req.temperature,
                              seed=req.seed, label=req.label)

    @app.post("/api/sample", response_model=Decoded)
    async def sample(req: SampleRequest) -> dict:
        """Decode n draws from the sampler (prior or gmm) at the temperature."""
        return await gate.run(explorer.sample, req.n, temperature=req.temperature,
                              seed=req.seed, sampler=req.sampler, label=req.label)

    @app.get("/api/example/{index}", response_model=Decoded)
    async def example(index: Annotated[int, PathParam(ge=0, le=2**31)]) -> dict:
        """Test example `index`: its input, posterior mean and reconstruction."""
        return await gate.run(explorer.example, index)

    @app.post("/api/encode", response_model=Decoded)
    async def encode(
        file: Annotated[UploadFile, File(description="a PNG or JPEG image")],
        invert: Annotated[bool, Form(description="dark drawing on light paper")] = False,
        label: Annotated[int | None, Form(ge=0, le=100_000,
                                          description="conditional runs: the class")] = None,
    ) -> dict:
        """Encode an uploaded image (resized to the model's input) and decode its mean."""
        data = await file.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise HTTPException(413, f"the image file is larger than {MAX_UPLOAD_BYTES:,} bytes")
        return await gate.run(explorer.encode_upload, data, max_pixels=MAX_UPLOAD_PIXELS,
                              invert=invert, label=label)

    @app.post("/api/interpolate", response_model=Decoded)
    async def interpolate(req: InterpolateRequest) -> dict:
        """Decodings along a lerp/slerp path, ends included; each end is a test index or z."""
        ends = (req.z_from if req.from_index is None else req.from_index,
                req.z_to if req.to_index is None else req.to_index)
        return await gate.run(explorer.interpolate, ends, steps=req.steps, method=req.method,
                              label=req.label)

    @app.post("/api/attribute", response_model=Decoded)
    async def attribute(req: AttributeRequest) -> dict:
        """Decode z + scale * (attribute vector); names are listed by /api/info."""
        return await gate.run(explorer.attribute, req.name, req.scale, req.z, label=req.label)

    @app.post("/api/midi", response_class=Response,
              responses={200: {"content": {"audio/midi": {}}}})
    async def midi(req: MidiRequest) -> Response:
        """A MIDI file of melody events (melody runs only)."""
        data = await gate.run(explorer.midi, req.events)
        return Response(data, media_type="audio/midi",
                        headers={"Content-Disposition": 'attachment; filename="melody.mid"'})

    return app
