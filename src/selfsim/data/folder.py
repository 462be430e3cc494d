"""Image-folder data sets (Imagenette and the like): ``<root>/<split>/<class>/<image>``.

A folder with ``train`` and ``val`` (or ``test``) subfolders is read split by
split; a folder whose subfolders are the classes themselves is one split.
Images are opened with Pillow and converted to RGB per item.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch.utils.data

from .._core.errors import DataError
from .._core.seeding import SeedLike
from .arrays import subset_indices

__all__ = ["ImageFolderDataset", "IMAGE_EXTENSIONS"]

IMAGE_EXTENSIONS = (
    ".jpg",
    ".jpeg",
    ".png",
    ".bmp",
    ".ppm",
    ".pgm",
    ".tif",
    ".tiff",
    ".webp",
    ".gif",
)
_SPLIT_DIRS = {
    "train": ("train", "training"),
    "test": ("val", "test", "valid", "validation"),
    "val": ("val", "valid", "validation", "test"),
}


def _split_dir(root: Path, split: str) -> Path:
    for name in _SPLIT_DIRS.get(split, (split,)):
        if (root / name).is_dir():
            return root / name
    has_split_dirs = any((root / n).is_dir() for names in _SPLIT_DIRS.values() for n in names)
    if has_split_dirs:
        wanted = ", ".join(_SPLIT_DIRS.get(split, (split,)))
        raise DataError(
            f"image folder {root} has split subfolders but none for split {split!r} "
            f"(looked for: {wanted}). Pass split='train' or split='test'."
        )
    return root  # the class folders sit directly under root


class ImageFolderDataset(torch.utils.data.Dataset):
    """Labelled images from ``<root>/<split>/<class>/*``; items are ``(image, label)``."""

    def __init__(
        self,
        root: str | Path,
        split: str = "test",
        *,
        transform: Callable[[Any], Any] | None = None,
        num_samples: int | None = None,
        seed: SeedLike = None,
        rgb: bool = True,
    ) -> None:
        root = Path(root)
        if not root.is_dir():
            raise DataError(f"image folder {root} does not exist or is not a directory.")
        folder = _split_dir(root, split)
        self.classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
        if not self.classes:
            raise DataError(
                f"image folder {folder} has no class subfolders; expected "
                f"{folder}/<class>/<image files>."
            )
        files: list[Path] = []
        labels: list[int] = []
        for k, cls in enumerate(self.classes):
            for p in sorted((folder / cls).rglob("*")):
                if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file():
                    files.append(p)
                    labels.append(k)
        if not files:
            raise DataError(
                f"image folder {folder} has class subfolders but no images "
                f"(extensions {', '.join(IMAGE_EXTENSIONS)})."
            )
        keep = subset_indices(len(files), num_samples, seed)
        self.files = [files[i] for i in keep]
        self.labels = np.asarray(labels, dtype=np.int64)[keep]
        self.num_classes = len(self.classes)
        self.name = root.name
        self.transform = transform
        self.rgb = rgb

    @property
    def targets(self) -> list[int]:
        return self.labels.tolist()

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        from PIL import Image

        try:
            with Image.open(self.files[i]) as im:
                img = im.convert("RGB" if self.rgb else "L")
        except OSError as exc:
            raise DataError(f"cannot read image {self.files[i]}: {exc}") from exc
        if self.transform is not None:
            img = self.transform(img)
        return img, int(self.labels[i])
