"""Run directories (format version 1): data, not code.

  runs/NAME/
    config.json        {"format": "vaekit-run", "format_version": 1, "vaekit_version",
                        "model", "data", "train"}
    model.safetensors  weights of the unwrapped model
    trainer_state.pt   everything needed to resume: weights, optimizer, epoch, step, RNG
                       states -- tensors and plain values only, loaded with weights_only=True
    metrics.jsonl      one JSON object per line (per epoch)
    figures/           what the commands drew

Each file is replaced atomically. trainer_state.pt carries its own copy of the weights so
that a resume point is always one consistent file, whatever moment a crash hits.
"""

from __future__ import annotations

import dataclasses
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from vaekit import __version__
from vaekit.config import RunConfig, config_from_dict, config_to_dict
from vaekit.errors import CheckpointError, ConfigError
from vaekit.fileio import atomic_write_bytes, atomic_write_json, atomic_write_text
from vaekit.models.build import build_vae
from vaekit.models.vae import VAE

PRETRAINED = "pretrained"  # pretrained:NAME opens a run shipped in vaekit/pretrained/NAME
PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
FORMAT = "vaekit-run"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
STATE_FILE = "trainer_state.pt"
METRICS_FILE = "metrics.jsonl"
VOCAB_FILE = "vocab.json"


@dataclass
class Run:
    """A loaded run directory."""

    path: Path
    config: RunConfig
    model: VAE
    metrics: list[dict[str, Any]]
    step: int = 0  # the training step the weights were saved at


# --- writing ---------------------------------------------------------------------------


def save_config(run_dir: Path, config: RunConfig) -> None:
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "vaekit_version": __version__}
    doc.update(config_to_dict(config))
    atomic_write_json(run_dir / CONFIG_FILE, doc)


def save_weights(run_dir: Path, model: torch.nn.Module, *, step: int) -> None:
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write_bytes(run_dir / WEIGHTS_FILE, st_save(tensors, metadata={"step": str(step)}))


def save_tensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    """Other tensors a run keeps (e.g. a fitted latent density) as safetensors, atomically."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    atomic_write_bytes(path, st_save(tensors, metadata=metadata))


def load_tensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]] | None:
    """(tensors, metadata) of a file written by save_tensors; None when there is none."""
    if not path.is_file():
        return None
    try:
        data = path.read_bytes()
        tensors = st_load(data)
        with safe_open(str(path), "pt") as fh:
            metadata = dict(fh.metadata() or {})
    except (SafetensorError, ValueError, OSError) as exc:
        raise CheckpointError(f"{path}: not a valid safetensors file ({exc})") from None
    return tensors, metadata


def save_trainer_state(run_dir: Path, state: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(run_dir / STATE_FILE, buffer.getvalue())


def save_metrics(run_dir: Path, rows: list[dict[str, Any]]) -> None:
    atomic_write_text(run_dir / METRICS_FILE, "".join(json.dumps(r) + "\n" for r in rows))


# --- reading ---------------------------------------------------------------------------


def pretrained_names() -> list[str]:
    return sorted(p.name for p in PRETRAINED_DIR.glob("*") if (p / CONFIG_FILE).is_file())


def resolve_run_dir(run_dir: str | Path) -> Path:
    """A run directory, or `pretrained:NAME`: a run shipped with the package, copied on
    first use to the user cache (cache_dir()/pretrained/NAME), where commands may write
    their figures and results beside it; the copy is refreshed when the shipped weights
    change."""
    text = str(run_dir)
    if not text.startswith(f"{PRETRAINED}:"):
        return Path(run_dir)
    from vaekit.data.locate import cache_dir
    from vaekit.fileio import sha256_file

    name = text.partition(":")[2]
    if name not in pretrained_names():
        raise CheckpointError(f"unknown pretrained run {name!r} (valid: "
                              f"{', '.join(pretrained_names()) or 'none shipped'})")
    shipped, copy = PRETRAINED_DIR / name, cache_dir() / PRETRAINED / name
    weights = copy / WEIGHTS_FILE
    if weights.is_file() and sha256_file(weights) == sha256_file(shipped / WEIGHTS_FILE):
        return copy
    try:
        for file in shipped.iterdir():  # the weights last: they mark a complete copy
            if file.is_file() and file.name != WEIGHTS_FILE:
                atomic_write_bytes(copy / file.name, file.read_bytes())
        atomic_write_bytes(weights, (shipped / WEIGHTS_FILE).read_bytes())
    except OSError as exc:
        raise CheckpointError(f"cannot copy the pretrained run {name} to {copy} ({exc})") \
            from None
    return copy


def load_config(run_dir: str | Path) -> RunConfig:
    run_dir = resolve_run_dir(run_dir)
    path = run_dir / CONFIG_FILE
    if not run_dir.is_dir():
        raise CheckpointError(f"run directory not found: {run_dir}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(
            f"{run_dir} is not a vaekit run directory (no {CONFIG_FILE})"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: unreadable ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a vaekit run config (format is not {FORMAT!r})")
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: run format_version {version!r} is not supported by vaekit {__version__} "
            f"(it reads version {FORMAT_VERSION})"
        )
    try:
        config = config_from_dict(doc)
    except ConfigError as exc:
        raise CheckpointError(f"{path}: {exc}") from None
    if config.data.kind is None:  # runs written before data.kind was recorded
        model = config.model
        kind = "image" if model.arch != "lstm" else "melody" if model.pad_token is None else "text"
        config = dataclasses.replace(config, data=dataclasses.replace(config.data, kind=kind))
    data = doc.get("data") if isinstance(doc.get("data"), dict) else {}
    if "fit" not in data and config.data.name.startswith(("folder:", "celeba:")):
        # Runs written before data.fit: their folders were scaled and centre-cropped.
        config = dataclasses.replace(config, data=dataclasses.replace(config.data, fit="crop"))
    if "valid_fraction" not in data:  # ... and had no validation split
        config = dataclasses.replace(config, data=dataclasses.replace(config.data,
                                                                      valid_fraction=0.0))
    return config


def load_weights(run_dir: Path, model: torch.nn.Module) -> int:
    """Load model.safetensors into `model`; returns the step it was saved at."""
    path = run_dir / WEIGHTS_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"{run_dir}: missing {WEIGHTS_FILE}") from None
    try:
        tensors = st_load(data)
    except (SafetensorError, ValueError, OSError) as exc:
        raise CheckpointError(f"{path}: not a valid safetensors file ({exc})") from None
    load_state_dict_checked(model, tensors, str(path))
    try:
        with safe_open(str(path), "pt") as fh:
            return int((fh.metadata() or {}).get("step", 0))
    except (SafetensorError, ValueError, OSError):
        return 0


def load_state_dict_checked(model: torch.nn.Module, tensors: dict, where: str) -> None:
    """Like load_state_dict(strict=True), but every mismatch is a one-line CheckpointError."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{where}: weights do not match the config's model "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    for name, tensor in tensors.items():
        if not isinstance(tensor, torch.Tensor) or tensor.shape != expected[name].shape:
            got = tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor)
            raise CheckpointError(
                f"{where}: weight {name} has shape {got}, the config's model needs "
                f"{tuple(expected[name].shape)}"
            )
        if not torch.isfinite(tensor).all():
            raise CheckpointError(f"{where}: weight {name} holds NaN or infinite values")
    model.load_state_dict(tensors)


