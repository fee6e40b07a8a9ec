"""vaekit interpolate: decode a path between the posterior means of two examples (dataset
examples, or the user's own images, MIDI files or sentences); for images also the seed's
halfway point and an animated GIF."""

from __future__ import annotations

import argparse

from vaekit.cli.common import figures_dir, say

HELP = "decode a path between two examples (test examples, or your own files / sentences)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    p.add_argument("--from-index", type=int, default=0, help="first example's index (default 0)")
    p.add_argument("--to-index", type=int, default=1, help="second example's index (default 1)")
    p.add_argument("--from", "--from-image", dest="from_item", metavar="A",
                   help="first end from your own data, replacing --from-index: an image file "
                        "(resized to the run's input), a MIDI file, or a sentence")
    p.add_argument("--to", "--to-image", dest="to_item", metavar="B",
                   help="second end: an image file, a MIDI file or a sentence")
    p.add_argument("--steps", type=int, default=10, help="points on the path, ends included")
    p.add_argument("--method", choices=["lerp", "slerp"], default="lerp")
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--halfway", action="store_true", help="images: also decode z_a + 0.5 "
                   "(z_b - z_a) alone, to halfway.png beside the strip")
    p.add_argument("--gif", action="store_true", help="images: also write the path as an "
                   "animated GIF beside the strip (same name, .gif)")
    p.add_argument("--out", help="file to write (default RUN/figures/interpolation.png, or "
                   "homotopy.txt for text); a folder: the file inside it")


def _ends(args: argparse.Namespace, run_, kind):
    """The two inputs (2, ...) and where they came from."""
    import torch

    from vaekit.cli._runs import pick, split_of
    from vaekit.errors import ConfigError

    given = (args.from_item, args.to_item)
    if all(g is None for g in given):
        x = pick(split_of(run_, args.split), [args.from_index, args.to_index])
        return x, f"{args.split} examples {args.from_index} and {args.to_index}"
    if any(g is None for g in given):
        raise ConfigError("give both ends (--from and --to), or neither")
    return torch.cat([kind.read_inputs([g]) for g in given]), f"{given[0]} and {given[1]}"


def run(args: argparse.Namespace) -> int:
    import torch

    from vaekit.analysis.latent import INTERPOLATIONS, decode_latents, encode_means, halfway
    from vaekit.cli._runs import load_run
    from vaekit.errors import ConfigError
    from vaekit.kinds import kind_of, output_path
    from vaekit.viz.images import save_gif, save_grid

    if not 2 <= args.steps <= 100:
        raise ConfigError(f"--steps must be between 2 and 100, got {args.steps}")
    run_ = load_run(args.run_dir)
    kind = kind_of(run_)
    if (args.gif or args.halfway) and kind.name != "image":
        raise ConfigError("--gif and --halfway draw images; this is a "
                          f"{kind.name} run")
    x, ends = _ends(args, run_, kind)
    z, _ = encode_means(run_.model, x)
    path = decode_latents(run_.model, INTERPOLATIONS[args.method](z[0], z[1], args.steps))
    stem = "homotopy" if kind.name == "text" else "interpolation"
    out = output_path(args.out, figures_dir(args.run_dir), stem, kind.suffix)
    labels = ["A", *[f"{t:.2f}" for t in torch.linspace(0, 1, args.steps).tolist()], "B"]
    written = kind.write(torch.cat([x[:1], path, x[1:]]), out, columns=len(path) + 2,
                         labels=labels, path_like=True,
                         title=f"{args.method} between two examples ({args.steps} steps)")
    for line in written.lines:
        say(line)
    extra = []
    if args.gif:
        extra.append(str(save_gif(path.numpy(), out.with_suffix(".gif"))))
    if args.halfway:
        middle = decode_latents(run_.model, halfway(z[0], z[1]).unsqueeze(0))
        extra.append(str(save_grid(middle.numpy(), out.with_name("halfway.png"), nrow=1,
                                   scale=4)))
    exact = ""
    if not path.is_floating_point():  # tokens: do the ends decode to the inputs?
        exact = (f"; endpoints reconstructed: "
                 f"{[bool(torch.equal(path[0], x[0])), bool(torch.equal(path[-1], x[1]))]}")
    say(f"wrote {', '.join([written.describe(), *extra])} ({args.method}, {args.steps} steps "
        f"between {ends}; the outer rows or tiles are the inputs{exact})")
    return 0
