"""Training with the self-similarity constraint S2-Con (arXiv 2507.17785, METHOD section 4).

* :class:`SelfSimilarityConstraint` (``selfsim.train.constraint``): the
  regulariser, usable in any training loop.
* :func:`selfsim.train.loop.train`: the paper's recipe (``selfsim train``).
* :mod:`selfsim.train.experiment`: grids of baseline vs S2-Con runs
  (``selfsim experiment``).

Importing this package is light; submodules import torch / timm.
"""

from __future__ import annotations

__all__ = ["SelfSimilarityConstraint"]


def __getattr__(name: str):
    if name == "SelfSimilarityConstraint":
        from .constraint import SelfSimilarityConstraint

        return SelfSimilarityConstraint
    raise AttributeError(f"module 'selfsim.train' has no attribute {name!r}")
