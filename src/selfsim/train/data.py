"""Data for training: recipe transforms, a seeded per-epoch sampler, loaders.

The training sampler draws one permutation per epoch from ``(seed, epoch)``
alone, so a resumed run sees exactly the batches an uninterrupted run sees,
and shards it over processes (``rank::world_size``). With repeated
augmentation (the DeiT recipe when distributed) every image appears
``repeats`` times per epoch, spread over processes, and each process keeps
``ceil(N / world_size)`` of them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from .config import TrainConfig
from .distributed import DistInfo

__all__ = ["EpochSampler", "Loaders", "build_loaders", "build_transforms"]


class EpochSampler(Sampler[int]):
    """Seeded per-epoch permutation, sharded over processes.

    Parameters
    ----------
    n : int
        Data set size.
    seed : int
        Base seed; epoch e uses the permutation of ``seed * 1_000_003 + e``.
    rank, world_size : int
        This process and the number of processes.
    shuffle : bool
        False for evaluation (identity order, padded shards are not used then).
    repeats : int
        Repeated augmentation factor (1 = off).
    """

    def __init__(self, n: int, *, seed: int = 0, rank: int = 0, world_size: int = 1,
                 shuffle: bool = True, repeats: int = 1) -> None:
        self.n, self.seed, self.rank, self.world = n, seed, rank, world_size
        self.shuffle, self.repeats = shuffle, max(1, int(repeats))
        self.epoch = 0
        self.per_rank = math.ceil(n / world_size) if shuffle else len(range(rank, n, world_size))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __iter__(self) -> Iterator[int]:
        if not self.shuffle:
            return iter(range(self.rank, self.n, self.world))
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        order = torch.randperm(self.n, generator=g)
        if self.repeats > 1:
            order = order.repeat_interleave(self.repeats)
        total = math.ceil(len(order) / self.world) * self.world
        if total > len(order):  # pad so every process gets the same number
            order = torch.cat([order, order[: total - len(order)]])
        mine = order[self.rank :: self.world][: self.per_rank]
        return iter(mine.tolist())

    def __len__(self) -> int:
        return self.per_rank


def _posterize_keeping_zero_bits(img: Any, bits_to_keep: int, **_: Any) -> Any:
    """timm's posterize op, with the 0-bit case Pillow >= 13 refuses.

    RandAugment's increasing posterize reaches 0 bits at full magnitude; Pillow
    up to 12 turned that into a black image, Pillow 13 raises ValueError. Keep
    the old result (every channel value masked to 0) so the recipe runs on both.
    """
    from PIL import ImageOps

    if bits_to_keep >= 8:
        return img
    if bits_to_keep <= 0:
        return img.point([0] * 256 * len(img.getbands()))
    return ImageOps.posterize(img, bits_to_keep)


def _fix_timm_posterize() -> None:
    from timm.data import auto_augment

    for name in ("Posterize", "PosterizeIncreasing", "PosterizeOriginal"):
        if name in auto_augment.NAME_TO_OP:
            auto_augment.NAME_TO_OP[name] = _posterize_keeping_zero_bits


def build_transforms(cfg: TrainConfig, img_size: int, mean: Any, std: Any) -> tuple[Any, Any]:
    """Training and evaluation transforms of the recipe (timm's ``create_transform``)."""
    from timm.data import create_transform

    if cfg.aug.auto_augment:
        _fix_timm_posterize()
    a = cfg.aug
    train_tf = create_transform(
        input_size=img_size, is_training=True, auto_augment=a.auto_augment,
        color_jitter=a.color_jitter, re_prob=a.re_prob, re_mode="pixel", re_count=1,
        hflip=a.hflip, scale=tuple(a.crop_scale), interpolation="bicubic", mean=mean, std=std,
    )
    eval_tf = create_transform(input_size=img_size, is_training=False, crop_pct=1.0,
                               interpolation="bicubic", mean=mean, std=std)
    return train_tf, eval_tf


@dataclass
class Loaders:
    """Training loader (with its sampler), evaluation loader, fixed evaluation batch."""

    train: DataLoader
    sampler: EpochSampler
    test: DataLoader
    eval_batch: torch.Tensor
    num_classes: int
    num_test: int


def _dataset(cfg: TrainConfig, split: str, transform: Any, num: int | None) -> Dataset:
    from ..data import get_dataset

    return get_dataset(cfg.data.name, split, root=cfg.data.root, transform=transform,
                       download=cfg.data.download, num_samples=num, seed=cfg.seed)


def build_loaders(cfg: TrainConfig, dist: DistInfo, img_size: int, mean: Any,
                  std: Any) -> Loaders:
    """Loaders of one process; the test set is sharded, the evaluation batch is not."""
    train_tf, eval_tf = build_transforms(cfg, img_size, mean, std)
    train_ds = _dataset(cfg, "train", train_tf, cfg.data.train_samples)
    test_ds = _dataset(cfg, "test", eval_tf, cfg.data.test_samples)
    repeats = cfg.aug.repeated_aug if dist.distributed else 1
    sampler = EpochSampler(len(train_ds), seed=cfg.seed, rank=dist.rank,
                           world_size=dist.world_size, repeats=repeats)
    pin = dist.device.startswith("cuda")
    train = DataLoader(train_ds, batch_size=cfg.batch_size, sampler=sampler, drop_last=True,
                       num_workers=cfg.data.num_workers, pin_memory=pin,
                       persistent_workers=False)
    test_sampler = EpochSampler(len(test_ds), rank=dist.rank, world_size=dist.world_size,
                                shuffle=False)
    test = DataLoader(test_ds, batch_size=max(cfg.batch_size, 64), sampler=test_sampler,
                      num_workers=cfg.data.num_workers, pin_memory=pin)
    k = min(cfg.data.eval_batch, len(test_ds))
    eval_batch = torch.stack([test_ds[i][0] for i in range(k)])
    return Loaders(train, sampler, test, eval_batch, int(train_ds.num_classes), len(test_ds))
