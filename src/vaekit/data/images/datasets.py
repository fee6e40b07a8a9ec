"""Image datasets: files -> Dataset whose splits hold the images as uint8 (N, C, H, W) and
give them as float32 in [0, 1] when read (`Split.x`, `Split.batch`). Image folders are
decoded once into a memory-mapped cache (vaekit.data.images.cache)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from vaekit.config import DataConfig
from vaekit.data.dataset import Dataset, Split, random_split
from vaekit.data.images.idx import KNOWN_SHA256, read_known_idx
from vaekit.data.locate import cache_dir, download, find_dir, find_file, not_found, search_dirs
from vaekit.errors import DataError

IDX_STEMS = {
    "train_x": "train-images-idx3-ubyte",
    "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte",
    "test_y": "t10k-labels-idx1-ubyte",
}
DOWNLOAD_URLS = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion-mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
}
DIGIT_NAMES = tuple(str(i) for i in range(10))
LABEL_NAMES = {
    "mnist": DIGIT_NAMES,
    "fashion-mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}
CIFAR10_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                 "ship", "truck")
OLIVETTI_TEST_SUBJECTS = 8  # of 40 people: the test faces belong to people never trained on


def to_unit(images: np.ndarray, scale: float = 255.0) -> torch.Tensor:
    """(N, H, W) or (N, H, W, C) integers -> (N, C, H, W) float32 in [0, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(images)).float().div_(scale)
    if x.ndim == 3:
        return x.unsqueeze(1)
    return x.permute(0, 3, 1, 2).contiguous()


def to_pixels(images: np.ndarray) -> torch.Tensor:
    """(N, H, W) or (N, H, W, C) uint8 -> (N, C, H, W) uint8, contiguous."""
    x = torch.from_numpy(np.ascontiguousarray(images))
    if x.ndim == 3:
        return x.unsqueeze(1)
    return x.permute(0, 3, 1, 2).contiguous()


def pixel_split(images: np.ndarray, labels=None, attrs=None, scale: float = 255.0) -> Split:
    """A Split holding uint8 images, read as images / scale."""
    return Split(to_pixels(images), _labels(labels), attrs or {}, scale=scale)


def _labels(y: np.ndarray | None) -> torch.Tensor | None:
    return None if y is None else torch.from_numpy(np.asarray(y, dtype=np.int64))


def load_idx_dataset(name: str, cfg: DataConfig, path: str | None) -> Dataset:
    """MNIST or Fashion-MNIST from the four official IDX files, checksums verified."""
    dirs = search_dirs(name, path or cfg.path)
    arrays: dict[str, np.ndarray] = {}
    for key, stem in IDX_STEMS.items():
        file = find_file(dirs, f"{stem}.gz", stem) or download(
            DOWNLOAD_URLS[name] + f"{stem}.gz",
            cache_dir() / name / f"{stem}.gz",
            KNOWN_SHA256[name][stem][0],
        )
        if file is None:
            raise not_found(f"{name}: file {stem}.gz", dirs)
        arrays[key] = read_known_idx(file, name, stem)
    for split in ("train", "test"):
        x, y = arrays[f"{split}_x"], arrays[f"{split}_y"]
        if x.ndim != 3 or y.ndim != 1 or x.shape[0] != y.shape[0]:
            raise DataError(f"{name}: {split} images {x.shape} do not match labels {y.shape}")
    return Dataset(
        name=name,
        train=pixel_split(arrays["train_x"], arrays["train_y"]),
        test=pixel_split(arrays["test_x"], arrays["test_y"]),
        label_names=LABEL_NAMES[name],
        levels=256,
    )


