"""Training speed: vaekit's trainer against the standard PyTorch VAE tutorial loop.

In one process, on the same MNIST data and thread count, epochs alternate between
(A) vaekit's Trainer and (B) a faithful re-implementation of pytorch/examples' VAE loop:
a per-sample Dataset that builds a PIL image and converts it to a tensor (as torchvision's
MNIST + ToTensor do), DataLoader(batch_size=128, shuffle=True), the 784-400-20 model,
Adam 1e-3, summed BCE + KL. Both models are the same size and see the same data; only
the machinery around them differs. Prints samples/s, the ratio, test loss after every
epoch for both (equal learning per epoch), FLOPs per epoch, achieved GFLOP/s against a
matmul peak measured here, and seconds of training to reach a test loss <= 106 nats.

    .venv/bin/python benchmarks/train_speed.py --epochs 10
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
from hardware import matmul_peak, ratio_line, timed, vaekit_epoch  # benchmarks/hardware.py
from PIL import Image
from torch import nn

from vaekit.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vaekit.data.registry import load_dataset
from vaekit.training.trainer import Trainer

TARGET_NATS = 106.0


# --- (B) the tutorial, as pytorch/examples/vae/main.py writes it ---------------------


class TutorialMNIST(torch.utils.data.Dataset):
    """Per-sample access through PIL, like torchvision.datasets.MNIST + ToTensor()."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        img = Image.fromarray(self.images[i], mode="L")
        # ToTensor: bytes -> (H, W, C) -> (C, H, W) float in [0, 1]
        x = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8)
        x = x.view(img.size[1], img.size[0], 1).permute(2, 0, 1).float().div(255)
        return x, int(self.labels[i])


class TutorialVAE(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x):
        h1 = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def tutorial_loss(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def tutorial_epoch(model, optimizer, loader, device="cpu") -> None:
    model.train()
    train_loss = 0.0
    for data, _ in loader:
        data = data.to(device)  # pytorch/examples moves each batch to the device
        optimizer.zero_grad()
        recon, mu, logvar = model(data)
        loss = tutorial_loss(recon, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()


@torch.no_grad()
def tutorial_test(model, x_test: torch.Tensor, device="cpu") -> float:
    model.eval()
    total = 0.0
    for i in range(0, len(x_test), 128):
        data = x_test[i : i + 128].to(device)
        recon, mu, logvar = model(data)
        total += tutorial_loss(recon, data, mu, logvar).item()
    return total / len(x_test)


# --- arithmetic ------------------------------------------------------------------------


def flops_per_epoch(n: int) -> float:
    """Matmul FLOPs of one epoch of the 784-400-20 VAE: forward 2*sum(in*out) per example;
    backward the weight gradients of every layer plus the input gradients of every layer
    but the first (the data needs none)."""
    layers = [(784, 400), (400, 20), (400, 20), (20, 400), (400, 784)]
    forward = 2 * sum(a * b for a, b in layers)
    backward = forward + (forward - 2 * 784 * 400)
    return float(n * (forward + backward))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (benchmarks/gpu.py)")
    parser.add_argument("--variants", nargs="+", default=["fp32", "fp32-fast", "fast"],
                        choices=["fast", "fp32", "fp32-fast", "bf16", "fp32+compile",
                                 "fp32-fast+compile", "bf16+compile"],
                        help="vaekit variants to time, PRECISION[+compile] (each against the "
                        "same tutorial; compile time falls in the first epoch)")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    torch.set_num_threads(args.threads)

    data = load_dataset("mnist")
    images = (data.train.x[:, 0] * 255).round().to(torch.uint8).numpy()
    loader = torch.utils.data.DataLoader(
        TutorialMNIST(images, data.train.y.numpy()), batch_size=128, shuffle=True
    )
    torch.manual_seed(args.seed)
    tutorial = TutorialVAE().to(args.device)
    tutorial_opt = torch.optim.Adam(tutorial.parameters(), lr=1e-3)

    trainers = {}
    for variant in args.variants:
        # "fast" is the recommended setting, as `vaekit train --fast` gets it
        # (config.FAST_SETTINGS); "PRECISION[+compile]" spells a setting out.
        precision, _, compiled = ("fp32", "", "") if variant == "fast" else variant.partition("+")
        config = RunConfig(
            model=ModelConfig(latent_dim=20, hidden=(400,), likelihood="bernoulli"),
            data=DataConfig(name="mnist"),
            train=TrainConfig(epochs=args.epochs, batch_size=128, lr=1e-3, seed=args.seed,
                              precision=precision, compile=bool(compiled), device=args.device,
                              fast=variant == "fast"),
        )
        trainers[f"vaekit {variant}"] = Trainer(
            config, tempfile.mkdtemp(prefix="vaekit-speed-"), dataset=data
        )
    n = len(data.train)
    flops = flops_per_epoch(n)
    peak = matmul_peak(device=args.device)
    peak_bf16 = matmul_peak(dtype=torch.bfloat16, device=args.device)
    print(f"torch {torch.__version__}, {args.threads} threads, {os.cpu_count()} CPUs; "
          f"{flops / 1e9:.0f} GFLOP per epoch (matmuls); matmul peak here (2048^3): fp32 "
          f"{peak:.0f} GFLOP/s, bf16 {peak_bf16:.0f} GFLOP/s")
    if any("compile" in v or v == "fast" for v in args.variants):
        print("compiled variants: torch.compile runs in their first epoch (the inductor "
              f"cache is {os.environ.get('TORCHINDUCTOR_CACHE_DIR', 'the default one')})")
    names = ["tutorial", *trainers]

    def run_epoch(who: str) -> None:
        if who == "tutorial":
            tutorial_epoch(tutorial, tutorial_opt, loader, args.device)
        else:
            vaekit_epoch(trainers[who])

    def test_loss(who: str) -> float:
        if who == "tutorial":
            return tutorial_test(tutorial, data.test.x, args.device)
        return trainers[who].evaluate()["negative_elbo"]

    clock = dict.fromkeys(names, 0.0)
    reached: dict[str, float | None] = dict.fromkeys(names)
    ratios: dict[str, list[float]] = {who: [] for who in trainers}
    for epoch in range(1, args.epochs + 1):
        times = {}
        order = names if epoch % 2 else names[::-1]  # alternate, so drift hits all alike
        for who in order:
            _, times[who] = timed(args.device, run_epoch, who)
            clock[who] += times[who]
        parts = []
        for who in names:
            loss = test_loss(who)
            if reached[who] is None and loss <= TARGET_NATS:
                reached[who] = clock[who]
            line = f"{who}: {times[who]:.2f} s, {n / times[who]:.0f} samples/s, test {loss:.2f}"
            if who in ratios:
                ratios[who].append(times["tutorial"] / times[who])
                line += (f", {ratios[who][-1]:.2f}x, "
                         f"{flops / times[who] / 1e9:.0f} GFLOP/s")
            parts.append(line)
        print(f"epoch {epoch:>2} | " + " | ".join(parts), flush=True)
    print("test losses: nats per example (summed BCE + KL, 10,000 test images)")
    for who, values in ratios.items():
        print(ratio_line(who, "the tutorial", values))
    for who, secs in reached.items():
        when = f"{secs:.1f} s of training" if secs is not None else "not reached"
        print(f"time to test loss <= {TARGET_NATS:g} nats, {who}: {when}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
