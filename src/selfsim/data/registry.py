"""``get_dataset``: one entry point for every data set selfsim reads.

Names: ``digits`` (scikit-learn's embedded 8 x 8 handwritten digits: real
data, no download), ``cifar10``, ``cifar100``, ``mnist``, ``fashion-mnist``,
``synthetic`` (seeded Gaussian noise images), or a path to an image folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import DataError, InvalidInputError, NotFoundError
from .._core.seeding import SeedLike, as_generator
from .._core.validation import check_int
from .arrays import ArrayDataset, subset_indices
from .files import DEBIAN_FASHION_DIR, Found, find_cifar, find_mnist_like

__all__ = ["get_dataset", "default_root", "DATASET_NAMES", "DIGITS_TEST_EVERY"]

DATASET_NAMES = ("digits", "cifar10", "cifar100", "mnist", "fashion-mnist", "synthetic")
_ALIASES = {
    "fashion_mnist": "fashion-mnist",
    "fashionmnist": "fashion-mnist",
    "cifar-10": "cifar10",
    "cifar-100": "cifar100",
    "noise": "synthetic",
}
_SPLITS = {"train": True, "test": False, "val": False}
CIFAR10_CLASSES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]
FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
DIGITS_TEST_EVERY = 3  # digits: item i is in the test split when i % 3 == 0 (599 test, 1198 train)
SYNTHETIC_SIZE = 1024
SYNTHETIC_SHAPE = (32, 32, 3)


def default_root() -> Path:
    """The data root used when none is given: ``$SELFSIM_DATA_DIR`` or ``./data``."""
    env = os.environ.get("SELFSIM_DATA_DIR")
    return Path(env) if env else Path("data")


def _digits(split: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.clip(np.rint(bunch.images * (255.0 / 16.0)), 0, 255).astype(np.uint8)
    idx = np.arange(len(images))
    if split != "all":
        test = idx % DIGITS_TEST_EVERY == 0
        idx = idx[test] if split in ("test", "val") else idx[~test]
    return images[idx], bunch.target[idx]


def _synthetic(n: int, seed: SeedLike) -> tuple[np.ndarray, np.ndarray]:
    rng = as_generator(0 if seed is None else seed, "get_dataset")
    x = rng.normal(128.0, 64.0, size=(n, *SYNTHETIC_SHAPE))
    return np.clip(np.rint(x), 0, 255).astype(np.uint8), rng.integers(0, 10, size=n)


def _download(name: str, root: Path, train: bool) -> None:
    import torchvision.datasets as tvd

    cls = {
        "cifar10": tvd.CIFAR10,
        "cifar100": tvd.CIFAR100,
        "mnist": tvd.MNIST,
        "fashion-mnist": tvd.FashionMNIST,
    }[name]
    try:
        cls(str(root), train=train, download=True)
    except Exception as exc:  # network errors come in many types
        raise DataError(f"downloading {name} into {root} failed: {exc}") from exc


def _locate(name: str, root: Path, train: bool, tried: list[Path]) -> Found | None:
    if name in ("cifar10", "cifar100"):
        return find_cifar(root, 10 if name == "cifar10" else 100, train, tried)
    return find_mnist_like(root, name == "fashion-mnist", train, tried)


def _missing(name: str, root: Path, tried: list[Path]) -> DataError:
    looked = "\n  ".join(str(p) for p in tried)
    how = (
        f"Pass download=True (CLI: --download) to fetch it with torchvision into {root}, "
        f"point --data-root / SELFSIM_DATA_DIR at a folder holding the .npz copies"
    )
    if name == "fashion-mnist":
        how += f", or install Debian's dataset-fashion-mnist package (files under {DEBIAN_FASHION_DIR})"
    return DataError(f"data set {name!r} not found. Looked for:\n  {looked}\n{how}.")


def get_dataset(
    name_or_path: str | os.PathLike,
    split: str = "test",
    *,
    root: str | Path | None = None,
    transform: Callable[[Any], Any] | None = None,
    download: bool = False,
    num_samples: int | None = None,
    seed: SeedLike = None,
    rgb: bool = True,
):
    """Return a data set whose items are ``(image, int_label)``.

    Parameters
    ----------
    name_or_path : str or path
        ``"digits"``, ``"cifar10"``, ``"cifar100"``, ``"mnist"``, ``"fashion-mnist"``,
        ``"synthetic"``, or a path to an image folder (``<path>/<split>/<class>/*``).
    split : {"test", "train", "val", "all"}, default "test"
        ``"val"`` is the same as ``"test"`` for the built-in sets; ``"all"`` only for digits.
    root : path, optional
        Where to look for files; default ``$SELFSIM_DATA_DIR`` or ``./data``.
    transform : callable, optional
        Applied to each PIL image; without it items hold PIL RGB images.
    download : bool, default False
        Let torchvision download CIFAR / MNIST / Fashion-MNIST into ``root`` when missing.
    num_samples : int, optional
        Keep this many items, drawn at random without replacement (seeded).
    seed : None, int or Generator
        Seed of the subset draw (None means 0) and of the synthetic images.
    rgb : bool, default True
        Convert grey images to three channels.

    Returns
    -------
    torch.utils.data.Dataset
        With attributes ``name``, ``classes`` and ``num_classes``.

    Raises
    ------
    NotFoundError
        Unknown name that is not an existing path.
    DataError
        The files are missing (the message lists every path looked at) or unreadable.

    Examples
    --------
    >>> ds = get_dataset("digits", num_samples=16)
    >>> len(ds), ds.num_classes, ds[0][0].mode
    (16, 10, 'RGB')
    """
    if num_samples is not None:
        num_samples = check_int(num_samples, "num_samples", "get_dataset", low=1)
    if split not in (*_SPLITS, "all"):
        raise InvalidInputError(
            f"The 'split' parameter of get_dataset must be one of 'train', 'test', 'val', 'all'. "
            f"Got {split!r} instead."
        )
    raw = str(name_or_path)
    name = _ALIASES.get(raw.lower(), raw.lower())
    if name not in DATASET_NAMES:
        path = Path(raw).expanduser()
        if path.exists():
            from .folder import ImageFolderDataset

            return ImageFolderDataset(
                path, split, transform=transform, num_samples=num_samples, seed=seed, rgb=rgb
            )
        import difflib

        close = difflib.get_close_matches(name, DATASET_NAMES, n=3, cutoff=0.4)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise NotFoundError(
            f"unknown data set {raw!r} and no such folder.{hint} Known names: "
            f"{', '.join(DATASET_NAMES)}; or give the path to an image folder."
        )
    if split == "all" and name != "digits":
        raise InvalidInputError(
            f"split='all' is only offered for digits; use 'train' or 'test' for {name}."
        )
    if name == "digits":
        images, labels = _digits(split)
        classes = [str(i) for i in range(10)]
        loader: Any = images
    elif name == "synthetic":
        n = num_samples or SYNTHETIC_SIZE
        images, labels = _synthetic(n, seed)
        classes, loader = [str(i) for i in range(10)], images
    else:
        base = Path(root).expanduser() if root is not None else default_root()
        train = _SPLITS[split]
        tried: list[Path] = []
        found = _locate(name, base, train, tried)
        if found is None and download:
            _download(name, base, train)
            found = _locate(name, base, train, [])
        if found is None:
            raise _missing(name, base, tried)
        loader, labels = found.images, found.labels
        if name == "cifar10":
            classes = CIFAR10_CLASSES
        elif name == "fashion-mnist":
            classes = FASHION_CLASSES
        else:
            classes = [str(i) for i in range(100 if name == "cifar100" else 10)]
    keep = subset_indices(len(labels), num_samples, seed)
    return ArrayDataset(name, loader, labels, classes, transform=transform, rgb=rgb, indices=keep)
