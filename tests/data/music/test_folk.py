"""Tests for vaekit.data.music.folk: the folk collections of music21's corpus, the
cache, and the `folk` dataset. Only a few tunes are parsed here; the full corpus is
loaded only when it is already cached (parsing it takes minutes)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from vaekit.config import DataConfig
from vaekit.data.music import folk
from vaekit.data.music.events import HOLD
from vaekit.data.registry import dataset_names, load_dataset
from vaekit.errors import DataError


def tune(body: str) -> str:
    return f"X:1\nT:test\nM:4/4\nL:1/8\nK:C\n{body}\n"


def test_unknown_collection():
    with pytest.raises(DataError, match="unknown folk collection 'bach'"):
        folk.collection_files("bach")


class _Opened:
    """Every path opened in this process while `active` (sys.addaudithook: also files
    opened by music21 or C code). Audit hooks cannot be removed, hence the switch."""

    active = False
    paths: list[str] = []

    @classmethod
    def hook(cls, event, args):
        if cls.active and event == "open" and isinstance(args[0], str | bytes | Path):
            cls.paths.append(str(args[0]))


sys.addaudithook(_Opened.hook)


def test_no_bach_chorale_is_ever_read(tmp_path, monkeypatch):
    # The Bach chorales are held back to test generalisation: converting tunes of every
    # collection (and listing all their files) must not open a file under corpus/bach.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    _Opened.paths.clear()
    _Opened.active = True
    try:
        for name in folk.COLLECTIONS:
            assert folk.collection_files(name)
            found = folk.convert_collection(name, max_tunes=2)
            assert len(found.events) == 2
    finally:
        _Opened.active = False
    corpus = Path(folk.corpus_root())
    opened = [Path(p).resolve() for p in _Opened.paths]
    assert any(p.is_relative_to(corpus) for p in opened)  # the hook saw the corpus reads
    bach = corpus / "bach"
    assert not [p for p in opened if p.is_relative_to(bach)]


def test_a_collection_linked_into_bach_is_refused(tmp_path, monkeypatch):
    (tmp_path / "bach").mkdir()
    (tmp_path / "bach" / "chorale.abc").write_text(tune("C8 |"))
    (tmp_path / "folk").symlink_to(tmp_path / "bach")
    monkeypatch.setitem(folk.COLLECTIONS, "ryans", "folk")
    with pytest.raises(DataError, match="refusing to read"):
        folk.collection_files("ryans", root=tmp_path)


def few_files(monkeypatch, files):
    """Make the `ryans` collection just `files` (one tune each) for quick loads."""
    monkeypatch.setattr(folk, "collection_files", lambda name, *, root=None: list(files))


def test_cache_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    few_files(monkeypatch, folk.collection_files("ryans")[:3])
    seen = []
    cold = folk.load_folk_tunes(collections=("ryans",), progress=seen.append)
    assert len(cold) == 3 and seen[-1] == folk.FolkProgress("ryans", 3, 3, from_cache=False)
    path = folk.cache_path("ryans")
    assert path.is_file() and path.is_relative_to(tmp_path / "vaekit" / "folk")
    with np.load(path, allow_pickle=False) as npz:  # plain arrays, nothing pickled
        assert all(npz[key].dtype != object for key in npz.files)

    def no_parsing(*args, **kwargs):
        raise AssertionError("a warm load must not parse ABC")

    monkeypatch.setattr(folk, "convert_collection", no_parsing)
    seen.clear()
    warm = folk.load_folk_tunes(collections=("ryans",), progress=seen.append)
    assert seen == [folk.FolkProgress("ryans", 3, 3, from_cache=True)]
    assert warm.names == cold.names and warm.skipped == cold.skipped
    assert all(np.array_equal(a, b) for a, b in zip(warm.events, cold.events))
    assert all(a.dtype == np.int64 for a in warm.events)
    np.testing.assert_array_equal(warm.time_signatures, cold.time_signatures)


def test_cache_key_follows_music21_version_and_settings(monkeypatch):
    import music21

    base = folk.cache_path("essen")
    assert music21.__version__ in base.name
    assert folk.cache_path("essen", steps_per_quarter=2) != base
    assert folk.cache_path("oneills") != base
    monkeypatch.setattr(music21, "__version__", "99.0.0")
    assert folk.cache_path("essen") != base


def test_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    few_files(monkeypatch, folk.collection_files("ryans")[:2])
    path = folk.cache_path("ryans")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x03\x04 not really an npz")
    assert len(folk.load_folk_tunes(collections=("ryans",))) == 2
    assert len(folk.load_folk_tunes(collections=("ryans",))) == 2  # now from the cache


def test_duplicate_tunes_are_dropped(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = folk.collection_files("ryans")[0]
    few_files(monkeypatch, [first, first])
    tunes = folk.load_folk_tunes(collections=("ryans",), use_cache=False)
    assert len(tunes) == 1 and tunes.duplicates == 1


def test_folk_is_a_named_dataset_without_a_path():
    assert "folk" in dataset_names()
    with pytest.raises(DataError, match="takes no path"):
        load_dataset("folk", config=DataConfig(name="folk", path="/tmp"))


def _cached() -> bool:
    return all(folk.cache_path(name).is_file() for name in folk.COLLECTIONS)


@pytest.mark.skipif(not _cached(), reason="the folk corpus is not cached yet: parsing it "
                    "takes minutes (python -c 'from vaekit.data.music.folk import "
                    "load_folk_tunes; load_folk_tunes()')")
def test_full_corpus_from_the_cache():
    tunes = folk.load_folk_tunes()
    assert len(tunes) > 11_000 and sum(tunes.skipped.values()) < 10
    assert not any("bach" in name for name in tunes.names)
    data = load_dataset("folk")
    assert data.kind == "melody" and data.input_shape == (32,)
    assert len(data.train) > 100_000 and len(data.test) > 10_000
    assert int(data.train.x.max()) < 90 and not (data.test.x[:, 0] == HOLD).any()
