"""Training curves from metrics.jsonl rows."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from vaekit.fileio import atomic_write_bytes


def _term(row: dict[str, Any], term: str) -> float:
    # Runs written before the objective and the negative ELBO were named apart call the
    # negative ELBO "loss".
    return row[term] if term in row else row["loss"]


def save_loss_curves(metrics: list[dict[str, Any]], path: str | Path) -> Path:
    """Train and held-out negative ELBO, reconstruction and KL per epoch, in nats per
    example (and the training objective where it differs: beta, free bits, IWAE). Runs
    with a validation split draw it every epoch and the test split once, at the end."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [m["epoch"] for m in metrics]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    terms = ("negative_elbo", "reconstruction", "kl")
    for ax, term, title in zip(axes, terms, ("negative ELBO", "reconstruction", "KL")):
        for split, style in (("train", "-o"), ("valid", "-.d"), ("test", "--s")):
            rows = [m for m in metrics if isinstance(m.get(split), dict)]
            if rows:
                ax.plot([m["epoch"] for m in rows], [_term(m[split], term) for m in rows],
                        style, ms=3 if len(rows) > 1 else 7, label=split)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel("nats per example")
        ax.grid(alpha=0.3)
    objective = [m["train"].get("objective") for m in metrics]
    elbo = [_term(m["train"], "negative_elbo") for m in metrics]
    if None not in objective and any(abs(a - b) > 1e-4 * abs(a) for a, b in zip(objective, elbo)):
        axes[0].plot(epochs, objective, ":^", ms=3, label="train objective")
    axes[0].legend()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)
