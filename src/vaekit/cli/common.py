"""Shared CLI plumbing: config flags that map onto config fields, error handling, output."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from vaekit.config import (
    CHOICES,
    SECTIONS,
    RunConfig,
    apply_overrides,
    config_from_dict,
    load_toml,
)

# flag -> (config key, argparse kwargs). Defaults are NOT restated here: a flag that is not
# given leaves the config (defaults from config.py, a TOML file, or a resumed run) alone.
CONFIG_FLAGS: dict[str, tuple[str, dict[str, Any]]] = {
    "--data": ("data.name", {"help": "dataset name (mnist, fashion-mnist, digits, ...)"}),
    "--data-path": ("data.path", {"help": "folder holding the dataset's files (searched first)"}),
    "--binarize": ("data.binarize", {"help": "dynamic: resample binary pixels every batch"}),
    "--limit-train": ("data.limit_train", {"type": int, "help": "use the first N train examples"}),
    "--limit-test": ("data.limit_test", {"type": int, "help": "use the first N test examples"}),
    "--image-size": ("data.image_size", {"type": int, "nargs": "+",
                                         "help": "folders and arrays: H W, or one side for a "
                                                 "square (None: the images' own size)"}),
    "--fit": ("data.fit", {"help": "images of another aspect ratio: none refuses them; pad, "
                                   "crop or stretch them to --image-size"}),
    "--labels-key": ("data.labels_key", {"help": "npz arrays: the key of the (N,) labels"}),
    "--image-channels": ("data.channels", {"type": int, "choices": [1, 3],
                                           "help": "image folders: 1 grey, 3 RGB"}),
    "--corruption": ("data.corruption", {"help": "denoising: corrupt the input only"}),
    "--noise-level": ("data.noise_level", {"type": float,
                                           "help": "gaussian sigma, or salt_pepper/mask p"}),
    "--bars": ("data.bars", {"type": int, "help": "melodies: bars per example"}),
    "--transpose": ("data.transpose", {"type": int, "nargs": "+",
                                       "help": "melodies: semitone shifts (augmentation)"}),
    "--melody": ("data.melody", {"help": "MIDI: the notes that make the melody of a "
                                         "polyphonic file: top (the highest sounding note), "
                                         "bottom, track:N or program:N (from 0)"}),
    "--strict": ("data.strict", {"action": "store_const", "const": True,
                                 "help": "MIDI folders: stop at the first unreadable file "
                                         "(default: skip it, warn with the count)"}),
    "--text-level": ("data.text_level", {"help": "text tokens"}),
    "--max-len": ("data.max_len", {"type": int, "help": "text: longest line in tokens"}),
    "--test-fraction": ("data.test_fraction", {"type": float,
                                               "help": "held-out fraction (no official split)"}),
    "--valid-fraction": ("data.valid_fraction", {
        "type": float, "help": "validation examples carved from the training split (seeded); "
                               "None: 0.1 when a training control needs them, else 0"}),
    "--model": ("model.arch", {"help": "architecture"}),
    "--latent-dim": ("model.latent_dim", {"type": int, "help": "dimensions of z"}),
    "--hidden": ("model.hidden", {"type": int, "nargs": "+", "help": "hidden layer sizes"}),
    "--activation": ("model.activation", {"help": "hidden-layer activation"}),
    "--likelihood": ("model.likelihood", {"help": "gaussian = summed squared error (fixed "
                                                  "sigma); gaussian_learned / gaussian_optimal "
                                                  "= sigma learned / set to its optimum; "
                                                  "bernoulli = summed BCE; continuous_bernoulli "
                                                  "= a proper likelihood for grey pixels"}),
    "--autoencoder": ("model.autoencoder", {"action": "store_const", "const": True,
                                            "help": "plain auto-encoder: no sampling, no KL"}),
    "--conditional": ("model.conditional", {"action": "store_const", "const": True,
                                            "help": "labelled images: feed the class label "
                                                    "to encoder and decoder (conditional VAE)"}),
    "--conv-channels": ("model.channels", {"type": int, "nargs": "+",
                                           "help": "conv: channels per stride-2 layer"}),
    "--embedding-dim": ("model.embedding_dim", {"type": int, "help": "lstm: token embedding"}),
    "--rnn-hidden": ("model.rnn_hidden", {"type": int, "help": "lstm: units per direction"}),
    "--word-dropout": ("model.word_dropout", {"type": float,
                                              "help": "lstm: decoder input token dropout"}),
    "--scheduled-sampling": ("model.scheduled_sampling", {
        "type": float, "help": "lstm: fraction of decoder inputs taken from its own "
                               "predictions"}),
    "--epochs": ("train.epochs", {"type": int, "help": "total epochs (also when resuming)"}),
    "--batch-size": ("train.batch_size", {"type": int, "help": "examples per step"}),
    "--lr": ("train.lr", {"type": float, "help": "Adam learning rate"}),
    "--beta": ("train.beta", {"type": float, "help": "weight on the KL term"}),
    "--kl-schedule": ("train.kl_schedule", {"help": "KL weight schedule"}),
    "--kl-warmup-steps": ("train.kl_warmup_steps", {"type": int,
                                                    "help": "steps of the KL ramp from 0"}),
    "--kl-cycle-steps": ("train.kl_cycle_steps", {"type": int, "help": "cyclical: period"}),
    "--free-bits": ("train.free_bits", {"type": float,
                                        "help": "nats per latent dim not penalised (None: "
                                                "0 for images, 1 for melodies and text)"}),
    "--objective": ("train.objective", {"help": "training bound"}),
    "--iw-samples": ("train.iw_samples", {"type": int, "help": "iwae: samples per example"}),
    "--precision": ("train.precision", {"help": "fp32-fast: oneDNN fast fp32 matmuls (CPU); "
                                                "bf16: autocast the forward pass"}),
    "--compile": ("train.compile", {"action": "store_const", "const": True,
                                    "help": "torch.compile the training step (dense and "
                                            "conv: gradients and Adam as one graph); needs "
                                            "a C++ compiler, compiles in the first epoch"}),
    "--fast": ("train.fast", {"action": "store_const", "const": True,
                              "help": "the recommended fast setting for the model "
                                      "(config.FAST_SETTINGS: bf16 + the compiled step for "
                                      "dense and conv, bf16 for LSTMs; README: Speed); an "
                                      "explicit --precision other than fp32 wins"}),
    "--lr-schedule": ("train.lr_schedule", {"help": "cosine: to --lr-min over the run; "
                                                    "plateau: lower it when validation stalls"}),
    "--lr-min": ("train.lr_min", {"type": float, "help": "cosine: the final learning rate"}),
    "--plateau-patience": ("train.plateau_patience", {"type": int,
                                                      "help": "plateau: epochs to wait"}),
    "--plateau-factor": ("train.plateau_factor", {"type": float,
                                                  "help": "plateau: multiply the rate by this"}),
    "--early-stopping": ("train.early_stopping", {
        "type": int, "metavar": "PATIENCE",
        "help": "stop after PATIENCE epochs without a better validation -ELBO; keeps the "
                "best weights"}),
    "--keep-best": ("train.keep_best", {"action": "store_const", "const": True,
                                        "help": "keep the weights of the best validation "
                                                "epoch"}),
    "--tensorboard": ("train.tensorboard", {"action": "store_const", "const": True,
                                            "help": "also log to RUN/tensorboard "
                                                    "(pip install 'vaekit[tensorboard]')"}),
    "--seed": ("train.seed", {"type": int, "help": "random seed"}),
    "--grad-clip-norm": ("train.grad_clip_norm", {"type": float,
                                                  "help": "clip the gradient norm"}),
    "--device": ("train.device", {"help": "cpu, cuda, mps or auto"}),
}


def _default_of(key: str) -> Any:
    section, name = key.split(".")
    for f in dataclasses.fields(SECTIONS[section]):
        if f.name == name:
            return f.default
    return None  # pragma: no cover


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("configuration (defaults from vaekit.config)")
    group.add_argument("--config", metavar="FILE.toml", help="TOML file with [model] [data] "
                       "[train] tables")
    group.add_argument("--set", metavar="SECTION.KEY=VALUE", action="append", default=[],
                       dest="overrides", help="override any config field; repeatable")
    for flag, (key, kwargs) in CONFIG_FLAGS.items():
        kwargs = dict(kwargs)
        if key in CHOICES:  # declared once, in vaekit.config
            kwargs["choices"] = list(CHOICES[key])
        kwargs["help"] = f"{kwargs['help']} [{key}, default: {_default_of(key)}]"
        if "action" not in kwargs and "choices" not in kwargs and "metavar" not in kwargs:
            kwargs["metavar"] = key.split(".")[1].upper()
        group.add_argument(flag, dest=key.replace(".", "__"), default=None, **kwargs)


def config_from_args(args: argparse.Namespace, base: RunConfig | None = None) -> RunConfig:
    """Config precedence: base (defaults or resumed run) < --config < flags < --set."""
    cfg = base or RunConfig()
    if args.config:
        cfg = load_toml(args.config, base=cfg)
    nested: dict[str, dict[str, Any]] = {}
    for key, _ in CONFIG_FLAGS.values():
        value = getattr(args, key.replace(".", "__"))
        if value is not None:
            section, name = key.split(".")
            nested.setdefault(section, {})[name] = value
    cfg = config_from_dict(nested, base=cfg)
    return apply_overrides(cfg, args.overrides)


def add_sampler_argument(parser: Any, *, note: str = "") -> None:
    """`--sampler prior|gmm` for the commands that draw latents (sample, evaluate
    --sample-quality); left unset it means the run's default (samplers.default_sampler).
    The names are vaekit.samplers.SAMPLERS (not imported here: the CLI starts without torch;
    tests/cli checks that they agree)."""
    parser.add_argument("--sampler", choices=["prior", "gmm"],
                        help="where latents come from: the prior N(0, I), or a Gaussian "
                             "mixture fitted to the training codes (fitted once, kept in the "
                             f"run{note}) (default prior; gmm for conditional runs, one "
                             "mixture per class)")


def resolve_sampler(args: argparse.Namespace, run: Any) -> str:
    """The --sampler asked for, else the run's default; stored back in args."""
    from vaekit.samplers import default_sampler

    args.sampler = args.sampler or default_sampler(run)
    return args.sampler


