"""One place that turns a ``seed`` argument into a random generator.

Every random function of selfsim takes ``seed`` (None, an int, or a
``numpy.random.Generator``), after networkx's ``py_random_state``; results are
reproducible from the seed.
"""

from __future__ import annotations

import numbers
import random

import numpy as np

from .errors import InvalidInputError

__all__ = ["SeedLike", "as_generator", "seed_everything"]

SeedLike = int | np.random.Generator | None


def as_generator(seed: SeedLike, caller: str = "this function") -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``seed``."""
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        return np.random.default_rng(None if seed is None else int(seed))
    if isinstance(seed, np.random.Generator):
        return seed
    raise InvalidInputError(
        f"The 'seed' parameter of {caller} must be None, an int or a numpy.random.Generator. "
        f"Got {seed!r} instead."
    )


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a core dependency
        return
    torch.manual_seed(seed)
