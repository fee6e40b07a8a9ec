"""Sequence VAEs (melodies, text) after training: honest scores, and melodies and sentences
in and out of the model's token form. (Samples, reconstructions and paths are
vaekit.analysis.latent's and .sampling's, the same for every kind of run.)

Tensors and dataclasses out; nothing is written here (vaekit.kinds writes MIDI and text).
Units: reconstruction, KL and the negative ELBO are nats per sequence (summed over scored
positions, averaged over sequences); `*_per_token` divides the sums by the number of
scored tokens. Scored positions are all positions that are not padding (<bos> and <eos>
included for text), exactly those the training loss sums over.

`evaluate_sequences` puts every number beside the count-model baselines of
vaekit.analysis.baselines, fitted on the training split and scored on the same sequences
(STYLE.md: a number stands beside its baseline):

* accuracy over all scored tokens, and for melodies over note events alone (targets that
  are not HOLD: 64 % of Nottingham's steps are HOLD, so "always HOLD" scores 0.64 on
  tokens and 0 on notes), each teacher-forced (the argmax given the true previous tokens
  and z = the posterior mean) and generated (greedy decoding from the posterior mean, fed
  its own tokens);
* the NLL per token, -log p(x) by importance sampling (Burda et al. 2016, eq. 8-9; K
  samples z_k ~ q(z|x), log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)), a bound that tightens
  with K and is comparable with the count models' NLL; the negative ELBO beside it;
* the KL with the free-bits floor it was trained under: free bits F per dimension leave
  F * D nats of KL unpenalised, so a KL near that floor was bought by the setting.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from vaekit.analysis.baselines import melody_baselines, text_baselines
from vaekit.analysis.evaluate import check_precision, elbo_terms, importance_log_weights_at
from vaekit.analysis.latent import decode_latents, interpolate
from vaekit.analysis.music_stats import MusicStatistics, music_statistics
from vaekit.data.music import events as music
from vaekit.data.music import midi
from vaekit.data.text import vocab as text
from vaekit.errors import ConfigError, DataError
from vaekit.models.vae import VAE

# Logits held at once in the importance-sampled NLL, (samples x batch x T x V) values:
# bounds memory for any K (as analysis.evaluate.VALUES_PER_PASS does for images).
LOGITS_PER_PASS = 2**22
Progress = Callable[[int], None]  # called with the number of sequences just finished


def _pad(model: VAE) -> int | None:
    return getattr(model.likelihood, "pad_token", None)


def _scored(model: VAE, x: torch.Tensor) -> torch.Tensor:
    pad = _pad(model)
    return torch.ones_like(x, dtype=torch.bool) if pad is None else x != pad


@dataclass(frozen=True)
class SequenceEvaluation:
    """A sequence VAE on a set of sequences, beside count-model baselines. Accuracies are
    fractions of scored tokens; nats are per sequence unless `_per_token`."""

    sequences: int
    tokens_per_sequence: float
    accuracy: dict[str, float]  # teacher_forced, generated
    note_accuracy: dict[str, float] | None  # the same over note events; None for text
    exact_match: float  # sequences that greedy decoding of the posterior mean reproduces
    iw_samples: int  # K
    nll_per_token: float  # -log p(x) by importance sampling (K samples), nats per token
    nll_standard_error: float  # of nll_per_token, over sequences (NaN for one sequence)
    nll: float  # the same per sequence
    negative_elbo_per_token: float  # reconstruction + KL, one z, nats per token (>= NLL)
    negative_elbo: float
    reconstruction: float  # E_q[-log p(x|z)], one z per sequence
    kl: float  # KL(q(z|x) || p(z))
    kl_per_dim: tuple[float, ...]
    active_units: int  # Burda et al. 2016: Cov_x(E_q[z_u]) > 0.01
    latent_dim: int
    beta: float  # the KL weight it was trained with
    free_bits: float  # nats per dimension it was trained with
    free_bits_floor: float  # free_bits * latent_dim: KL the objective did not penalise
    baselines: dict[str, dict]  # name -> BaselineScores.to_dict(), same sequences
    precision: str = "fp32"  # of the IWAE passes' networks (the ELBO terms: always fp32)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["kl_per_dim"] = list(self.kl_per_dim)
        if not math.isfinite(self.nll_standard_error):
            out["nll_standard_error"] = None  # JSON has no NaN
        return out


@torch.no_grad()
def _accuracies(model: VAE, x: torch.Tensor, batch_size: int
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Teacher-forced argmax and greedy generation from the posterior means: (N, T) each."""
    teacher, generated = [], []
    for i in range(0, x.shape[0], batch_size):
        xb = x[i : i + batch_size].to(model.device)
        mean = model.encode(xb).mean
        teacher.append(model.decode(mean, xb).mean.cpu())
        generated.append(decode_latents(model, mean).cpu())
    return torch.cat(teacher), torch.cat(generated)


