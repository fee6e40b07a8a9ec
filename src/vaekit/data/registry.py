"""Dataset names -> loaders. Names are plain (`mnist`) or KIND:PATH (`folder:~/pics`,
`npz:faces.npz:images`).

Where the files of named datasets are looked for: see vaekit.data.locate. The name a
dataset records (`Dataset.source`, saved by a run as data.name) reopens it: the user's
folders and arrays are recorded with their absolute path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial

from vaekit.config import DataConfig
from vaekit.data.dataset import Dataset, check_unit_interval
from vaekit.data.images import arrays
from vaekit.data.images import datasets as images
from vaekit.data.music import datasets as melodies
from vaekit.data.text import datasets as texts
from vaekit.errors import DataError

Loader = Callable[[DataConfig, "str | None"], Dataset]
IN_MEMORY = "python"  # python:NAME -- a dataset that was passed from Python; not reopenable

LOADERS: dict[str, Loader] = {
    "mnist": partial(images.load_idx_dataset, "mnist"),
    "fashion-mnist": partial(images.load_idx_dataset, "fashion-mnist"),
    "digits": images.load_digits,
    "olivetti": images.load_olivetti,
    "svhn": images.load_svhn,
    "cifar10": images.load_cifar10,
    "nottingham": melodies.load_nottingham,
    "folk": melodies.load_folk,
    "shakespeare": texts.load_shakespeare,
}
# KIND:PATH forms, for the user's own files
PATH_LOADERS: dict[str, Loader] = {
    "folder": images.load_folder,
    "celeba": images.load_celeba,
    "npz": arrays.load_npz,
    "npy": arrays.load_npy,
    "svhn": images.load_svhn,
    "cifar10": images.load_cifar10,
    "midi": melodies.load_midi,
    "text": texts.load_text,
}
# Loaders that decode many files once into the image cache take a progress callback,
# called with (images done, images in all).
WITH_PROGRESS = ("folder", "celeba")


def dataset_names() -> list[str]:
    return sorted(LOADERS) + [f"{kind}:PATH" for kind in sorted(PATH_LOADERS)]


def load_dataset(
    name: str, *, path: str | None = None, config: DataConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Dataset:
    """Load a dataset by name (see LOADERS / PATH_LOADERS). Images read as float32 in
    [0, 1] (`Split.x`; stored as uint8 where the files hold 8-bit pixels), sequences as
    int64 token classes. `progress(done, total)` reports the decoding of image folders
    the first time they are read."""
    cfg = config or DataConfig(name=name, path=path)
    if path and not cfg.path:
        cfg = DataConfig(**{**cfg.__dict__, "path": path})
    kind, sep, rest = name.partition(":")
    if sep and kind == IN_MEMORY:
        raise DataError(
            f"this run was trained on data passed from Python ({name}); vaekit cannot reopen "
            "it. Use the Python API with the same data, or train from a file source "
            f"(valid: {', '.join(dataset_names())})")
    if sep and kind in PATH_LOADERS:
        if kind in WITH_PROGRESS:
            data = PATH_LOADERS[kind](cfg, rest, progress)
        else:
            data = PATH_LOADERS[kind](cfg, rest)
    elif name in LOADERS:
        data = LOADERS[name](cfg, None)
    else:
        raise DataError(f"unknown dataset {name!r} (valid: {', '.join(dataset_names())})")
    if data.kind == "image":
        for split_name, split in (("train", data.train), ("test", data.test)):
            check_unit_interval(f"{name} {split_name}", split)
    return dataclasses.replace(data, source=data.source or name)
