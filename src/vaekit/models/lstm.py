"""The sequence VAE's parts: a bidirectional LSTM encoder and an LSTM decoder.

The same `VAE` as for images (vaekit.models.vae), with other parts: the likelihood is
categorical over token classes (melody events, or text tokens with a padding class).
Architecture after MusicVAE (Roberts et al. 2018) and the sentence VAE of Bowman et al.
(2016):

* encoder: embedding -> one-layer bidirectional LSTM -> both final states (B, 2H) ->
  dense mean and log-sigma heads (B, D). Padding (text) is skipped by packing;
* decoder (`model.decoder`):
  - ``flat``: z sets the LSTM's initial state (h0, c0) = tanh(W z + b), AND z is
    concatenated to the input embedding at every step, so the decoder cannot forget it.
    Position t reads [z, token t-1] (a learned start token at t = 0) and predicts token
    t: teacher forcing in `forward`, step by step in `generate`;
  - ``hierarchical``: MusicVAE's "conductor" for long melodies. A conductor LSTM turns z
    into one embedding c_u per bar (16 steps); each bar is decoded by a flat decoder
    conditioned on c_u instead of z, from the start token, so it cannot lean on the
    previous bar's notes and must use the conductor (Roberts et al. 2018, sec. 3.2: this
    is what keeps a 16-bar decoder from ignoring z). Bars are independent given their
    embeddings, so all bars of a batch are decoded as one batch of B * U bars;
  - ``language_model``: the flat decoder fed z = 0, an LSTM language model with the same
    parts; trained as a VAE, its KL falls to 0. It is the baseline a sequence VAE must
    beat on NLL per token (`vaekit evaluate --language-model RUN`).

Word dropout (Bowman et al. 2016, `ModelConfig.word_dropout`, training mode only)
replaces decoder input tokens by <unk> for text, and for melodies by a dedicated mask
class (id `vocab_size + 1` of the decoder's input embedding; the start token is
`vocab_size`). Neither is ever an output class. `ModelConfig.hidden` is not used here.
"""

from __future__ import annotations

import torch
from torch import nn

from vaekit.config import MAX_PARAMETERS, ModelConfig
from vaekit.errors import ConfigError
from vaekit.nn.recurrent import BidirectionalSummary, choose_tokens, init_lstm_, replace_tokens

# Text conventions of vaekit.data.text.vocab and the melodies' bar of 16 sixteenth-note
# steps (vaekit.data.music); models never import data, a test checks they agree.
TEXT_EOS, TEXT_UNK = 2, 3
STEPS_PER_BAR = 16


def _lengths(x: torch.Tensor, pad: int | None) -> torch.Tensor | None:
    """Real tokens per row (padding is trailing), or None when nothing is padded."""
    return None if pad is None else (x != pad).sum(1)


