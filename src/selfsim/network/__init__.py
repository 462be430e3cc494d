"""Feature networks and graphs: pair distances of G_M, adjacency conversion, graph files.

Importing this package imports numpy and scipy.sparse only (networkx on first use).
"""

from __future__ import annotations

from .distances import check_features, pair_distances, pair_graph, squareform, threshold_graph
from .graph import (
    as_adjacency,
    components,
    edges_to_csr,
    is_weighted,
    largest_component,
    to_networkx,
)
from .io import GraphData, load_graph, read_graph, write_edgelist

__all__ = [
    "pair_distances",
    "check_features",
    "squareform",
    "threshold_graph",
    "pair_graph",
    "as_adjacency",
    "is_weighted",
    "components",
    "largest_component",
    "edges_to_csr",
    "to_networkx",
    "load_graph",
    "read_graph",
    "write_edgelist",
    "GraphData",
]
