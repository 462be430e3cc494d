"""Greedy colouring of the dual graph, all box sizes in one pass (fast path).

Song, Gallos, Havlin, Makse (2007): in the dual graph of size l_B two nodes
are joined when their distance is >= l_B; a proper colouring of the dual graph
is a box covering (nodes of one colour are pairwise at distance < l_B). Nodes
are coloured one by one in a fixed order; node i takes, for every size, the
smallest colour whose members (all earlier nodes) are all at distance < l_B.

Notes
-----
Only colours with a member inside the ball ``B(i) = {j : d(i, j) < l_B}`` can
accept i; a colour accepts i iff all its members lie in B(i). The graph
driver lists, for node i, only the nodes coloured before i (one BFS /
Dijkstra from i keeps those), by distance, so B(i) restricted to coloured
nodes is a prefix of that list; per size the kernel either counts colour
members in the ball (cost |B(i)|) or marks colours with a member outside it
(cost: the rest of the list, stopping once all colours are marked), whichever
is cheaper. One BFS per node serves all sizes; the BFS of a block of nodes
runs in parallel, then the sizes (independent colourings) run in parallel.
The feature-network driver (:mod:`.features`) passes unfiltered lists (rows
of the distance matrix, sorted once) to the same :func:`assign_colours`.
"""

from __future__ import annotations

import logging

import numpy as np

from .._core.progress import Progress
from ._jit import kernel, prange
from ._sssp import sssp

log = logging.getLogger(__name__)

__all__ = ["greedy_colouring_graph", "assign_colours"]


@kernel(parallel=True, helpers=(sssp,))
def _sweep_earlier(
    indptr, indices, weights, weighted, sources, pos, sizes, order_out, ends_out, cnt_out
):
    """Like :func:`_sweep`, but lists only the nodes coloured before each source.

    ``pos[j]`` is the colouring step of node j; source b lists the nodes j with
    ``pos[j] < pos[sources[b]]`` by distance, ``ends_out[b, s]`` of them at
    distance < sizes[s] (the ball is again a prefix of the list).
    """
    n = indptr.shape[0] - 1
    L = sizes.shape[0]
    nb = sources.shape[0]
    hn = indices.shape[0] + 1 if weighted else 1
    nchunk = min(nb, 16)
    for c in prange(nchunk):
        dist = np.full(n, np.inf)
        heap_d = np.empty(hn, dtype=np.float64)
        heap_v = np.empty(hn, dtype=np.int64)
        q = np.empty(n, dtype=np.int64)
        for b in range(c, nb, nchunk):
            src = sources[b]
            p = pos[src]
            tot = sssp(indptr, indices, weights, weighted, src, np.inf, dist, q, heap_d, heap_v)
            row = order_out[b]
            cnt = 0
            s = 0
            for k in range(tot):
                v = q[k]
                dv = dist[v]
                while s < L and dv >= sizes[s]:
                    ends_out[b, s] = cnt
                    s += 1
                if pos[v] < p:
                    row[cnt] = v
                    cnt += 1
                dist[v] = np.inf
            while s < L:
                ends_out[b, s] = cnt
                s += 1
            cnt_out[b] = cnt


@kernel(parallel=True)
def _sweep_earlier_unweighted(indptr, indices, sources, pos, sizes, order_out, ends_out, cnt_out):
    """As :func:`_sweep_earlier` for unweighted graphs and integer sizes (level-synchronous BFS)."""
    n = indptr.shape[0] - 1
    L = sizes.shape[0]
    nb = sources.shape[0]
    nchunk = min(nb, 16)
    for c in prange(nchunk):
        vis = np.zeros(n, dtype=np.uint8)
        q = np.empty(n, dtype=np.int32)
        for b in range(c, nb, nchunk):
            src = sources[b]
            p = pos[src]
            row = order_out[b]
            q[0] = src
            vis[src] = 1
            lo = 0
            hi = 1
            tail = 1
            cnt = 0
            d = 0
            s = 0
            while lo < hi:
                while s < L and d >= sizes[s]:  # nodes at distance >= sizes[s] start here
                    ends_out[b, s] = cnt
                    s += 1
                for k in range(lo, hi):
                    u = q[k]
                    if pos[u] < p:
                        row[cnt] = u
                        cnt += 1
                    for e in range(indptr[u], indptr[u + 1]):
                        w = indices[e]
                        if vis[w] == 0:
                            vis[w] = 1
                            q[tail] = w
                            tail += 1
                lo = hi
                hi = tail
                d += 1
            while s < L:
                ends_out[b, s] = cnt
                s += 1
            cnt_out[b] = cnt
            for k in range(tail):
                vis[q[k]] = 0


@kernel(parallel=True)
def _sweep_earlier_dense(D, first, node_order, tbl, order_out, ends_out, cnt_out):
    """As :func:`_sweep_earlier_unweighted`, reading distances from a uint8 matrix row.

    Source b is ``node_order[first + b]``; the nodes coloured before it are
    ``node_order[:first + b]``. They are bucketed by ``tbl[d]``, the number of
    sizes <= their distance d (a counting sort over L + 1 buckets): the ball of
    size s is then the prefix of buckets 0..s. Saturated distances (254)
    must lie outside every size (sizes <= 254, or no distance reaches 254).
    """
    L = ends_out.shape[1]
    for b in prange(order_out.shape[0]):
        p = first + b
        row = D[node_order[p]]
        c = np.zeros(L + 2, dtype=np.int64)
        for k in range(p):
            c[tbl[row[node_order[k]]] + 1] += 1
        for t in range(L + 1):
            c[t + 1] += c[t]
        for s in range(L):
            ends_out[b, s] = c[s + 1]
        out = order_out[b]
        for k in range(p):
            j = node_order[k]
            t = tbl[row[j]]
            out[c[t]] = j
            c[t] += 1
        cnt_out[b] = p


