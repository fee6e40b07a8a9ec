"""Training curves from metrics.jsonl rows."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from vaekit.fileio import atomic_write_bytes


def save_loss_curves(metrics: list[dict[str, Any]], path: str | Path) -> Path:
    """Train and test loss, reconstruction and KL per epoch, in nats per example."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [m["epoch"] for m in metrics]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    for ax, term, title in zip(
        axes, ("loss", "reconstruction", "kl"), ("negative ELBO", "reconstruction", "KL")
    ):
        for split, style in (("train", "-o"), ("test", "--s")):
            ax.plot(epochs, [m[split][term] for m in metrics], style, ms=3, label=split)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel("nats per example")
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)
