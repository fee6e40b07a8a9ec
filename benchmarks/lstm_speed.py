"""Training speed of vaekit's LSTM melody VAE against a plain PyTorch training loop of the
same model written the way tutorials write it: a Dataset of melodies as Python lists, a
DataLoader with a collate function that pads each batch, eager autograd, Adam.

Same model (vaekit's bi-LSTM encoder and LSTM decoder: latent 64, LSTM 128, embedding
64), same data (Nottingham 2-bar windows of the training tunes, 90 event classes), same
loss (summed cross-entropy + KL, nats per melody), Adam 1e-3, batch 64 for the peer.
Epochs alternate in this process, so machine drift hits both alike. vaekit variants:
`fp32` (the defaults) and the recommended fast setting (`fast`, i.e. `vaekit train
--fast`); `--variant NAME:KEY=VALUE,...` adds others (train.* keys, e.g. precision=bf16,
batch_size=256,lr=2e-3). Beside every epoch the model's forward + backward alone is timed
(hardware.Floor): the floor of any eager loop with these kernels.
FLOPs: PyTorch's counter for the matmuls, the fused LSTM kernels by formula
(hardware.count_flops).

    python benchmarks/lstm_speed.py --epochs 4
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np
import torch
from hardware import Floor, count_flops, matmul_peak, ratio_line, timed, vaekit_epoch
from torch.nn.utils.rnn import pad_sequence

from vaekit.config import DataConfig, RunConfig, config_from_dict
from vaekit.data.registry import load_dataset
from vaekit.models.build import build_vae
from vaekit.training.trainer import Trainer

MODEL = {"arch": "lstm", "likelihood": "categorical", "latent_dim": 64, "rnn_hidden": 128,
         "embedding_dim": 64}
VARIANTS = {"fp32": {}, "fast": {"fast": True}}


class Melodies(torch.utils.data.Dataset):
    """Each melody a Python list of events, as a tutorial's Dataset returns them."""

    def __init__(self, windows: np.ndarray) -> None:
        self.melodies = [list(map(int, row)) for row in windows]

    def __len__(self) -> int:
        return len(self.melodies)

    def __getitem__(self, i: int) -> list[int]:
        return self.melodies[i]


def pad_batch(batch: list[list[int]]) -> torch.Tensor:
    """The tutorial's collate_fn: tensors per melody, padded to the batch's longest."""
    return pad_sequence([torch.tensor(m) for m in batch], batch_first=True)


def peer_epoch(model, optimizer, loader, device: str = "cpu") -> float:
    total, n = 0.0, 0
    model.train()
    for x in loader:
        x = x.to(device)  # the tutorial moves each padded batch to the device
        out = model(x)
        rec = out.p_x.reconstruction(x).mean()
        mean, log_std = out.q_mean, out.q_log_std
        kl = (0.5 * (torch.exp(2 * log_std) + mean**2 - 1 - 2 * log_std)).sum(1).mean()
        loss = rec + kl
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
        n += len(x)
    return total / n




def flops_per_epoch(model, x: torch.Tensor, n: int) -> float:
    """Forward + backward FLOPs of one batch (the fused LSTM kernels' counted by
    hardware.count_flops), times the batches of an epoch."""
    return count_flops(model, lambda: model(x).p_x.reconstruction(x).mean().backward()) \
        * n / len(x)


def parse_variant(text: str) -> tuple[str, dict]:
    name, _, rest = text.partition(":")
    options = dict(item.split("=", 1) for item in rest.split(",") if item)
    return name, options


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (benchmarks/gpu.py)")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:K=V,...")
    parser.add_argument("--only", nargs="+", help="time only these vaekit variants")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    torch.set_num_threads(args.threads)
    data = load_dataset("nottingham")
    windows = data.train.x.numpy()
    n = len(windows)
    peak32 = matmul_peak(device=args.device)
    peak16 = matmul_peak(torch.bfloat16, device=args.device)
    print(f"torch {torch.__version__}, {args.threads} threads, {os.cpu_count()} CPUs; "
          f"{n} training windows of {windows.shape[1]} steps; matmul peak here (2048^3): "
          f"fp32 {peak32:.0f} GFLOP/s, bf16 {peak16:.0f} GFLOP/s")

    variants = {**VARIANTS, **dict(parse_variant(v) for v in args.variant)}
    if args.only:
        variants = {k: v for k, v in variants.items() if k in args.only}
    trainers = {}
    for name, options in variants.items():
        config = config_from_dict({"model": MODEL, "train": {
            "epochs": args.epochs, "batch_size": 64, "lr": 1e-3, "seed": args.seed,
            "free_bits": 0.0,  # the peer's loss: the plain ELBO (melody runs default to 1)
            "device": args.device, **options}}, base=RunConfig(data=DataConfig(name="nottingham")))
        trainers[f"vaekit {name}"] = Trainer(config, tempfile.mkdtemp(prefix="vaekit-lstm-"),
                                             dataset=data)
    torch.manual_seed(args.seed)
    peer = build_vae(next(iter(trainers.values())).config.model).to(args.device)
    peer_opt = torch.optim.Adam(peer.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(Melodies(windows), batch_size=64, shuffle=True,
                                         collate_fn=pad_batch)
    model, batch = build_vae(peer.config).to(args.device), data.train.x[:64].to(args.device)
    flops = flops_per_epoch(model, batch, n)

    floor = Floor(model, batch, batches=-(-n // 64), device=args.device, flops=flops,
                  peaks={"fp32": peak32, "bf16": peak16})
    print(f"{flops / 1e9:.0f} GFLOP per epoch (forward + backward; matmuls counted by PyTorch, "
          "the LSTM gates by their formula)")
    names = ["peer", *trainers]
    ratios = {who: [] for who in trainers}
    peer_times = []
    for epoch in range(1, args.epochs + 1):
        times, losses = {}, {}
        for who in (names if epoch % 2 else names[::-1]):
            if who == "peer":
                losses[who], times[who] = timed(args.device, peer_epoch, peer, peer_opt,
                                                loader, args.device)
            else:
                losses[who], times[who] = timed(args.device, vaekit_epoch, trainers[who])
        peer_times.append(times["peer"])
        floor.measure()  # beside the epochs
        parts = [f"peer (tutorial loop): {times['peer']:.2f} s, loss {losses['peer']:.2f}"]
        for who in trainers:
            ratios[who].append(times["peer"] / times[who])
            peak = peak16 if trainers[who].config.train.precision == "bf16" else peak32
            gflops = flops / times[who] / 1e9
            parts.append(f"{who}: {times[who]:.2f} s, loss {losses[who]:.2f}, "
                         f"{ratios[who][-1]:.2f}x, {gflops:.1f} GFLOP/s = "
                         f"{gflops / peak:.2f} of peak")
        print(f"epoch {epoch} | " + " | ".join(parts), flush=True)
    print("losses: training negative ELBO of the epoch, nats per melody")
    for who, values in ratios.items():
        print(ratio_line(who, "the tutorial loop", values))
    print(floor.summary(peer_times, "the tutorial loop"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