def load_digits(cfg: DataConfig, path: str | None) -> Dataset:
    """scikit-learn's bundled 8x8 digits (1,797 images, values 0..16), split 1500/297."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise DataError(
            "the 'digits' dataset needs scikit-learn: pip install 'vaekit[digits]'"
        ) from None
    bunch = sklearn_digits()
    images = torch.from_numpy(bunch.images.astype(np.float32) / 16.0).unsqueeze(1)
    labels = torch.from_numpy(bunch.target.astype(np.int64))
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))
    train, test = order[:1500], order[1500:]
    return Dataset(
        name="digits",
        train=Split(images[train], labels[train]),
        test=Split(images[test], labels[test]),
        label_names=DIGIT_NAMES,
        levels=17,  # sklearn's digits count pixels 0..16
    )


def load_olivetti(cfg: DataConfig, path: str | None) -> Dataset:
    """Olivetti faces, 64x64 grey, with glasses labels. The split is by person: the test
    faces belong to 8 of the 40 people, never seen in training."""
    from vaekit.data.images.faces import read_olivetti, split_by_subject

    dirs = search_dirs("faces", path or cfg.path)
    file = find_file(dirs, "olivetti_faces.npz")
    if file is None:
        raise not_found("olivetti_faces.npz", dirs)
    faces = read_olivetti(file)
    split = split_by_subject(faces.subject_ids, test_subjects=OLIVETTI_TEST_SUBJECTS, seed=0)
    glasses = torch.from_numpy(faces.glasses.astype(np.int64))
    subject = torch.from_numpy(faces.subject_ids.astype(np.int64))
    full = Split(to_pixels(faces.images), glasses, {"glasses": glasses, "subject": subject},
                 scale=float(faces.scale))
    return Dataset(
        name="olivetti",
        train=full.select(torch.from_numpy(split.train)),
        test=full.select(torch.from_numpy(split.test)),
        label_names=("no glasses", "glasses"),
        levels=faces.scale + 1,  # pixels 0..242
    )


def _cached(paths, names, cfg: DataConfig, source: str, progress) -> tuple[Split, str]:
    """The files decoded (once, into the cache) as a Split of uint8 pixels, and a note on
    what was done to them."""
    from vaekit.data.images.cache import cached_images
    from vaekit.data.images.decode import describe_fit
    from vaekit.data.images.folders import target_size

    size = target_size(cfg.image_size, paths[0], cfg.fit)
    cached = cached_images(paths, names, size=size, channels=cfg.channels, fit=cfg.fit,
                           source=source, progress=progress)
    gb = cached.pixels.numel() / 1e9
    note = (f"{source}: {describe_fit(cached.sizes, size, cfg.fit)}; "
            + (f"decoded into the cache {cached.path} ({gb:.2f} GB, uint8)" if cached.built
               else f"read from the cache {cached.path} ({gb:.2f} GB, uint8, memory-mapped)"))
    return Split(cached.pixels, scale=255.0), note


def load_folder(cfg: DataConfig, path: str | None, progress=None) -> Dataset:
    """A folder of PNG/JPEG images (class subfolders optional), fitted to data.image_size
    as data.fit says, grey or RGB (data.channels), decoded once into the image cache; a
    seeded random test split (`random_split`)."""
    from vaekit.data.images.folders import list_image_folder

    folder = path or cfg.path
    if not folder:
        raise DataError("folder datasets need a path: --data folder:PATH")
    folder = str(Path(folder).expanduser().resolve())
    listing = list_image_folder(folder)
    source = f"folder:{folder}"
    pixels, note = _cached(listing.paths, listing.names, cfg, source, progress)
    full = Split(pixels.data, _labels(listing.labels), scale=255.0)
    train, test = random_split(len(full), cfg.test_fraction)
    return Dataset(
        name=source,
        train=full.select(train),
        test=full.select(test),
        label_names=tuple(listing.class_names) or None,
        levels=256,
        source=source,
        notes=(note,),
    )


def load_celeba(cfg: DataConfig, path: str | None, progress=None) -> Dataset:
    """A CelebA-style folder (list_attr_celeba.txt + images), decoded once into the image
    cache; attributes become attrs (0/1 per example), usable for attribute vectors."""
    from vaekit.data.images.folders import celeba_image_dir, read_celeba_attributes

    folder = path or cfg.path
    if not folder:
        raise DataError("CelebA-style datasets need a path: --data celeba:PATH")
    folder = str(Path(folder).expanduser().resolve())
    image_dir = celeba_image_dir(folder)
    table = read_celeba_attributes(Path(folder) / "list_attr_celeba.txt")
    source = f"celeba:{folder}"
    pixels, note = _cached([image_dir / n for n in table.filenames], table.filenames, cfg,
                           source, progress)
    attrs = {name: torch.from_numpy((table.values[:, i] > 0).astype(np.int64))
             for i, name in enumerate(table.attribute_names)}
    full = Split(pixels.data, None, attrs, scale=255.0)
    train, test = random_split(len(full), cfg.test_fraction)
    return Dataset(name=source, train=full.select(train), test=full.select(test),
                   levels=256, source=source, notes=(note,))


def load_svhn(cfg: DataConfig, path: str | None) -> Dataset:
    """SVHN cropped digits: train_32x32.mat and test_32x32.mat (RGB 32x32)."""
    from vaekit.data.images.archives import read_svhn_mat

    dirs = search_dirs("svhn", path or cfg.path)
    splits = {}
    for split in ("train", "test"):
        file = find_file(dirs, f"{split}_32x32.mat")
        if file is None:
            raise not_found(f"svhn: {split}_32x32.mat", dirs)
        images, labels = read_svhn_mat(file)
        splits[split] = pixel_split(images, labels)
    return Dataset(name="svhn", train=splits["train"], test=splits["test"],
                   label_names=DIGIT_NAMES, levels=256)


def load_cifar10(cfg: DataConfig, path: str | None) -> Dataset:
    """CIFAR-10 in its binary format (cifar-10-batches-bin); never the pickled one."""
    from vaekit.data.images.archives import read_cifar10_batches

    dirs = search_dirs("cifar10", path or cfg.path)
    folder = find_dir(dirs, "cifar-10-batches-bin") or find_dir(
        [d for d in dirs if (d / "test_batch.bin").is_file()]
    )
    if folder is None:
        raise not_found("cifar10: cifar-10-batches-bin/", dirs)
    train = read_cifar10_batches(folder, split="train")
    test = read_cifar10_batches(folder, split="test")
    return Dataset(
        name="cifar10",
        train=pixel_split(train.images, train.labels),
        test=pixel_split(test.images, test.labels),
        label_names=CIFAR10_NAMES,
        levels=256,
    )
