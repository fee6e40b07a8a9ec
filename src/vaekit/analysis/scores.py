"""Per-example scores for your own data, and a threshold picked at a false-positive rate.

An example the model finds unlikely is a candidate anomaly. Two scores per example:
- log p(x), the importance-weighted estimate L_K (Burda et al. 2016; vaekit.analysis.
  evaluate.log_likelihood), in nats: low means unusual;
- the reconstruction error, the squared distance between x and the decoding of its
  posterior mean, summed over values: high means unusual.

The threshold for a false-positive rate P is the P-quantile of the scores of examples
known to be normal -- the run's validation split, never its test split, which stays for
checking it: on the test split about a fraction P should fall past it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from vaekit.analysis.evaluate import log_likelihood
from vaekit.analysis.sampling import reconstructions
from vaekit.models.vae import VAE


@dataclass(frozen=True)
class ExampleScores:
    """log_px: (N,) float64 nats, IWAE with `iw_samples`; reconstruction_error: (N,)
    float64, squared error summed over the values of each example."""

    log_px: torch.Tensor
    reconstruction_error: torch.Tensor
    iw_samples: int


@torch.no_grad()
def score_examples(model: VAE, x: torch.Tensor, *, k: int = 100, batch_size: int = 100,
                   seed: int = 0, progress=None) -> ExampleScores:
    """Both scores for every example of x (N, C, H, W) (a tensor or a lazy float view)."""
    log_px = log_likelihood(model, x, k=k, batch_size=batch_size, seed=seed, progress=progress)
    errors = []
    for i in range(0, x.shape[0], 1000):
        xb = x[i : i + 1000]
        errors.append((reconstructions(model, xb) - xb).double().square().flatten(1).sum(1))
    return ExampleScores(log_px, torch.cat(errors), k)


def threshold_at_fpr(normal_log_px: torch.Tensor, fpr: float) -> float:
    """The log p(x) below which a fraction `fpr` of known-normal examples fall: examples
    scoring below it are flagged (the lower tail, as low likelihood marks an anomaly)."""
    if not 0 < fpr < 1:
        raise ValueError(f"the false-positive rate must be in (0, 1), got {fpr}")
    return float(torch.quantile(normal_log_px.double(), fpr))


def fraction_below(log_px: torch.Tensor, threshold: float) -> float:
    return float((log_px < threshold).double().mean())
