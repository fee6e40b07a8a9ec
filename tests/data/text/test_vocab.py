"""Tests for vaekit.data.text.vocab: vocabulary, JSON storage, the line reader and encoding."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaekit.data.text import vocab as text
from vaekit.data.text.vocab import (
    BOS,
    EOS,
    PAD,
    UNK,
    Vocabulary,
    encode_lines,
    read_text_lines,
    tokenize,
)
from vaekit.errors import DataError

LINES = ["Speak, speak.", "You are all resolved rather to die than to famish?", "We'll speak."]


def shakespeare(shared_data: Path) -> Path:
    return shared_data / "text" / "tinyshakespeare.txt"


# ---------------------------------------------------------------------------- vocabulary


def test_specials_and_char_round_trip():
    assert (PAD, BOS, EOS, UNK) == (0, 1, 2, 3)
    vocab = Vocabulary.build(LINES, level="char")
    assert vocab.tokens[:4] == ("<pad>", "<bos>", "<eos>", "<unk>")
    assert len(vocab) == 4 + len(set("".join(LINES)))
    for line in LINES:
        ids = vocab.encode(line)
        assert len(ids) == len(line) and min(ids) >= 4
        assert vocab.decode(ids) == line
        # decode skips <bos>/<pad> and stops at the first <eos>
        assert vocab.decode([BOS, *ids, EOS, *ids, PAD]) == line
    assert vocab.encode("Zz") == [UNK, UNK]  # neither letter occurs in LINES
    assert vocab.decode(vocab.encode("sZ")) == "s<unk>"
    with pytest.raises(DataError):
        vocab.decode([len(vocab)])


def test_word_level_tokens_and_round_trip():
    assert tokenize("Speak, speak.", level="word") == ["speak", ",", "speak", "."]
    assert tokenize("We'll  GO--now!", level="word") == ["we'll", "go", "-", "-", "now", "!"]
    assert tokenize("a b", level="char") == ["a", " ", "b"]
    vocab = Vocabulary.build(LINES, level="word")
    # most frequent first: "speak" x3, "." x2, "to" x2; ties broken by the token
    assert vocab.tokens[4:7] == ("speak", ".", "to")
    assert vocab.decode(vocab.encode("Speak, speak.")) == "speak , speak ."
    speak, comma = vocab.tokens.index("speak"), vocab.tokens.index(",")
    assert vocab.encode("SPEAK, Romeo") == [speak, comma, UNK]


def test_build_limits():
    lines = ["aaab", "bbc"]  # counts: a 3, b 3, c 1
    assert Vocabulary.build(lines).tokens[4:] == ("a", "b", "c")
    assert Vocabulary.build(lines, min_count=2).tokens[4:] == ("a", "b")
    assert Vocabulary.build(lines, max_size=5).tokens[4:] == ("a",)
    with pytest.raises(ValueError):
        Vocabulary.build(lines, max_size=3)
    with pytest.raises(ValueError):
        Vocabulary.build(lines, level="byte")


def test_json_and_file_round_trip(tmp_path):
    for level in ("char", "word"):
        vocab = Vocabulary.build(LINES + ["naïve café ☃"], level=level)
        data = vocab.to_json()
        assert json.loads(json.dumps(data)) == data
        assert Vocabulary.from_json(data) == vocab
        path = tmp_path / f"{level}.json"
        vocab.save(path)
        assert Vocabulary.load(path) == vocab
    assert sorted(os.listdir(tmp_path)) == ["char.json", "word.json"]  # no temp files


GOOD = Vocabulary.build(["ab c"], level="char").to_json()

BAD_VOCABS = [
    [],
    "vocab",
    {},
    {**GOOD, "extra": 1},
    {k: v for k, v in GOOD.items() if k != "level"},
    {**GOOD, "format": "something else"},
    {**GOOD, "version": 2},
    {**GOOD, "version": True},
    {**GOOD, "level": "byte"},
    {**GOOD, "level": ["char"]},
    {**GOOD, "tokens": "<pad><bos>"},
    {**GOOD, "tokens": ["<pad>", "<bos>", "<eos>"]},  # <unk> missing
    {**GOOD, "tokens": ["<bos>", "<pad>", "<eos>", "<unk>", "a"]},  # specials out of order
    {**GOOD, "tokens": [*GOOD["tokens"], "a"]},  # duplicate
    {**GOOD, "tokens": [*GOOD["tokens"], 7]},
    {**GOOD, "tokens": [*GOOD["tokens"], None]},
    {**GOOD, "tokens": [*GOOD["tokens"], "xy"]},  # not one character at char level
    {**GOOD, "level": "word", "tokens": [*GOOD["tokens"][:4], "two words"]},
]


@pytest.mark.parametrize("bad", BAD_VOCABS)
def test_malformed_vocab_json_is_a_data_error(bad):
    with pytest.raises(DataError):
        Vocabulary.from_json(bad)


def test_bad_vocab_files_name_the_file(tmp_path):
    cases = {
        "broken.json": b'{"format": ',
        "latin1.json": b'{"x": "caf\xe9"}',
        "wrong.json": json.dumps({**GOOD, "tokens": ["<pad>"]}).encode(),
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(DataError, match=name):
            Vocabulary.load(tmp_path / name)
    with pytest.raises(DataError, match="missing.json"):
        Vocabulary.load(tmp_path / "missing.json")


# ---------------------------------------------------------------------------- lines


def test_read_tiny_shakespeare(shared_data):
    path = shakespeare(shared_data)
    with open(path, encoding="utf-8") as fh:  # independent count with plain Python
        raw = fh.read().split("\n")
    expected = [line.strip() for line in raw if line.strip()]
    assert len(raw) == 40_001  # 40,000 newline-terminated lines, then ""
    lines = read_text_lines(path)
    assert len(lines) == len(expected) == 32_777
    assert lines == expected
    assert lines[:2] == ["First Citizen:", "Before we proceed any further, hear me speak."]
    assert read_text_lines(path, max_lines=3) == expected[:3]
    short = read_text_lines(path, min_len=5, max_len=20)
    assert short == [line for line in expected if 5 <= len(line) <= 20]


def test_line_endings_bom_and_whitespace(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes("\ufeffone\r\n  two  \r\rthree\n\t\n".encode())
    assert read_text_lines(path) == ["one", "two", "three"]


def test_bad_text_files(tmp_path):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(b"fine line\ncaf\xe9\n")
    with pytest.raises(DataError, match=r"latin1\.txt.*offset 13"):
        read_text_lines(latin1)
    blank = tmp_path / "blank.txt"
    blank.write_bytes(b"\n  \n\t\n")
    with pytest.raises(DataError, match="blank.txt"):
        read_text_lines(blank)
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as fh:  # sparse: refused by size before it is read
        fh.truncate(text.MAX_TEXT_BYTES + 1)
    with pytest.raises(DataError, match="more than the"):
        read_text_lines(huge)
    with pytest.raises(DataError, match="missing.txt"):
        read_text_lines(tmp_path / "missing.txt")


def test_encode_lines_pads_drops_or_truncates():
    vocab = Vocabulary.build(["abcd"], level="char")
    a, b, c, d = (vocab.tokens.index(ch) for ch in "abcd")
    tokens, lengths = encode_lines(["ab", "abcd", "", "abcdab"], vocab, max_len=4)
    assert tokens.dtype == np.int64 and lengths.dtype == np.int64
    assert tokens.tolist() == [
        [BOS, a, b, EOS, PAD, PAD],
        [BOS, a, b, c, d, EOS],
        [BOS, EOS, PAD, PAD, PAD, PAD],
    ]  # "abcdab" (6 tokens) is dropped
    assert lengths.tolist() == [4, 6, 2]
    tokens, lengths = encode_lines(["abcdab"], vocab, max_len=4, truncate=True)
    assert tokens.tolist() == [[BOS, a, b, c, d, EOS]] and lengths.tolist() == [6]
    tokens, lengths = encode_lines(["abcdab"], vocab, max_len=3)
    assert tokens.shape == (0, 5) and lengths.shape == (0,)


def test_encode_shakespeare_words(shared_data):
    lines = read_text_lines(shakespeare(shared_data))
    vocab = Vocabulary.build(lines, level="word", max_size=2000)
    tokens, lengths = encode_lines(lines, vocab, max_len=16)
    assert tokens.shape == (len(lengths), 18) and 0 < len(lengths) < len(lines)
    rows = np.arange(len(lengths))
    assert (tokens[:, 0] == BOS).all() and (tokens[rows, lengths - 1] == EOS).all()
    assert ((tokens != PAD).sum(axis=1) == lengths).all()
    assert (tokens == UNK).any()  # max_size leaves rare words out
    assert vocab.decode(tokens[0]) == "first citizen :"


# ---------------------------------------------------------------------------- fuzzing


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "any.txt"


@pytest.mark.fuzz
@given(
    st.one_of(
        st.binary(max_size=300),
        st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    )
)
def test_any_bytes_give_lines_or_a_data_error(fuzz_file, data):
    fuzz_file.write_bytes(data)
    try:
        lines = read_text_lines(fuzz_file)
    except DataError as exc:
        assert "any.txt" in str(exc)
        return
    assert lines and all(line == line.strip() and line for line in lines)
    assert all("\n" not in line and "\r" not in line for line in lines)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)
vocab_like = st.fixed_dictionaries(  # the right keys with wrong-ish values: deeper checks
    {
        "format": st.sampled_from([text.VOCAB_FORMAT, "x"]),
        "version": st.sampled_from([1, 1.0, 2, True, "1"]),
        "level": st.sampled_from(["char", "word", "", None]),
        "tokens": st.one_of(
            json_values,
            st.lists(st.text(max_size=3), max_size=8).map(lambda t: [*text.SPECIAL_TOKENS, *t]),
        ),
    }
)


@pytest.mark.fuzz
@given(st.one_of(json_values, st.dictionaries(st.text(max_size=8), json_values), vocab_like))
def test_any_dict_gives_a_vocabulary_or_a_data_error(data):
    try:
        vocab = Vocabulary.from_json(data)
    except DataError:
        return
    assert Vocabulary.from_json(vocab.to_json()) == vocab


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=6), st.sampled_from(["char", "word"]))
def test_built_vocabularies_are_valid_and_round_trip(lines, level):
    vocab = Vocabulary.build(lines, level=level)
    assert Vocabulary.from_json(json.loads(json.dumps(vocab.to_json()))) == vocab
    for line in lines:
        expected = "".join(line) if level == "char" else " ".join(tokenize(line, level="word"))
        assert vocab.decode(vocab.encode(line)) == expected
