"""True box covering of complex networks and feature networks.

``box_counts`` / ``box_cover`` (:mod:`.api`) cover graphs with the methods of
the registry :data:`METHODS` (greedy colouring, compact-box-burning, MEMB,
random sequential); ``box_counts_features`` (:mod:`.features`) covers the
feature network G_M; ``renormalize`` (:mod:`.renormalize`) merges boxes into
nodes. Importing this package is light: numba is loaded on first use.
"""

from __future__ import annotations

from .api import box_counts, box_cover
from .features import box_counts_features
from .registry import METHODS, CoverMethod

# eager, not lazy: ``renormalize`` is also the name of its module, and a lazy attribute would be
# hidden by the module once anything imports ``selfsim.covering.renormalize``
from .renormalize import renormalize

__all__ = [
    "METHODS",
    "CoverMethod",
    "box_counts",
    "box_cover",
    "box_counts_features",
    "renormalize",
]
