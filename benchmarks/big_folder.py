"""A synthetic image folder larger than memory allows as float32, for the cache benchmark.

    python benchmarks/big_folder.py make /tmp/big --n 100000 --size 128
    /usr/bin/time -v vaekit train --data folder:/tmp/big --image-size 128 ...
    python benchmarks/big_folder.py remove /tmp/big

100,000 RGB images of 128x128 are 4.9 GB as uint8 and 19.7 GB as float32. Each image is
a smooth colour gradient with a few random discs and rectangles: structured enough to
compress (a few kB per PNG), varied enough that no two are alike. Seeded per image, so the
same command makes the same folder. Five class subfolders, so labels are read too.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

CLASSES = 5


def make_image(index: int, size: int) -> Image.Image:
    rng = np.random.default_rng(index)
    ramp = np.linspace(0.0, 1.0, size, dtype=np.float32)
    a, b = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    t = ramp[:, None] if index % 2 else ramp[None, :]
    pixels = (a + (b - a) * t[..., None]) * np.ones((size, size, 1), np.float32)
    img = Image.fromarray(pixels.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(2, 6))):
        x0, y0 = rng.integers(0, size, 2)
        w, h = rng.integers(size // 8, size // 2, 2)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((int(x0), int(y0), int(x0 + w), int(y0 + h)), fill=colour)
    return img


def make(folder: Path, n: int, size: int) -> None:
    started = time.perf_counter()
    for c in range(CLASSES):
        (folder / f"class{c}").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        path = folder / f"class{i % CLASSES}" / f"{i:06d}.png"
        if not path.exists():
            make_image(i, size).save(path, compress_level=1)
        if (i + 1) % (n // 20 or 1) == 0:
            print(f"{i + 1}/{n} images, {time.perf_counter() - started:.0f} s", flush=True)
    total = sum(p.stat().st_size for p in folder.rglob("*.png"))
    print(f"wrote {n} images of {size}x{size} RGB to {folder} ({total / 1e9:.2f} GB of PNG); "
          f"as uint8 {n * size * size * 3 / 1e9:.1f} GB, as float32 "
          f"{n * size * size * 3 * 4 / 1e9:.1f} GB")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("action", choices=["make", "remove"])
    p.add_argument("folder", type=Path)
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--size", type=int, default=128)
    args = p.parse_args(argv)
    if args.action == "make":
        make(args.folder, args.n, args.size)
    else:
        shutil.rmtree(args.folder)
        print(f"removed {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
