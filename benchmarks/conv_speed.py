"""Training speed of vaekit's conv VAE against the keras.io example's training loop: the
same architecture, batch (128), optimizer (Adam 1e-3) and data (the 60,000 MNIST training
images, grey, summed BCE + KL), timed side by side.

Peers:
- the keras.io example itself (TensorFlow/Keras; benchmarks/keras_vae_example.py), run as
  a subprocess when an interpreter with TensorFlow is given (`--keras-python`) or this one
  has it; otherwise the output says it was not run. It runs one epoch per request, so its
  epochs alternate with the PyTorch ones like the others' (seconds timed inside fit());
- always, the same loop transcribed to PyTorch the way the example and the tutorials
  write it (a DataLoader over the images, eager autograd, sigmoid decoder + BCE on
  probabilities, log-variance head), alternating epochs with vaekit's trainer in this
  process so drift hits both alike.

vaekit variants: `fp32` (the defaults) and `fast` (the recommended setting, `vaekit train
--fast` = `--precision bf16 --compile`). Each line gives seconds per epoch, the epoch's
mean training loss (nats per image), the speed-up over the peers, and GFLOP/s against the
matmul peak measured here (fp32, and bf16 for `fast`). Beside every epoch the model's
forward + backward alone is timed (hardware.Floor): the floor of any eager
loop with these kernels, and so the most such a loop can gain over the peers (a compiled
step can go somewhat below it by fusing the elementwise work).

    python benchmarks/conv_speed.py --epochs 5 [--keras-python /path/to/tf/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from hardware import Floor, matmul_peak, ratio_line, timed, vaekit_epoch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.data.registry import load_dataset
from vaekit.models.build import build_vae
from vaekit.training.trainer import Trainer

HERE = Path(__file__).resolve().parent
VARIANTS = {"fp32": {}, "fast": {"fast": True}}  # fast: `vaekit train --fast`


# --- the peer: the keras.io loop, transcribed -------------------------------------------


class KerasStyleVAE(nn.Module):
    """The example's encoder and decoder in PyTorch (log-variance head, sigmoid output)."""

    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 32, 3, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 2, 1),
                                 nn.ReLU(), nn.Flatten(), nn.Linear(7 * 7 * 64, 16), nn.ReLU())
        self.z_mean, self.z_log_var = nn.Linear(16, 2), nn.Linear(16, 2)
        self.dec = nn.Sequential(
            nn.Linear(2, 7 * 7 * 64), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 64, 3, 2, 1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 3, 2, 1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(32, 1, 3, 1, 1), nn.Sigmoid())

    def forward(self, x):
        h = self.enc(x)
        z_mean, z_log_var = self.z_mean(h), self.z_log_var(h)
        z = z_mean + torch.exp(0.5 * z_log_var) * torch.randn_like(z_mean)
        return self.dec(z), z_mean, z_log_var


def peer_epoch(model, optimizer, loader, device: str = "cpu") -> dict[str, float]:
    """One epoch of the example's train_step, as written there: per batch, forward, summed
    BCE + KL, backward, Adam."""
    sums, n = np.zeros(3), 0
    for (x,) in loader:
        x = x.to(device)
        reconstruction, z_mean, z_log_var = model(x)
        rec = F.binary_cross_entropy(reconstruction, x, reduction="none").sum((1, 2, 3)).mean()
        kl = (-0.5 * (1 + z_log_var - z_mean**2 - z_log_var.exp())).sum(1).mean()
        loss = rec + kl
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        sums += np.array([loss.item(), rec.item(), kl.item()]) * len(x)
        n += len(x)
    return dict(zip(("loss", "reconstruction", "kl"), (sums / n).tolist()))


# --- arithmetic --------------------------------------------------------------------------




def flops_per_epoch(model: nn.Module, n: int, batch: int = 128) -> float:
    """FLOPs of forward + backward of one batch (counted by PyTorch), times the batches."""
    x = torch.rand(batch, 1, 28, 28, device=next(model.parameters()).device)
    counter = FlopCounterMode(display=False)
    with counter:
        out = model(x)
        loss = out.p_x.reconstruction(x).mean() if hasattr(out, "p_x") else out[0].sum()
        loss.backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops() * n / batch


