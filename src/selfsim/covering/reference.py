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

__all__ = [
    "distance_matrix",
    "greedy_reference",
    "memb_reference",
    "cbb_reference",
    "random_reference",
    "sketch_reference",
]


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


def _left(members: np.ndarray, covered: np.ndarray) -> int:
    return int(np.count_nonzero(~covered[members]))


def _sketch_bound(m: int, nu: int, tau: int, z: float, left: int) -> float:
    return min(m * (nu + 1.0) / (tau + 1.0) * (1.0 + z / np.sqrt(m)), float(left))


def sketch_reference(
    Dm: np.ndarray,
    radius: float,
    rank: np.ndarray,
    k: int,
    m_min: int,
    z: float,
    exact_per_node: int,
    count_budget: float,
    spent_walk: float = 0.0,
) -> np.ndarray:
    """Sketch-based radius covering (see :mod:`selfsim.covering.sketch`) from distances.

    In passes until every node is covered: U = the uncovered nodes, ordered by
    ``rank`` (first pass) or by the pass's hash keys. If the balls ``B_r(u) & U``
    hold at most max(k, exact_per_node) n members in total, every key is an
    exact excluded mass; otherwise the sketch of u is its k members of U of
    smallest pass rank, and u starts with the optimistic key
    m (|U| + 1) / (tau + 1) (1 + z / sqrt(m)), at most the number of uncovered
    nodes (m = uncovered members, tau = pass rank of the k-th; the exact m
    when u has fewer than k members). Lazy
    greedy over the keys, written with argmax over arrays: the largest key
    (ties: smallest index) is a centre if it is an exact mass computed since
    the last centre; a stale exact key is recomputed; a sketch key is
    recomputed and, if still the largest, replaced by the exact mass. Once
    the balls of the sketched nodes counted since the last centre hold at
    least ``count_budget`` n nodes in total, the centre is the largest mass
    counted since then (ties: smallest index). A sketch key on top that rests
    on fewer than ``m_min`` members is replaced by the exact mass too, until
    the balls of such nodes counted in the pass hold ``spent_walk`` n nodes;
    the next one of them ends the pass.
    """
    from .sketch import pass_keys

    n = Dm.shape[0]
    within = Dm <= radius
    covered = np.zeros(n, dtype=bool)
    centres: list[int] = []
    p = 0
    while not covered.all():
        unc = np.flatnonzero(~covered)
        keys = rank[unc] if p == 0 else pass_keys(rank[unc].astype(np.int64), p, n)
        order = unc[np.argsort(keys, kind="stable")]
        members = within[:, order]  # members[u, t]: the node of pass rank t is within r of u
        exact = members.sum() <= max(k, exact_per_node) * n
        sk, tau = [], np.full(n, -1)
        for u in range(n):
            t = np.flatnonzero(members[u])
            if not exact and t.size >= k:
                t = t[:k]
                tau[u] = t[-1]
            sk.append(order[t])

        state = np.zeros(n, dtype=np.int64)  # 0: out, 1: sketch key, 2: exact mass
        key = np.zeros(n)
        stamp = np.zeros(n, dtype=np.int64)
        for u in range(n):
            m = _left(sk[u], covered)
            if m > 0:
                state[u] = 2 if tau[u] < 0 else 1
                key[u] = (
                    float(m)
                    if tau[u] < 0
                    else _sketch_bound(m, unc.size, tau[u], z, n - int(covered.sum()))
                )
                stamp[u] = len(centres)
        walked, best, best_m, spent = 0, -1, 0, 0
        while (state > 0).any() and not covered.all():
            live = np.where(state > 0, key, -np.inf)
            u = int(np.argmax(live))  # ties: smallest index
            if state[u] == 2 and stamp[u] == len(centres):
                centres.append(u)
                state[u] = 0
                covered |= within[u]
                walked, best, best_m = 0, -1, 0
                continue
            spent_u = False
            if state[u] == 1:
                m = _left(sk[u], covered)
                if m < m_min:  # the sketch says little: count exactly, within the pass's budget
                    if spent >= spent_walk * n:
                        break  # such counts have cost about a rebuild: new sketches
                    spent_u = True
                else:
                    live[u] = -np.inf
                    v = int(np.argmax(live))
                    kb = _sketch_bound(m, unc.size, tau[u], z, n - int(covered.sum()))
                    if live[v] > -np.inf and (kb < live[v] or (kb == live[v] and u > v)):
                        key[u] = kb
                        continue
            mass = int(np.count_nonzero(within[u] & ~covered))
            if not exact and tau[u] >= 0:
                ball = int(np.count_nonzero(within[u]))
                walked += ball
                if spent_u:
                    spent += ball
            state[u], key[u], stamp[u] = (2 if mass > 0 else 0), float(mass), len(centres)
            if mass > 0 and (mass > best_m or (mass == best_m and u < best)):
                best, best_m = u, mass
            if best >= 0 and walked >= count_budget * n:
                centres.append(best)
                state[best] = 0
                covered |= within[best]
                walked, best, best_m = 0, -1, 0
        p += 1
    return np.argmin(Dm[np.asarray(centres)], axis=0).astype(np.int64)


