"""Certified box counts: a lower bound on the optimal N_B(l_B) for every size.

A box holds nodes pairwise at distance < l_B, so two nodes at distance
>= l_B never share a box. A *packing* -- a set of nodes pairwise at distance
>= l_B -- therefore needs one box per member, and its size is a lower bound
on the minimum number of boxes (the packing is a clique of the dual graph of
Song et al. 2007, whose chromatic number is the optimal N_B). Any cover
with ``N_B`` boxes and a packing of ``P`` nodes bracket the optimum:
``P <= N_B* <= N_B``; the relative gap ``(N_B - P) / P`` says how far a
heuristic can at most be from optimal.

The packing is built greedily (the minimum-degree heuristic for independent
sets, in the graph joining nodes at distance < l_B): keep the free node with
the fewest free nodes within distance < l_B (ties: smallest index), mark
those nodes as taken, repeat until no node is free. Nodes of different
components are at infinite distance, so every component contributes.

All functions here work on the all-pairs distance matrix (small and
mid-sized graphs): a uint8 hop matrix from the numba kernels for
unweighted graphs (up to about 16,000 nodes) or scipy's shortest paths
(up to :data:`MAX_DENSE_NODES` nodes).

References
----------
C. Song, L. K. Gallos, S. Havlin, H. A. Makse, J. Stat. Mech. P03006 (2007).
C. M. Schneider, T. A. Kesselring, J. S. Andrade Jr., H. J. Herrmann,
Box-covering algorithm for fractal dimension of complex networks,
Phys. Rev. E 86, 016707 (2012).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from .._core.errors import InvalidInputError
from .._core.progress import Progress
from ..network.graph import as_adjacency, components, is_weighted
from ._jit import have_numba
from .api import _sizes

__all__ = ["MAX_DENSE_NODES", "all_distances", "box_packing", "packing_bound"]

log = logging.getLogger(__name__)

#: largest graph whose float64 distance matrix scipy may build here (about 200 MB)
MAX_DENSE_NODES = 5000


def all_distances(graph: Any, max_size: float, caller: str) -> tuple[np.ndarray, bool]:
    """All-pairs distances (exact below ``max_size``; inf between components) and ``weighted``.

    Unweighted connected graphs use the numba hop matrix when numba is
    installed; otherwise scipy's shortest paths, limited to
    :data:`MAX_DENSE_NODES` nodes.
    """
    A = as_adjacency(graph, caller)
    weighted = is_weighted(A)
    n = A.shape[0]
    if n == 0:
        raise InvalidInputError(
            f"{caller} needs a graph with at least one node; got an empty graph."
        )
    if not weighted and have_numba() and components(A)[0] == 1 and n > 1:
        from ._dense import dense_hops

        radius = int(min(max(max_size, 1.0), n))
        dh = dense_hops(A.indptr.astype(np.int64), A.indices.astype(np.int64), radius)
        if dh is not None:  # saturated entries (254 / 65535) are >= every size asked for
            return dh.D[np.ix_(dh.inv, dh.inv)], weighted
    if n > MAX_DENSE_NODES:
        raise InvalidInputError(
            f"{caller} needs all-pairs distances; the graph has {n} nodes (limit {MAX_DENSE_NODES} "
            "without numba or with edge lengths). Install selfsim[fast] or use a smaller graph."
        )
    from .reference import distance_matrix

    return distance_matrix(A, weighted), weighted


def _packing(Dm: np.ndarray, size: float) -> np.ndarray:
    """Greedy packing: repeatedly keep the free node with the fewest free nodes within < l_B."""
    close = Dm < size
    free = np.ones(Dm.shape[0], dtype=bool)
    degree = close.sum(axis=1).astype(np.int64)  # free nodes in each ball (itself included)
    kept = []
    big = np.iinfo(np.int64).max
    while free.any():
        v = int(np.argmin(np.where(free, degree, big)))  # ties: smallest index
        kept.append(v)
        newly = np.flatnonzero(close[v] & free)
        free[newly] = False
        degree -= close[:, newly].sum(axis=1)
    return np.sort(np.asarray(kept, dtype=np.int64))


def box_packing(graph: Any, size: float) -> np.ndarray:
    """Nodes pairwise at distance >= l_B (no two can share a box of size l_B).

    Parameters
    ----------
    graph : scipy sparse matrix, (n, n) numpy array or networkx.Graph
    size : float
        Box size l_B >= 1.

    Returns
    -------
    nodes : array of int64, sorted
        Its length is a lower bound on the optimal number of boxes.

    Examples
    --------
    >>> from selfsim.generators import lattice
    >>> box_packing(lattice((7,)), 3).tolist()
    [0, 3, 6]
    """
    arr = _sizes([size], True, "box_packing")
    Dm, _ = all_distances(graph, float(arr[0]), "box_packing")
    return _packing(Dm, float(arr[0]))


def packing_bound(graph: Any, sizes: Any) -> np.ndarray:
    """Lower bound on the optimal box count N_B*(l_B) for each size.

    Parameters
    ----------
    graph : scipy sparse matrix, (n, n) numpy array or networkx.Graph
        Stored values / the ``weight`` attribute are edge lengths.
    sizes : sequence of float
        Box sizes l_B >= 1 (integers for unweighted graphs), any order.

    Returns
    -------
    bound : array of shape (len(sizes),), int64
        Size of a greedy packing (nodes pairwise at distance >= l_B): no
        cover of any method can have fewer boxes. n at l_B = 1; the number
        of components once l_B exceeds every component's diameter.

    Examples
    --------
    >>> from selfsim.generators import uv_flower
    >>> from selfsim import box_counts
    >>> A = uv_flower(2, 2, 3)
    >>> packing_bound(A, [1, 3, 9]).tolist(), box_counts(A, [1, 3, 9]).tolist()
    ([44, 8, 1], [44, 10, 1])
    """
    A = as_adjacency(graph, "packing_bound")
    arr = _sizes(sizes, is_weighted(A), "packing_bound")
    Dm, _ = all_distances(A, float(arr.max()), "packing_bound")
    out = np.empty(arr.size, dtype=np.int64)
    progress = Progress(log, "packing bound", total=arr.size, unit="sizes")
    for i, s in enumerate(arr):
        out[i] = _packing(Dm, float(s)).size
        progress.update(1, note=f"l_B = {float(s):g}: at least {out[i]} boxes")
    progress.close()
    return out
