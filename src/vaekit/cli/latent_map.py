"""vaekit latent-map: test-set codes coloured by label, with the prior's 1σ and 2σ circles;
for a 2-D latent also the decoded manifold grid."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaekit.cli.common import figures_dir, say

HELP = "scatter of test-set codes (PCA above 2-D) and, for 2-D image latents, the decoded grid"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--limit", type=int, default=5000,
                   help="encode at most this many examples (default 5000)")
    p.add_argument("--grid", type=int, default=20,
                   help="2-D latents: N for the N x N decoded grid (default 20)")
    p.add_argument("--range", type=float, default=3.0, dest="span",
                   help="2-D latents: the grid covers [-R, R]^2 (default 3)")
    p.add_argument("--out-dir", help="folder for latent-map.png and manifold.png "
                                     "(default RUN/figures)")


def latent_map_figures(run_, split, *, limit: int, grid: int, span: float, out_dir: Path,
                       label_names: tuple[str, ...] | None = None) -> list[Path]:
    """Draw the map (and the manifold grid) of a loaded run; shared with vaekit report."""
    import torch

    from vaekit.analysis.latent import encode_means, manifold, pca
    from vaekit.viz.images import save_grid
    from vaekit.viz.latent import save_latent_map

    x = split.x[:limit]
    labels = None if split.y is None else split.y[:limit].numpy()
    means, _ = encode_means(run_.model, x)
    kind = "AE" if run_.config.model.autoencoder else "VAE"
    title = f"{kind} codes (posterior means) of {len(x)} {run_.config.data.name} examples"
    if means.shape[1] == 1:
        points = torch.cat([means, torch.zeros_like(means)], 1)  # on the z1 axis
        center, axes = (0.0, 0.0), ("z1", "(1-D latent)")
    elif means.shape[1] == 2:
        points, center, axes = means, (0.0, 0.0), ("z1", "z2")
    else:
        fit = pca(means, 2)
        points = fit.projected
        center = tuple((-fit.mean @ fit.components.T).tolist())  # where the prior's mean lands
        axes = tuple(f"PC{i + 1} ({100 * float(v):.1f}% of variance)"
                     for i, v in enumerate(fit.explained))
        title += f"; PCA of {means.shape[1]}-D"
    names = label_names
    written = [save_latent_map(points.numpy(), labels, out_dir / "latent-map.png",
                               axis_labels=axes, prior_center=center, label_names=names,
                               title=title)]
    if means.shape[1] == 2 and run_.config.data.kind == "image":
        images = manifold(run_.model, grid, span)
        written.append(save_grid(images.numpy(), out_dir / "manifold.png", nrow=grid,
                                 scale=1 if images.shape[-1] >= 28 else 2))
    return written


def run(args: argparse.Namespace) -> int:
    from vaekit.cli._runs import load_run
    from vaekit.data.prepare import prepare
    from vaekit.errors import ConfigError

    if not 2 <= args.grid <= 60:
        raise ConfigError(f"--grid must be between 2 and 60, got {args.grid}")
    if not 0 < args.span <= 100:
        raise ConfigError(f"--range must be in (0, 100], got {args.span}")
    if args.limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {args.limit}")
    run_ = load_run(args.run_dir)
    _, data = prepare(run_.config)
    out_dir = Path(args.out_dir) if args.out_dir else figures_dir(args.run_dir)
    split = data.train if args.split == "train" else data.test
    written = latent_map_figures(run_, split, limit=args.limit, grid=args.grid, span=args.span,
                                 out_dir=out_dir, label_names=data.label_names)
    d = run_.model.latent_dim
    how = "2-D codes" if d == 2 else f"{d}-D codes, {'PCA' if d > 2 else 'on one axis'}"
    say(f"wrote {', '.join(str(p) for p in written)} ({how}; circles: the prior's 1σ and 2σ)")
    return 0