@kernel(parallel=True)
def assign_colours(order, ends, cnt, sources, colors, boxsize, ncol):
    """Colour the nodes ``sources`` (in this order), sizes in parallel.

    The sizes are independent colourings. ``order[b, :cnt[b]]`` lists nodes by
    distance from sources[b] (the graph driver lists only nodes coloured
    before it; uncoloured entries, colour -1, are skipped) and
    ``ends[b, s]`` is the size of the ball of size s (a prefix of that list).
    ``colors`` (L, n) holds -1 for nodes not yet coloured; ``boxsize`` (L, n)
    and ``ncol`` (L,) are updated. Node i takes, per size, the smallest
    colour all of whose members lie in its ball.
    """
    L = ends.shape[1]
    n = colors.shape[1]
    nb = sources.shape[0]
    nthr = min(L, 2 * 8)
    for t in prange(nthr):
        count_buf = np.zeros(n, dtype=np.int64)
        touched = np.empty(n, dtype=np.int64)
        forbid = np.zeros(n, dtype=np.int64)
        stamp = 0
        for s in range(t, L, nthr):
            col = colors[s]
            bsz = boxsize[s]
            for b in range(nb):
                i = sources[b]
                c_tot = cnt[b]
                e = ends[b, s]
                K = ncol[s]
                best = -1
                if e <= c_tot - e + K:
                    nt = 0  # count members of each colour inside the ball
                    for k in range(e):
                        c = col[order[b, k]]
                        if c < 0:
                            continue
                        if count_buf[c] == 0:
                            touched[nt] = c
                            nt += 1
                        count_buf[c] += 1
                    for r in range(nt):
                        c = touched[r]
                        if count_buf[c] == bsz[c] and (best < 0 or c < best):
                            best = c
                        count_buf[c] = 0
                else:
                    stamp += 1  # forbid colours with a member outside the ball
                    nf = 0
                    for k in range(e, c_tot):
                        c = col[order[b, k]]
                        if c >= 0 and forbid[c] != stamp:
                            forbid[c] = stamp
                            nf += 1
                            if nf == K:
                                break
                    if nf < K:
                        for c in range(K):
                            if forbid[c] != stamp:
                                best = c
                                break
                if best < 0:
                    best = K
                    ncol[s] = K + 1
                col[i] = best
                bsz[best] += 1


def greedy_colouring_graph(
    A, weighted: bool, sizes: np.ndarray, node_order: np.ndarray, block: int = 1024
):
    """Box labels of shape (len(sizes), n) for a connected graph (fast path).

    ``sizes`` must be ascending; ``node_order`` is the colouring order. For
    each block of nodes (in colouring order) the distances from every node of
    the block are computed in parallel, keeping only the nodes coloured
    earlier; then the sizes are coloured in parallel (they are independent).
    Memory: O(block * n).
    """
    n = A.shape[0]
    L = sizes.shape[0]
    indptr = A.indptr.astype(np.int64)
    indices = A.indices.astype(np.int32)
    weights = A.data.astype(np.float64)
    sizes = np.asarray(sizes, dtype=np.float64)
    isizes = sizes.astype(np.int64)
    node_order = np.ascontiguousarray(node_order, dtype=np.int64)
    pos = np.empty(n, dtype=np.int32)
    pos[node_order] = np.arange(n, dtype=np.int32)
    colors = np.full((L, n), -1, dtype=np.int32)
    boxsize = np.zeros((L, n), dtype=np.int64)
    ncol = np.zeros(L, dtype=np.int64)
    block = max(1, min(block, n))
    order = np.empty((block, n), dtype=np.int32)
    ends = np.empty((block, L), dtype=np.int64)
    cnt = np.empty(block, dtype=np.int64)
    dense = None
    if not weighted:
        from ._dense import dense_hops

        dense = dense_hops(
            A.indptr.astype(np.int64), A.indices.astype(np.int64), int(isizes[-1]) - 1
        )
        if dense is not None and dense.D.dtype != np.uint8:
            dense = None
    if dense is not None:  # relabelled order: D[i, j] is the distance of perm[i], perm[j]
        node_order = dense.inv[node_order]
        tbl = np.searchsorted(isizes, np.arange(256), side="right").astype(np.int64)
    progress = Progress(log, "greedy colouring", total=n, unit="nodes")
    for start in range(0, n, block):
        src = node_order[start : start + block]
        nb = src.shape[0]
        if dense is not None:
            _sweep_earlier_dense(dense.D, start, node_order, tbl, order[:nb], ends[:nb], cnt[:nb])
        elif weighted:
            _sweep_earlier(
                indptr, indices, weights, weighted, src, pos, sizes, order[:nb], ends[:nb], cnt[:nb]
            )
        else:
            _sweep_earlier_unweighted(
                indptr, indices, src, pos, isizes, order[:nb], ends[:nb], cnt[:nb]
            )
        assign_colours(order[:nb], ends[:nb], cnt[:nb], src, colors, boxsize, ncol)
        progress.update(nb)
    progress.close()
    if dense is not None:
        out = np.empty_like(colors)
        out[:, dense.perm] = colors
        return out
    return colors
