"""The training log: a progress bar on the terminal (stderr). Metrics go to metrics.jsonl
through vaekit.checkpoint."""

from __future__ import annotations

import sys

from tqdm import tqdm


class Progress:
    """One bar per epoch; `update` takes a loss already moved to the host."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: tqdm | None = None

    def start_epoch(self, epoch: int, epochs: int, steps: int) -> None:
        if self.enabled:
            self.bar = tqdm(
                total=steps, desc=f"epoch {epoch}/{epochs}", unit="step", leave=True,
                file=sys.stderr, dynamic_ncols=True,
            )

    def update(self, steps: int, loss: float | None = None) -> None:
        if self.bar is not None:
            self.bar.update(steps)
            if loss is not None:
                self.bar.set_postfix_str(f"loss {loss:.2f} nats/example", refresh=False)

    def end_epoch(self, summary: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(summary)
            self.bar.close()
            self.bar = None

    def message(self, text: str) -> None:
        if self.enabled:
            tqdm.write(text, file=sys.stderr)
