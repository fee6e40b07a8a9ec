"""vaekit: variational auto-encoders on PyTorch.

    import vaekit
    model = vaekit.load("runs/demo")        # the trained VAE, eval mode, CPU
    q_z = model.encode(x)                    # Normal over z, (B, D)
    images = model.decode(q_z.mean).mean     # (B, C, H, W)
    samples = model.sample(16)               # decoded prior draws

Nothing runs at import: the submodules (and torch) load when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "load": "vaekit.checkpoint",
    "load_run": "vaekit.checkpoint",
    "Run": "vaekit.checkpoint",
    "train": "vaekit.training.trainer",
    "TrainResult": "vaekit.training.trainer",
    "VAE": "vaekit.models.vae",
    "VAEOutput": "vaekit.models.vae",
    "build_vae": "vaekit.models.build",
    "negative_elbo": "vaekit.objectives",
    "iwae_bound": "vaekit.objectives",
    "evaluate": "vaekit.analysis.evaluate",
    "log_likelihood": "vaekit.analysis.evaluate",
    "Evaluation": "vaekit.analysis.evaluate",
    "elbo_terms": "vaekit.analysis.evaluate",
    "ElboTerms": "vaekit.analysis.evaluate",
    "Trainer": "vaekit.training.trainer",
    "Loss": "vaekit.objectives",
    "load_dataset": "vaekit.data.registry",
    "Dataset": "vaekit.data.dataset",
    "Split": "vaekit.data.dataset",
    "sample_latents": "vaekit.samplers",
    "sample_quality": "vaekit.experiments.sample_quality",
    "ModelConfig": "vaekit.config",
    "DataConfig": "vaekit.config",
    "TrainConfig": "vaekit.config",
    "RunConfig": "vaekit.config",
    "load_toml": "vaekit.config",
    "VaekitError": "vaekit.errors",
    "ConfigError": "vaekit.errors",
    "DataError": "vaekit.errors",
    "CheckpointError": "vaekit.errors",
    "TrainingError": "vaekit.errors",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'vaekit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
