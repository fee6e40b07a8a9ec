"""The training log: a progress bar on the terminal (stderr). Metrics go to metrics.jsonl
through vaekit.checkpoint."""

from __future__ import annotations

import sys

from tqdm import tqdm


class Progress:
    """One bar per epoch on a terminal; one line per epoch when stderr is a file or pipe
    (logs stay readable). `update` takes a loss already moved to the host."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.interactive = enabled and sys.stderr.isatty()
        self.bar: tqdm | None = None
        self.label = ""

    def start_epoch(self, epoch: int, epochs: int, steps: int) -> None:
        self.label = f"epoch {epoch}/{epochs}"
        if self.interactive:
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
        elif self.enabled:
            print(f"{self.label}: {summary}", file=sys.stderr, flush=True)

    def message(self, text: str) -> None:
        if self.enabled:
            tqdm.write(text, file=sys.stderr)
