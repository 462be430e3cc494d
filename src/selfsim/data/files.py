"""Find and read the on-disk formats of CIFAR-10/100, MNIST and Fashion-MNIST.

Three formats are accepted under a data root, looked for in this order:

1. the compact ``.npz`` copies (``<root>/cifar10_test.npz`` or
   ``<root>/cifar10/cifar10_test.npz``; the CIFAR-10 train split in two parts
   ``cifar10_train_part1.npz`` / ``_part2.npz``; ``mnist.npz`` and
   ``fashion_mnist.npz`` with arrays ``x_train, y_train, x_test, y_test``),
2. torchvision's layouts (``cifar-10-batches-py/``, ``cifar-100-python/``,
   ``MNIST/raw/``, ``FashionMNIST/raw/`` with idx files, gzipped or not),
3. for Fashion-MNIST, Debian's ``dataset-fashion-mnist`` package
   (``/usr/share/datasets/fashion-mnist/*-ubyte.gz``).

Each finder returns a :class:`Found` (lazy image loader, labels) or ``None``
plus the list of paths it tried, so a miss can say exactly what was looked for.
"""

from __future__ import annotations

import functools
import gzip
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._core.errors import DataError

__all__ = ["Found", "find_cifar", "find_mnist_like", "read_idx", "DEBIAN_FASHION_DIR"]

DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


@dataclass(frozen=True)
class Found:
    """Located data: a lazy image loader, the labels and where they came from."""

    images: Callable[[], np.ndarray]
    labels: np.ndarray
    source: str


def _npz_loader(paths: list[Path], key: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        parts = []
        for p in paths:
            with np.load(p) as z:
                parts.append(z[key])
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    return load


def _npz_labels(paths: list[Path], key: str) -> np.ndarray:
    out = []
    for p in paths:
        try:
            with np.load(p) as z:
                out.append(np.asarray(z[key], dtype=np.int64).ravel())
        except (OSError, KeyError, ValueError) as exc:
            raise DataError(f"cannot read array {key!r} from {p}: {exc}") from exc
    return np.concatenate(out)


def _first_existing(groups: list[list[Path]], tried: list[Path]) -> list[Path] | None:
    for group in groups:
        tried.extend(group)
        if all(p.is_file() for p in group):
            return group
    return None


def find_cifar(root: Path, num_classes: int, train: bool, tried: list[Path]) -> Found | None:
    """CIFAR-10 (``num_classes=10``) or CIFAR-100 from ``root``."""
    stem = f"cifar{num_classes}"
    split = "train" if train else "test"
    groups: list[list[Path]] = []
    for base in (root, root / stem):
        if train:
            groups.append([base / f"{stem}_train_part1.npz", base / f"{stem}_train_part2.npz"])
        groups.append([base / f"{stem}_{split}.npz"])
    hit = _first_existing(groups, tried)
    if hit is not None:
        return Found(_npz_loader(hit, f"x_{split}"), _npz_labels(hit, f"y_{split}"), str(hit[0]))
    if num_classes == 10:
        folder = root / "cifar-10-batches-py"
        names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
        label_key = b"labels"
    else:
        folder = root / "cifar-100-python"
        names = [split]
        label_key = b"fine_labels"
    files = [folder / n for n in names]
    tried.extend(files)
    if not all(f.is_file() for f in files):
        return None
    data, labels = [], []
    for f in files:  # the official python pickles (as torchvision reads them)
        with open(f, "rb") as fh:
            entry = pickle.load(fh, encoding="bytes")
        data.append(np.asarray(entry[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.append(np.asarray(entry[label_key], dtype=np.int64))
    images = np.concatenate(data).transpose(0, 2, 3, 1).copy()
    return Found(lambda: images, np.concatenate(labels), str(folder))


def read_idx(path: Path) -> np.ndarray:
    """Read an idx file (MNIST's format), gzipped or not, as a uint8 array."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path} is not an idx file of unsigned bytes (bad magic number).")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise DataError(f"{path}: idx header says shape {dims} but holds {arr.size} values.")
    return arr.reshape(dims)


def _idx_pair(folder: Path, train: bool, tried: list[Path]) -> list[Path] | None:
    prefix = "train" if train else "t10k"
    groups = []
    for ext in (".gz", ""):
        groups.append(
            [
                folder / f"{prefix}-images-idx3-ubyte{ext}",
                folder / f"{prefix}-labels-idx1-ubyte{ext}",
            ]
        )
    return _first_existing(groups, tried)


def find_mnist_like(root: Path, fashion: bool, train: bool, tried: list[Path]) -> Found | None:
    """MNIST or Fashion-MNIST from ``root`` (or Debian's package for Fashion-MNIST)."""
    split = "train" if train else "test"
    stems = ["fashion_mnist", "fashion-mnist"] if fashion else ["mnist"]
    groups = [[base / f"{stem}.npz"] for stem in stems for base in (root, root / stem)]
    hit = _first_existing(groups, tried)
    if hit is not None:
        return Found(_npz_loader(hit, f"x_{split}"), _npz_labels(hit, f"y_{split}"), str(hit[0]))
    folders = [root / ("FashionMNIST" if fashion else "MNIST") / "raw"]
    if fashion:
        folders.append(DEBIAN_FASHION_DIR)
    for folder in folders:
        pair = _idx_pair(folder, train, tried)
        if pair is not None:
            labels = read_idx(pair[1]).astype(np.int64)
            img_path = pair[0]
            return Found(functools.partial(read_idx, img_path), labels, str(folder))
    return None
