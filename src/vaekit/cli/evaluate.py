"""vaekit evaluate: likelihood metrics of a trained run, and out-of-distribution AUROCs;
with --sample-quality, the quality of its samples instead (one helper per kind of run)."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import say

HELP = ("log p(x) (IWAE), ELBO terms, bits/dim, active units; --ood AUROCs; sequence runs: "
        "accuracy, NLL per token and KL; --sample-quality: FD, precision/recall, validity")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    p.add_argument("--iw-samples", type=int, default=1000, metavar="K",
                   help="importance samples per example for log p(x) (default 1000; "
                        "Burda et al. use 5000)")
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--limit", type=int, metavar="N", help="evaluate the first N examples only")
    p.add_argument("--batch-size", type=int, default=100, metavar="B",
                   help="examples per pass (the K samples are chunked to bound memory)")
    p.add_argument("--ood", nargs="+", metavar="SOURCE", default=[],
                   help="out-of-distribution sets: 'noise' (uniform pixels) or dataset names")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the importance samples (or of the drawn samples)")
    p.add_argument("--out", metavar="FILE.json", help="default RUN/evaluation.json (with "
                   "--sample-quality: RUN/sample-quality-SAMPLER.json)")
    quality = p.add_argument_group("sample quality (instead of the likelihood)")
    quality.add_argument("--sample-quality", action="store_true",
                         help="score decoded samples against the test set: Fréchet distance, "
                              "precision/recall, density/coverage and validity in a judge's "
                              "features, beside the test-set and noise reference rows")
    quality.add_argument("--n-samples", type=int, default=10_000, metavar="N",
                         help="samples to score (default 10000; at most 100000, and at most "
                              "the number of training images, which the reference row uses)")
    quality.add_argument("--sampler", choices=["prior", "gmm"], default="prior",
                         help="where latents come from: the prior, or a Gaussian mixture "
                              "fitted to the training codes (default prior)")
    quality.add_argument("--temperature", type=float, default=1.0,
                         help="scale of the sampler's spread (default 1.0)")


def _check(args: argparse.Namespace) -> None:
    from vaekit.errors import ConfigError

    if not 1 <= args.iw_samples <= 1_000_000:
        raise ConfigError(f"--iw-samples must be between 1 and 1000000, got {args.iw_samples}")
    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {args.limit}")
    if not 1 <= args.batch_size <= 100_000:
        raise ConfigError(f"--batch-size must be between 1 and 100000, got {args.batch_size}")


def _ood_set(source: str, run, n: int, seed: int):
    """n images from `source`, shaped and preprocessed as the run's test set."""
    import dataclasses

    import torch

    from vaekit.analysis.ood import conform_images, uniform_noise
    from vaekit.config import DataConfig
    from vaekit.data.prepare import TEST_BINARIZATION_SEED
    from vaekit.data.registry import load_dataset

    shape = tuple(run.config.model.input_shape)
    if source == "noise":
        x = uniform_noise(n, shape, seed=seed)
    else:
        c, h, w = shape
        cfg = dataclasses.replace(DataConfig(name=source), channels=c if c in (1, 3) else 3,
                                  image_size=h if h == w and h >= 4 else 64)
        data = load_dataset(source, config=cfg)
        x = conform_images(data.test.x[:n], shape, name=source)
    if run.config.data.binarize == "dynamic":  # as the run's own test set: fixed, seeded
        x = torch.bernoulli(x, generator=torch.Generator().manual_seed(TEST_BINARIZATION_SEED))
    return x


