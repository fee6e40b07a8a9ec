"""What `sample`, `interpolate`, `attribute` and `evaluate` do for sequence runs (melody and
text VAEs): each function takes a loaded run, writes its files (MIDI, PNG, TXT), prints a
short summary and returns a dict of numbers and paths.

Melodies: MIDI files are written with vaekit.data.music.midi.melody_to_midi (120 qpm, 4/4,
piano) and drawn as piano rolls. Text: sentences are printed and written to a .txt.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaekit.analysis import sequences as seq
from vaekit.checkpoint import Run, load_vocab
from vaekit.cli._runs import pick, split_of
from vaekit.cli.common import figures_dir, say
from vaekit.data.music import events as music
from vaekit.data.music import midi
from vaekit.data.music.datasets import MELODY_VOCAB_FORMAT
from vaekit.data.text.vocab import Vocabulary
from vaekit.errors import ConfigError
from vaekit.fileio import atomic_write_text
from vaekit.training.trainer import prepare_data
from vaekit.viz.pianoroll import save_pianoroll


def is_sequence_run(run: Run) -> bool:
    return run.config.model.arch == "lstm"


def run_kind(run: Run) -> str:
    """'melody' or 'text'."""
    if not is_sequence_run(run):
        raise ConfigError(f"{run.path} is an image run, not a sequence (melody or text) run")
    doc = load_vocab(run.path)
    if doc is not None:
        return "melody" if doc.get("format") == MELODY_VOCAB_FORMAT else "text"
    return "melody" if run.config.model.pad_token is None else "text"


def vocabulary(run: Run) -> Vocabulary:
    doc = load_vocab(run.path)
    if doc is None:
        raise ConfigError(f"{run.path}: vocab.json is missing; a text run needs it")
    return Vocabulary.from_json(doc)


def _length(run: Run) -> int:
    return int(run.config.model.input_shape[0])


def _write_midis(melodies: torch.Tensor, folder: Path, stem: str) -> list[Path]:
    paths = [folder / f"{stem}-{i:03d}.mid" for i in range(len(melodies))]
    for events, path in zip(melodies.numpy(), paths):
        midi.melody_to_midi(events, path)
    return paths


def _draw(melodies: torch.Tensor, path: Path, *, labels: list[str] | None = None,
          layout: str = "stack", title: str | None = None) -> Path:
    rolls, onsets = seq.pianoroll_arrays(melodies)
    return save_pianoroll(rolls, path, onsets=onsets, labels=labels, layout=layout,
                          lowest_pitch=music.MIN_PITCH, title=title)


def _write_lines(lines: list[str], path: Path) -> Path:
    atomic_write_text(path, "".join(f"{line}\n" for line in lines))
    return path


def sample(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    """Decode args.n draws z ~ N(0, args.temperature^2 I) (seed args.seed); tokens are
    greedy unless args.token_temperature > 0. Melodies: N MIDI files in FIGURES/samples/
    and one piano roll (args.out, default FIGURES/samples.png). Text: the sentences,
    printed and written to args.out (default FIGURES/samples.txt)."""
    kind = run_kind(run)
    token_temperature = float(getattr(args, "token_temperature", 0.0) or 0.0)
    tokens = seq.sample_sequences(run.model, args.n, temperature=args.temperature,
                                  token_temperature=token_temperature, seed=args.seed)
    if kind == "text":
        lines = seq.decode_sentences(vocabulary(run), tokens)
        out = _write_lines(lines, Path(args.out) if args.out
                           else figures_dir(run.path) / "samples.txt")
        for line in lines:
            say(line)
        say(f"wrote {out} ({args.n} sentences, prior temperature {args.temperature})")
        return {"kind": kind, "sentences": lines, "text": out}
    figure = Path(args.out) if args.out else figures_dir(run.path) / "samples.png"
    midis = _write_midis(tokens, figure.parent / "samples", "sample")
    _draw(tokens, figure, labels=[str(i) for i in range(len(tokens))],
          title=f"{args.n} melodies from the prior (temperature {args.temperature})")
    say(f"wrote {figure} and {len(midis)} MIDI files in {midis[0].parent}/")
    return {"kind": kind, "tokens": tokens, "midi": midis, "figure": figure}


def _endpoints(run: Run, kind: str, ends: tuple[Any, Any], indices: tuple[int, int],
               split: str) -> torch.Tensor:
    """The two inputs (2, T): from files / sentences where given, else from the split."""
    if ends[0] is None and ends[1] is None:
        return pick(split_of(run, split), list(indices))
    if ends[0] is None or ends[1] is None:
        raise ConfigError("give both ends of the interpolation, or neither")
    if kind == "text":
        return seq.encode_sentences(vocabulary(run), [str(e) for e in ends], length=_length(run))
    return torch.stack([seq.melody_from_midi(e, length=_length(run)) for e in ends])


def interpolate(run: Run, from_path: str | Path | None, to_path: str | Path | None,
                steps: int, method: str, *, from_index: int = 0, to_index: int = 1,
                split: str = "test", out: str | Path | None = None) -> dict[str, Any]:
    """Greedy decodings along a lerp/slerp path between two posterior means. Melodies:
    from_path/to_path are MIDI files (their first window of T steps), else split examples
    from_index/to_index; writes FIGURES/interpolation/step-NNN.mid, one concatenated
    interpolation.mid and a piano roll (out, default FIGURES/interpolation.png; the outer
    rows are the inputs). Text (Bowman et al. 2016's homotopy): from_path/to_path are the
    sentences themselves; printed and written to out (default FIGURES/homotopy.txt)."""
    if not 2 <= steps <= 100:
        raise ConfigError(f"--steps must be between 2 and 100, got {steps}")
    kind = run_kind(run)
    x = _endpoints(run, kind, (from_path, to_path), (from_index, to_index), split)
    path = seq.interpolate_sequences(run.model, x[0], x[1], steps=steps, method=method)
    matches = [bool(torch.equal(path[0], x[0])), bool(torch.equal(path[-1], x[1]))]
    if kind == "text":
        vocab = vocabulary(run)
        lines = seq.decode_sentences(vocab, path)
        text_out = _write_lines(lines, Path(out) if out
                                else figures_dir(run.path) / "homotopy.txt")
        inputs = seq.decode_sentences(vocab, x)
        say(f"from: {inputs[0]}")
        for line in lines:
            say(f"  {line}")
        say(f"to:   {inputs[1]}\nwrote {text_out}")
        return {"kind": kind, "inputs": inputs, "sentences": lines, "text": text_out,
                "endpoints_reconstructed": matches}
    figure = Path(out) if out else figures_dir(run.path) / "interpolation.png"
    folder = figure.parent / figure.stem
    midis = _write_midis(path, folder, "step")
    joined = midi.melody_to_midi(path.reshape(-1).numpy(), folder / f"{figure.stem}.mid")
    labels = ["input A", *[f"{t:.2f}" for t in np.linspace(0, 1, steps)], "input B"]
    _draw(torch.cat([x[:1], path, x[1:]]), figure, labels=labels,
          title=f"{method} between two melodies ({steps} steps, greedy decoding)")
    say(f"wrote {figure}, {len(midis)} MIDI files and {folder / figure.stem}.mid "
        f"({len(joined)} bytes); endpoints reconstructed: {matches}")
    return {"kind": kind, "inputs": x, "tokens": path, "midi": midis,
            "midi_concatenated": folder / f"{figure.stem}.mid", "figure": figure,
            "endpoints_reconstructed": matches}


def attribute(run: Run, *, scales: tuple[float, ...] = (-2.0, -1.0, 0.0, 1.0, 2.0),
              n: int = 4, split: str = "test", max_examples: int = 5000,
              out: str | Path | None = None) -> dict[str, Any]:
    """The note-density attribute vector (Engel et al. 2017 / MusicVAE): mean posterior
    mean of training windows above the median note density minus those at or below it.
    The first n windows of `split` are moved by scale * vector and greedily decoded;
    returns the mean note density per scale (it should rise with the scale) and writes a
    piano roll (out, default FIGURES/attribute-note_density.png) and one MIDI per scale."""
    if run_kind(run) != "melody":
        raise ConfigError("attribute vectors for text runs need labelled sentences; only "
                          "melody runs have a computed attribute (note_density)")
    train, test = prepare_data(run.config)  # one load of the data for both splits
    target = {"train": train, "test": test}[split]
    take = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))[:max_examples]
    density = train.attrs["note_density"][take]
    threshold = float(density.median())
    x = target.x[:n]
    vector, decoded = seq.attribute_sweep(run.model, train.x[take], density > threshold, x,
                                          scales=list(scales))  # (S, n, T)
    densities = [float(music.note_density(d.numpy()).mean()) for d in decoded]
    figure = Path(out) if out else figures_dir(run.path) / "attribute-note_density.png"
    _draw(decoded.reshape(len(scales), -1), figure,
          labels=[f"{s:+g}" for s in scales],
          title=f"note density vector x scale (rows), {n} {split} melodies side by side")
    midis = _write_midis(decoded.reshape(len(scales), -1), figure.parent / figure.stem, "scale")
    input_density = float(music.note_density(x.numpy()).mean())
    say(f"note density (median split at {threshold:.3f}); input {input_density:.3f}; "
        "decoded per scale: " + ", ".join(f"{s:+g}: {d:.3f}" for s, d in zip(scales, densities)))
    say(f"wrote {figure} and {len(midis)} MIDI files")
    return {"attribute": "note_density", "threshold": threshold, "scales": list(scales),
            "vector_norm": float(vector.norm()), "input_density": input_density,
            "density_by_scale": densities,
            "figure": figure, "midi": midis}


def evaluate(run: Run, *, split: str = "test", limit: int | None = None,
             batch_size: int = 500, seed: int = 0) -> dict[str, Any]:
    """Reconstruction accuracy (teacher-forced; fully generated, greedy from the posterior
    mean), exact-match rate, NLL per token (negative ELBO per scored token) and KL."""
    x = split_of(run, split).x[:limit]
    scores = seq.score_sequences(run.model, x, batch_size=batch_size, seed=seed).as_dict()
    say(f"{split} ({scores['sequences']} sequences): accuracy teacher-forced "
        f"{scores['teacher_forced_accuracy']:.4f}, generated {scores['sampled_accuracy']:.4f} "
        f"(exact {scores['exact_match']:.4f}); KL {scores['kl']:.2f} nats/sequence; "
        f"negative ELBO {scores['nll_per_token']:.4f} nats/token")
    return {"split": split, "units": "nats per sequence; *_per_token: nats per scored token",
            **scores}
