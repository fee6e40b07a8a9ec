"""Latent-space figures: code scatters with the prior's circles, and the AE-vs-VAE panel.

Arrays in, PNG files out; nothing here knows about models.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vaekit.fileio import atomic_write_bytes


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | Path, *, dpi: int = 100) -> Path:
    plt = _pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)


def scatter_panel(
    ax, points: np.ndarray, labels: np.ndarray | None, *, axis_labels: tuple[str, str] =
    ("z1", "z2"), prior_center: tuple[float, float] | None = (0.0, 0.0),
    label_names: tuple[str, ...] | None = None, title: str = "", legend: bool = True,
) -> None:
    """Points (N, 2) coloured by integer label, with the N(0, I) prior's 1 sigma and 2 sigma
    circles around `prior_center` (None: no circles)."""
    points = np.asarray(points, dtype=np.float64)
    if labels is None:
        ax.scatter(points[:, 0], points[:, 1], s=3, alpha=0.6, color="tab:blue", linewidths=0)
    else:
        labels = np.asarray(labels)
        classes = np.unique(labels)
        cmap = _pyplot().get_cmap("tab10" if len(classes) <= 10 else "tab20")
        for k, c in enumerate(classes):
            name = label_names[int(c)] if label_names and 0 <= c < len(label_names) else str(c)
            sel = labels == c
            ax.scatter(points[sel, 0], points[sel, 1], s=3, alpha=0.6, linewidths=0,
                       color=cmap(k % cmap.N), label=name)
        if legend:
            ax.legend(markerscale=4, fontsize=7, loc="upper right", framealpha=0.7)
    if prior_center is not None:
        from matplotlib.patches import Circle

        for radius, style in ((1.0, "-"), (2.0, "--")):
            ax.add_patch(Circle(prior_center, radius, fill=False, color="black", lw=1.0,
                                ls=style, label=None))
        ax.annotate("prior 1σ, 2σ", xy=(prior_center[0], prior_center[1] + 2.0), fontsize=7,
                    ha="center", va="bottom")
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_aspect("equal", adjustable="datalim")
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title, fontsize=9)


def save_latent_map(
    points: np.ndarray, labels: np.ndarray | None, path: str | Path, *,
    axis_labels: tuple[str, str] = ("z1", "z2"),
    prior_center: tuple[float, float] | None = (0.0, 0.0),
    label_names: tuple[str, ...] | None = None, title: str = "",
) -> Path:
    """One scatter of codes, as PNG."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 6))
    scatter_panel(ax, points, labels, axis_labels=axis_labels, prior_center=prior_center,
                  label_names=label_names, title=title)
    fig.tight_layout()
    return _save(fig, path)


@dataclass
class ModelPanel:
    """One row of the comparison figure: a model's codes, then decoded pictures ((H, W, C)
    uint8, e.g. from vaekit.viz.images.grid) each with its title, and numbers for the
    caption."""

    name: str
    points: np.ndarray
    labels: np.ndarray | None
    pictures: list[tuple[str, np.ndarray]]
    numbers: dict[str, float] = field(default_factory=dict)
    axis_labels: tuple[str, str] = ("z1", "z2")
    prior_center: tuple[float, float] | None = (0.0, 0.0)


def _picture(ax, picture: np.ndarray, title: str) -> None:
    ax.imshow(picture[..., 0] if picture.shape[-1] == 1 else picture, cmap="gray",
              vmin=0, vmax=255, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def save_compare_figure(panels: list[ModelPanel], path: str | Path) -> Path:
    """Rows of models; columns: codes with the prior's circles, then each panel's pictures."""
    plt = _pyplot()
    columns = 1 + max(len(panel.pictures) for panel in panels)
    fig, axes = plt.subplots(len(panels), columns, figsize=(4.4 * columns, 4.6 * len(panels)),
                             squeeze=False)
    for k, (row, panel) in enumerate(zip(axes, panels)):
        caption = ", ".join(f"{k} {v:.3g}" for k, v in panel.numbers.items())
        scatter_panel(row[0], panel.points, panel.labels, title=f"{panel.name}: test codes",
                      legend=k == 0, axis_labels=panel.axis_labels,
                      prior_center=panel.prior_center)
        row[0].text(0.0, -0.16, caption, transform=row[0].transAxes, fontsize=8, va="top")
        for ax, (title, picture) in zip(row[1:], panel.pictures):
            _picture(ax, picture, f"{panel.name}: {title}")
        for ax in row[1 + len(panel.pictures):]:
            ax.axis("off")
    fig.tight_layout()
    return _save(fig, path)
