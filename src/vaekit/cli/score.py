"""vaekit score: per-example scores of any data under a trained run, as CSV, and an
anomaly threshold picked at a false-positive rate on the run's validation split."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import say

HELP = ("score each example of a data source (log p(x) by importance sampling, "
        "reconstruction error) into a CSV; --threshold-fpr P picks an anomaly threshold")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory (or pretrained:NAME)")
    p.add_argument("--data", required=True, metavar="SOURCE",
                   help="what to score: a dataset name or KIND:PATH (npz:, npy:, folder:); "
                        "images are fitted to the run's input shape with its --fit")
    p.add_argument("--split", choices=["all", "train", "test"], default="all",
                   help="which of the source's splits to score (default all: train, then "
                        "test)")
    p.add_argument("--iw-samples", type=int, default=100, metavar="K",
                   help="importance samples per example for log p(x) (default 100)")
    p.add_argument("--threshold-fpr", type=float, metavar="P",
                   help="flag the examples whose log p(x) falls below the P-quantile of the "
                        "run's validation examples (a false-positive rate P on them)")
    p.add_argument("--limit", type=int, metavar="N", help="score the first N examples only")
    p.add_argument("--seed", type=int, default=0, help="seed of the importance samples")
    p.add_argument("--out", metavar="FILE.csv", help="default RUN/scores.csv")


def _examples(source: str, run_, split: str):
    """The source's examples, fitted to the run's input shape: (x, labels, split names)."""
    import dataclasses

    import torch

    from vaekit.data.registry import load_dataset
    from vaekit.errors import DataError

    c, h, w = run_.config.model.input_shape
    cfg = dataclasses.replace(run_.config.data, name=source, image_size=(h, w), channels=c,
                              labels_key=None, limit_train=None, limit_test=None)
    data = load_dataset(source, config=cfg)
    if data.kind != "image" or tuple(data.train.data.shape[1:]) != (c, h, w):
        raise DataError(f"{source}: gives {data.kind} data of shape "
                        f"{list(data.train.data.shape[1:])}; the run takes images {[c, h, w]}")
    parts = [("train", data.train), ("test", data.test)]
    parts = [(name, s) for name, s in parts if split in ("all", name)]
    x = torch.cat([s.x[:] for _, s in parts])
    labels = [None if s.y is None else s.y for _, s in parts]
    names = [name for name, s in parts for _ in range(len(s))]
    rows = [i for _, s in parts for i in range(len(s))]
    y = None if None in labels else torch.cat(labels)
    if run_.config.data.binarize == "dynamic":  # as the run's held-out sets: one fixed draw
        from vaekit.data.prepare import TEST_BINARIZATION_SEED

        x = torch.bernoulli(x, generator=torch.Generator().manual_seed(TEST_BINARIZATION_SEED))
    return x, y, names, rows


def run(args: argparse.Namespace) -> int:
    import csv
    import io

    from vaekit.analysis.scores import fraction_below, score_examples, threshold_at_fpr
    from vaekit.cli._runs import load_run
    from vaekit.cli.common import progress
    from vaekit.data.prepare import load_split
    from vaekit.errors import ConfigError
    from vaekit.fileio import atomic_write_text

    if not 1 <= args.iw_samples <= 100_000:
        raise ConfigError(f"--iw-samples must be between 1 and 100000, got {args.iw_samples}")
    if args.threshold_fpr is not None and not 0 < args.threshold_fpr < 1:
        raise ConfigError(f"--threshold-fpr must be in (0, 1), got {args.threshold_fpr}")
    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {args.limit}")
    run_ = load_run(args.run_dir)
    if run_.config.data.kind != "image" or run_.config.model.autoencoder:
        raise ConfigError("vaekit score works on image VAE runs (log p(x) needs a VAE)")
    valid = None
    if args.threshold_fpr is not None:
        if not run_.config.data.valid_fraction:
            raise ConfigError(f"{args.run_dir} has no validation split to pick a threshold "
                              "on; train it with --valid-fraction F")
        valid = load_split(run_.config, "valid")
    x, y, names, rows = _examples(args.data, run_, args.split)
    if args.limit is not None:
        x, names, rows = x[: args.limit], names[: args.limit], rows[: args.limit]
        y = None if y is None else y[: args.limit]
    k, options = args.iw_samples, {"k": args.iw_samples, "seed": args.seed}
    with progress(len(x), f"log p(x), K={k}") as bar:
        scores = score_examples(run_.model, x, progress=bar.update, **options)
    flagged = None
    lines = []
    if valid is not None:
        normal = score_examples(run_.model, valid.x, **options).log_px
        test = score_examples(run_.model, load_split(run_.config, "test").x, **options).log_px
        threshold = threshold_at_fpr(normal, args.threshold_fpr)
        flagged = scores.log_px < threshold
        lines = [
            f"threshold: log p(x) < {threshold:.2f} nats, the {args.threshold_fpr:g}-quantile "
            f"of the run's {len(normal)} validation examples (IWAE K={k})",
            f"the run's own test split (unseen, normal): {fraction_below(test, threshold):.4f} "
            f"fall past it (expected about {args.threshold_fpr:g})",
            f"{args.data}: {int(flagged.sum())} of {len(x)} examples fall past it "
            f"({float(flagged.double().mean()):.4f})"]
    out = Path(args.out) if args.out else Path(args.run_dir) / "scores.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["split", "row", "label", "log_px_nats", "reconstruction_error",
                     *(["past_threshold"] if flagged is not None else [])])
    for i in range(len(x)):
        writer.writerow([names[i], rows[i], "" if y is None else int(y[i]),
                         f"{float(scores.log_px[i]):.4f}",
                         f"{float(scores.reconstruction_error[i]):.4f}",
                         *([int(flagged[i])] if flagged is not None else [])])
    atomic_write_text(out, buffer.getvalue())
    say(f"scored {len(x)} examples of {args.data}: mean log p(x) "
        f"{float(scores.log_px.mean()):.2f} nats (IWAE K={k}), mean reconstruction error "
        f"{float(scores.reconstruction_error.mean()):.2f} (squared, summed over values)")
    for line in lines:
        say(line)
    say(f"wrote {out}")
    return 0
