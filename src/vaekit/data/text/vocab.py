"""Text lines as padded token-id arrays for sentence VAEs: a vocabulary and a line reader.

Tokenisation has two levels:

* ``"char"``: every character (including spaces and punctuation) is one token, and
  :meth:`Vocabulary.decode` joins tokens with nothing in between, so it is lossless for
  characters in the vocabulary;
* ``"word"``: the line is lower-cased, then split into runs of word characters (letters,
  digits, ``_``; an apostrophe inside a word keeps it whole, so ``"we'll"`` is one token)
  and single punctuation marks; whitespace only separates tokens. Decoding joins tokens
  with single spaces (``"Speak, speak."`` -> ``"speak , speak ."``).

Ids 0..3 are the special tokens ``<pad>``, ``<bos>``, ``<eos>`` and ``<unk>``; a token not
in the vocabulary encodes as ``<unk>``. Every problem with a file or a stored vocabulary
raises :class:`vaekit.errors.DataError` with a one-line message naming it.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vaekit.errors import DataError
from vaekit.fileio import atomic_write_bytes, read_bounded

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIAL_TOKENS = ("<pad>", "<bos>", "<eos>", "<unk>")
LEVELS = ("char", "word")
VOCAB_FORMAT = "vaekit.vocabulary"
VOCAB_VERSION = 1
MAX_TEXT_BYTES = 64 * 2**20  # far above Tiny Shakespeare (1.1 MB); refuse absurd files
MAX_VOCAB_JSON_BYTES = 64 * 2**20

# A word is a run of word characters, possibly joined by inner apostrophes ("o'er");
# anything else that is not whitespace is a one-character punctuation token.
_WORD_RE = re.compile(r"\w+(?:'\w+)*|[^\w\s]")


# ---------------------------------------------------------------------------- helpers


def tokenize(line: str, *, level: str) -> list[str]:
    """The tokens of `line` at `level` ("char" or "word"; see the module docstring)."""
    if level == "char":
        return list(line)
    if level == "word":
        return _WORD_RE.findall(line.lower())
    raise ValueError(f"level must be 'char' or 'word', got {level!r}")


def _check_tokens(tokens: Sequence[object], level: str) -> None:
    """DataError unless `tokens` starts with the specials and holds unique valid tokens."""
    if tuple(tokens[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
        raise DataError(f"vocabulary must start with the special tokens {list(SPECIAL_TOKENS)}")
    seen: set[str] = set()
    for i, token in enumerate(tokens):
        if not isinstance(token, str):
            raise DataError(f"vocabulary token {i} is a {type(token).__name__}, not a string")
        if token in seen:
            raise DataError(f"vocabulary token {token!r} appears twice")
        seen.add(token)
        if i < len(SPECIAL_TOKENS):
            continue
        # A token that its own tokeniser could never produce is a sign of a corrupt file.
        if level == "char" and len(token) != 1:
            raise DataError(f"char vocabulary token {i} ({token!r}) is not one character")
        if level == "word" and _WORD_RE.findall(token) != [token]:
            raise DataError(f"word vocabulary token {i} ({token!r}) is not a single word token")


# ---------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Vocabulary:
    """Token <-> id mapping. ``tokens[i]`` is the token of id i; ids 0..3 are specials."""

    tokens: tuple[str, ...]
    level: str = "char"
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise DataError(f"vocabulary level must be 'char' or 'word', got {self.level!r}")
        object.__setattr__(self, "tokens", tuple(self.tokens))
        _check_tokens(self.tokens, self.level)
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(self.tokens)})

    def __len__(self) -> int:
        return len(self.tokens)

    @classmethod
    def build(
        cls,
        lines: Iterable[str],
        *,
        level: str = "char",
        max_size: int | None = None,
        min_count: int = 1,
    ) -> Vocabulary:
        """The vocabulary of `lines`: specials, then tokens by falling count, ties by token.

        Tokens seen fewer than `min_count` times are left out; `max_size` caps the total
        size, the 4 special tokens included (so it must be at least 4).
        """
        if level not in LEVELS:
            raise ValueError(f"level must be 'char' or 'word', got {level!r}")
        if max_size is not None and (not isinstance(max_size, int) or max_size < 4):
            raise ValueError(f"max_size must be an int >= 4 (the specials), got {max_size!r}")
        if not isinstance(min_count, int) or min_count < 1:
            raise ValueError(f"min_count must be a positive int, got {min_count!r}")
        counts: Counter[str] = Counter()
        for line in lines:
            counts.update(tokenize(line, level=level))
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        words = [token for token, count in ranked if count >= min_count]
        if max_size is not None:
            words = words[: max_size - len(SPECIAL_TOKENS)]
        return cls(tokens=SPECIAL_TOKENS + tuple(words), level=level)

    def encode(self, line: str) -> list[int]:
        """Token ids of `line` (no <bos>/<eos>); unknown tokens become <unk> (3)."""
        index = self._index
        return [index.get(token, UNK) for token in tokenize(line, level=self.level)]

    def decode(self, ids: Iterable[int]) -> str:
        """The text of `ids`: stops at the first <eos>, skips <pad> and <bos>.

        <unk> is rendered as the text ``<unk>``. Raises DataError for an id that is not in
        the vocabulary.
        """
        pieces: list[str] = []
        for raw in ids:
            i = int(raw)
            if i == EOS:
                break
            if i in (PAD, BOS):
                continue
            if not 0 <= i < len(self.tokens):
                raise DataError(f"token id {i} is outside the vocabulary (size {len(self)})")
            pieces.append(self.tokens[i])
        return ("" if self.level == "char" else " ").join(pieces)

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict: format, version, level and the token list (id = position)."""
        return {
            "format": VOCAB_FORMAT,
            "version": VOCAB_VERSION,
            "level": self.level,
            "tokens": list(self.tokens),
        }

    @classmethod
    def from_json(cls, data: object) -> Vocabulary:
        """A vocabulary from :meth:`to_json`'s dict; DataError for anything malformed."""
        if not isinstance(data, Mapping):
            raise DataError(f"vocabulary JSON must be an object, got {type(data).__name__}")
        expected = {"format", "version", "level", "tokens"}
        keys = set(data.keys())
        if keys != expected:
            missing, extra = sorted(map(str, expected - keys)), sorted(map(str, keys - expected))
            raise DataError(f"vocabulary JSON keys: missing {missing}, unexpected {extra}")
        if data["format"] != VOCAB_FORMAT:
            raise DataError(f"vocabulary JSON format is {data['format']!r}, not {VOCAB_FORMAT!r}")
        version = data["version"]
        if isinstance(version, bool) or version != VOCAB_VERSION:
            raise DataError(f"vocabulary JSON version {version!r} is not supported")
        level, tokens = data["level"], data["tokens"]
        if not isinstance(level, str) or level not in LEVELS:
            raise DataError(f"vocabulary level must be 'char' or 'word', got {level!r}")
        if not isinstance(tokens, list):
            raise DataError(f"vocabulary tokens must be a list, got {type(tokens).__name__}")
        return cls(tokens=tuple(tokens), level=level)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the vocabulary as UTF-8 JSON (e.g. vocab.json), atomically."""
        # ASCII escapes keep any token (even a lone surrogate) writable as UTF-8.
        text = json.dumps(self.to_json(), indent=1) + "\n"
        atomic_write_bytes(Path(path), text.encode("utf-8"))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Vocabulary:
        """A vocabulary saved by :meth:`save`; DataError naming the file if it is unusable."""
        path = Path(path)
        raw = read_bounded(path, limit=MAX_VOCAB_JSON_BYTES, what="vocabulary")
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: not UTF-8 (byte offset {exc.start})") from None
        except (ValueError, RecursionError) as exc:
            raise DataError(f"{path}: not valid JSON ({exc})") from None
        try:
            return cls.from_json(data)
        except DataError as exc:
            raise DataError(f"{path}: {exc}") from None


# ---------------------------------------------------------------------------- lines


def read_text_lines(
    path: str | os.PathLike[str],
    *,
    min_len: int = 1,
    max_len: int | None = None,
    max_lines: int | None = None,
) -> list[str]:
    """The stripped lines of a UTF-8 text file, in order, keeping lengths in range.

    Lines end at ``\\n``, ``\\r\\n`` or ``\\r``; a leading byte-order mark is ignored.
    Leading and trailing whitespace is stripped, then lines shorter than `min_len` or
    longer than `max_len` characters are dropped (the default `min_len=1` drops empty
    lines); `max_lines` stops after that many kept lines. Files larger than 64 MiB, files
    that are not UTF-8 (the message gives the byte offset) and files with no line left
    raise DataError.
    """
    if not isinstance(min_len, int) or min_len < 0:
        raise ValueError(f"min_len must be a non-negative int, got {min_len!r}")
    if max_len is not None and (not isinstance(max_len, int) or max_len < min_len):
        raise ValueError(f"max_len must be an int >= min_len, got {max_len!r}")
    if max_lines is not None and (not isinstance(max_lines, int) or max_lines < 1):
        raise ValueError(f"max_lines must be a positive int, got {max_lines!r}")
    path = Path(path)
    raw = read_bounded(path, limit=MAX_TEXT_BYTES, what="text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (invalid byte at offset {exc.start})") from None
    text = text.removeprefix("\ufeff")
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.strip()
        if len(line) < min_len or (max_len is not None and len(line) > max_len):
            continue
        lines.append(line)
        if max_lines is not None and len(lines) >= max_lines:
            break
    if not lines:
        raise DataError(f"{path}: no line of {min_len}..{max_len or 'any'} characters")
    return lines


def encode_lines(
    lines: Iterable[str], vocab: Vocabulary, *, max_len: int, truncate: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Lines as a padded int64 array (N, max_len + 2) and their lengths (N,).

    Each row is ``<bos> t_1 .. t_k <eos> <pad> ..``, with k <= `max_len` tokens;
    ``lengths[i]`` counts the real tokens, <bos> and <eos> included, so
    ``tokens[i, :lengths[i]]`` is the sequence and the rest is padding. A line with more
    than `max_len` tokens is dropped (the default, so no sentence is cut mid-way) or, with
    ``truncate=True``, cut to its first `max_len` tokens. N may be 0.
    """
    if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1:
        raise ValueError(f"max_len must be a positive int, got {max_len!r}")
    rows: list[list[int]] = []
    for line in lines:
        ids = vocab.encode(line)
        if len(ids) > max_len:
            if not truncate:
                continue
            ids = ids[:max_len]
        rows.append(ids)
    tokens = np.full((len(rows), max_len + 2), PAD, dtype=np.int64)
    lengths = np.empty(len(rows), dtype=np.int64)
    for i, ids in enumerate(rows):
        tokens[i, 0] = BOS
        tokens[i, 1 : len(ids) + 1] = ids
        tokens[i, len(ids) + 1] = EOS
        lengths[i] = len(ids) + 2
    return tokens, lengths
