"""Image datasets: files -> Dataset with x (N, C, H, W) float32 in [0, 1]."""

from __future__ import annotations

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
        train=Split(to_unit(arrays["train_x"]), _labels(arrays["train_y"])),
        test=Split(to_unit(arrays["test_x"]), _labels(arrays["test_y"])),
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
    x = to_unit(faces.images, float(faces.scale))
    glasses = torch.from_numpy(faces.glasses.astype(np.int64))
    subject = torch.from_numpy(faces.subject_ids.astype(np.int64))
    full = Split(x, glasses, {"glasses": glasses, "subject": subject})
    return Dataset(
        name="olivetti",
        train=full.select(torch.from_numpy(split.train)),
        test=full.select(torch.from_numpy(split.test)),
        label_names=("no glasses", "glasses"),
        levels=faces.scale + 1,  # pixels 0..242
    )


def load_folder(cfg: DataConfig, path: str | None) -> Dataset:
    """A folder of PNG/JPEG images (class subfolders optional), resized and centre-cropped
    to data.image_size, grey or RGB (data.channels); a seeded random test split."""
    from vaekit.data.images.folders import read_image_folder

    folder = path or cfg.path
    if not folder:
        raise DataError("folder datasets need a path: --data folder:PATH")
    data = read_image_folder(folder, size=cfg.image_size, channels=cfg.channels)
    train, test = random_split(len(data.images), cfg.test_fraction)
    full = Split(to_unit(data.images), _labels(data.labels))
    return Dataset(
        name=f"folder:{folder}",
        train=full.select(train),
        test=full.select(test),
        label_names=tuple(data.class_names) or None,
        levels=256,
    )


def load_celeba(cfg: DataConfig, path: str | None) -> Dataset:
    """A CelebA-style folder (list_attr_celeba.txt + images); attributes become attrs
    (0/1 per example), usable for attribute vectors."""
    from vaekit.data.images.folders import read_celeba_folder

    folder = path or cfg.path
    if not folder:
        raise DataError("CelebA-style datasets need a path: --data celeba:PATH")
    data = read_celeba_folder(folder, size=cfg.image_size, channels=cfg.channels)
    attrs = {name: torch.from_numpy((data.attributes[:, i] > 0).astype(np.int64))
             for i, name in enumerate(data.attribute_names)}
    full = Split(to_unit(data.images), None, attrs)
    train, test = random_split(len(data.images), cfg.test_fraction)
    return Dataset(name=f"celeba:{folder}", train=full.select(train), test=full.select(test),
                   levels=256)


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
        splits[split] = Split(to_unit(images), _labels(labels))
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
        train=Split(to_unit(train.images), _labels(train.labels)),
        test=Split(to_unit(test.images), _labels(test.labels)),
        label_names=CIFAR10_NAMES,
        levels=256,
    )
