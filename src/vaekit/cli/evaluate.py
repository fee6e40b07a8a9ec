"""vaekit evaluate: likelihood metrics of a trained run, and out-of-distribution AUROCs;
with --sample-quality, the quality of its samples instead (one helper per kind of run)."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import add_sampler_argument, resolve_sampler, say

HELP = ("log p(x) (IWAE), ELBO terms, bits/dim, active units; --ood AUROCs; sequence runs: "
        "accuracy (all tokens, note events), NLL per token and KL beside count baselines; "
        "--sample-quality: FD, precision/recall, validity (melodies: feature overlaps)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    p.add_argument("--iw-samples", type=int, metavar="K",
                   help="importance samples per example for log p(x) (default 1000 for "
                        f"images, {SEQUENCE_IW_SAMPLES} for sequences; Burda et al. use 5000)")
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--limit", type=int, metavar="N", help="evaluate the first N examples only")
    p.add_argument("--batch-size", type=int, default=100, metavar="B",
                   help="examples per pass (the K samples are chunked to bound memory)")
    p.add_argument("--ood", nargs="+", metavar="SOURCE", default=[],
                   help="out-of-distribution sets: 'noise' (uniform pixels) or dataset names")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the importance samples (or of the drawn samples)")
    p.add_argument("--fast", action="store_true",
                   help="run the networks of the log p(x) passes in bfloat16 (autocast; "
                        "the log-densities stay float32): on a CPU with bf16 instructions "
                        "conv models 1.6-3x and LSTMs 1.4x faster, dense ones not; the mean "
                        "log p(x) moved by at most 0.1 standard errors in our checks, one "
                        "example's value by up to ~0.7 nats (README: Evaluation precision)")
    p.add_argument("--out", metavar="FILE.json", help="default RUN/evaluation.json (image "
                   "runs with --sample-quality: RUN/sample-quality-SAMPLER.json)")
    p.add_argument("--language-model", metavar="RUN",
                   help="sequence runs: a run on the same data (e.g. model.decoder="
                        "language_model) evaluated on the same sequences, as a baseline")
    quality = p.add_argument_group(
        "sample quality (image runs: instead of the likelihood; melody runs: beside it)")
    quality.add_argument("--sample-quality", action="store_true",
                         help="score decoded samples against the test set. Images: Fréchet "
                              "distance, precision/recall, density/coverage and validity in a "
                              "judge's features; melodies: feature overlaps (Yang & Lerch "
                              "2018); both beside reference rows")
    quality.add_argument("--n-samples", type=int, metavar="N",
                         help="samples to score (images: default 10000, at most the number "
                              "of training images, which the reference row uses; melodies: "
                              "default as many as the held-out melodies)")
    add_sampler_argument(quality)
    quality.add_argument("--temperature", type=float, default=1.0,
                         help="image runs: scale of the sampler's spread (default 1.0)")


# Sequences cost a decoder pass of T steps per sample: K = 100 by default. The bound is
# not converged there: on 300 held-out windows of a beta = 0.2 2-bar melody VAE, K = 1, 10,
# 100, 1000 gave 1.389, 1.291, 1.234, 1.191 nats/step, so report with --iw-samples 1000.
SEQUENCE_IW_SAMPLES = 100


def _precision(args: argparse.Namespace) -> str:
    """The IWAE passes' precision: bf16 with --fast (vaekit.analysis.evaluate.PRECISIONS)."""
    return "bf16" if args.fast else "fp32"


def _precision_label(args: argparse.Namespace) -> str:
    return ", networks in bf16 (--fast)" if args.fast else ""


def _check(args: argparse.Namespace) -> None:
    from vaekit.errors import ConfigError

    if args.n_samples is not None and not 1 <= args.n_samples <= 100_000:
        raise ConfigError(f"--n-samples must be between 1 and 100000, got {args.n_samples}")
    if args.iw_samples is not None and not 1 <= args.iw_samples <= 1_000_000:
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


