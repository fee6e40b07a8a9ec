"""Devices and processes: which device a run trains on, and multi-process training on
PyTorch's own engine (torch.distributed + DDP).

Launched by torchrun (`torchrun --nproc-per-node N -m vaekit train ...`), each process
finds RANK / WORLD_SIZE / LOCAL_RANK in its environment. Backend: NCCL for CUDA, gloo on
the CPU. Every rank draws the same global batch (same seeds); each takes its contiguous
slice, DDP averages the gradients, so N processes take exactly the steps one process
would take with the same global batch. Only rank 0 writes the run directory.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from vaekit.errors import ConfigError


def resolve_device(name: str) -> torch.device:
    """train.device as a torch.device: cpu, cuda[:N], mps, or auto (the best available)."""
    mps = getattr(torch.backends, "mps", None)
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("train.device=cuda but no CUDA device is available")
    if name == "mps" and not (mps is not None and mps.is_available()):
        raise ConfigError("train.device=mps but MPS is not available")
    return torch.device(name)


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def init_distributed(device: torch.device) -> tuple[DistInfo, torch.device]:
    """Join the process group torchrun set up; single process when not launched by it."""
    if not launched_by_torchrun() or int(os.environ["WORLD_SIZE"]) == 1:
        return DistInfo(), device
    info = DistInfo(
        rank=int(os.environ["RANK"]),
        world_size=int(os.environ["WORLD_SIZE"]),
        local_rank=int(os.environ.get("LOCAL_RANK", 0)),
    )
    if device.type == "cuda":
        device = torch.device("cuda", info.local_rank)
        torch.cuda.set_device(device)
    else:
        # Share the cores between the processes on this machine instead of oversubscribing.
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", info.world_size))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world))
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return info, device


def shard(n: int, info: DistInfo) -> slice:
    """This rank's contiguous slice of a global batch of n examples."""
    per = -(-n // info.world_size)
    return slice(min(n, info.rank * per), min(n, (info.rank + 1) * per))


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def shutdown(info: DistInfo) -> None:
    """Destroy the process group, and collect what held it, before the interpreter exits
    (call it once nothing else references the group, e.g. after dropping DDP)."""
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()
        gc.collect()