def changed_keys(args: argparse.Namespace) -> list[str]:
    """The config keys the command line sets (flags and --set)."""
    keys = [k for k, _ in CONFIG_FLAGS.values() if getattr(args, k.replace(".", "__")) is not None]
    keys += [item.split("=", 1)[0].strip() for item in args.overrides]
    return keys


def say(text: str) -> None:
    """Command output for humans goes to stdout."""
    print(text, flush=True)


def figures_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / "figures"


def err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class progress:
    """A progress report for long work, as a context manager whose `update(n)` counts done
    units: a bar on a terminal; in a log or pipe, a line at every tenth of the work (with
    the rate and the time left), so long runs show progress either way."""

    def __init__(self, total: int, desc: str, unit: str = "example") -> None:
        self.total, self.desc, self.unit = max(1, total), desc, unit
        self.done, self.next_line = 0, 0.1
        self.bar = None

    def __enter__(self) -> progress:
        import time

        self.started = time.perf_counter()
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit=self.unit, desc=self.desc, leave=False,
                            file=sys.stderr, dynamic_ncols=True)
        return self

    def update(self, n: int) -> None:
        import time

        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        if self.done >= self.next_line * self.total:
            seconds = time.perf_counter() - self.started
            rate = self.done / max(seconds, 1e-9)
            left = (self.total - self.done) / max(rate, 1e-9)
            err(f"{self.desc}: {100 * self.done / self.total:.0f}% ({self.done}/{self.total} "
                f"{self.unit}s, {rate:.0f}/s, {seconds:.0f} s so far, about {left:.0f} s left)")
            while self.next_line * self.total <= self.done:
                self.next_line += 0.1

    def set_description(self, desc: str) -> None:
        self.desc = desc
        if self.bar is not None:
            self.bar.set_description(desc)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
