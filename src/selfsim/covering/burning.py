"""Burning algorithms (fast path): MEMB, compact-box-burning, random sequential.

All kernels work on one connected component and one box size and return a
box label per node. Randomness enters only through ``rank`` (a random
permutation drawn by the caller), so the result is a deterministic function
of (graph, size, rank) and the slow reference path reproduces it exactly.

* MEMB (maximum-excluded-mass burning, Song et al. 2007): centres are picked
  one by one as the node whose ball of radius r_B holds the most uncovered
  nodes (ties: smallest node index); every node then joins the box of its
  nearest centre (ties: the centre picked first). A node's nearest centre is
  within r_B, so every box lies in a ball of radius r_B: pairwise distance
  <= 2 r_B < l_B = 2 r_B + 1.
* CBB (compact-box-burning, Song et al. 2007): a box grows from the
  candidate set C of uncovered nodes; the candidate of smallest rank joins
  the box and every candidate at distance >= l_B from it leaves C.
* Random sequential (Kim et al. 2004): the uncovered node of smallest rank
  becomes a centre and takes every uncovered node within r_B.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel, prange
from ._sssp import heap_pop, heap_push, reset, sssp

__all__ = ["memb_labels", "cbb_labels", "random_labels", "ball_sizes"]


@kernel(parallel=True, helpers=(sssp, reset))
def ball_sizes(indptr, indices, weights, weighted, limit):
    """Number of nodes within ``limit`` of every node (parallel over nodes)."""
    n = indptr.shape[0] - 1
    out = np.empty(n, dtype=np.int64)
    hn = indices.shape[0] + 1 if weighted else 1
    nchunk = min(n, 64)
    for c in prange(nchunk):
        dist = np.full(n, np.inf)
        order = np.empty(n, dtype=np.int64)
        heap_d = np.empty(hn, dtype=np.float64)
        heap_v = np.empty(hn, dtype=np.int64)
        for v in range(c, n, nchunk):
            cnt = sssp(indptr, indices, weights, weighted, v, limit, dist, order, heap_d, heap_v)
            out[v] = cnt
            reset(dist, order, cnt)
    return out


@kernel(helpers=(sssp, reset))
def _memb_centres(indptr, indices, weights, weighted, limit, mass):
    """Centres by maximum excluded mass; ``mass`` (ball sizes) is consumed."""
    n = indptr.shape[0] - 1
    size = 1
    while size < n:
        size *= 2
    tree = np.full(2 * size, -1, dtype=np.int64)  # max-segment tree over mass
    for v in range(n):
        tree[size + v] = mass[v]
    for t in range(size - 1, 0, -1):
        tree[t] = max(tree[2 * t], tree[2 * t + 1])
    covered = np.zeros(n, dtype=np.bool_)
    stamp = np.zeros(n, dtype=np.int64)
    dirty = np.empty(n, dtype=np.int64)
    hn = indices.shape[0] + 1 if weighted else 1
    dist, order = np.full(n, np.inf), np.empty(n, dtype=np.int64)
    heap_d, heap_v = np.empty(hn), np.empty(hn, dtype=np.int64)
    order2 = np.empty(n, dtype=np.int64)
    centres = np.empty(n, dtype=np.int64)
    nc = 0
    ncov = 0
    rnd = 0
    while ncov < n:
        t = 1  # leftmost maximum
        while t < size:
            t = 2 * t if tree[2 * t] >= tree[2 * t + 1] else 2 * t + 1
        c = t - size
        centres[nc] = c
        nc += 1
        rnd += 1
        nd = 0
        cnt = sssp(indptr, indices, weights, weighted, c, limit, dist, order2, heap_d, heap_v)
        reset(dist, order2, cnt)
        for k in range(cnt):  # newly covered nodes lower the mass of their balls
            x = order2[k]
            if covered[x]:
                continue
            covered[x] = True
            ncov += 1
            cx = sssp(indptr, indices, weights, weighted, x, limit, dist, order, heap_d, heap_v)
            for q in range(cx):
                y = order[q]
                mass[y] -= 1
                if stamp[y] != rnd:
                    stamp[y] = rnd
                    dirty[nd] = y
                    nd += 1
            reset(dist, order, cx)
        mass[c] = -1  # a centre is never picked twice
        if stamp[c] != rnd:
            dirty[nd] = c
            nd += 1
        for q in range(nd):
            t = size + dirty[q]
            tree[t] = mass[dirty[q]]
            t //= 2
            while t >= 1:
                tree[t] = max(tree[2 * t], tree[2 * t + 1])
                t //= 2
    return centres[:nc]


@kernel(helpers=(heap_pop, heap_push))
def _nearest_centre(indptr, indices, weights, centres):
    """Label of the nearest centre (ties: smallest centre rank), multi-source Dijkstra."""
    n = indptr.shape[0] - 1
    dist = np.full(n, np.inf)
    label = np.full(n, -1, dtype=np.int64)
    m = indices.shape[0] + centres.shape[0] + 1
    heap_d = np.empty(m, dtype=np.float64)
    heap_v = np.empty(m, dtype=np.int64)
    size = 0
    for r in range(centres.shape[0]):
        c = centres[r]
        dist[c] = 0.0
        label[c] = r
        heap_d[size] = 0.0  # all keys are 0: appending keeps the heap valid
        heap_v[size] = c
        size += 1
    done = np.zeros(n, dtype=np.bool_)
    while size > 0:
        d = heap_d[0]
        u = heap_v[0]
        size = heap_pop(heap_d, heap_v, size)
        if done[u] or d > dist[u]:
            continue
        done[u] = True
        for k in range(indptr[u], indptr[u + 1]):
            w = indices[k]
            nd = d + weights[k]
            if nd < dist[w]:
                dist[w] = nd
                label[w] = label[u]
                size = heap_push(heap_d, heap_v, size, nd, w)
            elif nd == dist[w] and label[u] < label[w] and not done[w]:
                label[w] = label[u]
    return label


def _nearest_centre_hops(indptr, indices, centres):
    """:func:`_nearest_centre` on unweighted graphs: one breadth-first search from all centres.

    Nodes are taken level by level, so every node of a level has its final
    label before the next level is labelled; a node takes the smallest label
    among its neighbours one level closer (ties: smallest centre rank).
    """
    n = indptr.shape[0] - 1
    dist = np.full(n, -1, dtype=np.int64)
    label = np.full(n, -1, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    nt = 0
    for r in range(centres.shape[0]):
        c = centres[r]
        dist[c] = 0
        label[c] = r
        queue[nt] = c
        nt += 1
    qh = 0
    while qh < nt:
        u = queue[qh]
        qh += 1
        du = dist[u] + 1
        lu = label[u]
        for e in range(indptr[u], indptr[u + 1]):
            w = indices[e]
            if dist[w] < 0:
                dist[w] = du
                label[w] = lu
                queue[nt] = w
                nt += 1
            elif dist[w] == du and lu < label[w]:
                label[w] = lu
    return label


@kernel(parallel=True, helpers=(_nearest_centre_hops,))
def nearest_centre_rows(indptr, indices, centres, counts):
    """Labels of the nearest centre for each row of centres (unweighted; rows in parallel).

    Row s: the first ``counts[s]`` entries of ``centres[s]``; same labels as
    :func:`_nearest_centre` (tested).
    """
    n = indptr.shape[0] - 1
    R = centres.shape[0]
    out = np.empty((R, n), dtype=np.int64)
    for s in prange(R):
        out[s] = _nearest_centre_hops(indptr, indices, centres[s, : counts[s]])
    return out


def nearest_centre(indptr, indices, weights, weighted, centres):
    """Label of the nearest centre (ties: smallest centre rank); hop counts when not weighted."""
    if weighted:
        return _nearest_centre(indptr, indices, weights, centres)
    c = np.asarray(centres, dtype=np.int64)
    return nearest_centre_rows(indptr, indices, c[None, :], np.array([c.size]))[0]


def memb_labels(indptr, indices, weights, weighted, limit):
    """MEMB box labels for radius ``limit`` (boxes numbered by centre rank)."""
    mass = ball_sizes(indptr, indices, weights, weighted, limit)
    centres = _memb_centres(indptr, indices, weights, weighted, limit, mass)
    return nearest_centre(indptr, indices, weights, weighted, centres)


@kernel(helpers=(sssp, reset))
def cbb_labels(indptr, indices, weights, weighted, limit, by_rank, rank):
    """Compact-box-burning labels; boxes hold nodes pairwise within ``limit``."""
    n = indptr.shape[0] - 1
    hn = indices.shape[0] + 1 if weighted else 1
    dist, order = np.full(n, np.inf), np.empty(n, dtype=np.int64)
    heap_d, heap_v = np.empty(hn), np.empty(hn, dtype=np.int64)
    labels = np.full(n, -1, dtype=np.int64)
    cand = np.empty(n, dtype=np.int64)
    mark = np.zeros(n, dtype=np.int64)
    stamp = 0
    nb = 0
    ptr = 0
    while True:
        while ptr < n and labels[by_rank[ptr]] >= 0:
            ptr += 1
        if ptr == n:
            break
        p = by_rank[ptr]
        labels[p] = nb
        cnt = sssp(indptr, indices, weights, weighted, p, limit, dist, order, heap_d, heap_v)
        nc = 0
        for k in range(cnt):
            x = order[k]
            if labels[x] < 0:
                cand[nc] = x
                nc += 1
        reset(dist, order, cnt)
        while nc > 0:
            best = 0  # candidate of smallest rank joins the box
            for k in range(1, nc):
                if rank[cand[k]] < rank[cand[best]]:
                    best = k
            q = cand[best]
            labels[q] = nb
            cand[best] = cand[nc - 1]
            nc -= 1
            stamp += 1
            cnt = sssp(indptr, indices, weights, weighted, q, limit, dist, order, heap_d, heap_v)
            for k in range(cnt):
                mark[order[k]] = stamp
            reset(dist, order, cnt)
            keep = 0
            for k in range(nc):
                if mark[cand[k]] == stamp:
                    cand[keep] = cand[k]
                    keep += 1
            nc = keep
        nb += 1
    return labels


@kernel(helpers=(sssp, reset))
def random_labels(indptr, indices, weights, weighted, limit, by_rank):
    """Random sequential burning: radius-``limit`` balls around uncovered centres."""
    n = indptr.shape[0] - 1
    hn = indices.shape[0] + 1 if weighted else 1
    dist, order = np.full(n, np.inf), np.empty(n, dtype=np.int64)
    heap_d, heap_v = np.empty(hn), np.empty(hn, dtype=np.int64)
    labels = np.full(n, -1, dtype=np.int64)
    nb = 0
    for ptr in range(n):
        p = by_rank[ptr]
        if labels[p] >= 0:
            continue
        cnt = sssp(indptr, indices, weights, weighted, p, limit, dist, order, heap_d, heap_v)
        for k in range(cnt):
            if labels[order[k]] < 0:
                labels[order[k]] = nb
        reset(dist, order, cnt)
        nb += 1
    return labels
