"""Single-source shortest paths for the covering kernels (BFS or Dijkstra).

One function, :func:`sssp`, written in the numba subset: breadth-first search
for unweighted graphs, Dijkstra with a binary heap for edge lengths. It lists
the reached nodes in order of non-decreasing distance, which is what every
covering kernel needs (a ball of radius r is a prefix of that list).
"""

from __future__ import annotations

import numpy as np

__all__ = ["sssp", "new_workspace"]


def new_workspace(n: int, nnz: int, weighted: bool):
    """Buffers for :func:`sssp`: dist (all +inf), order, heap keys, heap nodes."""
    h = nnz + 1 if weighted else 1
    return (
        np.full(n, np.inf),
        np.empty(n, dtype=np.int64),
        np.empty(h, dtype=np.float64),
        np.empty(h, dtype=np.int64),
    )


def sssp(indptr, indices, weights, weighted, src, limit, dist, order, heap_d, heap_v):
    """Distances from ``src`` up to ``limit`` (inclusive).

    On entry ``dist`` must be +inf everywhere. On return ``order[:cnt]`` holds
    the reached nodes by non-decreasing distance and ``dist`` their distances;
    the caller must reset ``dist[order[:cnt]] = inf`` before the next call.
    Returns ``cnt``.
    """
    dist[src] = 0.0
    order[0] = src
    if not weighted:
        head = 0
        tail = 1
        while head < tail:
            u = order[head]
            head += 1
            du = dist[u] + 1.0
            if du > limit:
                break  # BFS is level ordered: nobody later can reach within limit
            for k in range(indptr[u], indptr[u + 1]):
                w = indices[k]
                if dist[w] == np.inf:
                    dist[w] = du
                    order[tail] = w
                    tail += 1
        return tail
    # Dijkstra with a binary min-heap and lazy deletion
    size = 1
    heap_d[0] = 0.0
    heap_v[0] = src
    cnt = 0
    while size > 0:
        d = heap_d[0]
        u = heap_v[0]
        size = heap_pop(heap_d, heap_v, size)
        if d > dist[u]:
            continue  # stale entry
        order[cnt] = u
        cnt += 1
        for k in range(indptr[u], indptr[u + 1]):
            w = indices[k]
            nd = d + weights[k]
            if nd <= limit and nd < dist[w]:
                dist[w] = nd
                size = heap_push(heap_d, heap_v, size, nd, w)
    return cnt


def reset(dist, order, cnt):
    """Set ``dist[order[:cnt]] = inf`` (undo one :func:`sssp` call)."""
    for k in range(cnt):
        dist[order[k]] = np.inf


def heap_pop(heap_d, heap_v, size):
    """Remove the root of a binary min-heap on ``heap_d``; returns the new size."""
    size -= 1
    if size > 0:  # move the last entry to the root and sift down
        ld = heap_d[size]
        lv = heap_v[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and heap_d[c + 1] < heap_d[c]:
                c += 1
            if heap_d[c] < ld:
                heap_d[i] = heap_d[c]
                heap_v[i] = heap_v[c]
                i = c
            else:
                break
        heap_d[i] = ld
        heap_v[i] = lv
    return size


def heap_push(heap_d, heap_v, size, d, v):
    """Push (d, v) on a binary min-heap; returns the new size."""
    i = size
    while i > 0:
        p = (i - 1) // 2
        if heap_d[p] > d:
            heap_d[i] = heap_d[p]
            heap_v[i] = heap_v[p]
            i = p
        else:
            break
    heap_d[i] = d
    heap_v[i] = v
    return size + 1


sssp.helpers_ = (heap_pop, heap_push)  # type: ignore[attr-defined]