class KerasPeer:
    """The real keras.io example in a subprocess (benchmarks/keras_vae_example.py
    --on-request), one epoch per request, so its epochs alternate with PyTorch's. `epoch()`
    returns its JSON line (seconds timed inside TensorFlow's fit, loss terms), or None once
    it has failed (said once)."""

    def __init__(self, python: str, images: np.ndarray, threads: int) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        npz = Path(self.tmp.name) / "mnist.npz"
        np.savez(npz, x=images)
        self.proc = subprocess.Popen(
            [python, str(HERE / "keras_vae_example.py"), "--npz", str(npz), "--on-request",
             "--threads", str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
        header = self._line()
        self.ok = header is not None
        if self.ok:
            print(f"keras.io example: TensorFlow {header.get('tensorflow')}, Keras "
                  f"{header.get('keras')}, epochs alternating with PyTorch's")

    def _line(self) -> dict | None:
        for line in self.proc.stdout:
            if line.startswith("{"):
                return json.loads(line)
        err = self.proc.stderr.read().strip().splitlines()[-1:]
        print(f"keras.io example: stopped ({err})")
        return None

    def epoch(self) -> dict | None:
        if not self.ok:
            return None
        self.proc.stdin.write("epoch\n")
        self.proc.stdin.flush()
        row = self._line()
        self.ok = row is not None
        return row

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()
        self.tmp.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (benchmarks/gpu.py)")
    parser.add_argument("--keras-python", help="an interpreter with TensorFlow for the real "
                        "keras.io example (default: this one, if it has TensorFlow)")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    torch.set_num_threads(args.threads)
    data = load_dataset("mnist")
    images = (data.train.x[:, 0] * 255).round().to(torch.uint8).numpy()
    n = len(images)
    peak32 = matmul_peak(device=args.device)
    peak16 = matmul_peak(torch.bfloat16, device=args.device)
    print(f"torch {torch.__version__}, {args.threads} threads, {os.cpu_count()} CPUs; "
          f"matmul peak here (2048^3): fp32 {peak32:.0f} GFLOP/s, bf16 {peak16:.0f} GFLOP/s")

    keras_python = args.keras_python
    if keras_python is None:
        import importlib.util

        keras_python = sys.executable if importlib.util.find_spec("tensorflow") else None
    if args.device != "cpu":
        keras_python = None  # the keras.io example runs on the CPU here
    keras = KerasPeer(keras_python, images, args.threads) if keras_python else None
    if keras_python is None:
        print("keras.io example: not run (no TensorFlow here; pass --keras-python)")

    torch.manual_seed(args.seed)
    peer = KerasStyleVAE().to(args.device)
    peer_opt = torch.optim.Adam(peer.parameters(), lr=1e-3)
    x = torch.from_numpy(images).float().div(255).unsqueeze(1)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x), batch_size=128,
                                         shuffle=True)
    trainers = {}
    for name, options in VARIANTS.items():
        config = RunConfig(
            model=ModelConfig(arch="conv", channels=(32, 64), hidden=(16,), latent_dim=2,
                              likelihood="bernoulli"),
            data=DataConfig(name="mnist"),
            train=TrainConfig(epochs=args.epochs, batch_size=128, lr=1e-3, seed=args.seed,
                              device=args.device, **options))
        trainers[f"vaekit {name}"] = Trainer(config, tempfile.mkdtemp(prefix="vaekit-conv-"),
                                             dataset=data)
    flops = flops_per_epoch(next(iter(trainers.values())).model, n)
    print(f"{flops / 1e9:.0f} GFLOP per epoch (forward + backward, counted by PyTorch)")
    model = build_vae(next(iter(trainers.values())).config.model).to(args.device)
    model.to(memory_format=torch.channels_last)
    floor = Floor(model, x[:128].to(args.device).contiguous(memory_format=torch.channels_last),
                  batches=-(-n // 128), device=args.device, flops=flops,
                  peaks={"fp32": peak32, "bf16": peak16})
    names = (["keras.io"] if keras else []) + ["peer", *trainers]
    ratios = {who: [] for who in trainers}
    keras_ratios = {who: [] for who in trainers}
    peer_times, keras_times = [], []
    for epoch in range(1, args.epochs + 1):
        order = names if epoch % 2 else names[::-1]  # alternate, so drift hits all alike
        times, losses = {}, {}
        for who in order:
            if who == "keras.io":
                row = keras.epoch()
                if row is not None:
                    times[who], losses[who] = row["seconds"], row["loss"]
            elif who == "peer":
                terms, times[who] = timed(args.device, peer_epoch, peer, peer_opt, loader,
                                          args.device)
                losses[who] = terms["loss"]
            else:
                losses[who], times[who] = timed(args.device, vaekit_epoch, trainers[who])
        peer_times.append(times["peer"])
        floor.measure()  # beside the epochs
        parts = [f"peer (PyTorch loop): {times['peer']:.2f} s, loss {losses['peer']:.2f}"]
        if "keras.io" in times:
            keras_times.append(times["keras.io"])
            parts.insert(0, f"keras.io: {times['keras.io']:.2f} s, "
                            f"loss {losses['keras.io']:.2f}")
        for who in trainers:
            ratios[who].append(times["peer"] / times[who])
            if "keras.io" in times:
                keras_ratios[who].append(times["keras.io"] / times[who])
            peak = peak16 if trainers[who].config.train.precision == "bf16" else peak32
            gflops = flops / times[who] / 1e9
            parts.append(f"{who}: {times[who]:.2f} s, loss {losses[who]:.2f}, "
                         f"{ratios[who][-1]:.2f}x"
                         + (f" ({keras_ratios[who][-1]:.2f}x keras.io)"
                            if "keras.io" in times else "")
                         + f", {gflops:.0f} GFLOP/s = {gflops / peak:.2f} of peak")
        print(f"epoch {epoch} | " + " | ".join(parts), flush=True)
    if keras:
        keras.close()
    print("losses: training loss of the epoch, nats per image (summed BCE + KL); keras.io's "
          "seconds are timed inside its fit()")
    for who, values in ratios.items():
        print(ratio_line(who, "the PyTorch transcription of the keras loop", values))
    if len(keras_times) == args.epochs:
        for who, values in keras_ratios.items():
            print(ratio_line(who, "the keras.io example (TensorFlow)", values))
    print(floor.summary(peer_times, "the PyTorch loop"))
    if len(keras_times) == args.epochs:
        print(floor.summary(keras_times, "keras.io"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
