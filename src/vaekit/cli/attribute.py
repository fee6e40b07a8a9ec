"""vaekit attribute: an attribute vector (mean code with the attribute minus without), added
at several scales to other examples' codes, and its measured effect."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import figures_dir, say

HELP = "attribute vectors: mean code with an attribute minus without, applied at scales"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--attribute", help="a per-example attribute of the dataset (e.g. "
                     "glasses on olivetti, note_density on melodies)")
    how.add_argument("--label", type=int, help="a class label (e.g. 7 on mnist)")
    how.add_argument("--with", nargs="+", dest="with_files", metavar="FILE",
                     help="your own examples that show the attribute (image or MIDI files, "
                          "or sentences; needs --without)")
    p.add_argument("--without", nargs="+", metavar="FILE", help="your own examples that do not")
    p.add_argument("--scales", type=float, nargs="+", default=[-2.0, -1.0, 0.0, 1.0, 2.0],
                   help="multiples of the vector to add (default -2 -1 0 1 2)")
    p.add_argument("--n", type=int, default=8, help="examples to apply it to (default 8)")
    p.add_argument("--measure", action="store_true", help="images: train a probe (logistic "
                   "regression on pooled pixels) on the train split and report its mean "
                   "probability of the attribute on the edited test examples, before and "
                   "after. Attributes computed from the data (note_density) are always "
                   "measured on the decodings")
    p.add_argument("--out", help="file to write (default RUN/figures/attribute-NAME.png); a "
                   "folder: the file inside it")


def run(args: argparse.Namespace) -> int:
    import torch

    from vaekit.analysis import attributes as attr
    from vaekit.analysis.latent import encode_means
    from vaekit.cli._runs import load_run, split_of
    from vaekit.errors import ConfigError
    from vaekit.fileio import atomic_write_json
    from vaekit.kinds import kind_of, output_path

    if not 1 <= args.n <= 100 or not 1 <= len(args.scales) <= 21:
        raise ConfigError("--n must be in 1..100 and --scales hold 1 to 21 values")
    if bool(args.with_files) != bool(args.without):
        raise ConfigError("--with and --without go together (or use --attribute / --label)")
    if args.measure and args.with_files:
        raise ConfigError("--measure needs --attribute or --label (a probe needs labelled data)")
    run_ = load_run(args.run_dir)
    kind, model = kind_of(run_), run_.model
    if args.measure and kind.name != "image":
        raise ConfigError("--measure trains an image probe; this is a "
                          f"{kind.name} run (computed attributes are measured anyway)")
    test = split_of(run_, "test")
    if args.with_files:  # the vector from the user's two lists; applied to test examples
        x_with, x_without = kind.read_inputs(args.with_files), kind.read_inputs(args.without)
        means, _ = encode_means(model, torch.cat([x_with, x_without]))
        has = torch.arange(len(means)) < len(x_with)
        name, targets, who = "files", test.x, "test examples"
    else:
        train = split_of(run_, "train")
        found = attr.attribute_of(train, attribute=args.attribute, label=args.label)
        name, has = found.name, found.has
        means, _ = encode_means(model, train.x)
        has_test = found.of(test)  # by the training split's rule (e.g. its median)
        targets, who = test.x[~has_test], "test examples without it"
    if len(targets) == 0:
        raise ConfigError("no test examples without the attribute to apply it to")
    pick = torch.linspace(0, len(targets) - 1, min(args.n, len(targets))).round().long()
    edit = attr.edit_with_attribute(model, means, has, targets[pick], scales=args.scales)
    tiles = torch.cat([edit.inputs.unsqueeze(1), edit.decoded], 1)  # input, then each scale
    labels = [f"{i}: {label}" for i in range(len(edit.inputs))
              for label in ["input", *(f"{s:+g}" for s in args.scales)]]
    out = output_path(args.out, figures_dir(args.run_dir), f"attribute-{name}", kind.suffix)
    written = kind.write(tiles.flatten(0, 1), out, columns=len(args.scales) + 1, labels=labels,
                         title=f"attribute {name}: the input, then scales {args.scales}")
    for line in written.lines:
        say(line)
    say(f"wrote {written.describe()} (rows: {len(edit.inputs)} {who}; columns: the input, "
        f"then decodings at scales {args.scales} of the vector; |vector| = "
        f"{float(edit.vector.norm()):.3f})")
    doc = {"attribute": name, "vector_norm": float(edit.vector.norm()),
           "scales": list(args.scales)}
    effect = attr.measured_effect(name, edit)
    if effect is not None:
        doc["measured"] = effect
        say(f"{name}: inputs {effect['inputs']:.3f}; decoded per scale: "
            + ", ".join(f"{s}: {v:.3f}" for s, v in effect.items() if s != "inputs"))
    if args.measure:
        probe = attr.probe_effect(model, train, has, attr.edit_with_attribute(
            model, means, has, targets, scales=args.scales), test, has_test)
        doc.update(probe)
        after = ", ".join(f"{s}: {p:.3f}" for s, p in probe["probability_at_scale"].items())
        say(f"probe (trained on {probe['probe_train_examples']} train examples; test accuracy "
            f"{probe['probe_test_accuracy']:.3f}): mean P({name}) on {len(targets)} test "
            f"examples without it: originals {probe['probability_originals']:.3f}; decoded at "
            f"scale {after}")
    if effect is not None or args.measure:
        atomic_write_json(Path(args.run_dir) / f"attribute-{name}.json", doc)
    return 0
