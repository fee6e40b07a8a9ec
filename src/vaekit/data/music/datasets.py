"""Melody datasets: windows of melodies as (N, T) int64 event classes (90 classes,
MusicVAE-style; see vaekit.data.music.events). T = bars * 16 sixteenth-note steps, no
padding. The split is by file or tune (held-out tunes), or the user's own train/ and
test/ subfolders.

Datasets: `nottingham` (1,034 MIDI files), `midi:PATH` (a folder of the user's MIDI
files, read recursively) and `folk` (about 11,000 ABC tunes shipped with music21, see
vaekit.data.music.folk)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch

from vaekit.config import DataConfig
from vaekit.data.dataset import Dataset, Split, random_split
from vaekit.data.locate import find_dir, not_found, search_dirs
from vaekit.data.music import events as music
from vaekit.data.music.events import melody_windows, positive_int, transpose_events
from vaekit.data.music.folk import FolkProgress, load_folk_tunes
from vaekit.data.music.midi import (
    MIDI_SUFFIXES,
    MelodyFile,
    check_melody,
    check_steps_per_quarter,
    read_midi_melody,
)
from vaekit.errors import DataError

MELODY_VOCAB_FORMAT = "vaekit-melody-events"
SPLIT_FOLDERS = ("train", "valid", "test")


# --- folders of MIDI files ---------------------------------------------------------


def _midi_files(folder: Path, max_files: int | None) -> list[Path]:
    """MIDI files in `folder` and its subfolders, sorted by their path below `folder`.

    Links to folders are not followed (no loops); hidden folders (".git") are skipped.
    """
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder")
    files = []
    for here, subfolders, names in os.walk(folder):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]
        files += [Path(here) / n for n in names if Path(n).suffix.lower() in MIDI_SUFFIXES]
    files = sorted((p for p in files if p.is_file()), key=lambda p: p.relative_to(folder).parts)
    if not files:
        raise DataError(f"{folder}: no *.mid or *.midi files (subfolders included)")
    if max_files is not None:
        files = files[: positive_int("max_files", max_files)]
    return files


def read_midi_folder(
    folder: str | os.PathLike[str],
    *,
    steps_per_quarter: int = 4,
    max_files: int | None = None,
    skip_bad: bool = False,
    melody: str = "top",
) -> tuple[list[MelodyFile | None], list[str]]:
    """Melodies of every *.mid / *.midi file in `folder` and its subfolders, sorted by
    path; `melody` picks the notes of polyphonic files (see midi.check_melody).

    Returns ``(melodies, errors)``. By default the first unreadable file raises its
    DataError; with ``skip_bad=True`` its slot in `melodies` is None and its one-line
    message is added to `errors`. `max_files` keeps the first files in sorted order.
    """
    check_melody(melody)
    files = _midi_files(Path(folder), max_files)
    melodies: list[MelodyFile | None] = []
    errors: list[str] = []
    for path in files:
        try:
            melodies.append(read_midi_melody(path, steps_per_quarter=steps_per_quarter,
                                             melody=melody))
        except DataError as exc:
            if not skip_bad:
                raise
            melodies.append(None)
            errors.append(str(exc))
    return melodies, errors


def load_midi_folder(
    folder: str | os.PathLike[str],
    *,
    bars: int = 2,
    hop_bars: int = 1,
    min_notes: int = 2,
    transpose: Iterable[int] = (0,),
    max_files: int | None = None,
    steps_per_quarter: int = 4,
    four_four_only: bool = False,
    skip_bad: bool = False,
    melody: str = "top",
) -> tuple[np.ndarray, np.ndarray]:
    """Training windows from a folder of MIDI melodies (subfolders included; `melody` as
    in :func:`read_midi_folder`).

    Returns ``(windows, file_index)``: int64 arrays of shape (N, bars * 4 * steps_per_quarter)
    and (N,), where ``file_index`` is the position of the source file in the sorted list
    of MIDI files (after `max_files`). A "bar" is a 4/4 bar (16 steps of 16th notes by
    default) whatever the file's time signature, so all windows have one length; with
    ``four_four_only=True`` files in other metres are left out. Each shift in `transpose`
    (semitones) adds a transposed copy of every file; shifts that would push a note out of
    21..108 are skipped for that file. Windows follow :func:`melody_windows`.

    An unreadable file raises DataError naming it; ``skip_bad=True`` skips such files and
    issues one warning with their count and the first message. Raises DataError if no
    window is left.
    """
    shifts = [int(s) for s in transpose]
    if not shifts:
        raise ValueError("transpose must hold at least one shift (0 = unchanged)")
    check_steps_per_quarter(steps_per_quarter)
    steps_per_bar = 4 * steps_per_quarter
    melodies, errors = read_midi_folder(
        folder, steps_per_quarter=steps_per_quarter, max_files=max_files, skip_bad=skip_bad,
        melody=melody,
    )
    if errors:
        warnings.warn(
            f"skipped {len(errors)} unreadable MIDI file(s) in {folder}; first: {errors[0]}",
            stacklevel=2,
        )
    chunks: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    for index, melody in enumerate(melodies):
        if melody is None or (four_four_only and melody.time_signature != (4, 4)):
            continue
        for shift in shifts:
            events = transpose_events(melody.events, shift)
            if events is None:
                continue
            windows = melody_windows(
                events,
                bars=bars,
                steps_per_bar=steps_per_bar,
                hop_bars=hop_bars,
                min_notes=min_notes,
            )
            chunks.append(windows)
            owners.append(np.full(len(windows), index, dtype=np.int64))
    total = sum(len(c) for c in chunks)
    if total == 0:
        raise DataError(f"{folder}: no {bars}-bar window with at least {min_notes} notes")
    return np.concatenate(chunks), np.concatenate(owners)


def melody_vocab_json() -> dict:
    return {
        "format": MELODY_VOCAB_FORMAT,
        "version": 1,
        "classes": music.NUM_CLASSES,
        "note_off": music.NOTE_OFF,
        "hold": music.HOLD,
        "min_pitch": music.MIN_PITCH,
        "max_pitch": music.MAX_PITCH,
        "steps_per_quarter": 4,
    }


def _transposed(windows: np.ndarray, semitones: int) -> np.ndarray:
    """Shift every note-on event; windows that would leave the piano range are dropped."""
    notes = windows >= music.FIRST_NOTE_EVENT
    shifted = np.where(notes, windows + semitones, windows)
    ok = ((shifted >= music.FIRST_NOTE_EVENT) | ~notes).all(1)
    ok &= (shifted < music.NUM_CLASSES).all(1)
    return shifted[ok]


def windows_dataset(name: str, train_w: np.ndarray, test_w: np.ndarray, cfg: DataConfig
                    ) -> Dataset:
    """A melody Dataset from training and test windows; transposition (cfg.transpose)
    augments the training windows only."""
    train_w = np.concatenate([train_w] + [_transposed(train_w, s) for s in cfg.transpose if s])

    def split(w: np.ndarray) -> Split:
        x = torch.from_numpy(w.astype(np.int64))
        density = torch.from_numpy(music.note_density(w).astype(np.float32))
        return Split(x, None, {"note_density": density})

    return Dataset(
        name=name, train=split(train_w), test=split(test_w), kind="melody",
        vocab_json=melody_vocab_json(), pad_token=None, vocab_size=music.NUM_CLASSES,
    )


def _split_folders(folder: Path) -> dict[str, Path] | None:
    """The train/, valid/, test/ subfolders of `folder`, or None when it has neither a
    train/ nor a test/ subfolder; DataError when only one of those two is there."""
    found = {part: folder / part for part in SPLIT_FOLDERS if (folder / part).is_dir()}
    if "train" not in found and "test" not in found:
        return None
    if "train" not in found or "test" not in found:
        have, missing = ("train", "test") if "train" in found else ("test", "train")
        raise DataError(f"{folder}: has a {have}/ but no {missing}/ subfolder; give both, "
                        "or neither for a random split by file")
    return found


def melody_dataset(name: str, folder: Path, cfg: DataConfig, *, melody: str = "top",
                   strict: bool = False) -> Dataset:
    """Windows of `cfg.bars` bars from every MIDI file in `folder` and its subfolders.

    With ``train/`` and ``test/`` subfolders those are the split (a ``valid/`` subfolder is
    left out: vaekit has no validation split, and its tunes must not leak into training;
    other files outside the three are not read). Otherwise the split is by file, seeded
    (held-out tunes). Transposition augments the training windows only. `melody` picks
    the notes of polyphonic files (see midi.check_melody). An unreadable file is skipped
    with one warning giving the count; ``strict=True`` raises its DataError instead.
    """
    check_melody(melody)
    folders = _split_folders(folder)
    options = {"bars": cfg.bars, "transpose": (0,), "melody": melody, "skip_bad": not strict}
    if folders is not None:
        train_w, _ = load_midi_folder(folders["train"], **options)
        test_w, _ = load_midi_folder(folders["test"], **options)
        return windows_dataset(name, train_w, test_w, cfg)
    windows, file_index = load_midi_folder(folder, **options)
    n_files = int(file_index.max()) + 1 if len(file_index) else 0
    if n_files < 2:
        raise DataError(f"{folder}: need at least 2 MIDI files with melodies to hold some out")
    _, test_files = random_split(n_files, cfg.test_fraction)
    in_test = np.isin(file_index, test_files.numpy())
    return windows_dataset(name, windows[~in_test], windows[in_test], cfg)


def load_nottingham(cfg: DataConfig, path: str | None, *, melody: str | None = None,
                    strict: bool | None = None) -> Dataset:
    """Nottingham folk melodies (1,034 MIDI files, jukedeck's cleaned melody tracks).

    `melody` and `strict` default to cfg.melody and cfg.strict (see melody_dataset).
    """
    dirs = [d / "nottingham" / "melody" for d in search_dirs("music", None)]
    if path or cfg.path:
        dirs.insert(0, Path(path or cfg.path))
    folder = find_dir(dirs)
    if folder is None:
        raise not_found("nottingham/melody/*.mid", dirs)
    return melody_dataset(
        "nottingham", folder, cfg,
        melody=cfg.melody if melody is None else melody,
        strict=cfg.strict if strict is None else strict,
    )


def load_midi(cfg: DataConfig, path: str | None, *, melody: str | None = None,
              strict: bool | None = None) -> Dataset:
    """`midi:PATH`: the user's MIDI files under PATH (see melody_dataset); `melody` and
    `strict` default to cfg.melody and cfg.strict."""
    folder = path or cfg.path
    if not folder or not Path(folder).is_dir():
        raise DataError(f"midi:PATH needs a folder of MIDI files, got {folder!r}")
    return melody_dataset(
        f"midi:{folder}", Path(folder), cfg,
        melody=cfg.melody if melody is None else melody,
        strict=cfg.strict if strict is None else strict,
    )


def load_folk(cfg: DataConfig, path: str | None, *,
              progress: Callable[[FolkProgress], None] | None = None) -> Dataset:
    """`folk`: the music21 corpus's folk collections (vaekit.data.music.folk), windows of
    `cfg.bars` bars of 16 steps, split by tune (seeded, cfg.test_fraction held out).

    The first load parses about 11,000 ABC tunes (minutes) and caches them; `progress`
    gets a FolkProgress now and then. Every metre is kept, as for Nottingham.
    """
    if path or cfg.path:
        raise DataError("the folk dataset reads music21's corpus; it takes no path")
    tunes = load_folk_tunes(progress=progress)
    chunks = [melody_windows(events, bars=cfg.bars) for events in tunes.events]
    owner = np.repeat(np.arange(len(chunks)), [len(c) for c in chunks])
    windows = np.concatenate(chunks)
    _, test_tunes = random_split(len(chunks), cfg.test_fraction)
    in_test = np.isin(owner, test_tunes.numpy())
    return windows_dataset("folk", windows[~in_test], windows[in_test], cfg)