def remove_stale_temp_files(run_dir: Path) -> list[Path]:
    """Delete temporary files an interrupted atomic write left behind (never real files)."""
    stale = [p for p in Path(run_dir).glob(".*.tmp") if p.is_file()]
    for p in stale:
        p.unlink()
    return stale


def load_trainer_state(run_dir: Path) -> dict[str, Any]:
    """trainer_state.pt, loaded with weights_only=True: no code is ever unpickled."""
    path = run_dir / STATE_FILE
    if not run_dir.is_dir():
        raise CheckpointError(f"run directory not found: {run_dir}")
    if not path.is_file():
        raise CheckpointError(
            f"{run_dir}: no {STATE_FILE}, so no epoch completed there; nothing to resume "
            "(start again with --overwrite)"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure of the restricted unpickler
        # weights_only=True never runs code; whatever goes wrong means a malformed or
        # malicious file, and torch raises many exception types for those.
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        raise CheckpointError(f"{path}: refused or unreadable ({first[:200]})") from None
    if not _is_trainer_state(state):
        raise CheckpointError(f"{path}: not a vaekit trainer state")
    return state


def _is_trainer_state(state: Any) -> bool:
    if not isinstance(state, dict) or not {"model", "optimizer", "epoch", "step", "rng"} <= set(
        state
    ):
        return False
    model, rng = state["model"], state["rng"]
    return (
        isinstance(model, dict)
        and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in model.items())
        and isinstance(state["optimizer"], dict)
        and type(state["epoch"]) is int
        and type(state["step"]) is int
        and state["epoch"] >= 0
        and state["step"] >= 0
        and isinstance(rng, dict)
        and all(isinstance(rng.get(k), torch.Tensor) and rng[k].dtype == torch.uint8
                for k in ("shuffle", "torch"))
        and isinstance(state.get("controls", {}), dict)
        and all(isinstance(k, str) and isinstance(v, int | float)
                for k, v in state.get("controls", {}).items())
        and (state.get("best_model") is None or (
            isinstance(state["best_model"], dict)
            and all(isinstance(v, torch.Tensor) for v in state["best_model"].values())))
    )


def load_vocab(run_dir: str | Path) -> dict[str, Any] | None:
    """vocab.json of a sequence run (None for image runs)."""
    path = Path(run_dir) / VOCAB_FILE
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: unreadable ({exc})") from None
    if not isinstance(doc, dict):
        raise CheckpointError(f"{path}: not a vocabulary document")
    return doc


def load_metrics(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / METRICS_FILE
    if not path.is_file():
        return []
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise CheckpointError(f"{path}: line {n} is not JSON") from None
            if not isinstance(row, dict):
                raise CheckpointError(f"{path}: line {n} is not a JSON object")
            rows.append(row)
    return rows


def load_run(run_dir: str | Path, *, map_location: str | torch.device = "cpu") -> Run:
    """Rebuild the model from config.json and load its weights; nothing else is needed.
    `run_dir` may also be `pretrained:NAME` (see resolve_run_dir)."""
    run_dir = resolve_run_dir(run_dir)
    config = load_config(run_dir)
    if config.model.input_shape is None:
        raise CheckpointError(f"{run_dir / CONFIG_FILE}: model.input_shape is missing")
    try:
        model = build_vae(config.model)
    except ConfigError as exc:
        raise CheckpointError(f"{run_dir / CONFIG_FILE}: {exc}") from None
    step = load_weights(run_dir, model)
    model.to(map_location).eval()
    return Run(path=run_dir, config=config, model=model, metrics=load_metrics(run_dir),
               step=step)


def load(run_dir: str | Path) -> VAE:
    """The trained model of a run directory (or `pretrained:NAME`), in eval mode on the
    CPU."""
    return load_run(run_dir).model

