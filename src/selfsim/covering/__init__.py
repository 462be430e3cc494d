"""True box covering of complex networks and feature networks.

``box_counts`` / ``box_cover`` (:mod:`.api`) cover graphs with the methods of
the registry :data:`METHODS` (greedy colouring, compact-box-burning, MEMB,
random sequential); ``box_counts_features`` (:mod:`.features`) covers the
feature network G_M; ``renormalize`` (:mod:`.renormalize`) merges boxes into
nodes. Importing this package is light: numba is loaded on first use.
"""

from __future__ import annotations

from .registry import METHODS, CoverMethod

__all__ = ["METHODS", "CoverMethod", "box_counts", "box_cover", "box_counts_features", "renormalize"]


def __getattr__(name: str):
    import importlib

    where = {
        "box_counts": ".api",
        "box_cover": ".api",
        "box_counts_features": ".features",
        "renormalize": ".renormalize",
    }
    if name in where:
        return getattr(importlib.import_module(where[name], __name__), name)
    raise AttributeError(f"module 'selfsim.covering' has no attribute {name!r}")
