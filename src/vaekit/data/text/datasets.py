"""Text datasets: one example per line, as (N, T) int64 token classes:
<bos> tokens <eos> <pad>..., T = max_len + 2, padding class 0 (see vaekit.data.text.vocab)."""

from __future__ import annotations

from pathlib import Path

import torch

from vaekit.config import DataConfig
from vaekit.data.dataset import Dataset, Split, random_split
from vaekit.data.locate import find_file, not_found, search_dirs
from vaekit.data.text import vocab as text
from vaekit.errors import DataError


def text_dataset(name: str, file: Path, cfg: DataConfig) -> Dataset:
    """Lines of a text file; the vocabulary is built from the training lines only."""
    lines = text.read_text_lines(file)
    train_idx, test_idx = random_split(len(lines), cfg.test_fraction)
    train_lines = [lines[i] for i in train_idx.tolist()]
    test_lines = [lines[i] for i in test_idx.tolist()]
    vocab = text.Vocabulary.build(train_lines, level=cfg.text_level)
    train_x, _ = text.encode_lines(train_lines, vocab, max_len=cfg.max_len)
    test_x, _ = text.encode_lines(test_lines, vocab, max_len=cfg.max_len)
    if len(train_x) == 0 or len(test_x) == 0:
        raise DataError(f"{file}: no lines of at most {cfg.max_len} tokens in a split; "
                        "raise data.max_len")
    return Dataset(
        name=name,
        train=Split(torch.from_numpy(train_x)),
        test=Split(torch.from_numpy(test_x)),
        kind="text",
        vocab_json=vocab.to_json(),
        pad_token=text.PAD,
        vocab_size=len(vocab),
    )


def load_shakespeare(cfg: DataConfig, path: str | None) -> Dataset:
    """Tiny Shakespeare (karpathy/char-rnn), one example per non-empty line."""
    dirs = search_dirs("text", path or cfg.path)
    file = find_file(dirs, "tinyshakespeare.txt", "input.txt")
    if file is None:
        raise not_found("tinyshakespeare.txt", dirs)
    return text_dataset("shakespeare", file, cfg)


def load_text(cfg: DataConfig, path: str | None) -> Dataset:
    file = path or cfg.path
    if not file or not Path(file).is_file():
        raise DataError(f"text:PATH needs a text file (one example per line), got {file!r}")
    return text_dataset(f"text:{file}", Path(file), cfg)
