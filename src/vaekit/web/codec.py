"""Bytes in and out of the explorer: PNG data URIs, uploaded images, melody notes.

Images leave as PNG data URIs (`data:image/png;base64,...`) at the model's own resolution
(the page scales them up with nearest-neighbour). Uploads are accepted only as PNG or
JPEG, recognised by their content (never their name or declared type), with a bound on
pixels checked from the header before anything is decoded.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from vaekit.data.music import events as music
from vaekit.data.music import midi
from vaekit.viz.images import to_uint8

UPLOAD_FORMATS = ("PNG", "JPEG")


class InputError(ValueError):
    """A request the explorer refuses (answered 422 with this one-line message)."""


def png_data_uris(images: torch.Tensor) -> list[str]:
    """(B, C, H, W) floats (clipped to [0, 1]) -> B PNG data URIs."""
    uris = []
    for tile in to_uint8(images.detach().cpu().numpy()):  # (H, W, C) uint8
        picture = Image.fromarray(tile[..., 0] if tile.shape[-1] == 1 else tile)
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        uris.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode())
    return uris


def image_from_upload(
    data: bytes, shape: tuple[int, int, int], *, max_pixels: int, invert: bool = False
) -> torch.Tensor:
    """An uploaded PNG/JPEG as the model sees it: (C, H, W) floats in [0, 1], resized and
    centre-cropped to `shape`. Transparent pixels count as white paper. Raises InputError."""
    channels, height, width = shape
    try:
        picture = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:  # Pillow's own, far larger, bound
        raise InputError(f"the image has more than {max_pixels:,} pixels") from None
    except (UnidentifiedImageError, OSError):
        raise InputError("the upload is not a PNG or JPEG image") from None
    if picture.format not in UPLOAD_FORMATS:
        raise InputError(f"the upload is a {picture.format} image; only PNG and JPEG are "
                         "accepted")
    w, h = picture.size
    if w < 1 or h < 1 or w * h > max_pixels:
        raise InputError(f"the image is {w}x{h} pixels; at most {max_pixels:,} pixels are "
                         "accepted")
    try:
        picture.load()
        if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
            rgba = picture.convert("RGBA")
            paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            picture = Image.alpha_composite(paper, rgba)
        picture = picture.convert("L" if channels == 1 else "RGB")
        picture = ImageOps.fit(picture, (width, height), method=Image.Resampling.LANCZOS)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise InputError("the image is corrupt or truncated") from None
    array = np.asarray(picture, dtype=np.float32) / 255.0
    if channels == 1:
        array = array[..., None]
    x = torch.from_numpy(array).permute(2, 0, 1).contiguous()  # (C, H, W)
    return 1.0 - x if invert else x


def melody_notes(events: list[int]) -> list[tuple[int, int, int]]:
    """Melody events -> notes as (MIDI pitch, start step, length in steps), for drawing
    a piano roll. A note starts at a note-on event and lasts through the HOLDs after it."""
    notes: list[tuple[int, int, int]] = []
    current: list[int] | None = None
    for step, event in enumerate(events):
        if event == music.HOLD and current is not None:
            current[2] += 1
            continue
        if current is not None:
            notes.append((current[0], current[1], current[2]))
            current = None
        if event >= music.FIRST_NOTE_EVENT:
            current = [music.event_to_pitch(event), step, 1]
    if current is not None:
        notes.append((current[0], current[1], current[2]))
    return notes


def midi_bytes(events: list[int]) -> bytes:
    """A MIDI file of the melody (120 quarter notes per minute, 16th-note steps)."""
    return midi.melody_to_midi(np.asarray(events, dtype=np.int64))
