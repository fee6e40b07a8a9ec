"""Piano-roll figures of melodies (arrays in, PNG out; no model or data code here).

A roll is (P, T): rows are pitches (row 0 = `lowest_pitch`, MIDI numbering), columns are
grid steps, nonzero where a pitch sounds. Optional onsets (same shape, bool) mark where
notes start, so repeated notes of one pitch stay distinguishable.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vaekit.fileio import atomic_write_bytes

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_EMPTY, _SOUNDING, _ONSET, _GAP = (255, 255, 255), (120, 160, 215), (25, 60, 140), (200, 200, 200)


def note_name(pitch: int) -> str:
    """MIDI pitch -> scientific name (60 -> C4)."""
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def _as_rolls(rolls: np.ndarray, what: str) -> np.ndarray:
    arr = np.asarray(rolls)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or 0 in arr.shape:
        raise ValueError(f"{what}: expected (P, T) or (N, P, T) arrays, got shape {arr.shape}")
    return arr


def _pitch_window(rolls: np.ndarray, *, min_span: int = 12, margin: int = 2) -> tuple[int, int]:
    """Rows [lo, hi) that hold every sounding pitch, with a margin and at least an octave."""
    used = np.nonzero(rolls.any(axis=(0, 2)))[0]
    lo, hi = (used[0], used[-1] + 1) if used.size else (0, rolls.shape[1])
    lo, hi = max(0, lo - margin), min(rolls.shape[1], hi + margin)
    while hi - lo < min(min_span, rolls.shape[1]):
        lo, hi = max(0, lo - 1), min(rolls.shape[1], hi + 1)
    return int(lo), int(hi)


def roll_to_rgb(roll: np.ndarray, onsets: np.ndarray | None = None) -> np.ndarray:
    """(P, T) roll [+ onsets] -> (P, T, 3) uint8 colours: white, light (sounding), dark
    (note start)."""
    rgb = np.empty((*roll.shape, 3), dtype=np.uint8)
    rgb[:] = _EMPTY
    rgb[roll != 0] = _SOUNDING
    if onsets is not None:
        rgb[(onsets != 0) & (roll != 0)] = _ONSET
    return rgb


def save_pianoroll(
    rolls: np.ndarray,
    path: str | Path,
    *,
    onsets: np.ndarray | None = None,
    labels: Sequence[str] | None = None,
    layout: str = "stack",
    lowest_pitch: int = 21,
    steps_per_bar: int = 16,
    title: str | None = None,
) -> Path:
    """Draw one or several rolls (N, P, T) as a PNG, written atomically.

    layout "stack": one row per roll, sharing the time and pitch axes (e.g. the steps of
    an interpolation, top to bottom). layout "concat": the rolls side by side in one
    strip, separated by grey gaps (e.g. to hear and see a whole interpolation as one
    melody). Pitches are cropped to the used range; bar lines every `steps_per_bar`.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arr = _as_rolls(rolls, "rolls")
    ons = None if onsets is None else _as_rolls(onsets, "onsets")
    if ons is not None and ons.shape != arr.shape:
        raise ValueError(f"onsets shape {ons.shape} differs from rolls shape {arr.shape}")
    if labels is not None and len(labels) != len(arr):
        raise ValueError(f"{len(labels)} labels for {len(arr)} rolls")
    if layout not in ("stack", "concat"):
        raise ValueError(f"unknown layout {layout!r} (valid: stack, concat)")
    lo, hi = _pitch_window(arr)
    images = [roll_to_rgb(arr[i, lo:hi], None if ons is None else ons[i, lo:hi])
              for i in range(len(arr))]
    n, steps = len(images), arr.shape[2]
    if layout == "concat":
        gap = np.empty((hi - lo, max(1, steps // 16), 3), dtype=np.uint8)
        gap[:] = _GAP
        pieces = [p for img in images for p in (img, gap)][:-1]
        images = [np.concatenate(pieces, axis=1)]
    width = max(7.0, min(24.0, 2.0 + images[0].shape[1] * 0.12))
    row_height = max(0.7, (hi - lo) * 0.045)
    fig, axes = plt.subplots(len(images), 1, squeeze=False, sharex=True,
                             figsize=(width, 0.7 + len(images) * row_height))
    ticks = [p for p in range(lo, hi) if (p + lowest_pitch) % 12 in (0, 7)]  # C and G
    for row, (ax, img) in enumerate(zip(axes[:, 0], images)):
        ax.imshow(img, origin="lower", aspect="auto", interpolation="nearest",
                  extent=(0, img.shape[1], lo - 0.5, hi - 0.5))
        ax.set_yticks(ticks, [note_name(p + lowest_pitch) for p in ticks], fontsize=6)
        if layout == "stack":
            for bar in range(steps_per_bar, steps, steps_per_bar):
                ax.axvline(bar, color="0.6", linewidth=0.6)
            if labels is not None:
                ax.set_ylabel(labels[row], rotation=0, ha="right", va="center", fontsize=8)
    bottom = axes[-1, 0]
    if layout == "concat":
        span = steps + max(1, steps // 16)
        bottom.set_xticks([i * span + steps / 2 for i in range(n)],
                          list(labels) if labels is not None else [str(i) for i in range(n)],
                          fontsize=7)
    else:
        bottom.set_xlabel("step (16th notes)", fontsize=8)
    if title:
        axes[0, 0].set_title(title, fontsize=9)
    fig.tight_layout(h_pad=0.15)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)
