"""Greedy colouring of the dual graph, all box sizes in one pass (fast path).

Song, Gallos, Havlin, Makse (2007): in the dual graph of size l_B two nodes
are joined when their distance is >= l_B; a proper colouring of the dual graph
is a box covering (nodes of one colour are pairwise at distance < l_B). Nodes
are coloured one by one in a fixed order; node i takes, for every size, the
smallest colour whose members (all earlier nodes) are all at distance < l_B.

Notes
-----
Only colours with a member inside the ball ``B(i) = {j : d(i, j) < l_B}`` can
accept i; a colour accepts i iff all its members lie in B(i). With the nodes
listed by distance from i (one BFS / Dijkstra), B(i) is a prefix of that list,
so per size the kernel either counts colour members in the ball (cost |B(i)|)
or marks colours with a member outside it (cost n - |B(i)| + number of
colours), whichever is cheaper. One BFS per node serves all sizes. The BFS
of a block of nodes runs in parallel; the colouring itself is sequential.
The same colouring kernel serves feature networks (:mod:`.features`), where
the lists come from sorting the rows of the distance matrix.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel, prange
from ._sssp import bfs_levels, sssp

__all__ = ["greedy_colouring_graph", "greedy_assign"]


@kernel(parallel=True, helpers=(sssp,))
def _sweep(indptr, indices, weights, weighted, sources, sizes, order_out, ends_out, cnt_out):
    """Distances from every source of a block: nodes by distance and ball ends per size."""
    n = indptr.shape[0] - 1
    L = sizes.shape[0]
    hn = indices.shape[0] + 1 if weighted else 1
    for b in prange(sources.shape[0]):
        dist = np.full(n, np.inf)
        heap_d = np.empty(hn, dtype=np.float64)
        heap_v = np.empty(hn, dtype=np.int64)
        row = order_out[b]
        cnt = sssp(indptr, indices, weights, weighted, sources[b], np.inf, dist, row, heap_d, heap_v)
        cnt_out[b] = cnt
        k = 0
        for s in range(L):  # sizes ascending: ends[s] = #{j : d(src, j) < sizes[s]}
            while k < cnt and dist[row[k]] < sizes[s]:
                k += 1
            ends_out[b, s] = k


@kernel(parallel=True, helpers=(bfs_levels,))
def _sweep_unweighted(indptr, indices, sources, sizes, order_out, ends_out, cnt_out):
    """As :func:`_sweep` for unweighted graphs and integer sizes (level-synchronous BFS)."""
    n = indptr.shape[0] - 1
    L = sizes.shape[0]
    nb = sources.shape[0]
    nchunk = min(nb, 16)
    for c in prange(nchunk):
        vis = np.full(n, -1, dtype=np.int64)
        lvl_end = np.empty(n + 1, dtype=np.int64)
        for b in range(c, nb, nchunk):
            cnt, nlev = bfs_levels(indptr, indices, sources[b], b, vis, order_out[b], lvl_end)
            cnt_out[b] = cnt
            for s in range(L):  # d < size  <=>  d <= size - 1
                ends_out[b, s] = lvl_end[min(sizes[s] - 1, nlev - 1)]


@kernel()
def greedy_assign(order, ends, cnt, sources, colors, boxsize, ncol, count_buf, touched, forbid, stamp0):
    """Colour the nodes ``sources`` (in this order) for every size.

    order[b, :cnt[b]] lists the nodes by distance from sources[b];
    ends[b, s] is the size of the ball of size s (a prefix of that list).
    ``colors`` (L, n) holds -1 for nodes not yet coloured; ``boxsize`` (L, n)
    and ``ncol`` (L,) are updated. Returns the last stamp used in ``forbid``.
    """
    L = ends.shape[1]
    stamp = stamp0
    for b in range(sources.shape[0]):
        i = sources[b]
        c_tot = cnt[b]
        for s in range(L):
            e = ends[b, s]
            K = ncol[s]
            best = -1
            if e <= c_tot - e + K:
                nt = 0  # count members of each colour inside the ball
                for k in range(e):
                    c = colors[s, order[b, k]]
                    if c >= 0:
                        if count_buf[c] == 0:
                            touched[nt] = c
                            nt += 1
                        count_buf[c] += 1
                for t in range(nt):
                    c = touched[t]
                    if count_buf[c] == boxsize[s, c] and (best < 0 or c < best):
                        best = c
                    count_buf[c] = 0
            else:
                stamp += 1  # forbid colours with a member outside the ball
                for k in range(e, c_tot):
                    c = colors[s, order[b, k]]
                    if c >= 0:
                        forbid[c] = stamp
                for c in range(K):
                    if forbid[c] != stamp:
                        best = c
                        break
            if best < 0:
                best = K
                ncol[s] = K + 1
            colors[s, i] = best
            boxsize[s, best] += 1
    return stamp


class _State:
    """Colouring state shared by the graph and feature-network drivers."""

    def __init__(self, L: int, n: int) -> None:
        self.colors = np.full((L, n), -1, dtype=np.int32)
        self.boxsize = np.zeros((L, n), dtype=np.int64)
        self.ncol = np.zeros(L, dtype=np.int64)
        self.count_buf = np.zeros(n, dtype=np.int64)
        self.touched = np.empty(n, dtype=np.int64)
        self.forbid = np.zeros(n, dtype=np.int64)
        self.stamp = 0

    def assign(self, order, ends, cnt, sources) -> None:
        self.stamp = greedy_assign(
            order, ends, cnt, sources, self.colors, self.boxsize, self.ncol,
            self.count_buf, self.touched, self.forbid, self.stamp,
        )


def greedy_colouring_graph(A, weighted: bool, sizes: np.ndarray, node_order: np.ndarray, block: int = 512):
    """Box labels of shape (len(sizes), n) for a connected graph (fast path).

    ``sizes`` must be ascending; ``node_order`` is the colouring order.
    """
    n = A.shape[0]
    L = sizes.shape[0]
    itype = np.int32 if A.nnz < 2**31 - 1 else np.int64
    indptr = A.indptr.astype(np.int64)
    indices = A.indices.astype(itype)
    weights = A.data.astype(np.float64)
    sizes = np.asarray(sizes, dtype=np.float64)
    isizes = sizes.astype(np.int64)
    st = _State(L, n)
    block = max(1, min(block, n))
    order = np.empty((block, n), dtype=itype)
    ends = np.empty((block, L), dtype=np.int64)
    cnt = np.empty(block, dtype=np.int64)
    for start in range(0, n, block):
        src = np.ascontiguousarray(node_order[start : start + block], dtype=np.int64)
        nb = src.shape[0]
        if weighted:
            _sweep(indptr, indices, weights, weighted, src, sizes, order[:nb], ends[:nb], cnt[:nb])
        else:
            _sweep_unweighted(indptr, indices, src, isizes, order[:nb], ends[:nb], cnt[:nb])
        st.assign(order[:nb], ends[:nb], cnt[:nb], src)
    return st.colors
