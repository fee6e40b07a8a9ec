"""What a run's examples are on disk: the one dispatch point between kinds of run.

The commands that show examples (sample, reconstruct, interpolate, attribute, traverse,
report) work on the model's own tensors -- images (N, C, H, W) or token sequences (N, T),
made by the same analysis code for every kind -- and hand them to the run's `Kind`:

- image: one PNG grid, a tile per example;
- melody: a MIDI file per example (in a folder named after the figure) and a piano roll;
- text: the sentences, one per line, in a text file (and shown to the user).

The way back, too: `read_inputs` turns the user's own files into model inputs (PNG/JPEG
images, MIDI files, or sentences). A new kind of data is a new class here, registered in
`KINDS`; no command changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from vaekit.analysis import sequences as seq
from vaekit.checkpoint import Run, load_vocab
from vaekit.data.music import events as music
from vaekit.data.music import midi
from vaekit.data.text.vocab import PAD, Vocabulary
from vaekit.errors import CheckpointError, ConfigError
from vaekit.fileio import atomic_write_text


@dataclass(frozen=True)
class Written:
    """What a write produced: the files (the main one first) and lines to show."""

    paths: list[Path]
    lines: list[str] = field(default_factory=list)

    def describe(self) -> str:
        main = str(self.paths[0])
        extra = len(self.paths) - 1
        return main + (f" and {extra} more file(s) in {self.paths[1].parent}/" if extra else "")


def output_path(out: str | Path | None, default_dir: Path, stem: str, suffix: str) -> Path:
    """Where a command writes: `out` as given; inside it when it is an existing folder or
    ends with a slash; else default_dir/stem+suffix."""
    if out is None:
        return default_dir / f"{stem}{suffix}"
    text = str(out)
    if text.endswith(("/", "\\")) or Path(text).is_dir():
        return Path(text) / f"{stem}{suffix}"
    return Path(text)


class Kind:
    """Writing and reading one kind of example. Subclasses set `name` and `suffix`."""

    name = ""
    suffix = ".png"  # the main file's default suffix

    def write(self, items: torch.Tensor, path: Path, *, columns: int,
              labels: list[str] | None = None, title: str | None = None,
              path_like: bool = False) -> Written:
        """Write examples (N, ...) to `path`: `columns` per row where the kind draws a
        grid; `labels` and `title` where it can show them; `path_like`: the examples are
        the steps of one path (melodies also get them joined into one file)."""
        raise NotImplementedError

    def read_inputs(self, sources: list[str]) -> torch.Tensor:
        """The user's files (or sentences) as model inputs (N, ...)."""
        raise NotImplementedError

    def difference(self, x: torch.Tensor, x_hat: torch.Tensor) -> str:
        """One line on how far reconstructions x_hat are from inputs x."""
        raise NotImplementedError


class ImageKind(Kind):
    name = "image"

    def __init__(self, input_shape: tuple[int, ...]) -> None:
        self.input_shape = tuple(input_shape)

    def write(self, items, path, *, columns, labels=None, title=None, path_like=False):
        from vaekit.viz.images import save_grid

        return Written([save_grid(items.numpy(), path, nrow=max(1, min(columns, len(items))))])

    def read_inputs(self, sources):
        from vaekit.data.images.datasets import to_unit
        from vaekit.data.images.decode import load_images

        c, h, w = self.input_shape
        files = [Path(p) for p in sources]
        images, _, _ = load_images(files, [str(p) for p in files], source=files[0],
                                   size=(h, w), channels=c, fit="crop", max_images=None,
                                   skip_bad=False)
        return to_unit(images)

    def difference(self, x, x_hat):
        sse = float((x - x_hat).square().flatten(1).sum(1).mean())
        return f"mean squared error {sse:.2f} summed over pixels"


class MelodyKind(Kind):
    name = "melody"

    def __init__(self, length: int) -> None:
        self.length = length

    def write(self, items, path, *, columns, labels=None, title=None, path_like=False):
        from vaekit.viz.pianoroll import save_pianoroll

        folder = path.parent / path.stem
        paths = [folder / f"{path.stem}-{i:03d}.mid" for i in range(len(items))]
        for events, target in zip(items.numpy(), paths):
            midi.melody_to_midi(events, target)
        if path_like:  # the whole path as one melody, to listen to it in one go
            joined = folder / f"{path.stem}.mid"
            midi.melody_to_midi(items.reshape(-1).numpy(), joined)
            paths.append(joined)
        rolls, onsets = seq.pianoroll_arrays(items)
        figure = save_pianoroll(rolls, path, onsets=onsets,
                                labels=labels or [str(i) for i in range(len(items))],
                                lowest_pitch=music.MIN_PITCH, title=title)
        return Written([figure, *paths])

    def read_inputs(self, sources):
        return torch.stack([seq.melody_from_midi(p, length=self.length) for p in sources])

    def difference(self, x, x_hat):
        notes = x != music.HOLD
        both = float((x == x_hat).float().mean())
        on_notes = float((x == x_hat)[notes].float().mean()) if notes.any() else float("nan")
        return (f"greedy reconstruction accuracy {both:.3f} over all steps, {on_notes:.3f} "
                "over note events (non-HOLD steps)")


class TextKind(Kind):
    name = "text"
    suffix = ".txt"

    def __init__(self, vocab: Vocabulary, length: int) -> None:
        self.vocab, self.length = vocab, length

    def write(self, items, path, *, columns, labels=None, title=None, path_like=False):
        lines = seq.decode_sentences(self.vocab, items)
        if labels is not None:
            lines = [f"{label}: {line}" for label, line in zip(labels, lines)]
        atomic_write_text(path, "".join(f"{line}\n" for line in lines))
        return Written([path], lines)

    def read_inputs(self, sources):
        return seq.encode_sentences(self.vocab, [str(s) for s in sources], length=self.length)

    def difference(self, x, x_hat):
        scored = x != PAD
        return (f"greedy reconstruction accuracy {float((x == x_hat)[scored].float().mean()):.3f}"
                " per token")


def kind_of(run: Run) -> Kind:
    """The Kind of a loaded run (its config's data.kind)."""
    kind = run.config.data.kind
    shape = tuple(run.config.model.input_shape)
    if kind == "image":
        return ImageKind(shape)
    if kind == "melody":
        return MelodyKind(shape[0])
    if kind == "text":
        doc = load_vocab(run.path)
        if doc is None:
            raise CheckpointError(f"{run.path}: vocab.json is missing; a text run needs it")
        return TextKind(Vocabulary.from_json(doc), shape[0])
    raise ConfigError(f"{run.path}: unknown kind of data {kind!r}")


def require_kind(run: Run, *names: str, what: str) -> None:
    """ConfigError (one line) unless the run's data is one of `names`."""
    if run.config.data.kind not in names:
        raise ConfigError(f"{what} works on {' and '.join(names)} runs; {run.path} is a "
                          f"{run.config.data.kind} run")
