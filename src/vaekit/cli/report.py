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
    """Draw the standard figures a run lacks; returns the names of the files drawn."""
    import torch

    from vaekit.analysis.sampling import prior_samples, reconstructions
    from vaekit.cli.latent_map import latent_map_figures
    from vaekit.data.prepare import prepare
    from vaekit.kinds import kind_of
    from vaekit.viz.curves import save_loss_curves

    drawn = []
    if run_.metrics and not (folder / "loss.png").is_file():
        save_loss_curves([m for m in run_.metrics if "train" in m], folder / "loss.png")
        drawn.append("loss.png")
    kind = kind_of(run_)
    data = None
    if not (folder / f"samples{kind.suffix}").is_file():
        written = kind.write(prior_samples(run_.model, 64 if kind.name == "image" else 8),
                             folder / f"samples{kind.suffix}", columns=8,
                             title="samples from the prior")
        drawn.append(written.paths[0].name)
    if not (folder / f"reconstructions{kind.suffix}").is_file():
        _, data = prepare(run_.config)
        x = data.test.x[:16 if kind.name == "image" else 4]
        half = (len(x) + 1) // 2
        x_hat = reconstructions(run_.model, x)
        rows = torch.cat([x[:half], x_hat[:half], x[half:], x_hat[half:]])
        written = kind.write(rows, folder / f"reconstructions{kind.suffix}", columns=half,
                             title="inputs and their reconstructions")
        drawn.append(written.paths[0].name)
    if not (folder / "latent-map.png").is_file():
        if data is None:
            _, data = prepare(run_.config)
        written = latent_map_figures(run_, data.test, limit=5000, grid=20, span=3.0,
                                     out_dir=folder, label_names=data.label_names)
        drawn += [p.name for p in written]
    return drawn


def _sections(run_dir: Path, run_):
    from vaekit.viz.report import Figure, Section, Table, flatten

    cfg = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    sections = [Section("Configuration", [Table("config.json", flatten(cfg), ("key", "value"))])]
    rows = [m for m in run_.metrics if "train" in m and ("test" in m or "valid" in m)]
    if rows:
        def elbo(split: dict) -> float:  # older runs call it "loss"
            return split.get("negative_elbo", split.get("loss"))

        held = "valid" if "valid" in rows[0] else "test"  # runs with a validation split
        table = [(m["epoch"], m["train"].get("objective", ""), elbo(m["train"]), elbo(m[held]),
                  m[held]["reconstruction"], m[held]["kl"], m[held].get("active_units", ""),
                  m.get("seconds", "")) for m in rows]
        header = ("epoch", "train objective", "train -ELBO", f"{held} -ELBO", f"{held} rec.",
                  f"{held} KL", "active units", "seconds")
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