def _number(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _sequence_report(ev: dict, label: str) -> str:
    """The model's numbers in the first column, every baseline's on the same sequences
    beside them."""
    names = list(ev["baselines"])
    rows = [("", "model", *names)]
    measures = [("accuracy, teacher-forced", ev["accuracy"]["teacher_forced"], "accuracy"),
                ("accuracy, generated", ev["accuracy"]["generated"], "generated_accuracy")]
    if ev["note_accuracy"] is not None:
        measures += [("note accuracy, teacher-forced", ev["note_accuracy"]["teacher_forced"],
                      "note_accuracy"),
                     ("note accuracy, generated", ev["note_accuracy"]["generated"],
                      "generated_note_accuracy")]
    measures.append((f"NLL per token, IWAE K={ev['iw_samples']} (nats)", ev["nll_per_token"],
                     "nll_per_token"))
    for title, value, key in measures:
        rows.append((title, _number(value), *(_number(ev["baselines"][n].get(key))
                                              for n in names)))
    rows.append(("negative ELBO per token (nats)", _number(ev["negative_elbo_per_token"]),
                 *("" for _ in names)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [label] + ["  " + "  ".join(f"{v:<{w}}" if i == 0 else f"{v:>{w}}"
                                        for i, (v, w) in enumerate(zip(row, widths)))
                       for row in rows]
    floor = (f"free bits {ev['free_bits']:g} nats x {ev['latent_dim']} dimensions = "
             f"{ev['free_bits_floor']:.2f} nats not penalised" if ev["free_bits"] else
             "no free bits")
    lines.append(f"  KL {ev['kl']:.2f} nats per sequence, trained with beta {ev['beta']:g} "
                 f"and {floor}; active units {ev['active_units']}/{ev['latent_dim']}; "
                 f"exact reconstructions {ev['exact_match']:.4f}")
    lines.append("  baselines: count models fitted on the training split (add-k 0.1); "
                 "'generated' = greedy from the posterior mean (a count model: its one "
                 "greedy rollout)")
    return "\n".join(lines)


def _sample_quality_report(doc: dict, label: str) -> str:
    ref = doc["reference"]
    floor = ref["degenerate"]["name"]
    rows = [("feature", "samples", "train (ceiling)", f"{floor} (best floor)")]
    for name, value in doc["overlap"].items():
        rows.append((name, f"{value:.4f}", f"{ref['test']['overlap'][name]:.4f}",
                     f"{ref['degenerate']['overlap'][name]:.4f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [label] + ["  " + "  ".join(f"{v:<{w}}" if i == 0 else f"{v:>{w}}"
                                        for i, (v, w) in enumerate(zip(row, widths)))
                       for row in rows]
    ratio = doc["overlap"]["mean"] / max(ref["test"]["overlap"]["mean"], 1e-12)
    lines.append(f"  mean overlap {ratio:.3f} x the training set's; floors (mean): "
                 + ", ".join(f"{k} {v['overlap']['mean']:.4f}" for k, v in ref["floors"].items()))
    return "\n".join(lines)


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


def _sample_quality(args: argparse.Namespace, run_) -> int:
    """--sample-quality on an image run: the samples' scores instead of the likelihood."""
    from vaekit.errors import ConfigError
    from vaekit.fileio import atomic_write_json

    if args.ood:
        raise ConfigError("--ood measures likelihoods; it does not go with --sample-quality")
    if args.fast:
        raise ConfigError("--fast speeds up the likelihood passes; it does not go with "
                          "--sample-quality on image runs")
    if not 0 < args.temperature <= 10:
        raise ConfigError(f"--temperature must be in (0, 10], got {args.temperature}")
    if args.n_samples is None:
        args.n_samples = 10_000
    doc = _image_sample_quality(args, run_)
    out = (Path(args.out) if args.out
           else Path(args.run_dir) / f"sample-quality-{args.sampler}.json")
    atomic_write_json(out, doc)
    say(f"wrote {out}")
    return 0


def run(args: argparse.Namespace) -> int:
    from vaekit.analysis.evaluate import evaluate, log_likelihood
    from vaekit.analysis.ood import compare
    from vaekit.cli._runs import load_run
    from vaekit.cli.common import progress
    from vaekit.data.prepare import prepare
    from vaekit.errors import ConfigError
    from vaekit.fileio import atomic_write_json

    _check(args)
    run_ = load_run(args.run_dir)
    if args.sample_quality:
        resolve_sampler(args, run_)
    if args.sample_quality and run_.config.data.kind == "image":
        return _sample_quality(args, run_)
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
    if run_.config.data.kind != "image":
        if args.ood:
            raise ConfigError("--ood is for image runs")
        doc.update(_evaluate_sequences(args, run_, data, x))
        atomic_write_json(out, doc)
        say(f"wrote {out}")
        return 0
    if args.language_model:
        raise ConfigError("--language-model is for sequence runs")
    n, k = x.shape[0], args.iw_samples or 1000
    options = {"k": k, "batch_size": args.batch_size, "seed": args.seed,
               "precision": _precision(args)}
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
                    f"likelihood, K = {k} importance samples (seed {args.seed})"
                    + _precision_label(args)))
    if results:
        say(_ood_report(results, k))
    doc.update(evaluation=ev.to_dict(), ood=[r.to_dict() for r in results])
    atomic_write_json(out, doc)
    say(f"wrote {out}")
    return 0


def _evaluate_sequences(args: argparse.Namespace, run_, data, x) -> dict:
    """Sequence runs: accuracies, NLL per token and KL beside the count baselines (and a
    language-model run's numbers, if given); --sample-quality adds sample statistics."""
    from vaekit.analysis.sequences import evaluate_sequences
    from vaekit.cli._runs import load_run
    from vaekit.cli.common import progress

    k = args.iw_samples or SEQUENCE_IW_SAMPLES
    kind = "melodies" if run_.config.data.kind == "melody" else "sequences"
    lm = load_run(args.language_model) if args.language_model else None
    if lm is not None and lm.config.data != run_.config.data:
        from vaekit.errors import ConfigError

        raise ConfigError(f"--language-model {args.language_model} was trained on other data "
                          f"({lm.config.data.name}) or other data settings than {args.run_dir}")
    runs = [run_] if lm is None else [run_, lm]
    results = []
    with progress(x.shape[0] * len(runs), f"log p(x), K={k}", unit="sequence") as bar:
        for r in runs:
            results.append(evaluate_sequences(
                r.model, x, train=data.train.x, k=k, beta=r.config.train.beta,
                free_bits=r.config.train.free_bits, batch_size=args.batch_size,
                seed=args.seed, progress=bar.update, precision=_precision(args)).to_dict())
    ev = results[0]
    if lm is not None:
        other = results[1]
        ev["baselines"]["lstm_language_model"] = {
            "name": f"lstm_language_model ({args.language_model})",
            "accuracy": other["accuracy"]["teacher_forced"],
            "generated_accuracy": other["accuracy"]["generated"],
            "note_accuracy": (other["note_accuracy"] or {}).get("teacher_forced"),
            "generated_note_accuracy": (other["note_accuracy"] or {}).get("generated"),
            "nll_per_token": other["nll_per_token"], "kl": other["kl"],
            "active_units": other["active_units"]}
    say(_sequence_report(ev, f"{args.run_dir}: {args.split} split, {ev['sequences']} {kind} "
                             f"of {ev['tokens_per_sequence']:.1f} scored tokens, K = {k} "
                             f"importance samples (seed {args.seed})"
                             + _precision_label(args)
                             + "; beside it, baselines on the same sequences"))
    doc = {"units": "accuracies: fractions of scored tokens; nats per sequence; "
                    "*_per_token: nats per scored token", "evaluation": ev}
    if args.sample_quality:
        doc["sample_quality"] = _sequence_sample_quality(args, run_, data)
    return doc


def _sequence_sample_quality(args: argparse.Namespace, run_, data) -> dict:
    """Melody runs: N generated melodies (greedy decodings of latents from --sampler)
    against the held-out ones, with the reference rows of analysis.music_stats."""
    from vaekit.analysis.sequences import melody_sample_statistics
    from vaekit.errors import ConfigError
    from vaekit.samplers import sample_latents

    if run_.config.data.kind != "melody":
        raise ConfigError("--sample-quality on sequence runs measures melodies; "
                          f"{args.run_dir} is a {run_.config.data.kind} run")
    n = args.n_samples or len(data.test.x)
    z = sample_latents(run_, n, sampler=args.sampler, seed=args.seed, report=say)
    stats = melody_sample_statistics(run_.model, z, test=data.test.x, train=data.train.x,
                                     seed=args.seed).to_dict()
    say(_sample_quality_report(stats, f"sample quality: {n} {args.sampler} samples (greedy "
                                      f"decoding) against the {len(data.test.x)} held-out "
                                      "melodies, overlap of each feature's distribution"))
    return {"n_samples": n, "sampler": args.sampler, "decoding": "greedy", **stats}