def lazy_memb_reference(
    Dm: np.ndarray,
    radius: float,
    indptr: np.ndarray,
    indices: np.ndarray,
    caps: tuple[float, float, float, float, float],
) -> list[int] | None:
    """Centres of :func:`selfsim.covering.sketch.lazy_memb` from distances (unweighted graphs).

    MEMB's centres (largest excluded mass, ties: smallest index), or None where
    the kernel declines or gives up: the same rule, from the same blocks of 64
    nodes in :func:`selfsim.covering.sketch.locality_order` and the same count
    of nodes reached by its bit-parallel counts and stale marks. ``caps``:
    (init, recount, ball, min_nodes, growth) as in :mod:`selfsim.covering.sketch`.
    """
    import heapq

    from .sketch import GROWTH_BLOCKS, locality_order

    init_cap, recount_cap, ball_cap, min_nodes, growth_cap = caps
    n = Dm.shape[0]
    if n < min_nodes:
        return None
    hops = int(np.floor(radius)) if radius < 2.0**62 else 2**62
    within = Dm <= hops
    perm = np.asarray(locality_order(indptr, indices))
    pos = np.empty(n, dtype=np.int64)
    pos[perm] = np.arange(n)
    nblk = (n + 63) // 64

    def block(b: int) -> np.ndarray:
        return perm[b * 64 : min(n, b * 64 + 64)]

    h2 = 2 * hops if hops < 2**61 else hops
    gb = min(GROWTH_BLOCKS, nblk)
    picks = [int((i + 1) * 0.6180339887498949 % 1.0 * nblk) if gb < nblk else i for i in range(gb)]
    grow = [(Dm[block(b)] <= h2).sum() / max(within[block(b)].sum(), 1) for b in picks]
    if np.median(grow) > growth_cap:
        return None
    csize = np.isfinite(Dm).sum(axis=1)  # each node's component
    reach = tot = room = samp = 0
    for b in range(0, nblk, 64):
        src = block(b)
        reach += int(within[src].any(axis=0).sum())
        tot += int(within[src].sum())
        room += int(csize[src].sum())
        samp += 1
        if reach > init_cap * n / 64.0:
            return None
    if reach * (nblk / samp) > init_cap * n or tot > ball_cap * room:
        return None
    w0 = sum(int(within[block(b)].any(axis=0).sum()) for b in range(nblk))
    w1 = 0
    mass = within.sum(axis=1)
    fresh = np.ones(n, dtype=bool)
    covered = np.zeros(n, dtype=bool)
    heap = [(-int(mass[v]), v) for v in range(n) if mass[v] > 0]  # ties: smallest index
    heapq.heapify(heap)
    centres: list[int] = []
    while not covered.all() and heap:
        key, u = heapq.heappop(heap)
        if not fresh[u]:  # recount u with the stale nodes of its block
            mates = [v for v in block(pos[u] // 64) if v != u and not fresh[v] and mass[v] > 0]
            src = np.array([u, *mates])
            mass[src] = (within[src] & ~covered).sum(axis=1)
            fresh[src] = True
            w1 += int(within[src].any(axis=0).sum())
            if w1 > recount_cap * (w0 + n):
                return None
        if -key != mass[u]:
            if mass[u] > 0:
                heapq.heappush(heap, (-int(mass[u]), u))
            continue
        centres.append(u)
        covered |= within[u]
        stale = Dm[u] <= 2.0 * radius
        fresh[stale] = False
        w1 += int(stale.sum())
        if w1 > recount_cap * (w0 + n):
            return None
    return centres
