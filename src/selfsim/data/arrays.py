"""In-memory image data sets backed by uint8 arrays, converted per item.

Every built-in data set (digits, CIFAR, MNIST-like, synthetic noise) ends up
as an :class:`ArrayDataset`: uint8 images of shape (N, H, W) (grey) or
(N, H, W, 3) (RGB) plus integer labels. The arrays stay uint8 (a tenth of the
memory of float32) and may be loaded lazily on first access; each item is
turned into a PIL image only when it is read, so timm's
``create_transform`` pipelines work unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch.utils.data

from .._core.errors import DataError
from .._core.seeding import SeedLike, as_generator

__all__ = ["ArrayDataset", "subset_indices"]


def subset_indices(n_total: int, num_samples: int | None, seed: SeedLike) -> np.ndarray:
    """Indices of the items to keep: all, or ``num_samples`` drawn without replacement.

    A random draw (not the first ``num_samples``) because some copies are
    ordered by class (the CIFAR-10 test copy is grouped by class). ``seed``
    None means seed 0, so that the same command sees the same images.
    """
    if num_samples is None or num_samples >= n_total:
        return np.arange(n_total)
    rng = as_generator(0 if seed is None else seed, "get_dataset")
    return np.sort(rng.choice(n_total, size=num_samples, replace=False))


class ArrayDataset(torch.utils.data.Dataset):
    """A labelled image data set over uint8 arrays; items are ``(image, label)``.

    Parameters
    ----------
    name : str
        Name of the data set (``"cifar10"``, ``"digits"``, ...).
    images : array of shape (N, H, W) or (N, H, W, 3), or a callable returning one
        uint8 pixels; a callable is called once, on first item access (lazy loading).
    labels : int array of shape (N,)
    classes : list of str
        Class names, ``num_classes = len(classes)``.
    transform : callable, optional
        Applied to the PIL image; without it the PIL image is returned.
    rgb : bool, default True
        Convert grey images to 3-channel RGB.
    indices : int array, optional
        The subset of items to expose (positions in ``images``).
    """

    def __init__(
        self,
        name: str,
        images: np.ndarray | Callable[[], np.ndarray],
        labels: np.ndarray,
        classes: Sequence[str],
        *,
        transform: Callable[[Any], Any] | None = None,
        rgb: bool = True,
        indices: np.ndarray | None = None,
    ) -> None:
        self.name = name
        self._images = images
        self.labels = np.asarray(labels, dtype=np.int64)
        self.classes = list(classes)
        self.num_classes = len(self.classes)
        self.transform = transform
        self.rgb = rgb
        self.indices = np.arange(len(self.labels)) if indices is None else np.asarray(indices)

    @property
    def images(self) -> np.ndarray:
        """The full uint8 image array (loaded on first use)."""
        if callable(self._images):
            arr = np.asarray(self._images())
            if arr.dtype != np.uint8 or arr.ndim not in (3, 4):
                raise DataError(
                    f"data set {self.name!r}: expected uint8 images of shape (N, H, W) or "
                    f"(N, H, W, 3); got dtype {arr.dtype} and shape {arr.shape}."
                )
            self._images = arr
        return self._images

    @property
    def targets(self) -> list[int]:
        """Labels of the exposed items, as in torchvision's data sets."""
        return self.labels[self.indices].tolist()

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int):
        from PIL import Image

        j = int(self.indices[i])
        arr = self.images[j]
        img = Image.fromarray(arr, mode="L" if arr.ndim == 2 else "RGB")
        if self.rgb and img.mode != "RGB":
            img = img.convert("RGB")
        if self.transform is not None:
            img = self.transform(img)
        return img, int(self.labels[j])

    def __repr__(self) -> str:
        return f"ArrayDataset(name={self.name!r}, n={len(self)}, num_classes={self.num_classes})"
