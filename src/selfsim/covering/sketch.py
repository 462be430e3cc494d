"""Sketch-based radius covering for large graphs (after Akiba, Nakamura, Takaguchi, ICDM 2016).

No all-pairs distances: the excluded mass of MEMB is estimated from
bottom-k min-hash sketches of the balls, and all radii share one set of
sketches.

1. All-distances sketches (Cohen): with a random rank per node, ``ADS(u)``
   holds every node x whose rank is among the k smallest of the ball
   ``B_{d(u,x)}(u)``. The k smallest ranks of ``ADS(u)`` within distance r are
   exactly the bottom-k sketch of ``B_r(u)``, for every r. Built by one
   pruned Dijkstra / BFS per node in rank order (a search from x stops at u
   once ``ADS(u)`` holds k entries within d(u, x)): expected size
   k (1 + ln(n / k)) per node, time ~ k m log n.
2. Per radius, greedy centres as in MEMB but with the estimated excluded
   mass ``est(u) = m * (n + 1) / (tau + 1)``: m = uncovered nodes among the
   sketch of B_r(u), tau = rank of its k-th member (exact count of uncovered
   nodes when the ball holds fewer than k nodes). Estimates only fall as
   nodes get covered, so a lazy (CELF) max-heap re-evaluates only the popped
   node; ties go to the smallest index. When every estimate is 0 but nodes
   are still uncovered, the rest is random sequential burning: the uncovered
   node of smallest rank becomes a centre.
   A centre covers its exact ball (truncated BFS / Dijkstra).
3. Every node joins its nearest centre (ties: the centre picked first), so
   every box lies within r_B of its centre: pairwise distance <= 2 r_B < l_B.

The result depends on the seed only through the ranks;
:func:`selfsim.covering.reference.sketch_reference` computes the same
partition from the distance matrix.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel, prange
from ._sssp import heap_pop, heap_push, reset, sssp

__all__ = ["SKETCH_K", "build_ads", "sketch_labels"]

#: sketch size k (relative error of a ball-size estimate about 1/sqrt(k - 2))
SKETCH_K = 16


@kernel(helpers=(heap_pop, heap_push))
def _ads_links(indptr, indices, weights, by_rank, k, cap):
    """Pruned searches in rank order; ADS entries as per-node linked lists."""
    n = indptr.shape[0] - 1
    kth = np.full((n, k), np.inf)  # k smallest entry distances per node, ascending
    head = np.full(n, -1, dtype=np.int64)
    nxt = np.empty(cap, dtype=np.int32)
    ent_node = np.empty(cap, dtype=np.int32)
    ent_dist = np.empty(cap, dtype=np.float64)
    cnt = np.zeros(n, dtype=np.int64)
    ne = 0
    dist = np.full(n, np.inf)
    touched = np.empty(n, dtype=np.int64)
    m = indices.shape[0] + 1
    heap_d = np.empty(m, dtype=np.float64)
    heap_v = np.empty(m, dtype=np.int64)
    for t in range(n):
        src = by_rank[t]
        size = 1
        heap_d[0] = 0.0
        heap_v[0] = src
        dist[src] = 0.0
        nt = 1
        touched[0] = src
        while size > 0:
            d = heap_d[0]
            u = heap_v[0]
            size = heap_pop(heap_d, heap_v, size)
            if d > dist[u] or kth[u, k - 1] <= d:
                continue  # stale, or pruned: k smaller ranks within d already
            if ne == nxt.shape[0]:  # grow the entry arrays
                cap2 = 2 * ne
                a = np.empty(cap2, dtype=np.int32)
                a[:ne] = nxt[:ne]
                nxt = a
                b = np.empty(cap2, dtype=np.int32)
                b[:ne] = ent_node[:ne]
                ent_node = b
                f = np.empty(cap2, dtype=np.float64)
                f[:ne] = ent_dist[:ne]
                ent_dist = f
            ent_node[ne] = src
            ent_dist[ne] = d
            nxt[ne] = head[u]
            head[u] = ne
            ne += 1
            cnt[u] += 1
            j = k - 1  # insert d into the sorted k smallest distances
            while j > 0 and kth[u, j - 1] > d:
                kth[u, j] = kth[u, j - 1]
                j -= 1
            kth[u, j] = d
            for e in range(indptr[u], indptr[u + 1]):
                w = indices[e]
                nd = d + weights[e]
                if nd < dist[w]:
                    if dist[w] == np.inf:
                        touched[nt] = w
                        nt += 1
                    dist[w] = nd
                    size = heap_push(heap_d, heap_v, size, nd, w)
        for q in range(nt):
            dist[touched[q]] = np.inf
    return head, nxt, ent_node, ent_dist, cnt, ne


@kernel()
def _ads_csr(head, nxt, ent_node, ent_dist, cnt, rank):
    """Per-node entries in increasing rank order: (ptr, rank, dist)."""
    n = head.shape[0]
    ptr = np.zeros(n + 1, dtype=np.int64)
    for u in range(n):
        ptr[u + 1] = ptr[u] + cnt[u]
    r_out = np.empty(ptr[n], dtype=np.int32)
    d_out = np.empty(ptr[n], dtype=np.float64)
    for u in range(n):
        pos = ptr[u + 1] - 1  # lists are newest (largest rank) first
        e = head[u]
        while e >= 0:
            r_out[pos] = rank[ent_node[e]]
            d_out[pos] = ent_dist[e]
            pos -= 1
            e = nxt[e]
    return ptr, r_out, d_out


def build_ads(indptr, indices, weights, rank, k):
    """All-distances sketches: CSR ``ptr`` and per-entry (rank, distance), by rank.

    Memory: about 28 bytes per entry while building, 12 after; expected
    k (1 + ln(n / k)) entries per node.
    """
    n = indptr.shape[0] - 1
    by_rank = np.argsort(rank, kind="stable").astype(np.int64)
    cap = int(k * n * (np.log(max(n / k, 1.0)) + 1.5)) + 16
    head, nxt, en, ed, cnt, ne = _ads_links(indptr, indices, weights, by_rank, k, cap)
    links = (nxt[:ne], en[:ne], ed[:ne])
    del nxt, en, ed
    return _ads_csr(head, *links, cnt, rank.astype(np.int64))


def _estimate(u, r, k, n, ptr, a_rank, a_dist, by_rank, covered):
    """Estimated number of uncovered nodes within ``r`` of ``u`` (see module notes)."""
    found = 0
    unc = 0
    tau = 0
    for e in range(ptr[u], ptr[u + 1]):
        if a_dist[e] <= r:
            found += 1
            if not covered[by_rank[a_rank[e]]]:
                unc += 1
            if found == k:
                tau = a_rank[e]
                break
    if found < k:
        return float(unc)
    return unc * (n + 1.0) / (tau + 1.0)


@kernel()
def _heap_push(hk, hv, size, key, v):
    """Max-heap on (key, -v): push; returns the new size."""
    i = size
    while i > 0:
        p = (i - 1) // 2
        if hk[p] < key or (hk[p] == key and hv[p] > v):
            hk[i] = hk[p]
            hv[i] = hv[p]
            i = p
        else:
            break
    hk[i] = key
    hv[i] = v
    return size + 1


@kernel()
def _heap_pop(hk, hv, size):
    """Remove the root of the max-heap; returns the new size."""
    size -= 1
    if size > 0:
        lk = hk[size]
        lv = hv[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and (hk[c + 1] > hk[c] or (hk[c + 1] == hk[c] and hv[c + 1] < hv[c])):
                c += 1
            if hk[c] > lk or (hk[c] == lk and hv[c] < lv):
                hk[i] = hk[c]
                hv[i] = hv[c]
                i = c
            else:
                break
        hk[i] = lk
        hv[i] = lv
    return size


@kernel(parallel=True, helpers=(sssp, reset, _estimate, _heap_push, _heap_pop))
def sketch_centres(indptr, indices, weights, weighted, limits, k, ptr, a_rank, a_dist, by_rank, centres_out, nc_out):
    """Centres for every radius limit (parallel over radii); row s of ``centres_out``."""
    n = indptr.shape[0] - 1
    R = limits.shape[0]
    hn = indices.shape[0] + 1 if weighted else 1
    for s in prange(R):
        r = limits[s]
        covered = np.zeros(n, dtype=np.bool_)
        dist = np.full(n, np.inf)
        order = np.empty(n, dtype=np.int64)
        heap_d = np.empty(hn, dtype=np.float64)
        heap_v = np.empty(hn, dtype=np.int64)
        hk = np.empty(n, dtype=np.float64)
        hv = np.empty(n, dtype=np.int64)
        size = 0
        for u in range(n):
            size = _heap_push(hk, hv, size, _estimate(u, r, k, n, ptr, a_rank, a_dist, by_rank, covered), u)
        nc = 0
        ncov = 0
        low = 0  # smallest rank possibly uncovered (fallback)
        while ncov < n:
            c = -1
            while size > 0:
                u = hv[0]
                e = _estimate(u, r, k, n, ptr, a_rank, a_dist, by_rank, covered)
                size = _heap_pop(hk, hv, size)
                if size == 0 or e > hk[0] or (e == hk[0] and u < hv[0]):
                    if e > 0:
                        c = u
                    else:
                        size = 0  # every estimate is 0
                    break
                size = _heap_push(hk, hv, size, e, u)
            if c < 0:
                while covered[by_rank[low]]:
                    low += 1
                c = by_rank[low]
            centres_out[s, nc] = c
            nc += 1
            cnt = sssp(indptr, indices, weights, weighted, c, r, dist, order, heap_d, heap_v)
            for q in range(cnt):
                x = order[q]
                if not covered[x]:
                    covered[x] = True
                    ncov += 1
            reset(dist, order, cnt)
        nc_out[s] = nc


def sketch_labels(indptr, indices, weights, weighted, limits, rank, k=None):
    """Box labels (len(limits), n) for radius limits ``limits`` (one row per limit)."""
    from .burning import _nearest_centre

    k = SKETCH_K if k is None else int(k)
    n = indptr.shape[0] - 1
    w = weights if weighted else np.ones_like(weights)
    ptr, a_rank, a_dist = build_ads(indptr, indices, w, rank, k)
    by_rank = np.argsort(rank, kind="stable").astype(np.int64)
    limits = np.asarray(limits, dtype=np.float64)
    centres = np.empty((limits.size, n), dtype=np.int32)
    nc = np.empty(limits.size, dtype=np.int64)
    sketch_centres(indptr, indices, w, weighted, limits, k, ptr, a_rank, a_dist, by_rank, centres, nc)
    del a_rank, a_dist
    return np.stack(
        [_nearest_centre(indptr, indices, w, centres[s, : nc[s]].astype(np.int64)) for s in range(limits.size)]
    )
