"""Box covering of complex networks: box counts N_B(l_B) and the boxes.

A box of size l_B is a set of nodes whose pairwise shortest-path distances
are all < l_B. A box covering partitions the nodes into boxes; N_B(l_B) is
the number of boxes of a (near-)minimal covering. Fractal networks show
``N_B ~ l_B**(-d_B)``; small worlds decay exponentially
(:func:`selfsim.metrics.fractal.fractal_dimension` tells them apart).

Graphs may be unweighted or carry edge lengths (Wei et al. 2013); a
disconnected graph is covered component by component (boxes never span
components) with a :class:`~selfsim.DisconnectedGraphWarning`.

References
----------
C. Song, S. Havlin, H. A. Makse, Nature 433, 392 (2005).
C. Song, L. K. Gallos, S. Havlin, H. A. Makse, J. Stat. Mech. P03006 (2007).
D.-J. Wei et al., Box-covering algorithm for fractal dimension of weighted
networks, Sci. Rep. 3, 3049 (2013).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._core.errors import DisconnectedGraphWarning, InvalidInputError, NotFoundError
from .._core.seeding import SeedLike, as_generator
from .._core.validation import check_choice
from ..network.graph import as_adjacency, components, is_weighted
from ._jit import have_numba, threads_for
from .registry import METHODS, CoverMethod

__all__ = ["box_counts", "box_cover", "cover_labels"]


def _method(method: str, caller: str) -> CoverMethod:
    if method not in METHODS:
        raise NotFoundError(
            f"unknown covering method {method!r} for {caller}; choose one of "
            + ", ".join(repr(m) for m in METHODS)
            + "."
        )
    return METHODS[method]


def _sizes(sizes: Any, weighted: bool, caller: str) -> np.ndarray:
    try:
        arr = np.atleast_1d(np.asarray(sizes, dtype=np.float64))
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.ndim != 1 or arr.size == 0:
        raise InvalidInputError(
            f"The 'sizes' parameter of {caller} must be a non-empty 1-D sequence of box sizes "
            f"l_B >= 1. Got {sizes!r} instead."
        )
    if not np.all(np.isfinite(arr)) or np.any(arr < 1):
        raise InvalidInputError(
            f"The 'sizes' parameter of {caller} must hold finite box sizes l_B >= 1; got "
            f"{arr[~(np.isfinite(arr) & (arr >= 1))][0]!r}. l_B = 1 gives one node per box."
        )
    if not weighted and np.any(arr != np.round(arr)):
        raise InvalidInputError(
            f"{caller}: box sizes of an unweighted graph must be integers; got {sizes!r}. "
            "Use numpy.unique(numpy.round(sizes)) or give the graph edge lengths."
        )
    return arr


def _canonical(labels: np.ndarray) -> np.ndarray:
    """Renumber boxes 0, 1, ... in order of their first node."""
    _, first, inv = np.unique(labels, return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first))[inv].astype(np.int64)


def cover_labels(
    graph: Any,
    sizes: Any,
    *,
    method: str = "greedy",
    seed: SeedLike = None,
    engine: str = "auto",
    caller: str = "cover_labels",
) -> np.ndarray:
    """Box labels of shape (len(sizes), n) for every size (the engine behind both APIs).

    ``engine`` is ``"auto"`` (numba kernels when numba is installed),
    ``"numba"`` or ``"python"`` (the numpy/scipy reference, O(n^2) memory).
    Boxes are numbered 0, 1, ... in order of their smallest node.
    """
    m = _method(method, caller)
    engine = check_choice(engine, "engine", caller, ("auto", "numba", "python"))
    if engine == "numba" and not have_numba():
        raise InvalidInputError(
            f"{caller}: engine='numba' needs numba; install the extra with "
            "`pip install selfsim[fast]` or use engine='auto'."
        )
    fast = engine == "numba" or (engine == "auto" and have_numba())
    A = as_adjacency(graph, caller)
    weighted = is_weighted(A)
    arr = _sizes(sizes, weighted, caller)
    n = A.shape[0]
    if n == 0:
        raise InvalidInputError(
            f"{caller} needs a graph with at least one node; got an empty graph."
        )
    rank = (
        as_generator(seed, caller).permutation(n)
        if (m.random or seed is not None)
        else np.arange(n)
    )
    order = np.argsort(arr, kind="stable")
    sorted_sizes = arr[order]
    k, comp = components(A)
    if k > 1:
        warnings.warn(
            f"{caller}: the graph has {k} connected components; each is covered separately "
            "(boxes never span components), so N_B >= number of components at every size.",
            DisconnectedGraphWarning,
            stacklevel=3,
        )
    out = np.empty((arr.size, n), dtype=np.int64)
    offset = np.zeros(arr.size, dtype=np.int64)
    groups = [np.arange(n)] if k == 1 else [np.flatnonzero(comp == c) for c in range(k)]
    for nodes in groups:
        if nodes.size == 1:
            lab = np.zeros((arr.size, 1), dtype=np.int64)
        else:
            sub = A if k == 1 else A[nodes][:, nodes].tocsr()
            sub_rank = np.argsort(np.argsort(rank[nodes], kind="stable"), kind="stable")
            if fast:
                with threads_for(nodes.size):
                    lab = m.fast(sub, weighted, sorted_sizes, sub_rank)
            else:
                from .reference import distance_matrix

                Dm = distance_matrix(sub, weighted)
                lab = m.reference(Dm, sorted_sizes, sub_rank, graph=None if weighted else sub)
        out[order[:, None], nodes[None, :]] = lab + offset[:, None]
        offset += lab.max(axis=1) + 1
    return np.stack([_canonical(row) for row in keep_best_cover(out, order)])


def keep_best_cover(labels: np.ndarray, ascending: np.ndarray) -> np.ndarray:
    """Make N_B non-increasing in l_B by reusing the best smaller-size cover.

    A cover whose boxes all have diameter < l is valid for every size above l,
    so when a heuristic finds more boxes at a larger size than at a smaller one
    (greedy colouring can, by one or two), the smaller size's cover is kept.
    ``labels`` has one row per size; ``ascending`` orders the rows by size.
    Modifies and returns ``labels``.
    """
    best = None
    for i in ascending:
        if best is not None and labels[i].max() > labels[best].max():
            labels[i] = labels[best]
        else:
            best = i
    return labels


def box_cover(
    graph: Any, size: float, *, method: str = "greedy", seed: SeedLike = None, engine: str = "auto"
) -> np.ndarray:
    """Partition the nodes into boxes of size ``l_B``.

    Parameters
    ----------
    graph : scipy sparse matrix, (n, n) numpy array or networkx.Graph
        Undirected; stored values / the ``weight`` attribute are edge lengths.
    size : int or float
        Box size l_B >= 1: every pair of nodes in a box is at distance < l_B.
    method : {"greedy", "cbb", "memb", "random", "sketch"}
        See :data:`selfsim.covering.METHODS`. ``"memb"``, ``"random"`` and
        ``"sketch"`` build radius boxes with ``r_B = floor((l_B - 1) / 2)``
        (pairwise distance <= 2 r_B < l_B).
    seed : None, int or numpy.random.Generator
        Node order for greedy (None: nodes 0..n-1), random choices of cbb and
        random; ignored by memb (deterministic).
    engine : {"auto", "numba", "python"}

    Returns
    -------
    labels : array of shape (n,), int64
        Box of each node, numbered 0.. in order of each box's smallest node.

    Examples
    --------
    >>> from selfsim.generators import lattice
    >>> box_cover(lattice((6,)), 3).tolist()
    [0, 0, 0, 1, 1, 1]
    """
    return cover_labels(graph, [size], method=method, seed=seed, engine=engine, caller="box_cover")[
        0
    ]


def box_counts(
    graph: Any, sizes: Any, *, method: str = "greedy", seed: SeedLike = None, engine: str = "auto"
) -> np.ndarray:
    """Number of boxes N_B for each box size l_B.

    Parameters
    ----------
    graph : scipy sparse matrix, (n, n) numpy array or networkx.Graph
        Undirected; stored values / the ``weight`` attribute are edge lengths.
    sizes : sequence of int or float
        Box sizes l_B >= 1 (integers for unweighted graphs), any order.
    method : {"greedy", "cbb", "memb", "random", "sketch"}
        ``"greedy"`` colours all sizes in one pass; ``"memb"``, ``"random"`` and
        ``"sketch"`` use radius boxes ``r_B = floor((l_B - 1) / 2)``;
        ``"sketch"`` needs no all-pairs distances (10^5-node graphs, all sizes).
    seed : None, int or numpy.random.Generator
        See :func:`box_cover`.
    engine : {"auto", "numba", "python"}
        ``"python"`` is the slow numpy/scipy reference (all-pairs distances).

    Returns
    -------
    counts : array of shape (len(sizes),), int64
        N_B(l_B) in the order of ``sizes``; n at l_B = 1 and 1 once l_B exceeds
        the diameter (memb: once r_B reaches the graph radius; random and
        sketch: once r_B reaches the diameter).

    Notes
    -----
    Contract of every method: every pair of nodes in one box is at
    shortest-path distance < l_B. Greedy colouring gives the best
    approximation to the minimal N_B per unit of work for all sizes at
    once; MEMB gives compact, connected boxes and scales to large graphs for
    small radii.

    Examples
    --------
    >>> from selfsim.generators import uv_flower
    >>> box_counts(uv_flower(2, 2, 3), [1, 3, 9]).tolist()
    [44, 10, 1]
    """
    labels = cover_labels(
        graph, sizes, method=method, seed=seed, engine=engine, caller="box_counts"
    )
    return labels.max(axis=1) + 1
