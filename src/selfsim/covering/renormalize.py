"""Renormalisation: merge each box into a node (Song, Havlin, Makse 2005).

Each box of a covering at size l_B becomes a node; two boxes are joined when
any edge of the original graph links them. A self-similar network keeps its
degree distribution under renormalisation: P(k) before and after follow the
same power law (the test of Song, Havlin, Makse 2005, Fig. 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.errors import InvalidInputError
from .._core.seeding import SeedLike
from ..network.graph import as_adjacency
from .api import box_cover

__all__ = ["Renormalization", "renormalize"]


@dataclass(frozen=True)
class Renormalization:
    """Result of :func:`renormalize`.

    Attributes
    ----------
    graph : scipy.sparse.csr_matrix of shape (N_B, N_B)
        Renormalised (unweighted) network, one node per box.
    labels : array of shape (n,)
        Box of each original node.
    size : float
        Box size l_B.
    degrees_before, degrees_after : arrays of int
        Node degrees of the original and the renormalised network.
    """

    graph: sp.csr_matrix
    labels: np.ndarray
    size: float
    degrees_before: np.ndarray
    degrees_after: np.ndarray

    def degree_distribution(self, which: str = "after") -> tuple[np.ndarray, np.ndarray]:
        """(k, P(k)) for k >= 1 of the network ``"before"`` or ``"after"`` renormalisation."""
        if which not in ("before", "after"):
            raise InvalidInputError(f"which must be 'before' or 'after'; got {which!r}.")
        deg = self.degrees_before if which == "before" else self.degrees_after
        counts = np.bincount(deg)
        k = np.flatnonzero(counts)
        k = k[k > 0]
        return k, counts[k] / deg.size


def renormalize(
    graph: Any,
    size: float,
    *,
    method: str = "greedy",
    seed: SeedLike = None,
    labels: np.ndarray | None = None,
) -> Renormalization:
    """Cover ``graph`` with boxes of size l_B and merge every box into a node.

    Parameters
    ----------
    graph : scipy sparse matrix, (n, n) numpy array or networkx.Graph
    size : float
        Box size l_B.
    method, seed
        Passed to :func:`selfsim.box_cover`.
    labels : array of shape (n,), optional
        A precomputed partition (box id per node) to use instead of covering.

    Returns
    -------
    Renormalization

    Examples
    --------
    >>> from selfsim.generators import lattice
    >>> r = renormalize(lattice((9,)), 3)
    >>> r.graph.shape, r.degrees_after.tolist()
    ((3, 3), [1, 2, 1])
    """
    A = as_adjacency(graph, "renormalize")
    n = A.shape[0]
    if labels is None:
        labels = box_cover(A, size, method=method, seed=seed)
    labels = np.asarray(labels)
    if (
        labels.shape != (n,)
        or not np.issubdtype(labels.dtype, np.integer)
        or labels.min(initial=0) < 0
    ):
        raise InvalidInputError(
            f"renormalize: labels must be non-negative integer box ids of shape ({n},); got "
            f"shape {labels.shape} and dtype {labels.dtype}."
        )
    _, lab = np.unique(labels, return_inverse=True)
    nb = int(lab.max()) + 1 if n else 0
    coo = A.tocoo()
    a, b = lab[coo.row], lab[coo.col]
    keep = a != b
    R = sp.csr_matrix((np.ones(int(keep.sum())), (a[keep], b[keep])), shape=(nb, nb))
    R.data[:] = 1.0  # duplicates were summed; any link between two boxes is one edge
    R.sort_indices()
    deg_before = np.diff(A.indptr).astype(np.int64)
    deg_after = np.diff(R.indptr).astype(np.int64)
    return Renormalization(R, lab.astype(np.int64), float(size), deg_before, deg_after)
