"""The sequence VAE's parts: a bidirectional LSTM encoder and an LSTM decoder.

The same `VAE` as for images (vaekit.models.vae), with other parts: the likelihood is
categorical over token classes (melody events, or text tokens with a padding class).
Architecture after MusicVAE's flat model (Roberts et al. 2018) and the sentence VAE of
Bowman et al. (2016):

* encoder: embedding -> one-layer bidirectional LSTM -> both final states (B, 2H) ->
  dense mean and log-sigma heads (B, D). Padding (text) is skipped by packing;
* decoder: z sets the LSTM's initial state (h0, c0) = tanh(W z + b), AND z is
  concatenated to the input embedding at every step, so the decoder cannot forget it.
  Position t reads [z, token t-1] (a learned start token at t = 0) and predicts token t:
  teacher forcing in `forward`, step by step in `generate`.

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

# Text conventions of vaekit.data.text.vocab (models never import data; a test checks they agree).
TEXT_EOS, TEXT_UNK = 2, 3


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
    """z (B, D) [+ x (B, T) for teacher forcing] -> logits (B, T, V) over token classes."""

    teacher_forced = True  # VAE.decode passes the target x: decoder(z, x)

    def __init__(self, vocab_size: int, *, length: int, embedding_dim: int, hidden_size: int,
                 latent_dim: int, word_dropout: float = 0.0, pad_token: int | None = None,
                 end_token: int | None = None, dropout_token: int | None = None,
                 scheduled_sampling: float = 0.0) -> None:
        super().__init__()
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

    def _inputs(self, tokens: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        zs = z.unsqueeze(1).expand(-1, tokens.shape[1], -1)  # (B, T, D)
        return torch.cat([self.embedding(tokens), zs], dim=-1)  # (B, T, E + D)

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
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




def _parameter_count(v: int, e: int, h: int, d: int) -> int:
    encoder = v * e + 2 * 4 * h * (e + h + 2) + 2 * (2 * h + 1) * d
    decoder = (v + 2) * e + (d + 1) * 2 * h + 4 * h * (e + d + h + 2) + (h + 1) * v
    return encoder + decoder


def build_parts(cfg: ModelConfig) -> tuple[LSTMEncoder, LSTMDecoder]:
    """The 'lstm' architecture (vaekit.models.build): encoder and decoder for `cfg`."""
    if cfg.vocab_size is None or cfg.input_shape is None or len(cfg.input_shape) != 1:
        raise ConfigError("model.arch=lstm needs model.vocab_size and a 1-D model.input_shape "
                          "(they come from sequence data at training)")
    sizes = (cfg.vocab_size, cfg.embedding_dim, cfg.rnn_hidden, cfg.latent_dim)
    if _parameter_count(*sizes) > MAX_PARAMETERS:
        raise ConfigError(f"the configured model would have {_parameter_count(*sizes):,} "
                          f"parameters (limit {MAX_PARAMETERS:,}); reduce model.rnn_hidden, "
                          "model.embedding_dim or model.latent_dim")
    text = cfg.pad_token is not None  # text pads its lines; melodies are never padded
    encoder = LSTMEncoder(cfg.vocab_size, embedding_dim=cfg.embedding_dim,
                          hidden_size=cfg.rnn_hidden, latent_dim=cfg.latent_dim,
                          pad_token=cfg.pad_token)
    decoder = LSTMDecoder(cfg.vocab_size, length=cfg.input_shape[0],
                          embedding_dim=cfg.embedding_dim, hidden_size=cfg.rnn_hidden,
                          latent_dim=cfg.latent_dim, word_dropout=cfg.word_dropout,
                          pad_token=cfg.pad_token, end_token=TEXT_EOS if text else None,
                          dropout_token=TEXT_UNK if text else None,
                          scheduled_sampling=cfg.scheduled_sampling)
    return encoder, decoder
