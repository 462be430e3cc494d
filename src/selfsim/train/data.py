"""Data for training: recipe transforms, a seeded per-epoch sampler, loaders.

Two data paths share the sampler. The default one reads images through
timm's ``create_transform`` (PIL, the paper's recipe with RandAugment and
random erasing). With ``data.resident`` the whole split is held as one
normalised float tensor (on the training device) and batches are sliced
from it, with only cheap tensor augmentation (horizontal flip, pad-and-crop
translation): an order of magnitude faster for the small models and data
sets of the CPU experiments, and the way to keep a GPU busy.

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

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler

from .._core.errors import InvalidInputError
from .config import TrainConfig
from .distributed import DistInfo

__all__ = ["EpochSampler", "Loaders", "ResidentLoader", "build_loaders", "build_transforms"]


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

    def __init__(
        self,
        n: int,
        *,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        shuffle: bool = True,
        repeats: int = 1,
    ) -> None:
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
        input_size=img_size,
        is_training=True,
        auto_augment=a.auto_augment,
        color_jitter=a.color_jitter,
        re_prob=a.re_prob,
        re_mode="pixel",
        re_count=1,
        hflip=a.hflip,
        scale=tuple(a.crop_scale),
        interpolation="bicubic",
        mean=mean,
        std=std,
    )
    eval_tf = create_transform(
        input_size=img_size,
        is_training=False,
        crop_pct=1.0,
        interpolation="bicubic",
        mean=mean,
        std=std,
    )
    return train_tf, eval_tf


@dataclass
class Loaders:
    """Training loader (with its sampler), evaluation loader, fixed evaluation batch."""

    train: DataLoader | ResidentLoader
    sampler: EpochSampler
    test: DataLoader | ResidentLoader
    eval_batch: torch.Tensor
    num_classes: int
    num_test: int


def _dataset(
    cfg: TrainConfig, split: str, transform: Any, num: int | None, in_chans: int = 3
) -> Any:  # a torch Dataset with num_classes (get_dataset)
    from ..data import get_dataset

    return get_dataset(
        cfg.data.name,
        split,
        root=cfg.data.root,
        transform=transform,
        download=cfg.data.download,
        num_samples=num,
        seed=cfg.seed,
        rgb=in_chans != 1,
    )


class ResidentLoader:
    """Batches sliced from one resident tensor, in the order of an :class:`EpochSampler`.

    ``x`` is (N, C, H, W) float, already normalised; ``y`` (N,) int64. Training
    augmentation (``hflip`` probability, ``pad_crop`` pixels of random
    translation with zero padding) draws from torch's global generator, which
    the loop reseeds every epoch, so resumed runs see the same batches.
    """

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        sampler: Sampler[int],
        batch_size: int,
        *,
        drop_last: bool,
        hflip: float = 0.0,
        pad_crop: int = 0,
    ) -> None:
        self.x, self.y, self.sampler, self.batch_size = x, y, sampler, int(batch_size)
        self.drop_last, self.hflip, self.pad_crop = drop_last, float(hflip), int(pad_crop)

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        if self.hflip > 0:
            flip = torch.rand(x.shape[0]) < self.hflip
            x = torch.where(flip.to(x.device)[:, None, None, None], x.flip(-1), x)
        p = self.pad_crop
        if p > 0:  # one gather for the whole batch: each image shifted by its own (dy, dx)
            n, h, w = x.shape[0], x.shape[-2], x.shape[-1]
            padded = torch.nn.functional.pad(x, (p, p, p, p))
            dy = torch.randint(0, 2 * p + 1, (n,)).to(x.device)
            dx = torch.randint(0, 2 * p + 1, (n,)).to(x.device)
            rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
            cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
            batch = torch.arange(n, device=x.device)[:, None, None, None]
            chans = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
            x = padded[batch, chans, rows, cols]
        return x

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.as_tensor(list(iter(self.sampler)), dtype=torch.long)
        stop = len(self) * self.batch_size
        for i in range(0, min(stop, len(order)), self.batch_size):
            idx = order[i : i + self.batch_size].to(self.x.device)
            yield self._augment(self.x[idx]), self.y[idx]


_RESIDENT_OFF = {"auto_augment": None, "color_jitter": 0.0, "re_prob": 0.0}


def _resident_tensors(
    ds: Any,
    in_chans: int,
    img_size: int,
    stats: tuple[torch.Tensor, torch.Tensor] | None,
    device: str,
) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """(x, y, (mean, std)) of a whole split; mean/std per channel from ``stats`` or this split."""
    images = getattr(ds, "images", None)
    if images is None:
        raise InvalidInputError(
            f"data.resident needs an in-memory data set (digits, mnist, fashion-mnist, cifar10, "
            f"cifar100, synthetic); {getattr(ds, 'name', type(ds).__name__)!r} is read from files. Set data.resident=false."
        )
    arr = torch.from_numpy(np.asarray(images)[ds.indices])
    x = arr.float().div_(255.0)
    x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)
    if x.shape[1] != in_chans:
        if x.shape[1] == 1:
            x = x.expand(-1, in_chans, -1, -1)
        else:
            raise InvalidInputError(
                f"The model takes {in_chans} input channel(s) but {ds.name} has {x.shape[1]}; "
                f"set model.kwargs.in_chans={x.shape[1]}."
            )
    if x.shape[-1] != img_size or x.shape[-2] != img_size:
        x = torch.nn.functional.interpolate(
            x, size=(img_size, img_size), mode="bilinear", align_corners=False, antialias=True
        )
    if stats is None:
        stats = (x.mean(dim=(0, 2, 3)), x.std(dim=(0, 2, 3)).clamp_min(1e-6))
    mean, std = stats
    x = ((x - mean[None, :, None, None]) / std[None, :, None, None]).contiguous()
    y = torch.as_tensor(np.asarray(ds.labels)[ds.indices], dtype=torch.long)
    return x.to(device), y.to(device), stats


def _build_resident(cfg: TrainConfig, dist: DistInfo, img_size: int, in_chans: int) -> Loaders:
    bad = [k for k, off in _RESIDENT_OFF.items() if getattr(cfg.aug, k) not in (off, None, 0)]
    if bad:
        raise InvalidInputError(
            f"data.resident applies only flips and pad-and-crop; turn off aug.{', aug.'.join(bad)} "
            "(or set data.resident=false for the full PIL recipe)."
        )
    train_ds = _dataset(cfg, "train", None, cfg.data.train_samples, in_chans)
    test_ds = _dataset(cfg, "test", None, cfg.data.test_samples, in_chans)
    xtr, ytr, stats = _resident_tensors(train_ds, in_chans, img_size, None, dist.device)
    xte, yte, _ = _resident_tensors(test_ds, in_chans, img_size, stats, dist.device)
    repeats = cfg.aug.repeated_aug if dist.distributed else 1
    sampler = EpochSampler(
        len(ytr), seed=cfg.seed, rank=dist.rank, world_size=dist.world_size, repeats=repeats
    )
    train = ResidentLoader(
        xtr,
        ytr,
        sampler,
        cfg.batch_size,
        drop_last=True,
        hflip=cfg.aug.hflip,
        pad_crop=cfg.aug.pad_crop,
    )
    test_sampler = EpochSampler(len(yte), rank=dist.rank, world_size=dist.world_size, shuffle=False)
    test = ResidentLoader(xte, yte, test_sampler, max(cfg.batch_size, 256), drop_last=False)
    k = min(cfg.data.eval_batch, len(yte))
    return Loaders(
        train,
        sampler,
        test,
        xte[:k].clone(),
        int(train_ds.num_classes),
        len(yte),
    )


def build_loaders(
    cfg: TrainConfig, dist: DistInfo, img_size: int, mean: Any, std: Any, in_chans: int = 3
) -> Loaders:
    """Loaders of one process; the test set is sharded, the evaluation batch is not."""
    if cfg.data.resident:
        return _build_resident(cfg, dist, img_size, in_chans)
    train_tf, eval_tf = build_transforms(cfg, img_size, mean, std)
    train_ds = _dataset(cfg, "train", train_tf, cfg.data.train_samples, in_chans)
    test_ds = _dataset(cfg, "test", eval_tf, cfg.data.test_samples, in_chans)
    repeats = cfg.aug.repeated_aug if dist.distributed else 1
    sampler = EpochSampler(
        len(train_ds), seed=cfg.seed, rank=dist.rank, world_size=dist.world_size, repeats=repeats
    )
    pin = dist.device.startswith("cuda")
    train = DataLoader(
        train_ds,
        batch_size=cfg.batch_size,
        sampler=sampler,
        drop_last=True,
        num_workers=cfg.data.num_workers,
        pin_memory=pin,
        persistent_workers=False,
    )
    test_sampler = EpochSampler(
        len(test_ds), rank=dist.rank, world_size=dist.world_size, shuffle=False
    )
    test = DataLoader(
        test_ds,
        batch_size=max(cfg.batch_size, 64),
        sampler=test_sampler,
        num_workers=cfg.data.num_workers,
        pin_memory=pin,
    )
    k = min(cfg.data.eval_batch, len(test_ds))
    eval_batch = torch.stack([test_ds[i][0] for i in range(k)])
    return Loaders(train, sampler, test, eval_batch, int(train_ds.num_classes), len(test_ds))
