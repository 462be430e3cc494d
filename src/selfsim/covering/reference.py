"""Straightforward reference covering (numpy/scipy only, no numba).

Each method here starts from the all-pairs distance matrix of
:func:`scipy.sparse.csgraph.shortest_path` and follows the textbook
description with numpy loops. It is the fallback without numba (slow:
O(n^2) memory) and the independent reference the tests compare the fast
kernels against. Given the same node order / rank it returns the same
partition as the fast path.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["distance_matrix", "greedy_reference", "memb_reference", "cbb_reference", "random_reference"]


def distance_matrix(A: sp.csr_matrix, weighted: bool) -> np.ndarray:
    """All-pairs shortest-path lengths (inf between components)."""
    from scipy.sparse.csgraph import shortest_path

    return shortest_path(A, method="D", directed=False, unweighted=not weighted)


def greedy_reference(Dm: np.ndarray, sizes: np.ndarray, node_order: np.ndarray) -> np.ndarray:
    """Greedy colouring of the dual graphs: labels of shape (len(sizes), n).

    Node i gets the smallest colour c such that every earlier node of colour c
    is at distance < l_B from i.
    """
    n = Dm.shape[0]
    out = np.full((len(sizes), n), -1, dtype=np.int64)
    for s, lb in enumerate(sizes):
        colors = out[s]
        ncol = 0
        for i in node_order:
            done = colors >= 0
            far = done & (Dm[i] >= lb)  # dual-graph neighbours already coloured
            forbidden = np.zeros(ncol + 1, dtype=bool)
            forbidden[colors[far]] = True
            c = int(np.argmin(forbidden))
            colors[i] = c
            ncol = max(ncol, c + 1)
    return out


def memb_reference(Dm: np.ndarray, radius: float) -> np.ndarray:
    """MEMB labels for radius ``radius`` (pairwise distance <= 2 radius)."""
    n = Dm.shape[0]
    within = Dm <= radius
    covered = np.zeros(n, dtype=bool)
    is_centre = np.zeros(n, dtype=bool)
    centres = []
    while not covered.all():
        mass = (within & ~covered[None, :]).sum(axis=1)
        mass[is_centre] = -1
        c = int(np.argmax(mass))  # ties: smallest index
        centres.append(c)
        is_centre[c] = True
        covered |= within[c]
    # nearest centre, ties to the centre picked first
    return np.argmin(Dm[np.asarray(centres)], axis=0).astype(np.int64)


def cbb_reference(Dm: np.ndarray, size: float, rank: np.ndarray) -> np.ndarray:
    """Compact-box-burning labels (candidates chosen by smallest rank)."""
    n = Dm.shape[0]
    labels = np.full(n, -1, dtype=np.int64)
    box = 0
    while (labels < 0).any():
        cand = np.flatnonzero(labels < 0)
        while cand.size:
            q = cand[np.argmin(rank[cand])]
            labels[q] = box
            cand = cand[(cand != q) & (Dm[q, cand] < size)]
        box += 1
    return labels


def random_reference(Dm: np.ndarray, radius: float, rank: np.ndarray) -> np.ndarray:
    """Random sequential labels: uncovered centres in rank order, balls of ``radius``."""
    n = Dm.shape[0]
    labels = np.full(n, -1, dtype=np.int64)
    box = 0
    for p in np.argsort(rank, kind="stable"):
        if labels[p] >= 0:
            continue
        take = (labels < 0) & (Dm[p] <= radius)
        labels[take] = box
        box += 1
    return labels


def sketch_reference(Dm: np.ndarray, radius: float, rank: np.ndarray, k: int) -> np.ndarray:
    """Sketch-based radius covering (see :mod:`selfsim.covering.sketch`) from distances.

    The sketch of the ball B_r(u) is the k nodes of smallest rank in it; the
    estimated excluded mass of u is the number m of uncovered sketch nodes if
    the ball holds fewer than k nodes, else m (n + 1) / (tau + 1) with tau the
    k-th smallest rank. Centres: largest estimate (ties: smallest index), or
    the uncovered node of smallest rank once every estimate is 0.
    """
    n = Dm.shape[0]
    sk = []
    for u in range(n):
        ball = np.flatnonzero(Dm[u] <= radius)
        ball = ball[np.argsort(rank[ball], kind="stable")][:k]
        sk.append((ball, float(rank[ball[-1]]) if ball.size == k else -1.0))
    covered = np.zeros(n, dtype=bool)
    is_centre = np.zeros(n, dtype=bool)
    centres = []
    while not covered.all():
        est = np.empty(n)
        for u, (ball, tau) in enumerate(sk):
            m = int(np.count_nonzero(~covered[ball]))
            est[u] = float(m) if tau < 0 else m * (n + 1.0) / (tau + 1.0)
        est[is_centre] = -1.0
        if est.max() > 0:
            c = int(np.argmax(est))
        else:  # random sequential for the rest: uncovered node of smallest rank
            unc = np.flatnonzero(~covered)
            c = int(unc[np.argmin(rank[unc])])
        centres.append(c)
        is_centre[c] = True
        covered |= Dm[c] <= radius
    return np.argmin(Dm[np.asarray(centres)], axis=0).astype(np.int64)
