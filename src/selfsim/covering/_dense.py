"""Dense hop-distance matrix for mid-sized unweighted graphs (fast path).

For an unweighted connected graph whose n x n matrix of hop distances fits
in :data:`DENSE_MAX_BYTES` (uint8 when every distance is < 255, else
uint16), one BFS per node (parallel over nodes) fills the matrix once and
the covering kernels then work on contiguous rows: MEMB's excluded-mass
updates and nearest-centre assignment become vectorised row scans instead
of one truncated BFS per covered node (see :mod:`.burning`).

Above the budget (or for edge lengths) the kernels fall back to the sparse
BFS / Dijkstra path, whose memory is O(n + m) per thread.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel, prange

__all__ = ["DENSE_MAX_BYTES", "dense_hops", "memb_dense"]


#: largest distance matrix (bytes) the dense path may allocate (tests lower it
#: to force the sparse path)
DENSE_MAX_BYTES = 256 * 2**20


@kernel()
def _bfs_dist(indptr, indices, src, dist, q):
    """Hop distances from ``src`` into ``dist`` (int64, -1 unreached); returns the farthest node."""
    dist[:] = -1
    dist[src] = 0
    q[0] = src
    head, tail = 0, 1
    while head < tail:
        u = q[head]
        head += 1
        for e in range(indptr[u], indptr[u + 1]):
            w = indices[e]
            if dist[w] < 0:
                dist[w] = dist[u] + 1
                q[tail] = w
                tail += 1
    return q[tail - 1]


def _diameter_bound(indptr, indices) -> int:
    """Upper bound 2 ecc(c) on the diameter, c a central node of a double sweep."""
    n = indptr.shape[0] - 1
    da, db = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    q = np.empty(n, dtype=np.int64)
    a = _bfs_dist(indptr, indices, 0, da, q)
    b = _bfs_dist(indptr, indices, a, da, q)
    _bfs_dist(indptr, indices, b, db, q)
    c = int(np.argmin(np.maximum(da, db)))
    far = _bfs_dist(indptr, indices, c, da, q)
    return 2 * int(da[far])


@kernel(parallel=True)
def _fill(indptr, indices, D, cum, unset):
    """Row v of ``D`` = hop distances from v, saturated at ``unset - 1``.

    ``unset`` is the dtype's maximum; ``cum[v, d]`` (if ``cum`` has more than
    one column) receives the number of nodes within distance d of v, for d
    up to its last column. Returns the largest distance seen.
    """
    n = indptr.shape[0] - 1
    sat = np.int64(unset) - 1
    ncum = cum.shape[1]
    nchunk = min(n, 64)
    ecc = np.zeros(nchunk, dtype=np.int64)
    for c in prange(nchunk):
        q = np.empty(n, dtype=np.int32)
        emax = 0
        for src in range(c, n, nchunk):
            row = D[src]
            row[:] = unset
            row[src] = 0
            q[0] = src
            lo = 0
            hi = 1
            tail = 1
            d = 0
            while lo < hi:
                if d < ncum:
                    cum[src, d] = hi
                dw = min(d + 1, sat)
                for k in range(lo, hi):
                    u = q[k]
                    for e in range(indptr[u], indptr[u + 1]):
                        w = indices[e]
                        if row[w] == unset:
                            row[w] = dw
                            q[tail] = w
                            tail += 1
                lo = hi
                hi = tail
                d += 1
            for dd in range(d, ncum):
                cum[src, dd] = n
            emax = max(emax, d - 1)
        ecc[c] = emax
    return ecc.max()


def dense_hops(indptr, indices, max_radius: int, max_bytes: int | None = None):
    """Hop distances of a connected unweighted graph, or None above the budget.

    Returns ``(D, cum)``: D (n, n) uint8 (uint16 if a distance or
    ``max_radius`` reaches 254), exact up to the dtype maximum minus one;
    ``cum[v, d]`` the ball sizes for d <= min(max_radius, 253) (uint8) /
    max_radius (uint16).
    """
    n = indptr.shape[0] - 1
    budget = DENSE_MAX_BYTES if max_bytes is None else max_bytes
    for dtype in (np.uint8, np.uint16):
        top = int(np.iinfo(dtype).max) - 1
        if n * n * np.dtype(dtype).itemsize > budget or max_radius >= 65534:
            return None
        D = np.empty((n, n), dtype=dtype)
        cum = np.empty((n, min(max_radius, top) + 1), dtype=np.int32)
        emax = int(_fill(indptr, indices, D, cum, D.dtype.type(top + 1)))
        if emax < top or max_radius < top:
            return D, cum
        del D, cum
    return None


@kernel(parallel=True)
def memb_dense(D, cum, radii, labels):
    """MEMB labels for every radius (parallel over radii) from the dense matrix.

    Same rules as :func:`selfsim.covering.reference.memb_reference`: the
    centre is the node of largest excluded mass (ties: smallest index); every
    node joins its nearest centre (ties: the centre picked first).
    ``labels`` (len(radii), n) receives the centre rank of each node.
    """
    n = D.shape[0]
    R = radii.shape[0]
    for s in prange(R):
        r = radii[s]
        out = labels[s]
        if r < 1:
            for v in range(n):
                out[v] = v
            continue
        mass = np.empty(n, dtype=np.int32)
        for u in range(n):  # ball sizes
            mass[u] = cum[u, r]
        covered = np.zeros(n, dtype=np.bool_)
        centres = np.empty(n, dtype=np.int64)
        nc = 0
        ncov = 0
        while ncov < n:
            c = 0
            best = mass[0]
            for v in range(1, n):
                if mass[v] > best:
                    best = mass[v]
                    c = v
            centres[nc] = c
            nc += 1
            rc = D[c]
            for x in range(n):
                if rc[x] <= r and not covered[x]:
                    covered[x] = True
                    ncov += 1
                    rx = D[x]
                    for y in range(n):  # x no longer counts in any ball holding it
                        mass[y] -= rx[y] <= r
            mass[c] = -1 - n  # a centre is never picked twice
        bestd = np.empty(n, dtype=D.dtype)
        rc = D[centres[0]]
        for y in range(n):
            bestd[y] = rc[y]
            out[y] = 0
        for k in range(1, nc):
            rc = D[centres[k]]
            for y in range(n):
                if rc[y] < bestd[y]:
                    bestd[y] = rc[y]
                    out[y] = k
