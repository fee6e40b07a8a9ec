"""Folk tunes shipped with music21 (ABC notation) as melody events: the `folk` dataset.

music21's corpus holds three large collections of monophonic tunes, about ten times the
1,034 Nottingham tunes, and needs no download:

* ``essen``: the Essen folksong collection (Schaffrath; ABC by Seymour Shlien), mostly
  German, Chinese and other European songs, 31 files of up to 700 tunes;
* ``oneills``: O'Neill's *Music of Ireland* (1850 tunes, 1903), 39 files;
* ``ryans``: *Ryan's Mammoth Collection* (1883), one file per tune.

Never read: the Bach chorales (corpus folder ``bach``), held back to test generalisation;
music21's own ``nottingham-dataset`` excerpt (it would leak into our `nottingham` test
split); and Essen's ``test*.abc`` files, music21's parser fixtures, which repeat tunes
found elsewhere in the collection.

Each tune is converted by vaekit.data.music.abc.abc_tune_to_events (the rules are there:
ties, grace notes, chords, triplets, pickups; repeats are not expanded). Every metre is
kept and windows still count bars as 16 steps, as for Nottingham (each tune's first time
signature is kept, so a caller can filter). A tune that cannot be converted is skipped
and counted (FolkTunes.skipped).

Parsing about 12,000 tunes takes minutes, so each collection's events are cached once in
the user cache (``vaekit.data.locate.cache_dir() / "folk"``), keyed by the music21 version
and the conversion settings, as ``.npz`` read back with ``allow_pickle=False``.

music21 is an optional extra: ``pip install 'vaekit[folk]'``.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vaekit.data.locate import cache_dir
from vaekit.data.music.abc import abc_tune_to_events, require_music21, split_abc_tunes
from vaekit.data.music.events import NUM_CLASSES
from vaekit.data.music.midi import check_steps_per_quarter
from vaekit.errors import DataError
from vaekit.fileio import atomic_write_bytes, read_bounded

# name -> folder under music21's corpus
COLLECTIONS: dict[str, str] = {
    "essen": "essenFolksong",
    "oneills": "oneills1850",
    "ryans": "ryansMammoth",
}
HELD_OUT_FOLDERS = ("bach",)  # corpus folders never read (see the module docstring)
CONVERSION_VERSION = 2  # bump when the conversion rules change: old caches are then unused
MAX_ABC_BYTES = 4 * 2**20  # the largest corpus file is about 200 KiB


@dataclass(frozen=True)
class FolkProgress:
    """What a load is doing, for a caller's progress display (a callback gets these)."""

    collection: str
    tunes_done: int
    tunes_total: int
    from_cache: bool


@dataclass(frozen=True, eq=False)
class FolkTunes:
    """Converted tunes: one canonical event array per tune, in a fixed order."""

    events: list[np.ndarray]  # int64 (num_steps,) each
    names: list[str]  # "FOLDER/FILE.abc#K": the K-th tune (from 0) of a corpus file
    collections: list[str]  # the collection name of each tune
    time_signatures: np.ndarray  # int64 (N, 2): the first (numerator, denominator)
    skipped: dict[str, int]  # collection -> tunes that could not be converted
    duplicates: int  # tunes left out because their events equal an earlier tune's

    def __len__(self) -> int:
        return len(self.events)


# ---------------------------------------------------------------------------- helpers


def corpus_root() -> Path:
    """The folder of music21's bundled corpus."""
    return Path(require_music21().common.getCorpusFilePath())


def collection_files(name: str, *, root: Path | None = None) -> list[Path]:
    """The ABC files of a collection, in sorted order; never a held-out folder."""
    if name not in COLLECTIONS:
        raise DataError(f"unknown folk collection {name!r} (valid: {', '.join(COLLECTIONS)})")
    root = (root or corpus_root()).resolve()
    folder = root / COLLECTIONS[name]
    if not folder.is_dir():
        raise DataError(f"{folder}: music21's {name} collection is not there")
    files = sorted(p for p in folder.rglob("*.abc") if p.is_file())
    if name == "essen":  # music21's parser fixtures: repeats of tunes in the collection
        files = [p for p in files if not p.name.startswith("test")]
    for path in files:  # a guard, should a collection ever link into a held-out folder
        target = path.resolve()
        if not target.is_relative_to(root) or target.relative_to(root).parts[0] in \
                HELD_OUT_FOLDERS:
            raise DataError(f"{path}: refusing to read outside the folk collections")
    return files


def _read_abc(path: Path) -> str:
    data = read_bounded(path, limit=MAX_ABC_BYTES, what="ABC")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:  # several corpus files are Latin-1
        return data.decode("latin-1")


@dataclass(frozen=True, eq=False)
class _Collection:
    events: list[np.ndarray]
    names: list[str]
    time_signatures: np.ndarray  # (N, 2)
    skipped: int


