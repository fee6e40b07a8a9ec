"""The seed's fixed-sigma Gaussian against a learned sigma and the sigma-VAE's analytic
optimum (Rybkin et al. 2021), on MNIST, Fashion-MNIST and Olivetti faces: the same model
and budget per data set, only --likelihood changes. Each run is scored by

- sample quality of 10,000 samples from the prior and from the mixture fitted to the
  training codes (vaekit.sample_quality; Olivetti: its 320 training images cap N, and
  there is no judge, so pixel-PCA features and no validity), beside the reference rows
  (training images: the best; noise: the worst);
- the KL (nats per example) and active units of the last epoch's test row: the fixed
  sigma = 0.71 weighs the reconstruction so little that most units collapse;
- bits per dimension of the discrete pixels (IWAE, K = 100 on the first 1,000 test
  images, dequantised): all three are densities, so this compares them fairly;
- the sigma the likelihood ends with.

    python benchmarks/gaussian_sigma.py --threads 1 --out runs/sigma

Prints one row per run and the JSON document. Measured on a shared 2-core CPU (31
minutes in all, 34-214 s of training per run; fd in squared feature units -- judge
features for MNIST and Fashion-MNIST, pixel PCA for Olivetti --, the rest fractions; KL
in nats per example; the JSON has density and coverage too):

    run                       sampler     KL active  sigma  b/dim      fd   prec.  recall  valid.
    mnist, fixed sigma        prior     11.4  16/16  0.707  8.880   223.1   0.887   0.410   0.461
                              gmm                                    88.9   0.963   0.196   0.833
    mnist, learned            prior     48.1  16/16  0.113  6.855   318.0   0.797   0.604   0.371
                              gmm                                    26.5   0.914   0.782   0.862
    mnist, optimal            prior     53.0  16/16  0.105  6.865   461.8   0.805   0.338   0.299
                              gmm                                    30.9   0.911   0.761   0.856
    mnist, reference          test                                    2.3   0.939   0.946   0.958
                              noise                                5918.3   0.000   0.000   0.000
    fashion-mnist, fixed      prior      7.5  10/16  0.707  8.871   146.7   0.722   0.167   0.368
                              gmm                                    70.2   0.918   0.022   0.528
    fashion-mnist, learned    prior     38.2  16/16  0.118  6.922   215.7   0.671   0.488   0.242
                              gmm                                    21.3   0.938   0.456   0.592
    fashion-mnist, optimal    prior     46.0  16/16  0.108  6.907   275.3   0.641   0.424   0.183
                              gmm                                    19.5   0.926   0.514   0.602
    fashion-mnist, reference  test                                    0.3   0.932   0.936   0.707
                              noise                                1122.5   0.374   0.000   0.000
    olivetti, fixed sigma     prior      7.0  27/32  0.707  8.770    38.6   0.656   0.000       -
                              gmm                                    43.5   0.528   0.000       -
    olivetti, learned         prior     22.1  32/32  0.288  7.566    54.4   0.391   0.087       -
                              gmm                                    36.8   0.422   0.025       -
    olivetti, optimal         prior    144.9  32/32  0.036 10.578   114.8   0.022   0.000       -
                              gmm                                    24.7   0.497   0.538       -
    olivetti, reference       test                                   28.5   0.338   0.650       -
                              noise                                 299.1   0.000   0.000       -
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import torch

import vaekit
from vaekit.analysis.evaluate import evaluate
from vaekit.config import config_from_dict
from vaekit.data.prepare import prepare

LIKELIHOODS = ("gaussian", "gaussian_learned", "gaussian_optimal")
SETTINGS = {  # the same model for the three likelihoods of one data set
    "mnist": {"model": {"hidden": [400], "latent_dim": 16}, "train": {"epochs": 5}},
    "fashion-mnist": {"model": {"hidden": [400], "latent_dim": 16}, "train": {"epochs": 5}},
    # the README's face model (attribute vectors): dense 4096-512-32, 300 epochs
    "olivetti": {"model": {"hidden": [512], "latent_dim": 32}, "train": {"epochs": 300}},
}
COLUMNS = ("fd", "precision", "recall", "validity")


def _cells(row: dict) -> str:
    return "".join(f"{'—':>10}" if row[c] is None else f"{row[c]:>10.3f}" for c in COLUMNS)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="runs/sigma", help="folder for the runs")
    p.add_argument("--data", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    p.add_argument("--likelihoods", nargs="+", default=list(LIKELIHOODS),
                   choices=list(LIKELIHOODS))
    p.add_argument("--n", type=int, default=10_000, help="samples per run (default 10000)")
    p.add_argument("--iw-samples", type=int, default=100)
    p.add_argument("--threads", type=int, help="torch threads (1 on a shared machine)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print("$ python " + shlex.join(["benchmarks/gaussian_sigma.py", *sys.argv[1:]]))
    doc = {}
    print(f"{'run, sampler':<40}{'KL':>7}{'active':>8}{'sigma':>8}{'bits/dim':>10}" +
          "".join(f"{c:>10}" for c in COLUMNS))
    for data in args.data:
        for likelihood in args.likelihoods:
            name = f"{data}-{likelihood}"
            config = config_from_dict({**SETTINGS[data], "data": {"name": data},
                                       "model": {**SETTINGS[data]["model"],
                                                 "likelihood": likelihood}})
            started = time.perf_counter()
            result = vaekit.train(config, Path(args.out) / name)
            seconds = time.perf_counter() - started
            model, test_row = result.model, result.metrics[-1]["test"]
            _, dataset = prepare(result.config)
            ev, _ = evaluate(model, dataset.test.x[:1000], k=args.iw_samples,
                             levels=dataset.levels)
            sigma = (float(model.likelihood.log_sigma.detach().exp())
                     if likelihood != "gaussian" else model.likelihood.sigma)
            doc[name] = {"train_seconds": round(seconds, 1), "kl": test_row["kl"],
                         "active_units": test_row["active_units"], "sigma": sigma,
                         "bits_per_dim": ev.bits_per_dim}
            for sampler in ("prior", "gmm"):
                q = vaekit.sample_quality(Path(args.out) / name, n=args.n,
                                          sampler=sampler).to_dict()["sample_quality"]
                doc[name][sampler] = q
                head = (f"{test_row['kl']:>7.1f}{test_row['active_units']:>5}/"
                        f"{model.latent_dim:<2}{sigma:>8.3f}{ev.bits_per_dim:>10.3f}"
                        if sampler == "prior" else f"{'':>33}")
                print(f"{name + ' ' + sampler:<40}{head}{_cells(q)}"
                      + (f"   ({seconds:.0f} s)" if sampler == "prior" else ""))
        refs = doc[name]["prior"]["reference"]
        for ref in ("test", "noise"):
            print(f"{data + ' reference ' + ref:<40}{'':>33}{_cells(refs[ref])}")
    print(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
