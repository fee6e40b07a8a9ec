"""Sequence VAEs (melodies, text) after training: scores, samples, paths, files in.

Tensors and dataclasses out; nothing is written here (cli/_sequence.py writes MIDI, text
and figures). Units: reconstruction, KL and the negative ELBO are nats per sequence
(summed over scored positions, averaged over sequences); `*_per_token` divides the sums
by the number of scored tokens. Scored positions are all positions that are not padding
(<bos> and <eos> included for text), exactly those the training loss sums over.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from vaekit.analysis.latent import INTERPOLATIONS, attribute_vector, encode_means
from vaekit.data.music import events as music
from vaekit.data.music import midi
from vaekit.data.text import vocab as text
from vaekit.errors import DataError
from vaekit.models.priors import kl_normal_standard_normal
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
        kl = kl_normal_standard_normal(mean, std.log()).sum(-1)  # (B,)
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


@torch.no_grad()
def greedy_reconstructions(model: VAE, x: torch.Tensor, *, batch_size: int = 500
                           ) -> torch.Tensor:
    """Greedy decodings of each sequence's posterior mean: (N, T) -> (N, T)."""
    means, _ = encode_means(model, x, batch_size=batch_size)
    return torch.cat([model.generate(means[i : i + batch_size].to(model.device)).cpu()
                      for i in range(0, len(means), batch_size)])


@torch.no_grad()
def sample_sequences(model: VAE, n: int, *, temperature: float = 1.0,
                     token_temperature: float = 0.0, seed: int = 0) -> torch.Tensor:
    """n sequences (n, T) decoded from z ~ N(0, temperature^2 I): greedily for
    token_temperature 0, else each token drawn at that softmax temperature."""
    generator = torch.Generator().manual_seed(seed)
    z = model.prior.sample(n, temperature=temperature, generator=generator).to(model.device)
    gen = torch.Generator(device=z.device).manual_seed(seed)
    return model.generate(z, temperature=token_temperature, generator=gen).cpu()


@torch.no_grad()
def interpolate_sequences(model: VAE, x0: torch.Tensor, x1: torch.Tensor, *, steps: int,
                          method: str = "lerp") -> torch.Tensor:
    """Greedy decodings of `steps` points between the posterior means of two sequences
    (T,): (steps, T); the ends are the greedy reconstructions of x0 and x1."""
    if method not in INTERPOLATIONS:
        raise ValueError(f"unknown interpolation {method!r} (valid: lerp, slerp)")
    z = model.encode(torch.stack([x0, x1]).to(model.device)).mean
    return model.generate(INTERPOLATIONS[method](z[0], z[1], steps)).cpu()


@torch.no_grad()
def attribute_sweep(model: VAE, x_train: torch.Tensor, has_attribute: torch.Tensor,
                    x: torch.Tensor, *, scales: list[float]) -> tuple[torch.Tensor, torch.Tensor]:
    """The attribute vector (mean posterior mean with minus without, from x_train) and
    greedy decodings of x's posterior means moved by scale * vector: (D,), (S, N, T)."""
    vector = attribute_vector(encode_means(model, x_train)[0], has_attribute)
    means = encode_means(model, x)[0]
    device = model.device
    decoded = [model.generate((means + s * vector).to(device)).cpu() for s in scales]
    return vector, torch.stack(decoded)


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
    return decode_sentences(vocab, interpolate_sequences(model, x[0], x[1], steps=steps,
                                                         method=method))
