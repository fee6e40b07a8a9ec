"""vaekit train: train a model, write the run directory and its loss curves."""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from vaekit.cli.common import add_config_flags, changed_keys, config_from_args, figures_dir, say
from vaekit.errors import ConfigError, VaekitError

HELP = "train a VAE (or AE) and write a run directory"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", metavar="RUN_DIR", help="run directory to create "
                   "(default: runs/DATA-ARCH-TIMESTAMP)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR up to "
                   "--epochs; only train.* settings may change")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_config_flags(p)


def _target(args: argparse.Namespace, cfg) -> Path:
    if args.out:
        return Path(args.out)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{cfg.data.name}-{cfg.model.arch}-{stamp}"


def run(args: argparse.Namespace) -> int:
    from vaekit.checkpoint import load_config
    from vaekit.training.trainer import train
    from vaekit.viz.curves import save_loss_curves

    if args.resume:
        if args.out and Path(args.out) != Path(args.resume):
            raise ConfigError("--resume continues in its own run directory; drop --out")
        not_train = [k for k in changed_keys(args) if not k.startswith("train.")]
        if not_train:
            raise ConfigError(f"cannot change {not_train[0]} when resuming (only train.* keys)")
        run_dir = Path(args.resume)
        config = config_from_args(args, base=load_config(run_dir))
    else:
        config = config_from_args(args)
        run_dir = _target(args, config)
        if (run_dir / "config.json").exists():
            if not args.overwrite:
                raise VaekitError(
                    f"{run_dir} already holds a run; use --resume {run_dir} to continue it "
                    "or --overwrite to replace it"
                )
            shutil.rmtree(run_dir)
    if config.data.name == "nottingham" or config.data.name.startswith("midi:"):
        say(f"melody of each MIDI file: {config.data.melody} (--melody top|bottom|track:N|"
            "program:N; default top: the highest sounding note)")
    created = not run_dir.exists()
    try:
        result = train(config, run_dir, resume=bool(args.resume), progress=not args.quiet)
    except KeyboardInterrupt:
        if (run_dir / "trainer_state.pt").is_file():
            say(f"interrupted; the last completed epoch is saved. Continue with: "
                f"vaekit train --resume {run_dir}")
        else:  # nothing to resume: leave no half-made run directory behind
            if created:
                shutil.rmtree(run_dir, ignore_errors=True)
            say("interrupted before the first epoch completed; nothing was saved. Run the "
                "same command to start again")
        return 130
    if result.metrics:
        save_loss_curves(result.metrics, figures_dir(run_dir) / "loss.png")
        row = result.metrics[-1]
        last = row["test"]
        kept = row.get("test_weights_epoch", row["epoch"])
        say(
            f"epoch {row['epoch']}: test negative ELBO {last['negative_elbo']:.2f} "
            f"nats per example (reconstruction {last['reconstruction']:.2f}, KL {last['kl']:.2f})"
            + (f", weights of epoch {kept} (best validation -ELBO)" if kept != row["epoch"]
               else "")
        )
    say(f"wrote {run_dir}/ (config.json, model.safetensors, trainer_state.pt, metrics.jsonl, "
        "figures/loss.png)")
    return 0
