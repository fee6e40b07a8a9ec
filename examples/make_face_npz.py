"""A face set shaped like the Frey faces: one .npz array of 1,965 grey 28x20 uint8 images.

The Frey faces (1,965 frames of one face, 28x20) are not shipped here, so this makes a set
of the same shape from the Olivetti faces ($VAEKIT_DATA_DIR/faces/olivetti_faces.npz, 400
faces of 64x64): each face's central 64x46 columns (the 28:20 aspect ratio) are scaled to
28x20, and five variants of each -- as it is, mirrored, and shifted by 2 pixels left,
right and up before scaling -- give 2,000 images, of which a seeded permutation keeps the
first 1,965.

    python examples/make_face_npz.py /tmp/faces.npz
    vaekit train --data npz:/tmp/faces.npz --epochs 2 --out runs/faces28x20
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

N = 1965
SHIFTS = ((0, 0, False), (0, 0, True), (0, -2, False), (0, 2, False), (-2, 0, False))


def faces(olivetti: Path) -> np.ndarray:
    with np.load(olivetti, allow_pickle=False) as f:  # never unpickles
        images = f["images"]  # (400, 64, 64) uint8
    out = []
    for face in images:
        padded = np.pad(face, 2, mode="edge")
        for dy, dx, mirror in SHIFTS:
            crop = padded[2 + dy : 66 + dy, 2 + 9 + dx : 2 + 55 + dx]  # 64x46, centred
            img = Image.fromarray(crop[:, ::-1] if mirror else crop, "L")
            out.append(np.asarray(img.resize((20, 28), Image.Resampling.BILINEAR)))
    order = np.random.default_rng(0).permutation(len(out))[:N]
    return np.stack(out)[order]  # (1965, 28, 20) uint8


def main(argv: list[str]) -> int:
    target = Path(argv[1] if len(argv) > 1 else "faces28x20.npz")
    root = Path(os.environ.get("VAEKIT_DATA_DIR", "../shared/data"))
    images = faces(root / "faces" / "olivetti_faces.npz")
    np.savez(target, images=images)
    print(f"wrote {target}: images {images.shape} {images.dtype}, values "
          f"{images.min()}..{images.max()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