class LSTMEncoder(nn.Module):
    """x (B, T) -> mean, log_std (B, D) of q(z|x)."""

    def __init__(self, vocab_size: int, *, embedding_dim: int, hidden_size: int,
                 latent_dim: int, pad_token: int | None = None) -> None:
        super().__init__()
        self.pad_token = pad_token
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = BidirectionalSummary(embedding_dim, hidden_size)
        self.mean = nn.Linear(self.rnn.output_size, latent_dim)
        self.log_std = nn.Linear(self.rnn.output_size, latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.rnn(self.embedding(x), _lengths(x, self.pad_token))  # (B, T) -> (B, 2H)
        return self.mean(h), self.log_std(h)  # (B, D), (B, D)


class LSTMDecoder(nn.Module):
    """z (B, D) [+ x (B, T) for teacher forcing] -> logits (B, T, V) over token classes.
    With `reads_z=False` it is fed zeros instead of z: a language model."""

    teacher_forced = True  # VAE.decode passes the target x: decoder(z, x)

    def __init__(self, vocab_size: int, *, length: int, embedding_dim: int, hidden_size: int,
                 latent_dim: int, word_dropout: float = 0.0, pad_token: int | None = None,
                 end_token: int | None = None, dropout_token: int | None = None,
                 scheduled_sampling: float = 0.0, reads_z: bool = True) -> None:
        super().__init__()
        self.reads_z = reads_z
        self.scheduled_sampling = scheduled_sampling
        self.vocab_size, self.length = vocab_size, length
        self.pad_token, self.end_token = pad_token, end_token
        self.word_dropout = word_dropout
        self.start_token = vocab_size  # input-only classes, after the V output classes
        self.dropout_token = vocab_size + 1 if dropout_token is None else dropout_token
        self.embedding = nn.Embedding(vocab_size + 2, embedding_dim)
        self.initial_state = nn.Linear(latent_dim, 2 * hidden_size)
        self.lstm = init_lstm_(nn.LSTM(embedding_dim + latent_dim, hidden_size,
                                       batch_first=True))
        self.output = nn.Linear(hidden_size, vocab_size)

    def _state(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h, c = torch.tanh(self.initial_state(z)).chunk(2, dim=-1)  # (B, H) each
        return h.unsqueeze(0).contiguous(), c.unsqueeze(0).contiguous()  # (1, B, H)

    def _z(self, z: torch.Tensor) -> torch.Tensor:
        return z if self.reads_z else torch.zeros_like(z)


    def _inputs(self, tokens: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        zs = z.unsqueeze(1).expand(-1, tokens.shape[1], -1)  # (B, T, D)
        return torch.cat([self.embedding(tokens), zs], dim=-1)  # (B, T, E + D)

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        z = self._z(z)
        start = x.new_full((x.shape[0], 1), self.start_token)
        inputs = torch.cat([start, x[:, :-1]], dim=1)  # (B, T): position t reads x[:, t-1]
        if self.training and self.scheduled_sampling > 0:
            inputs = self._own_predictions(z, inputs)
        if self.training and self.word_dropout > 0:
            keep = inputs == self.start_token
            if self.pad_token is not None:
                keep |= inputs == self.pad_token
            inputs = replace_tokens(inputs, self.word_dropout, self.dropout_token, keep=keep)
        h, _ = self.lstm(self._inputs(inputs, z), self._state(z))  # (B, T, H)
        return self.output(h)  # (B, T, V)

    def _own_predictions(self, z: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """Scheduled sampling, in its parallel form (Bengio et al. 2015; Duckworth et al.
        2019): a teacher-forced pass without gradients predicts every token; each input
        after the start is then replaced, with probability `scheduled_sampling`, by the
        model's own greedy prediction of it, so training sees its own mistakes."""
        with torch.no_grad():
            h, _ = self.lstm(self._inputs(inputs, z), self._state(z))
            predicted = self.output(h).argmax(-1)  # (B, T): prediction of x[:, t]
        own = torch.cat([inputs[:, :1], predicted[:, :-1]], dim=1)  # aligned with inputs
        swap = torch.rand(inputs.shape, device=inputs.device) < self.scheduled_sampling
        swap[:, 0] = False  # the start token stays
        if self.pad_token is not None:
            swap &= inputs != self.pad_token
        return torch.where(swap, own, inputs)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, *, temperature: float = 0.0, max_len: int | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Tokens (B, max_len) decoded from z one step at a time, each fed back as the next
        input: greedy for temperature 0, else sampled from softmax(logits / temperature).
        The padding class is never produced; after the end token (text) rows are padded."""
        steps = self.length if max_len is None else int(max_len)
        if steps < 1:
            raise ValueError(f"max_len must be at least 1, got {max_len}")
        z = self._z(z)
        state = self._state(z)
        token = torch.full((z.shape[0], 1), self.start_token, dtype=torch.long, device=z.device)
        done = torch.zeros(z.shape[0], dtype=torch.bool, device=z.device)
        out = []
        for _ in range(steps):
            h, state = self.lstm(self._inputs(token, z), state)
            logits = self.output(h[:, 0])  # (B, V)
            if self.pad_token is not None:
                logits[:, self.pad_token] = float("-inf")
            chosen = choose_tokens(logits, temperature=temperature, generator=generator)
            if self.pad_token is not None:
                chosen = chosen.masked_fill(done, self.pad_token)
            if self.end_token is not None:
                done |= chosen == self.end_token
            out.append(chosen)
            token = chosen.unsqueeze(1)
        return torch.stack(out, dim=1)  # (B, T)


class HierarchicalLSTMDecoder(nn.Module):
    """z (B, D) [+ x (B, T)] -> logits (B, T, V): a conductor LSTM gives one embedding per
    segment of `segment_steps` (a bar), and a flat LSTMDecoder decodes each segment from
    its embedding (Roberts et al. 2018, sec. 3.2; see the module docstring).

    The conductor's initial state is tanh(W z + b) and it reads z at every step (MusicVAE
    feeds it zeros; reading z, as the flat decoder does, keeps it from forgetting z)."""

    teacher_forced = True

    def __init__(self, vocab_size: int, *, length: int, segment_steps: int, embedding_dim: int,
                 hidden_size: int, latent_dim: int, word_dropout: float = 0.0,
                 scheduled_sampling: float = 0.0) -> None:
        super().__init__()
        if length % segment_steps or length < segment_steps:
            raise ConfigError(f"a hierarchical decoder needs whole bars of {segment_steps} "
                              f"steps; sequences have {length}")
        self.vocab_size, self.length, self.segment_steps = vocab_size, length, segment_steps
        self.segments = length // segment_steps
        self.pad_token = None  # melodies only: never padded
        self.conductor_state = nn.Linear(latent_dim, 2 * hidden_size)
        self.conductor = init_lstm_(nn.LSTM(latent_dim, hidden_size, batch_first=True))
        self.segment = LSTMDecoder(vocab_size, length=segment_steps, embedding_dim=embedding_dim,
                                   hidden_size=hidden_size, latent_dim=hidden_size,
                                   word_dropout=word_dropout,
                                   scheduled_sampling=scheduled_sampling)

    def embeddings(self, z: torch.Tensor) -> torch.Tensor:
        """The conductor's output for each segment: (B, D) -> (B * U, H), batch-major."""
        h, c = torch.tanh(self.conductor_state(z)).chunk(2, dim=-1)  # (B, H) each
        state = (h.unsqueeze(0).contiguous(), c.unsqueeze(0).contiguous())
        inputs = z.unsqueeze(1).expand(-1, self.segments, -1)  # (B, U, D)
        out, _ = self.conductor(inputs, state)  # (B, U, H)
        return out.reshape(-1, out.shape[-1])

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        bars = x.reshape(b * self.segments, self.segment_steps)  # (B * U, S)
        logits = self.segment(self.embeddings(z), bars)  # (B * U, S, V)
        return logits.reshape(b, self.length, -1)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, *, temperature: float = 0.0, max_len: int | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Tokens (B, T): every segment decoded from its embedding (as LSTMDecoder.generate),
        all segments at once; `max_len` may shorten the melody, not lengthen it."""
        steps = self.length if max_len is None else int(max_len)
        if not 1 <= steps <= self.length:
            raise ValueError(f"max_len must be in 1..{self.length} for a hierarchical "
                             f"decoder, got {max_len}")
        bars = self.segment.generate(self.embeddings(z), temperature=temperature,
                                     generator=generator)  # (B * U, S)
        return bars.reshape(z.shape[0], self.length)[:, :steps]


def _parameter_count(v: int, e: int, h: int, d: int, hierarchical: bool = False) -> int:
    encoder = v * e + 2 * 4 * h * (e + h + 2) + 2 * (2 * h + 1) * d

    def flat(latent: int) -> int:  # LSTM weights: 4H (inputs + H + 2 biases)
        return (v + 2) * e + (latent + 1) * 2 * h + 4 * h * (e + latent + h + 2) + (h + 1) * v

    if hierarchical:  # the conductor, then a flat decoder reading its H-wide output
        return encoder + (d + 1) * 2 * h + 4 * h * (d + h + 2) + flat(h)
    return encoder + flat(d)


def build_parts(cfg: ModelConfig) -> tuple[LSTMEncoder, nn.Module]:
    """The 'lstm' architecture (vaekit.models.build): encoder and decoder for `cfg`."""
    if cfg.vocab_size is None or cfg.input_shape is None or len(cfg.input_shape) != 1:
        raise ConfigError("model.arch=lstm needs model.vocab_size and a 1-D model.input_shape "
                          "(they come from sequence data at training)")
    hierarchical = cfg.decoder == "hierarchical"
    sizes = (cfg.vocab_size, cfg.embedding_dim, cfg.rnn_hidden, cfg.latent_dim)
    count = _parameter_count(*sizes, hierarchical=hierarchical)
    if count > MAX_PARAMETERS:
        raise ConfigError(f"the configured model would have {count:,} "
                          f"parameters (limit {MAX_PARAMETERS:,}); reduce model.rnn_hidden, "
                          "model.embedding_dim or model.latent_dim")
    text = cfg.pad_token is not None  # text pads its lines; melodies are never padded
    encoder = LSTMEncoder(cfg.vocab_size, embedding_dim=cfg.embedding_dim,
                          hidden_size=cfg.rnn_hidden, latent_dim=cfg.latent_dim,
                          pad_token=cfg.pad_token)
    if hierarchical:
        if text:
            raise ConfigError("model.decoder=hierarchical decodes melodies bar by bar; text "
                              "runs use the flat decoder")
        return encoder, HierarchicalLSTMDecoder(
            cfg.vocab_size, length=cfg.input_shape[0], segment_steps=STEPS_PER_BAR,
            embedding_dim=cfg.embedding_dim, hidden_size=cfg.rnn_hidden,
            latent_dim=cfg.latent_dim, word_dropout=cfg.word_dropout,
            scheduled_sampling=cfg.scheduled_sampling)
    decoder = LSTMDecoder(cfg.vocab_size, length=cfg.input_shape[0],
                          embedding_dim=cfg.embedding_dim, hidden_size=cfg.rnn_hidden,
                          latent_dim=cfg.latent_dim, word_dropout=cfg.word_dropout,
                          pad_token=cfg.pad_token, end_token=TEXT_EOS if text else None,
                          dropout_token=TEXT_UNK if text else None,
                          scheduled_sampling=cfg.scheduled_sampling,
                          reads_z=cfg.decoder != "language_model")
    return encoder, decoder
