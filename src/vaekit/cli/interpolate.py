"""vaekit interpolate: decode a path between the posterior means of two images (dataset
examples or image files), the seed's halfway point, as a PNG strip and an animated GIF."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import figures_dir, say

HELP = "decode a path between two images (test examples or image files)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    p.add_argument("--from-index", type=int, default=0, help="first image's index (default 0)")
    p.add_argument("--to-index", type=int, default=1, help="second image's index (default 1)")
    p.add_argument("--from-image", metavar="FILE", help="first image from a PNG/JPEG file "
                   "(resized to the run's input shape; replaces --from-index)")
    p.add_argument("--to-image", metavar="FILE", help="second image from a file "
                   "(replaces --to-index)")
    p.add_argument("--from", dest="from_item", metavar="A", help="sequence runs: first "
                   "melody as a MIDI file, or first sentence as text")
    p.add_argument("--to", dest="to_item", metavar="B", help="sequence runs: second MIDI "
                   "file or sentence")
    p.add_argument("--steps", type=int, default=10, help="points on the path, ends included")
    p.add_argument("--method", choices=["lerp", "slerp"], default="lerp")
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--halfway", action="store_true", help="also decode z_a + 0.5 (z_b - z_a) "
                   "alone, to halfway.png beside the strip")
    p.add_argument("--gif", action="store_true", help="also write the path as an animated GIF "
                   "beside the strip (same name, .gif)")
    p.add_argument("--out", help="PNG path (default RUN/figures/interpolation.png)")


def _inputs(args: argparse.Namespace, run_):
    """The two inputs (2, C, H, W) and a description of where they came from."""
    import torch

    from vaekit.analysis.latent import load_image_files
    from vaekit.cli._runs import pick, split_of
    from vaekit.errors import ConfigError

    shape = tuple(run_.config.model.input_shape)
    ends, names = [], []
    split = None
    for image, index in ((args.from_image, args.from_index), (args.to_image, args.to_index)):
        if image:
            if len(shape) != 3:
                raise ConfigError("--from-image/--to-image need an image model")
            ends.append(load_image_files([image], shape)[0])
            names.append(Path(image).name)
        else:
            split = split or split_of(run_, args.split)
            ends.append(pick(split, [index])[0])
            names.append(f"{args.split} image {index}")
    return torch.stack(ends), names


def run(args: argparse.Namespace) -> int:
    import torch

    from vaekit.analysis.latent import INTERPOLATIONS, decode_latents, encode_means, halfway
    from vaekit.cli._runs import load_run
    from vaekit.errors import ConfigError
    from vaekit.viz.images import save_gif, save_grid

    if not 2 <= args.steps <= 100:
        raise ConfigError(f"--steps must be between 2 and 100, got {args.steps}")
    run_ = load_run(args.run_dir)
    if run_.config.model.arch == "lstm":  # melodies: MIDI in, MIDI out; text: a homotopy
        from vaekit.cli import _sequence

        _sequence.interpolate(run_, args.from_item, args.to_item, args.steps, args.method,
                              from_index=args.from_index, to_index=args.to_index,
                              split=args.split, out=args.out)
        return 0
    if args.from_item or args.to_item:
        raise ConfigError("--from/--to are for sequence runs; use --from-image/--to-image")
    x, names = _inputs(args, run_)
    z, _ = encode_means(run_.model, x)
    path = decode_latents(run_.model, INTERPOLATIONS[args.method](z[0], z[1], args.steps))
    strip = torch.cat([x[:1], path, x[1:]])  # input, decoded path, input
    out = Path(args.out) if args.out else figures_dir(args.run_dir) / "interpolation.png"
    save_grid(strip.numpy(), out, nrow=len(strip))
    written = [str(out)]
    if args.gif:
        written.append(str(save_gif(path.numpy(), out.with_suffix(".gif"))))
    if args.halfway:
        middle = decode_latents(run_.model, halfway(z[0], z[1]).unsqueeze(0))
        written.append(str(save_grid(middle.numpy(), out.with_name("halfway.png"), nrow=1,
                                     scale=4)))
    ends = (f"{names[0]} to {names[1]}" if args.from_image or args.to_image
            else f"{args.split} image {args.from_index} to {args.to_index}")
    say(f"wrote {', '.join(written)} ({args.method}, {args.steps} steps from {ends}; the outer "
        "tiles are the inputs)")
    return 0
