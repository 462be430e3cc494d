"""Graph normalisation: any supported graph -> symmetric CSR adjacency.

Every covering routine of selfsim works on one representation: a
``scipy.sparse.csr_matrix`` of shape (n, n), symmetric (undirected), without
self-loops, whose stored values are edge *lengths* (1 for an unweighted
graph; positive lengths for a weighted graph, as in Wei et al. 2013). This
module turns scipy sparse matrices, dense numpy adjacency matrices and
networkx graphs into that form, and back to networkx.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.errors import InvalidInputError

__all__ = [
    "as_adjacency",
    "is_weighted",
    "to_networkx",
    "components",
    "largest_component",
    "edges_to_csr",
]


def edges_to_csr(u: Any, v: Any, n: int, w: Any = None) -> sp.csr_matrix:
    """Undirected edge list -> symmetric CSR adjacency of shape (n, n).

    Duplicate edges keep the shortest length; self-loops are dropped.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    w = np.ones(u.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    keep = u != v
    u, v, w = u[keep], v[keep], w[keep]
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    vals = np.concatenate([w, w])
    # shortest length per (row, col): sort by length, keep first occurrence
    key = rows * n + cols
    idx = np.lexsort((vals, key))
    key, vals = key[idx], vals[idx]
    first = np.ones(key.shape[0], dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, vals = key[first], vals[first]
    A = sp.csr_matrix((vals, (key // n, key % n)), shape=(n, n))
    A.sort_indices()
    return A


def _from_networkx(G: Any, weight: str | None) -> sp.csr_matrix:
    if G.is_directed():
        raise InvalidInputError(
            "box covering needs an undirected graph; got a directed networkx graph. "
            "Convert it with G.to_undirected() first."
        )
    nodes = list(G.nodes())
    index = {node: i for i, node in enumerate(nodes)}
    n = len(nodes)
    u, v, w = [], [], []
    for a, b, data in G.edges(data=True):
        u.append(index[a])
        v.append(index[b])
        w.append(data.get(weight, 1.0) if weight is not None else 1.0)
    return _checked(edges_to_csr(u, v, n, np.asarray(w, dtype=np.float64)), "networkx graph")


def _checked(A: sp.csr_matrix, what: str) -> sp.csr_matrix:
    if A.nnz and (not np.all(np.isfinite(A.data)) or np.any(A.data <= 0)):
        bad = A.data[~(np.isfinite(A.data) & (A.data > 0))][0]
        raise InvalidInputError(
            f"edge lengths of the {what} must be finite and > 0; found {bad!r}. "
            "Drop zero-length edges (merge their end nodes) or fix the weights."
        )
    return A


def as_adjacency(
    graph: Any, caller: str = "this function", weight: str | None = "weight"
) -> sp.csr_matrix:
    """Return ``graph`` as a symmetric CSR matrix of edge lengths.

    Parameters
    ----------
    graph : scipy sparse matrix, numpy array of shape (n, n) or networkx.Graph
        Adjacency (stored values are edge lengths; 1 for unweighted graphs).
    caller : str
        Name used in error messages.
    weight : str or None
        Edge attribute holding lengths for networkx graphs (None: unweighted).

    Returns
    -------
    A : scipy.sparse.csr_matrix of shape (n, n), float64
        Symmetric, no self-loops, sorted indices.

    Examples
    --------
    >>> import numpy as np
    >>> as_adjacency(np.array([[0, 1], [1, 0]])).toarray()
    array([[0., 1.],
           [1., 0.]])
    """
    if hasattr(graph, "adj") and hasattr(graph, "is_directed"):
        return _from_networkx(graph, weight)
    if sp.issparse(graph) or isinstance(graph, np.ndarray):
        if graph.ndim != 2 or graph.shape[0] != graph.shape[1]:
            raise InvalidInputError(
                f"{caller} expects a square adjacency matrix of shape (n, n); got shape "
                f"{tuple(graph.shape)}."
            )
        A = sp.csr_matrix(graph, dtype=np.float64)
        A.setdiag(0)
        A.eliminate_zeros()
        if A.nnz and abs(A - A.T).max() > 0:
            raise InvalidInputError(
                f"{caller} expects an undirected graph (a symmetric adjacency matrix); the matrix "
                "is not symmetric. Pass A.maximum(A.T) to make it undirected."
            )
        A.sort_indices()
        return _checked(A, "adjacency matrix")
    raise InvalidInputError(
        f"{caller} expects a graph as a scipy sparse matrix, a square numpy array or a networkx "
        f"graph; got {type(graph).__name__}."
    )


def is_weighted(A: sp.csr_matrix) -> bool:
    """True when some edge length differs from 1."""
    return bool(A.nnz) and bool(np.any(A.data != 1.0))


def components(A: sp.csr_matrix) -> tuple[int, np.ndarray]:
    """Connected components: (count, label per node)."""
    from scipy.sparse.csgraph import connected_components

    k, labels = connected_components(A, directed=False)
    return int(k), labels


def largest_component(A: sp.csr_matrix) -> np.ndarray:
    """Nodes of the largest connected component, ascending.

    Ties go to the component holding the smallest node index.

    Examples
    --------
    >>> import numpy as np
    >>> largest_component(edges_to_csr([0, 2, 3], [1, 3, 4], 5)).tolist()
    [2, 3, 4]
    """
    _, labels = components(A)
    sizes = np.bincount(labels)
    return np.flatnonzero(labels == int(np.argmax(sizes)))


def to_networkx(A: Any, weight: str = "weight") -> Any:
    """Symmetric adjacency -> ``networkx.Graph`` (lengths as ``weight`` if weighted).

    Examples
    --------
    >>> from selfsim.generators import lattice
    >>> to_networkx(lattice((3,))).number_of_edges()
    2
    """
    import networkx as nx

    A = as_adjacency(A, "to_networkx")
    G = nx.Graph()
    G.add_nodes_from(range(A.shape[0]))
    coo = sp.triu(A, k=1).tocoo()
    if is_weighted(A):
        G.add_weighted_edges_from(
            zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True),
            weight=weight,
        )
    else:
        G.add_edges_from(zip(coo.row.tolist(), coo.col.tolist(), strict=True))
    return G