@torch.no_grad()
def sequence_log_likelihood(model: VAE, x: torch.Tensor, *, k: int, batch_size: int = 100,
                            seed: int = 0, progress: Progress | None = None,
                            precision: str = "fp32") -> torch.Tensor:
    """log p(x) per sequence by importance sampling with K samples: (N,) float64, nats.
    The K samples go in chunks that hold at most LOGITS_PER_PASS logits; chunks combine
    exactly (logsumexp of logsumexps). Seeded: its own generator. `precision`: of the
    networks' passes (fp32 | bf16, as vaekit.analysis.evaluate.log_likelihood)."""
    if k < 1:
        raise ConfigError(f"the number of importance samples must be at least 1, got {k}")
    if getattr(model, "autoencoder", False):
        raise ConfigError("an auto-encoder defines no likelihood p(x): nothing to evaluate")
    was_training = model.training
    model.eval()
    generator = torch.Generator(device=model.device).manual_seed(seed)
    vocab = model.decoder.vocab_size
    out = []
    for i in range(0, x.shape[0], batch_size):
        xb = x[i : i + batch_size].to(model.device)
        chunk = max(1, min(k, LOGITS_PER_PASS // (xb.numel() * vocab)))
        parts = []
        for start in range(0, k, chunk):
            log_w = importance_log_weights_at(  # (c, B)
                model, xb, samples=min(chunk, k - start), generator=generator,
                precision=precision)
            parts.append(torch.logsumexp(log_w.double(), 0))  # (B,)
        out.append((torch.logsumexp(torch.stack(parts), 0) - math.log(k)).cpu())
        if progress is not None:
            progress(xb.shape[0])
    model.train(was_training)
    return torch.cat(out)


def _baselines(model: VAE, train: torch.Tensor, x: torch.Tensor) -> dict[str, dict]:
    pad = _pad(model)
    if pad is None:
        scores = melody_baselines(train, x)
    else:
        scores = text_baselines(train, x, vocab_size=model.decoder.vocab_size, pad=pad)
    return {name: s.to_dict() for name, s in scores.items()}


def evaluate_sequences(
    model: VAE,
    x: torch.Tensor,
    *,
    train: torch.Tensor | None = None,
    k: int = 100,
    beta: float = 1.0,
    free_bits: float = 0.0,
    batch_size: int = 100,
    seed: int = 0,
    progress: Progress | None = None,
    precision: str = "fp32",
) -> SequenceEvaluation:
    """Every score of a sequence VAE on sequences x (N, T) (see the module docstring),
    with the count baselines fitted on `train` (N', T) (none without it). Melodies are
    recognised by their likelihood having no padding class. `beta` and `free_bits` are
    the run's training settings, reported beside the KL. `precision`: of the IWAE
    passes' networks (fp32 | bf16)."""
    check_precision(precision)
    x = x.long()
    scored = _scored(model, x)
    tokens = int(scored.sum())
    teacher, generated = _accuracies(model, x, batch_size)
    hits_tf, hits_gen = (teacher == x) & scored, (generated == x) & scored
    accuracy = {"teacher_forced": float(hits_tf.sum()) / tokens,
                "generated": float(hits_gen.sum()) / tokens}
    note = None
    if _pad(model) is None:  # melodies: the events a listener hears
        events = x != music.HOLD
        n_events = max(1, int(events.sum()))
        note = {"teacher_forced": float((hits_tf & events).sum()) / n_events,
                "generated": float((hits_gen & events).sum()) / n_events}
    terms = elbo_terms(model, x, batch_size=batch_size, seed=seed)
    log_px = sequence_log_likelihood(model, x, k=k, batch_size=batch_size, seed=seed,
                                     progress=progress, precision=precision)
    n = x.shape[0]
    per_token = n / tokens
    sem = float(log_px.std() / math.sqrt(n)) * per_token if n > 1 else float("nan")
    return SequenceEvaluation(
        sequences=n, tokens_per_sequence=tokens / n, accuracy=accuracy, note_accuracy=note,
        exact_match=float((hits_gen | ~scored).all(1).float().mean()), iw_samples=k,
        nll_per_token=float(-log_px.mean()) * per_token, nll_standard_error=sem,
        nll=float(-log_px.mean()), negative_elbo_per_token=terms.negative_elbo * per_token,
        negative_elbo=terms.negative_elbo, reconstruction=terms.reconstruction, kl=terms.kl,
        kl_per_dim=terms.kl_per_dim, active_units=terms.active_units,
        latent_dim=len(terms.kl_per_dim), beta=beta, free_bits=free_bits,
        free_bits_floor=free_bits * len(terms.kl_per_dim),
        baselines={} if train is None else _baselines(model, train.long(), x),
        precision=precision,
    )


def melody_sample_statistics(model: VAE, z: torch.Tensor, *, test: torch.Tensor,
                             train: torch.Tensor, seed: int = 0) -> MusicStatistics:
    """Greedy decodings of latents z (N, D) against held-out melodies `test` (M, T):
    the feature overlaps of vaekit.analysis.music_stats, with the training set (ceiling)
    and degenerate generators (floors) as reference rows of the same size."""
    melodies = decode_latents(model, z, seed=seed)  # (N, T)
    return music_statistics(melodies.numpy(), test.numpy(), train=train.numpy(), seed=seed)


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
