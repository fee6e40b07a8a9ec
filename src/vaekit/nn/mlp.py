"""Dense stacks: no VAE knowledge here."""

from __future__ import annotations

from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
}


def activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r} (valid: {', '.join(ACTIVATIONS)})")
    return ACTIVATIONS[name]()


def mlp(sizes: list[int], *, act: str = "relu", final_act: bool = True) -> nn.Sequential:
    """Linear layers through `sizes` (in, h1, ..., out), an activation after each layer
    except, when `final_act` is False, the last."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if final_act or i < len(sizes) - 2:
            layers.append(activation(act))
    return nn.Sequential(*layers)
