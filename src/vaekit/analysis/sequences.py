"""Sequence VAEs (melodies, text) after training: scores, melodies and sentences in and out
of the model's token form. (Samples, reconstructions and paths are vaekit.analysis.latent's
and .sampling's, the same for every kind of run.)

Tensors and dataclasses out; nothing is written here (vaekit.kinds writes MIDI and text).
Units: reconstruction, KL and the negative ELBO are nats per sequence
(summed over scored positions, averaged over sequences); `*_per_token` divides the sums
by the number of scored tokens. Scored positions are all positions that are not padding
(<bos> and <eos> included for text), exactly those the training loss sums over.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from vaekit.analysis.latent import interpolate
from vaekit.data.music import events as music
from vaekit.data.music import midi
from vaekit.data.text import vocab as text
from vaekit.errors import DataError
from vaekit.models.vae import VAE


def _scored(model: VAE, x: torch.Tensor) -> torch.Tensor:
    pad = getattr(model.likelihood, "pad_token", None)
    return torch.ones_like(x, dtype=torch.bool) if pad is None else x != pad


@dataclass(frozen=True)
class SequenceScores:
    teacher_forced_accuracy: float  # argmax of logits given z = posterior mean == x, per token
    sampled_accuracy: float  # greedy generate(posterior mean) == x, per scored token
    exact_match: float  # fraction of sequences that greedy decoding reproduces exactly
    reconstruction: float  # -E_q[log p(x|z)], one z ~ q(z|x), nats per sequence
    kl: float  # KL(q(z|x) || N(0, I)), nats per sequence
    negative_elbo: float  # reconstruction + kl, nats per sequence (>= -log p(x))
    reconstruction_per_token: float  # nats per scored token
    nll_per_token: float  # negative ELBO per scored token: an upper bound on the NLL, nats
    tokens_per_sequence: float
    sequences: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@torch.no_grad()
def score_sequences(model: VAE, x: torch.Tensor, *, batch_size: int = 500,
                    seed: int = 0) -> SequenceScores:
    """Reconstruction accuracy (teacher-forced and fully generated), NLL per token and KL
    over (N, T) sequences. The sampling of z uses its own seeded generator."""
    was_training = model.training
    model.eval()
    device = model.device
    generator = torch.Generator(device=device).manual_seed(seed)
    sums = torch.zeros(6, dtype=torch.float64)  # tf hits, gen hits, exact, rec, kl, tokens
    for i in range(0, x.shape[0], batch_size):
        xb = x[i : i + batch_size].to(device)
        scored = _scored(model, xb)
        q_z = model.encode(xb)
        mean, std = q_z.mean, q_z.stddev
        eps = torch.randn(mean.shape, generator=generator, device=device)
        rec = model.decode(mean + std * eps, xb).reconstruction(xb)  # (B,)
        kl = model.prior.kl(mean, std.log(), mean + std * eps).sum(-1)  # (B,)
        tf_hits = (model.decode(mean, xb).mean == xb) & scored
        generated = model.generate(mean)
        gen_hits = (generated == xb) & scored
        sums += torch.tensor([tf_hits.sum().item(), gen_hits.sum().item(),
                              (generated == xb).all(1).sum().item(), rec.sum().item(),
                              kl.sum().item(), scored.sum().item()], dtype=torch.float64)
    model.train(was_training)
    tf, gen, exact, rec, kl, tokens = sums.tolist()
    n = x.shape[0]
    return SequenceScores(
        teacher_forced_accuracy=tf / tokens, sampled_accuracy=gen / tokens,
        exact_match=exact / n, reconstruction=rec / n, kl=kl / n, negative_elbo=(rec + kl) / n,
        reconstruction_per_token=rec / tokens, nll_per_token=(rec + kl) / tokens,
        tokens_per_sequence=tokens / n, sequences=n,
    )


# ------------------------------------------------------------------------- melodies


def melody_from_midi(path: str | Path, *, length: int, offset_bars: int = 0) -> torch.Tensor:
    """The (length,) event window of a MIDI file starting `offset_bars` 4/4 bars (16 steps)
    in, as the model's input; a note sounding across the start is re-articulated there.
    A melody too short for the window is completed with silence (NOTE_OFF, then HOLD)."""
    events = midi.read_midi_melody(path).events
    bar = 16 if length % 16 == 0 else length  # odd lengths: offsets count whole windows
    if offset_bars < 0 or offset_bars * bar >= len(events):
        raise DataError(f"{path}: the melody has {len(events)} steps; bar {offset_bars} is "
                        "not in it")
    missing = offset_bars * bar + length - len(events)
    if missing > 0:  # rests to fill the window; normalising makes them canonical
        tail = np.full(missing, music.HOLD, dtype=np.int64)
        tail[0] = music.NOTE_OFF
        events = np.concatenate([events, tail])
    windows = music.melody_windows(events, bars=length // bar, steps_per_bar=bar, min_notes=0)
    return torch.from_numpy(windows[offset_bars])


def pianoroll_arrays(melodies: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Piano rolls for viz.pianoroll: sounding (N, 88, T) uint8 and note onsets (N, 88, T)
    bool, row 0 = MIDI pitch 21, from event sequences (N, T)."""
    arr = np.asarray(melodies, dtype=np.int64)
    rolls = np.stack([music.piano_roll(m) for m in arr])
    onsets = np.zeros(rolls.shape, dtype=bool)
    n, t = np.nonzero(arr >= music.FIRST_NOTE_EVENT)
    onsets[n, arr[n, t] - music.FIRST_NOTE_EVENT, t] = True
    return rolls, onsets


# ------------------------------------------------------------------------- text


def encode_sentences(vocab: text.Vocabulary, sentences: list[str], *, length: int
                     ) -> torch.Tensor:
    """Sentences as the model's (N, length) token input: <bos> tokens <eos> <pad>...; a
    sentence with more than length - 2 tokens is cut."""
    tokens, _ = text.encode_lines(sentences, vocab, max_len=length - 2, truncate=True)
    return torch.from_numpy(tokens)


def decode_sentences(vocab: text.Vocabulary, tokens: torch.Tensor) -> list[str]:
    return [vocab.decode(row) for row in tokens.tolist()]


def homotopy(model: VAE, vocab: text.Vocabulary, first: str, last: str, *, steps: int,
             method: str = "lerp") -> list[str]:
    """The sentences on a path between two sentences' posterior means, greedily decoded
    (Bowman et al. 2016, sec. 5): `steps` strings, ends included."""
    x = encode_sentences(vocab, [first, last], length=model.decoder.length)
    return decode_sentences(vocab, interpolate(model, x[0], x[1], steps=steps, method=method))
