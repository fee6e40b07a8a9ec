"""vaekit report: one self-contained HTML page with every figure and number of a run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from vaekit.cli.common import figures_dir, say

HELP = "one self-contained HTML page (figures inlined) with every figure and number of a run"
JSON_RESULTS = {  # file in the run directory -> section heading
    "evaluation.json": "Evaluation (vaekit evaluate)",
    "compare.json": "AE vs VAE (vaekit compare)",
    "denoise.json": "Denoising (vaekit denoise)",
}
FIRST = ("loss.png", "samples.png", "reconstructions.png", "latent-map.png", "manifold.png")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train")
    p.add_argument("--out", help="HTML path (default RUN/report.html)")
    p.add_argument("--no-draw", action="store_true", help="only collect what is there; do not "
                   "draw the missing standard figures (loss, samples, reconstructions, map)")


def _draw_missing(run_, folder: Path) -> list[str]:
    """Draw the standard figures a run lacks; returns the names drawn."""
    import torch

    from vaekit.analysis.sampling import prior_samples, reconstructions
    from vaekit.cli._runs import split_of
    from vaekit.cli.latent_map import latent_map_figures
    from vaekit.viz.curves import save_loss_curves
    from vaekit.viz.images import save_grid

    drawn = []
    if run_.metrics and not (folder / "loss.png").is_file():
        save_loss_curves([m for m in run_.metrics if "test" in m], folder / "loss.png")
        drawn.append("loss.png")
    if len(run_.config.model.input_shape or ()) != 3:
        return drawn  # sequence models: no image figures
    test = None
    if not (folder / "samples.png").is_file():
        save_grid(prior_samples(run_.model, 64).numpy(), folder / "samples.png", nrow=8)
        drawn.append("samples.png")
    if not (folder / "reconstructions.png").is_file():
        test = split_of(run_, "test")
        x = test.x[:16]
        rows = torch.cat([x[:8], reconstructions(run_.model, x[:8]), x[8:],
                          reconstructions(run_.model, x[8:])])
        save_grid(rows.numpy(), folder / "reconstructions.png", nrow=8)
        drawn.append("reconstructions.png")
    if not (folder / "latent-map.png").is_file():
        test = test or split_of(run_, "test")
        written = latent_map_figures(run_, test, limit=5000, grid=20, span=3.0, out_dir=folder)
        drawn += [p.name for p in written]
    return drawn


def _sections(run_dir: Path, run_):
    from vaekit.viz.report import Figure, Section, Table, flatten

    cfg = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    sections = [Section("Configuration", [Table("config.json", flatten(cfg), ("key", "value"))])]
    rows = [m for m in run_.metrics if "test" in m and "train" in m]
    if rows:
        table = [(m["epoch"], m["train"]["loss"], m["test"]["loss"], m["test"]["reconstruction"],
                  m["test"]["kl"], m["test"].get("active_units", ""), m.get("seconds", ""))
                 for m in rows]
        header = ("epoch", "train loss", "test loss", "test rec.", "test KL", "active units",
                  "seconds")
        sections.append(Section("Training (nats per example)",
                                 [Table("metrics.jsonl", table, header)]))
    folder = figures_dir(run_dir)
    files = sorted(p for p in folder.glob("*") if p.suffix in (".png", ".gif"))
    files.sort(key=lambda p: (FIRST.index(p.name) if p.name in FIRST else len(FIRST), p.name))
    if files:
        sections.append(Section("Figures", [Figure(f"figures/{p.name}", p.read_bytes())
                                            for p in files]))
    results = list(JSON_RESULTS.items())
    results += [(p.name, f"Attribute vector ({p.stem})")
                for p in sorted(run_dir.glob("attribute-*.json"))]
    for name, heading in results:
        path = run_dir / name
        if path.is_file():
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            sections.append(Section(heading, [Table(name, flatten(doc), ("key", "value"))]))
    return sections


def run(args: argparse.Namespace) -> int:
    from vaekit.cli._runs import load_run
    from vaekit.fileio import atomic_write_text
    from vaekit.viz.report import render_report

    run_dir = Path(args.run_dir)
    run_ = load_run(run_dir)
    drawn = [] if args.no_draw else _draw_missing(run_, figures_dir(run_dir))
    sections = _sections(run_dir, run_)
    kind = "AE" if run_.config.model.autoencoder else "VAE"
    subtitle = (f"{kind}, {run_.config.model.arch} model, latent {run_.config.model.latent_dim}"
                f", data {run_.config.data.name}; losses in nats per example")
    page = render_report(f"vaekit run {run_dir.name}", sections, subtitle=subtitle)
    out = Path(args.out) if args.out else run_dir / "report.html"
    atomic_write_text(out, page)
    figures = sum(len(s.blocks) for s in sections if s.heading == "Figures")
    say(f"wrote {out} ({len(page) / 1e3:.0f} kB, {figures} figures inlined"
        + (f"; drew {', '.join(drawn)}" if drawn else "") + ")")
    return 0
