"""Distributed helpers: one process or many under ``torchrun`` (DDP).

``torchrun --nproc_per_node=N`` sets ``RANK``, ``WORLD_SIZE`` and
``LOCAL_RANK``; :func:`setup` then initialises the process group (gloo on
CPU, nccl on GPU). SS_rate is computed per process on its local batch, as in
the paper; only the gate's reference is averaged over processes
(:func:`all_reduce_sum`). Without ``torchrun`` everything is a no-op.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

__all__ = [
    "DistInfo",
    "setup",
    "teardown",
    "all_reduce_sum",
    "all_gather_float",
    "is_main",
    "barrier",
]


@dataclass(frozen=True)
class DistInfo:
    """Rank, world size and device of this process."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: str = "cpu"

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def setup(device: str = "auto") -> DistInfo:
    """Initialise the process group when launched by torchrun; pick the device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if world > 1:
            torch.cuda.set_device(local)
        device = f"cuda:{local}" if device == "cuda" else device
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if device.startswith("cuda") else "gloo"
        dist.init_process_group(backend=backend, rank=rank, world_size=world)
    return DistInfo(rank, world, local, device)


def teardown() -> None:
    """Destroy the process group if this process made one."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _active() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def all_reduce_sum(values: list[float]) -> list[float]:
    """Sum ``values`` elementwise over all processes (identity without DDP)."""
    if not _active():
        return [float(v) for v in values]
    backend = dist.get_backend()
    device = f"cuda:{torch.cuda.current_device()}" if backend == "nccl" else "cpu"
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return [float(v) for v in t.cpu()]


def all_gather_float(value: float) -> list[float]:
    """Every process's ``value``, in rank order (``[value]`` without DDP)."""
    if not _active():
        return [float(value)]
    vec = [0.0] * dist.get_world_size()
    vec[dist.get_rank()] = float(value)
    return all_reduce_sum(vec)


def barrier() -> None:
    if _active():
        dist.barrier()


def is_main() -> bool:
    return not _active() or dist.get_rank() == 0
