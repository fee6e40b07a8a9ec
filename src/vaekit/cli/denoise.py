"""vaekit denoise: corrupt test images, decode their codes, and report PSNR before and after."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from vaekit.cli.common import figures_dir, say

HELP = "noisy / denoised / clean grids and PSNR over the test set"
DENOISE_FILE = "denoise.json"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    p.add_argument("--corruption", choices=["gaussian", "salt_pepper", "mask"],
                   help="noise kind (default: the run's training corruption)")
    p.add_argument("--noise-level", type=float, help="gaussian sigma, or salt_pepper/mask "
                   "probability (default: the run's training level)")
    p.add_argument("--n", type=int, default=10, help="images in the figure (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed of the noise (default 0)")
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--out", help="PNG path (default RUN/figures/denoise-KIND-LEVEL.png)")


def _setting(args: argparse.Namespace, run_) -> tuple[str, float]:
    from vaekit.errors import ConfigError

    data = run_.config.data
    kind = args.corruption or (data.corruption if data.corruption != "none" else None)
    if kind is None:
        raise ConfigError("this run was trained without corruption: pass --corruption KIND "
                          "--noise-level L")
    level = args.noise_level
    if level is None:
        level = data.noise_level if kind == data.corruption else None
    if level is None or not 0 < level <= (1 if kind != "gaussian" else 10):
        raise ConfigError(f"--noise-level must be given and in range for {kind}, got {level}")
    return kind, float(level)


def merge_result(path: Path, key: str, row: dict) -> dict:
    """denoise.json keeps one row per corruption setting ("gaussian@0.3", ...)."""
    doc = {}
    if path.is_file():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            doc = {}
    doc = doc if isinstance(doc, dict) else {}
    doc[key] = row
    return doc


def run(args: argparse.Namespace) -> int:
    import torch

    from vaekit.analysis.denoise import denoise
    from vaekit.cli._runs import load_run, split_of
    from vaekit.errors import ConfigError
    from vaekit.fileio import atomic_write_json
    from vaekit.kinds import require_kind
    from vaekit.viz.images import save_grid

    if not 1 <= args.n <= 200:
        raise ConfigError(f"--n must be between 1 and 200, got {args.n}")
    run_ = load_run(args.run_dir)
    require_kind(run_, "image", what="denoise")
    kind, level = _setting(args, run_)
    clean = split_of(run_, args.split).x
    result = denoise(run_.model, clean, kind=kind, level=level, seed=args.seed)
    n, per_row = min(args.n, len(clean)), min(10, args.n)
    rows = []
    for i in range(0, n, per_row):  # blocks of three rows: noisy, denoised, clean
        j = min(i + per_row, n)
        rows += [result.noisy[i:j], result.denoised[i:j], clean[i:j]]
    out = (Path(args.out) if args.out
           else figures_dir(args.run_dir) / f"denoise-{kind}-{level:g}.png")
    save_grid(torch.cat(rows).numpy(), out, nrow=per_row)
    row = {"corruption": kind, "noise_level": level, "split": args.split, "examples": len(clean),
           "seed": args.seed, "psnr_noisy_db": round(result.psnr_noisy, 3),
           "psnr_denoised_db": round(result.psnr_denoised, 3), "gain_db": round(result.gain, 3),
           "trained_with": f"{run_.config.data.corruption}@{run_.config.data.noise_level:g}",
           "model": "AE" if run_.config.model.autoencoder else "VAE"}
    json_path = Path(args.run_dir) / DENOISE_FILE
    atomic_write_json(json_path, merge_result(json_path, f"{kind}@{level:g}", row))
    say(f"wrote {out} and {json_path} (rows: noisy, denoised, clean). {kind} {level:g} on "
        f"{len(clean)} {args.split} images: PSNR noisy {result.psnr_noisy:.2f} dB -> denoised "
        f"{result.psnr_denoised:.2f} dB ({result.gain:+.2f} dB; pixels in [0, 1])")
    return 0
