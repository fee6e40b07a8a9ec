"""Count-model baselines on held-out melody windows (issue #15), to print beside a VAE's.

    VAEKIT_DATA_DIR=../shared/data .venv/bin/python benchmarks/melody_baselines.py \
        [--data nottingham] [--smoothing 0.1] [--bars 2]

Prints accuracy (teacher forced), note accuracy (non-HOLD targets), the same for a greedy
rollout, and the NLL in nats per step, for each baseline of vaekit.analysis.baselines,
fitted on the training windows and scored on the test windows of the dataset's split.
With --stats it also prints the sample-statistics reference rows of
vaekit.analysis.music_stats (training set vs test set, and the degenerate generators).
"""

from __future__ import annotations

import argparse
import json
import time

from vaekit.analysis.baselines import melody_baselines
from vaekit.config import DataConfig
from vaekit.data.registry import load_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="nottingham")
    parser.add_argument("--bars", type=int, default=2)
    parser.add_argument("--smoothing", type=float, default=0.1)
    parser.add_argument("--stats", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    data = load_dataset(args.data, config=DataConfig(name=args.data, bars=args.bars))
    train, test = data.train.x, data.test.x
    print(f"{args.data}: {len(train)} training and {len(test)} test windows of "
          f"{test.shape[1]} steps, loaded in {time.perf_counter() - start:.1f} s")
    print(f"{'baseline':<16} {'accuracy':>9} {'note acc':>9} {'gen acc':>9} "
          f"{'gen note':>9} {'NLL nats/step':>14}")
    for name, s in melody_baselines(train, test, smoothing=args.smoothing).items():
        nll = "-" if s.nll_per_token is None else f"{s.nll_per_token:.4f}"
        print(f"{name:<16} {s.accuracy:9.4f} {s.note_accuracy:9.4f} "
              f"{s.generated_accuracy:9.4f} {s.generated_note_accuracy:9.4f} {nll:>14}")
    if args.stats:
        from vaekit.analysis.music_stats import reference_overlaps

        start = time.perf_counter()
        reference = reference_overlaps(train.numpy(), test.numpy())
        print(f"sample statistics, overlap with the test windows "
              f"({time.perf_counter() - start:.1f} s):")
        print(json.dumps(reference, indent=2))


if __name__ == "__main__":
    main()