def _table(rows: list[tuple[str, str, str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    return "\n".join(f"  {a:<{widths[0]}}  {b:>{widths[1]}}  {c}" for a, b, c in rows)


def _report(ev, label: str) -> str:
    nats = "nats per example"
    what = "-log p(x)" if ev.proper_likelihood else "-log p(x) [not a likelihood, see note]"
    bits = "—" if ev.bits_per_dim is None else f"{ev.bits_per_dim:.4f}"
    elbo_bits = "—" if ev.elbo_bits_per_dim is None else f"{ev.elbo_bits_per_dim:.4f}"
    rows = [
        (f"{what}, IWAE K={ev.iw_samples}",
         f"{ev.nll:.2f} ± {ev.nll_standard_error:.2f}", f"{nats} (± standard error)"),
        ("negative ELBO (1 sample)", f"{ev.negative_elbo:.2f}", nats),
        ("  reconstruction", f"{ev.reconstruction:.2f}", nats),
        ("  KL", f"{ev.kl:.2f}", nats),
        ("bits per dimension, IWAE", bits, f"bits/dim (D = {ev.dims})"),
        ("bits per dimension, ELBO", elbo_bits, "bits/dim"),
        ("active units", f"{ev.active_units}/{ev.latent_dim}",
         "Cov_x(E_q[z_u]) > 0.01 (Burda et al. 2016)"),
    ]
    kl = " ".join(f"{v:.2f}" for v in ev.kl_per_dim)
    lines = [label, _table(rows), f"  KL per latent dimension ({nats}): {kl}"]
    if ev.note:
        lines.append(f"  note: {ev.note}")
    return "\n".join(lines)


def _sequence_report(scores: dict, split: str) -> str:
    return (f"{split} ({scores['sequences']} sequences): accuracy teacher-forced "
            f"{scores['teacher_forced_accuracy']:.4f}, generated {scores['sampled_accuracy']:.4f} "
            f"(exact {scores['exact_match']:.4f}); KL {scores['kl']:.2f} nats/sequence; "
            f"negative ELBO {scores['nll_per_token']:.4f} nats/token")


def _ood_report(results, k: int) -> str:
    head = ("source", "examples", "mean log p(x) in", "mean log p(x) out", "AUROC")
    rows = [head] + [(r.source, str(r.examples_out), f"{r.mean_log_px_in:.2f}",
                      f"{r.mean_log_px_out:.2f}", f"{r.auroc:.4f}") for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [f"out-of-distribution: AUROC of log p(x) (IWAE K={k}, nats per example); "
             "positive class = in-distribution scoring higher"]
    for row in rows:
        lines.append("  " + "  ".join(f"{v:<{w}}" if i == 0 else f"{v:>{w}}"
                                      for i, (v, w) in enumerate(zip(row, widths))))
    for r in results:
        if r.ood_ranked_higher:
            lines.append(f"  {r.source}: likelihood ranks the OOD set higher "
                         f"(AUROC {r.auroc:.4f} < 0.5)")
    return "\n".join(lines)


def _quality_row(name: str, row: dict) -> str:
    cells = "".join(f"{'—':>11}" if row[c] is None else f"{row[c]:>11.3f}"
                    for c in QUALITY_COLUMNS)
    return f"  {name:<16}{cells}"


QUALITY_COLUMNS = ("fd", "precision", "recall", "density", "coverage", "validity")


def _image_sample_quality(args: argparse.Namespace, run_) -> dict:
    """Image runs: vaekit.experiments.sample_quality, printed as a table."""
    import time

    from vaekit.cli.common import err
    from vaekit.experiments.sample_quality import sample_quality

    started = time.perf_counter()

    def stage(text: str) -> None:  # long work: say each stage as it starts, with the time
        err(f"sample quality [{time.perf_counter() - started:.0f} s]: {text}")

    result = sample_quality(run_, n=args.n_samples, sampler=args.sampler,
                            temperature=args.temperature, seed=args.seed, report=stage)
    doc = result.to_dict()
    row = doc["sample_quality"]
    say(f"{args.run_dir}: {row['n']} {args.sampler} samples (temperature "
        f"{args.temperature}, seed {args.seed}) against {row['test_images']} test images in "
        f"{row['features']} features, k = {row['k']} ({result.seconds:.0f} s)")
    say(f"  {'':<16}" + "".join(f"{c:>11}" for c in QUALITY_COLUMNS))
    say(_quality_row("samples", row))
    for name, ref in row["reference"].items():
        say(_quality_row(f"reference {name}", ref))
    if "label_accuracy" in row:
        say(f"  label accuracy {row['label_accuracy']:.4f}: the judge's class is the class "
            "asked for (every class in turn)")
    for line in result.notes():
        say(f"  note: {line}")
    return doc


# One helper per kind of run: each scores the run's samples, prints them, and returns the
# JSON document ({"sample_quality": {...}}).
SAMPLE_QUALITY = {"image": _image_sample_quality}


def _sample_quality(args: argparse.Namespace) -> int:
    from vaekit.cli._runs import load_run
    from vaekit.errors import ConfigError
    from vaekit.fileio import atomic_write_json

    if args.ood:
        raise ConfigError("--ood measures likelihoods; it does not go with --sample-quality")
    if not 0 < args.temperature <= 10:
        raise ConfigError(f"--temperature must be in (0, 10], got {args.temperature}")
    run_ = load_run(args.run_dir)
    kind = run_.config.data.kind
    if kind not in SAMPLE_QUALITY:
        raise ConfigError(f"--sample-quality is not available for {kind} runs yet "
                          f"(it is for: {', '.join(SAMPLE_QUALITY)})")
    doc = SAMPLE_QUALITY[kind](args, run_)
    out = (Path(args.out) if args.out
           else Path(args.run_dir) / f"sample-quality-{args.sampler}.json")
    atomic_write_json(out, doc)
    say(f"wrote {out}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.sample_quality:
        return _sample_quality(args)
    from vaekit.analysis.evaluate import evaluate, log_likelihood
    from vaekit.analysis.ood import compare
    from vaekit.analysis.sequences import score_sequences
    from vaekit.cli._runs import load_run
    from vaekit.cli.common import progress
    from vaekit.data.prepare import prepare
    from vaekit.errors import ConfigError
    from vaekit.fileio import atomic_write_json

    _check(args)
    run_ = load_run(args.run_dir)
    _, data = prepare(run_.config)
    split = data.train if args.split == "train" else data.test
    x = split.x[: args.limit]
    # A conditional run scores log p(x | y) with each example's own label.
    labels = None if run_.model.classes is None else split.y[: args.limit]
    if labels is not None and args.ood:
        raise ConfigError("--ood needs log p(x), and a conditional run gives log p(x | y) "
                          "only for labelled examples")
    out = Path(args.out) if args.out else Path(args.run_dir) / "evaluation.json"
    doc = {"run": str(args.run_dir), "split": args.split, "seed": args.seed}
    if run_.config.data.kind != "image":  # sequences: accuracy, NLL per token, KL
        if args.ood:
            raise ConfigError("--ood is for image runs")
        scores = score_sequences(run_.model, x, seed=args.seed).as_dict()
        say(_sequence_report(scores, args.split))
        doc.update(units="nats per sequence; *_per_token: nats per scored token",
                   evaluation=scores)
        atomic_write_json(out, doc)
        say(f"wrote {out}")
        return 0
    n, k = x.shape[0], args.iw_samples
    options = {"k": k, "batch_size": args.batch_size, "seed": args.seed}
    ood_sets = {source: _ood_set(source, run_, n, args.seed) for source in args.ood}  # fail fast
    with progress(n * (1 + len(args.ood)), f"log p(x), K={k}") as bar:
        ev, log_px = evaluate(run_.model, x, levels=data.levels, progress=bar.update,
                              labels=labels, **options)
        results = []
        for source, x_out in ood_sets.items():
            bar.set_description(f"{source}, K={k}")
            scores = log_likelihood(run_.model, x_out, progress=bar.update, **options)
            results.append(compare(source, log_px, scores))
    say(_report(ev, f"{args.run_dir}: {args.split} split, {n} examples, {ev.likelihood} "
                    f"likelihood, K = {k} importance samples (seed {args.seed})"))
    if results:
        say(_ood_report(results, k))
    doc.update(evaluation=ev.to_dict(), ood=[r.to_dict() for r in results])
    atomic_write_json(out, doc)
    say(f"wrote {out}")
    return 0