def convert_collection(
    name: str,
    *,
    steps_per_quarter: int = 4,
    max_tunes: int | None = None,
    progress: Callable[[FolkProgress], None] | None = None,
) -> _Collection:
    """Parse a collection's tunes with music21 (slow: no cache; see :func:`load_folk_tunes`).

    `max_tunes` stops after that many tunes in file order (tests, quick looks).
    """
    files = collection_files(name)
    texts = [(path, split_abc_tunes(_read_abc(path))) for path in files]
    total = sum(len(tunes) for _, tunes in texts)
    if max_tunes is not None:
        total = min(total, max_tunes)
    events, names, metres = [], [], []
    done = skipped = 0
    for path, tunes in texts:
        for index, abc in enumerate(tunes):
            if done == total:
                break
            tune_name = f"{path.parent.name}/{path.name}#{index}"
            try:
                tune, metre = abc_tune_to_events(
                    abc, steps_per_quarter=steps_per_quarter, name=tune_name
                )
                events.append(tune)
                names.append(tune_name)
                metres.append(metre)
            except DataError:
                skipped += 1
            done += 1
            if progress is not None and (done % 100 == 0 or done == total):
                progress(FolkProgress(name, done, total, from_cache=False))
    signatures = np.array(metres, dtype=np.int64).reshape(-1, 2)
    return _Collection(events, names, signatures, skipped)


# ---------------------------------------------------------------------------- cache


def cache_path(name: str, *, steps_per_quarter: int = 4) -> Path:
    """The cache file of a collection: its key is the music21 version and the settings."""
    settings = {
        "collection": name,
        "folder": COLLECTIONS[name],
        "steps_per_quarter": steps_per_quarter,
        "conversion": CONVERSION_VERSION,
    }
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    version = require_music21().__version__
    return cache_dir() / "folk" / f"{name}-music21-{version}-{key}.npz"


def _save(path: Path, found: _Collection) -> None:
    lengths = np.array([len(e) for e in found.events], dtype=np.int64)
    flat = np.concatenate(found.events) if found.events else np.zeros(0, np.int64)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        events=flat.astype(np.uint8),  # 90 classes fit a byte: an eighth of int64's size
        lengths=lengths,
        names=np.array(found.names, dtype=np.str_),
        time_signatures=found.time_signatures,
        skipped=np.array(found.skipped, dtype=np.int64),
    )
    atomic_write_bytes(path, buffer.getvalue())


def _load(path: Path) -> _Collection | None:
    """A cached collection, or None when the file is missing or not a valid cache."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            flat, lengths = npz["events"], npz["lengths"]
            names = [str(n) for n in npz["names"]]
            signatures, skipped = npz["time_signatures"], int(npz["skipped"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # damaged or from another layout: rebuilt by the caller
    # A whole collection holds more steps than as_events allows one melody: check here.
    valid = (
        flat.ndim == 1 and flat.dtype.kind in "iu" and lengths.dtype.kind in "iu"
        and (flat.size == 0 or int(flat.max()) < NUM_CLASSES) and (lengths > 0).all()
        and int(lengths.sum()) == flat.size
        and len(names) == len(lengths) == len(signatures)
    )
    if not valid:
        return None
    events = np.split(flat.astype(np.int64), np.cumsum(lengths)[:-1]) if len(lengths) else []
    return _Collection(list(events), names, signatures.astype(np.int64), skipped)


def load_folk_tunes(
    *,
    collections: Sequence[str] = tuple(COLLECTIONS),
    steps_per_quarter: int = 4,
    progress: Callable[[FolkProgress], None] | None = None,
    use_cache: bool = True,
) -> FolkTunes:
    """All tunes of `collections`, converted once and then read from the user cache.

    `progress` is called with a :class:`FolkProgress` every 100 tunes while parsing, and
    once per collection read from the cache. Tunes whose events equal an earlier tune's
    (the same tune printed twice) are left out and counted in ``duplicates``, so that no
    tune can sit on both sides of a split.
    """
    check_steps_per_quarter(steps_per_quarter)
    if not collections:
        raise DataError("load_folk_tunes: no collection asked")
    events: list[np.ndarray] = []
    names: list[str] = []
    owners: list[str] = []
    signatures: list[np.ndarray] = []
    skipped: dict[str, int] = {}
    seen: set[bytes] = set()
    duplicates = 0
    for name in collections:
        path = cache_path(name, steps_per_quarter=steps_per_quarter)
        found = _load(path) if use_cache else None
        if found is None:
            found = convert_collection(name, steps_per_quarter=steps_per_quarter,
                                       progress=progress)
            if use_cache:
                _save(path, found)
        elif progress is not None:
            progress(FolkProgress(name, len(found.names), len(found.names), from_cache=True))
        skipped[name] = found.skipped
        for tune, tune_name, metre in zip(found.events, found.names, found.time_signatures):
            digest = hashlib.sha256(tune.tobytes()).digest()
            if digest in seen:
                duplicates += 1
                continue
            seen.add(digest)
            events.append(tune)
            names.append(tune_name)
            owners.append(name)
            signatures.append(metre)
    return FolkTunes(
        events=events,
        names=names,
        collections=owners,
        time_signatures=np.array(signatures, dtype=np.int64).reshape(-1, 2),
        skipped=skipped,
        duplicates=duplicates,
    )
