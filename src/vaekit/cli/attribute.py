"""vaekit attribute: an attribute vector (mean code with the attribute minus without), added
at several scales to other examples' codes; optionally measured with a probe classifier."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import figures_dir, say

HELP = "attribute vectors: mean code with an attribute minus without, applied at scales"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--attribute", help="a per-example attribute of the dataset "
                     "(e.g. glasses on olivetti): nonzero = has it")
    how.add_argument("--label", type=int, help="a class label (e.g. 7 on mnist)")
    how.add_argument("--with", nargs="+", dest="with_files", metavar="FILE",
                     help="image files that show the attribute (needs --without)")
    p.add_argument("--without", nargs="+", metavar="FILE", help="image files that do not")
    p.add_argument("--scales", type=float, nargs="+", default=[-2.0, -1.0, 0.0, 1.0, 2.0],
                   help="multiples of the vector to add (default -2 -1 0 1 2)")
    p.add_argument("--n", type=int, default=8, help="examples to apply it to (default 8)")
    p.add_argument("--measure", action="store_true", help="train a probe (logistic regression "
                   "on pooled pixels) on the train split and report its mean probability of "
                   "the attribute on the test examples without it, before and after")
    p.add_argument("--out", help="PNG path (default RUN/figures/attribute-NAME.png)")


def _attribute(args, split):
    """(N,) booleans: has the attribute; and a name for files and messages."""
    from vaekit.errors import ConfigError

    if args.label is not None:
        if split.y is None:
            raise ConfigError("--label needs a dataset with class labels")
        return split.y == args.label, f"label-{args.label}"
    if args.attribute not in split.attrs:
        valid = ", ".join(sorted(split.attrs)) or "none"
        raise ConfigError(f"unknown attribute {args.attribute!r} (this dataset has: {valid})")
    return split.attrs[args.attribute] != 0, args.attribute


def run(args: argparse.Namespace) -> int:
    import torch

    from vaekit.analysis.latent import (
        attribute_vector,
        decode_latents,
        encode_means,
        load_image_files,
        shift_latents,
    )
    from vaekit.cli._runs import load_run, split_of
    from vaekit.errors import ConfigError
    from vaekit.fileio import atomic_write_json
    from vaekit.viz.images import save_grid

    if not 1 <= args.n <= 100 or not 1 <= len(args.scales) <= 21:
        raise ConfigError("--n must be in 1..100 and --scales hold 1 to 21 values")
    if bool(args.with_files) != bool(args.without):
        raise ConfigError("--with and --without go together (or use --attribute / --label)")
    if args.measure and args.with_files:
        raise ConfigError("--measure needs --attribute or --label (a probe needs labelled data)")
    run_ = load_run(args.run_dir)
    if run_.config.model.arch == "lstm":  # melodies: the computed note-density attribute
        from vaekit.cli import _sequence

        if args.attribute != "note_density":
            raise ConfigError("melody runs have one computed attribute: --attribute note_density")
        _sequence.attribute(run_, scales=tuple(args.scales), n=args.n, out=args.out)
        return 0
    shape = tuple(run_.config.model.input_shape or ())
    if len(shape) != 3:
        raise ConfigError("attribute vectors here work on image models")
    model, test = run_.model, split_of(run_, "test")
    if args.with_files:  # the vector from the user's two lists; applied to test examples
        x_with = load_image_files(args.with_files, shape)
        x_without = load_image_files(args.without, shape)
        means, _ = encode_means(model, torch.cat([x_with, x_without]))
        has = torch.arange(len(means)) < len(x_with)
        name, targets = "files", test.x
    else:
        train = split_of(run_, "train")
        has, name = _attribute(args, train)
        means, _ = encode_means(model, train.x)
        has_test, _ = _attribute(args, test)
        targets = test.x[~has_test]  # examples that do not show it yet
    try:
        vector = attribute_vector(means, has)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if len(targets) == 0:
        raise ConfigError("no test examples without the attribute to apply it to")
    z, _ = encode_means(model, targets)
    pick = torch.linspace(0, len(targets) - 1, min(args.n, len(targets))).round().long()
    shown = targets[pick]  # spread over the split (e.g. over people), not its first rows
    decoded = decode_latents(model, shift_latents(z[pick], vector, args.scales))
    tiles = torch.cat([shown.unsqueeze(1), decoded.view(len(shown), len(args.scales), *shape)], 1)
    out = Path(args.out) if args.out else figures_dir(args.run_dir) / f"attribute-{name}.png"
    save_grid(tiles.flatten(0, 1).numpy(), out, nrow=len(args.scales) + 1)
    who = "test examples" if args.with_files else "test examples without it"
    say(f"wrote {out} (rows: {len(shown)} {who}; columns: the input, then "
        f"decodings at scales {args.scales} of the vector; |vector| = "
        f"{float(vector.norm()):.3f})")
    if args.measure:
        doc = _measure(model, train, has, targets, z, vector, args.scales, has_test, test)
        doc.update(attribute=name, vector_norm=float(vector.norm()))
        atomic_write_json(Path(args.run_dir) / f"attribute-{name}.json", doc)
        after = ", ".join(f"{s}: {p:.3f}" for s, p in doc["probability_at_scale"].items())
        say(f"probe (trained on {doc['probe_train_examples']} train examples; test accuracy "
            f"{doc['probe_test_accuracy']:.3f}): mean P({name}) on {len(targets)} test examples "
            f"without it: originals {doc['probability_originals']:.3f}; decoded at scale {after}")
    return 0


def _measure(model, train, has, targets, z, vector, scales, has_test, test) -> dict:
    """Probe on train images (originals and their reconstructions), scored on test decodings."""
    import torch

    from vaekit.analysis.judge import train_attribute_probe
    from vaekit.analysis.latent import decode_latents, encode_means, shift_latents

    train_rec = decode_latents(model, encode_means(model, train.x)[0])
    probe = train_attribute_probe(torch.cat([train.x, train_rec]), torch.cat([has, has]))
    test_acc = float(((probe.probability(test.x) > 0.5) == has_test).float().mean())
    decoded = decode_latents(model, shift_latents(z, vector, scales))
    probs = probe.probability(decoded).view(len(targets), len(scales)).mean(0)
    return {
        "protocol": "vector and probe from the train split; applied to test examples without "
                    "the attribute (for olivetti: people never seen in training)",
        "probe_train_examples": 2 * len(train),
        "probe_test_accuracy": test_acc,
        "examples": len(targets),
        "probability_originals": float(probe.probability(targets).mean()),
        "probability_at_scale": {f"{s:+g}": float(p) for s, p in zip(scales, probs)},
    }
