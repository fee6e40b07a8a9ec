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
import time

import numpy as np
import torch
import torch.nn.functional as F
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


def tutorial_epoch(model, optimizer, loader) -> None:
    model.train()
    train_loss = 0.0
    for data, _ in loader:
        optimizer.zero_grad()
        recon, mu, logvar = model(data)
        loss = tutorial_loss(recon, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()


@torch.no_grad()
def tutorial_test(model, x_test: torch.Tensor) -> float:
    model.eval()
    total = 0.0
    for i in range(0, len(x_test), 128):
        data = x_test[i : i + 128]
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


def matmul_peak(seconds: float = 1.0, size: int = 2048) -> float:
    """Sustained fp32 GFLOP/s of a large square matmul on this machine and thread count."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b  # warm-up
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2 * size**3 * count / (time.perf_counter() - start) / 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    data = load_dataset("mnist")
    images = (data.train.x[:, 0] * 255).round().to(torch.uint8).numpy()
    loader = torch.utils.data.DataLoader(
        TutorialMNIST(images, data.train.y.numpy()), batch_size=128, shuffle=True
    )
    torch.manual_seed(args.seed)
    tutorial = TutorialVAE()
    tutorial_opt = torch.optim.Adam(tutorial.parameters(), lr=1e-3)

    config = RunConfig(
        model=ModelConfig(latent_dim=20, hidden=(400,), likelihood="bernoulli"),
        data=DataConfig(name="mnist"),
        train=TrainConfig(epochs=args.epochs, batch_size=128, lr=1e-3, seed=args.seed),
    )
    trainer = Trainer(config, tempfile.mkdtemp(prefix="vaekit-speed-"), dataset=data)
    n = len(data.train)
    flops = flops_per_epoch(n)
    peak = matmul_peak()
    print(f"torch {torch.__version__}, {args.threads} threads, {os.cpu_count()} CPUs; "
          f"{flops / 1e9:.0f} GFLOP per epoch; matmul peak {peak:.0f} GFLOP/s (fp32 2048^3)")
    print(f"{'epoch':>5} {'vaekit s':>9} {'tutorial s':>10} {'vaekit/s':>9} "
          f"{'tutorial/s':>10} {'ratio':>6} {'GFLOP/s':>8} {'test vaekit':>11} "
          f"{'test tutorial':>13}")
    clock = {"vaekit": 0.0, "tutorial": 0.0}
    reached: dict[str, float | None] = {"vaekit": None, "tutorial": None}
    ratios = []
    for epoch in range(1, args.epochs + 1):
        times = {}
        order = ("vaekit", "tutorial") if epoch % 2 else ("tutorial", "vaekit")
        for who in order:  # alternate which goes first, so drift hits both alike
            start = time.perf_counter()
            if who == "vaekit":
                trainer.train_epoch()
            else:
                tutorial_epoch(tutorial, tutorial_opt, loader)
            times[who] = time.perf_counter() - start
            clock[who] += times[who]
        tests = {"vaekit": trainer.evaluate()["loss"],
                 "tutorial": tutorial_test(tutorial, data.test.x)}
        for who in reached:
            if reached[who] is None and tests[who] <= TARGET_NATS:
                reached[who] = clock[who]
        ratio = times["tutorial"] / times["vaekit"]
        ratios.append(ratio)
        print(f"{epoch:>5} {times['vaekit']:>9.2f} {times['tutorial']:>10.2f} "
              f"{n / times['vaekit']:>9.0f} {n / times['tutorial']:>10.0f} {ratio:>5.2f}x "
              f"{flops / times['vaekit'] / 1e9:>8.0f} {tests['vaekit']:>11.2f} "
              f"{tests['tutorial']:>13.2f}", flush=True)
    print(f"median speed-up {sorted(ratios)[len(ratios) // 2]:.2f}x (samples/s, vaekit over "
          "tutorial); test losses in nats per example")
    for who, secs in reached.items():
        when = f"{secs:.1f} s of training" if secs is not None else "not reached"
        print(f"time to test loss <= {TARGET_NATS:g} nats: {who}: {when}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
