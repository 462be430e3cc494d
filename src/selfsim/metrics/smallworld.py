"""Small-world measures of the feature network G_M at a stated edge density.

The paper (arXiv 2507.17785) proposes, as future work, relating the
self-similarity of G_M to its small-world character. G_M at edge density rho
keeps the ``rho * P`` closest pairs (``C_ij`` below the rho-quantile of the
pair distances). On that graph we measure, after Watts & Strogatz (1998):

* the average clustering coefficient ``C = mean_i 2 T_i / (k_i (k_i - 1))``
  (0 for nodes of degree < 2, as in networkx);
* the characteristic path length ``L``: the mean shortest-path length over
  the pairs of the largest connected component;

and the same on an Erdos-Renyi graph with the same number of nodes and edges
(seeded), giving ``sigma = (C / C_rand) / (L / L_rand)`` (Humphries & Gurney
2008); sigma > 1 marks a small world.

References
----------
D. J. Watts, S. H. Strogatz, "Collective dynamics of 'small-world' networks",
Nature 393 (1998) 440-442.
M. D. Humphries, K. Gurney, "Network 'small-world-ness'", PLoS ONE 3 (2008) e0002002.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .._core.errors import DisconnectedGraphWarning
from .._core.seeding import SeedLike, as_generator
from .._core.validation import check_float
from ..network.distances import check_features, pair_distances, pair_graph, threshold_graph

__all__ = ["SmallWorld", "small_world", "clustering_and_path_length"]


@dataclass(frozen=True)
class SmallWorld:
    """Small-world measures of G_M at one edge density (see the module docstring)."""

    density: float
    threshold: float
    clustering: float
    path_length: float
    clustering_random: float
    path_length_random: float
    sigma: float
    giant_fraction: float


def clustering_and_path_length(A: np.ndarray) -> tuple[float, float, float]:
    """Average clustering, characteristic path length (giant component) and its node fraction."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components, shortest_path

    A = np.asarray(A, dtype=np.float64)
    k = A.sum(axis=1)
    tri = np.einsum("ij,ji->i", A @ A, A) / 2.0
    denom = k * (k - 1)
    cc = np.where(denom > 0, 2.0 * tri / np.where(denom > 0, denom, 1.0), 0.0)
    n_comp, labels = connected_components(csr_matrix(A), directed=False)
    giant = np.bincount(labels).argmax()
    nodes = np.flatnonzero(labels == giant)
    if len(nodes) < 2:
        return float(cc.mean()), float("nan"), len(nodes) / len(A)
    sub = csr_matrix(A[np.ix_(nodes, nodes)])
    dist = shortest_path(sub, method="D", unweighted=True, directed=False)
    n = len(nodes)
    L = float(dist[np.triu_indices(n, 1)].mean())
    return float(cc.mean()), L, n / len(A)


def small_world(F: np.ndarray, *, density: float = 0.1, seed: SeedLike = 0) -> SmallWorld:
    """Clustering and path length of G_M at edge density ``density``, against a random graph.

    Parameters
    ----------
    F : array of shape (D, B)
    density : float in (0, 1), default 0.1
        Fraction of the D (D - 1) / 2 pairs kept as edges (the closest ones).
    seed : None, int or Generator
        Seed of the Erdos-Renyi comparison graph.

    Returns
    -------
    SmallWorld

    Warns
    -----
    DisconnectedGraphWarning
        When G_M at this density is disconnected (path lengths are then over
        its largest component).

    Examples
    --------
    >>> F = np.random.default_rng(0).normal(size=(60, 16))
    >>> sw = small_world(F, density=0.2)
    >>> 0 <= sw.clustering <= 1 and sw.path_length >= 1
    True
    """
    density = check_float(density, "density", "small_world", low=0.0, high=1.0, closed="neither")
    D, _ = check_features(F, "small_world")
    C = pair_distances(np.asarray(F, dtype=np.float64), check_input=False)
    A = threshold_graph(C, density=density)
    m = int(np.count_nonzero(A)) // 2  # edges kept (the comparison graph gets as many)
    cc, L, frac = clustering_and_path_length(A)
    if frac < 1.0:
        warnings.warn(
            f"G_M at edge density {density} is disconnected; its largest component holds "
            f"{frac:.1%} of the nodes and the path length is measured there.",
            DisconnectedGraphWarning,
            stacklevel=2,
        )
    rng = as_generator(seed, "small_world")
    R = pair_graph(rng.choice(len(C), size=m, replace=False), D)
    cr, Lr, _ = clustering_and_path_length(R)
    sigma = (cc / cr) / (L / Lr) if cr > 0 and L > 0 and np.isfinite(Lr) else float("nan")
    threshold = float(np.partition(C, m - 1)[m - 1])  # the largest kept distance
    return SmallWorld(density, threshold, cc, L, cr, Lr, float(sigma), frac)
