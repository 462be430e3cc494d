"""Data sets for measuring feature networks: an embedded default, CIFAR, MNIST-like, folders.

``get_dataset(name_or_path, split="test", ...)`` returns a torch ``Dataset`` of
``(PIL RGB image, int label)`` items (or ``transform(image)``), with
``name``, ``classes`` and ``num_classes``. The embedded default ``"digits"``
is scikit-learn's 8 x 8 handwritten digits: real data that needs no download.
"""

from __future__ import annotations

from .registry import DATASET_NAMES, default_root, get_dataset

__all__ = ["get_dataset", "default_root", "DATASET_NAMES"]
