"""The training log: a progress bar on the terminal (stderr). Metrics go to metrics.jsonl
through vaekit.checkpoint, and to TensorBoard when asked (`TensorBoardLog`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from vaekit.errors import ConfigError


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

    def counter(self, desc: str) -> Callable[[int, int], None]:
        """A progress(done, total) callback for long preparation (decoding an image folder
        into the cache): a bar on a terminal, a line per tenth of the work in a log."""
        state: dict[str, Any] = {"bar": None, "next": 0.1}

        def report(done: int, total: int) -> None:
            if not self.enabled:
                return
            if self.interactive:
                if state["bar"] is None:
                    state["bar"] = tqdm(total=total, desc=desc, unit="image", file=sys.stderr,
                                        dynamic_ncols=True)
                state["bar"].update(done - state["bar"].n)
                if done >= total:
                    state["bar"].close()
            elif done >= state["next"] * total or done == total:
                print(f"{desc}: {done}/{total} images", file=sys.stderr, flush=True)
                while state["next"] * total <= done:
                    state["next"] += 0.1

        return report


class TensorBoardLog:
    """The metrics rows as TensorBoard scalars in RUN/tensorboard (beside metrics.jsonl,
    which stays the record): SPLIT/TERM per epoch, and the learning rate and KL weight.
    Needs the optional `tensorboard` package (pip install 'vaekit[tensorboard]')."""

    TERMS = ("objective", "negative_elbo", "reconstruction", "kl")

    def __init__(self, log_dir: str | Path, *, first_epoch: int = 1) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ConfigError("--tensorboard needs the tensorboard package: "
                              "pip install 'vaekit[tensorboard]'") from None
        # purge_step drops events a crash left after the last saved epoch (on resume).
        self.writer = SummaryWriter(str(log_dir), purge_step=first_epoch)

    def write(self, row: dict[str, Any]) -> None:
        epoch = row["epoch"]
        for split in ("train", "valid", "test"):
            for term in self.TERMS:
                if isinstance(row.get(split), dict) and term in row[split]:
                    self.writer.add_scalar(f"{split}/{term}", row[split][term], epoch)
        for key in ("lr", "beta"):
            if key in row:
                self.writer.add_scalar(f"train/{key}", row[key], epoch)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
