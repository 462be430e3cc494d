"""Dense hop-distance matrix for mid-sized unweighted graphs (fast path).

For an unweighted connected graph whose n x n matrix of hop distances fits
in :data:`DENSE_MAX_BYTES`, the matrix is filled once and the covering
kernels work on contiguous rows: MEMB's excluded-mass updates and
nearest-centre assignment become vectorised row scans, and greedy colouring
reads each node's distances from its row (see :mod:`.greedy`).

Filling (uint8, distances saturated at 254): the nodes are relabelled so
that blocks of up to 64 consecutive labels are compact (each block grows by
BFS around the first unassigned node), and one bit-parallel BFS per block
runs the 64 searches together: a uint64 frontier per node, one pass over the
edges of the frontier serves every source of the block, and the new bits of
a node at a level are written into 64 consecutive bytes of its row (the
matrix is symmetric). Compact blocks keep the frontier of each node short,
so this is about 3-4x faster than one scalar BFS per node. The ball sizes of
every radius come from the same pass. A uint16 matrix (one scalar BFS per
node) is used only when a radius >= 254 is asked and a distance reaches 254.
Above the budget (or for edge lengths) the kernels use the sparse
BFS / Dijkstra path, whose memory is O(n + m) per thread.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel, prange

__all__ = ["DENSE_MAX_BYTES", "DenseHops", "dense_hops", "memb_dense"]


#: largest distance matrix (bytes) the dense path may allocate (tests lower it
#: to force the sparse path)
DENSE_MAX_BYTES = 256 * 2**20

# de Bruijn table: index of the lowest set bit of a uint64
_DEBRUIJN = 0x03F79D71B4CB0A89
_DB_TABLE = np.zeros(64, dtype=np.int64)
for _i in range(64):
    _DB_TABLE[(((1 << _i) * _DEBRUIJN) & (2**64 - 1)) >> 58] = _i


@kernel()
def _compact_blocks(indptr, indices, width):
    """Relabelling into blocks of <= ``width`` labels, each grown by BFS from a seed.

    Returns ``perm`` (perm[new] = old) and block starts (new labels).
    """
    n = indptr.shape[0] - 1
    perm = np.empty(n, dtype=np.int64)
    starts = np.empty(n + 1, dtype=np.int64)
    assigned = np.zeros(n, dtype=np.bool_)
    stamp = np.zeros(n, dtype=np.int64)
    q = np.empty(n, dtype=np.int64)
    nb = 0
    fill = 0
    low = 0
    st = 0
    while fill < n:
        while assigned[low]:
            low += 1
        st += 1
        starts[nb] = fill
        nb += 1
        q[0] = low
        stamp[low] = st
        head = 0
        tail = 1
        got = 0
        while head < tail and got < width:
            u = q[head]
            head += 1
            if not assigned[u]:
                assigned[u] = True
                perm[fill] = u
                fill += 1
                got += 1
            for e in range(indptr[u], indptr[u + 1]):
                w = indices[e]
                if stamp[w] != st:
                    stamp[w] = st
                    q[tail] = w
                    tail += 1
    starts[nb] = n
    return perm, starts[: nb + 1]


def spread_bits(indptr, indices, u, bits, vis, nxt, out, nout):
    """One node's step of a bit-parallel BFS: its source bits ``bits`` go to its neighbours.

    A neighbour w gains the bits it has not seen (``bits & ~vis[w]``) in ``nxt[w]``; a
    neighbour reached for the first time in this level is appended to ``out``. Returns
    the new length of ``out``. Shared by the all-pairs block BFS here and the batched
    exact counts of the sketch cover.
    """
    for e in range(indptr[u], indptr[u + 1]):
        w = indices[e]
        add = bits & ~vis[w]
        if add != 0:
            if nxt[w] == 0:
                out[nout] = w
                nout += 1
            nxt[w] |= add
    return nout


@kernel(parallel=True, helpers=(spread_bits,))
def _fill_bitparallel(indptr, indices, starts, D, hist, db):
    """Rows of ``D`` (uint8, saturated at 254) by one bit-parallel BFS per block.

    ``hist[v, d]`` (d < hist.shape[1]) receives the number of nodes at distance
    exactly d from v. Returns the largest distance seen (capped at 254).
    """
    n = indptr.shape[0] - 1
    nbat = starts.shape[0] - 1
    nh = hist.shape[1]
    emax = np.zeros(nbat, dtype=np.int64)
    one = np.uint64(1)
    for t in prange(nbat):
        base = starts[t]
        cnt = starts[t + 1] - base
        vis = np.zeros(n, dtype=np.uint64)
        front = np.zeros(n, dtype=np.uint64)
        nxt = np.zeros(n, dtype=np.uint64)
        act = np.empty(n, dtype=np.int64)
        act2 = np.empty(n, dtype=np.int64)
        hloc = np.zeros((64, max(nh, 1)), dtype=np.int32)  # this block's histograms
        nact = 0
        for b in range(cnt):
            v = base + b
            vis[v] = one << np.uint64(b)
            front[v] = vis[v]
            D[v, v] = 0
            act[nact] = v
            nact += 1
            hloc[b, 0] = 1
        level = 0
        while nact > 0:
            level += 1
            lv = np.uint8(min(level, 254))
            n2 = 0
            for a in range(nact):
                u = act[a]
                n2 = spread_bits(indptr, indices, u, front[u], vis, nxt, act2, n2)
            for a in range(nact):
                front[act[a]] = 0
            for a in range(n2):
                w = act2[a]
                bits = nxt[w]
                nxt[w] = 0
                vis[w] |= bits
                front[w] = bits
                row = D[w]
                while bits != 0:
                    low = bits & (~bits + one)
                    b = db[(low * np.uint64(_DEBRUIJN)) >> np.uint64(58)]
                    row[base + b] = lv
                    if level < nh:
                        hloc[b, level] += 1
                    bits ^= low
            tmp = act
            act = act2
            act2 = tmp
            nact = n2
        for b in range(cnt):
            for d in range(nh):
                hist[base + b, d] = hloc[b, d]
        emax[t] = min(level - 1, 254)
    return emax.max()


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


class DenseHops:
    """Hop distances of a connected unweighted graph in a relabelled node order.

    ``D[i, j]`` is the distance between nodes ``perm[i]`` and ``perm[j]``
    (``inv`` maps old labels to new); ``cum[i, r]`` is the number of nodes
    within r of ``perm[i]``, for r < cum.shape[1].
    """

    def __init__(self, D, cum, perm):
        self.D, self.cum, self.perm = D, cum, perm
        self.inv = np.empty_like(perm)
        self.inv[perm] = np.arange(perm.size)


def dense_hops(indptr, indices, max_radius: int, max_bytes: int | None = None):
    """:class:`DenseHops` of a connected unweighted graph, or None above the budget.

    D is uint8, exact below 254 (saturated at 254), unless a distance reaches
    254 and ``max_radius`` >= 254: then uint16 (if within the budget).
    ``cum`` covers radii up to min(max_radius, dtype max - 1).
    """
    n = indptr.shape[0] - 1
    budget = DENSE_MAX_BYTES if max_bytes is None else max_bytes
    if n * n > budget:
        return None
    perm, starts = _compact_blocks(indptr, indices, 64)
    inv = np.empty_like(perm)
    inv[perm] = np.arange(n)
    # relabelled CSR: row i of the new graph is row perm[i] of the old one
    deg = np.diff(indptr)[perm]
    ip = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(deg, out=ip[1:])
    ix = inv[np.concatenate([indices[indptr[v] : indptr[v + 1]] for v in perm])] if n else indices
    ix = ix.astype(np.int32)
    D = np.empty((n, n), dtype=np.uint8)
    hist = np.zeros((n, min(max_radius, 253) + 1), dtype=np.int32)
    emax = int(_fill_bitparallel(ip, ix, starts, D, hist, _DB_TABLE))
    if emax < 254 or max_radius < 254:
        return DenseHops(D, np.cumsum(hist, axis=1, dtype=np.int32), perm)
    del D, hist
    top = 65534
    if n * n * 2 > budget or max_radius >= top:
        return None
    D = np.empty((n, n), dtype=np.uint16)
    cum = np.empty((n, min(max_radius, top) + 1), dtype=np.int32)
    _fill(indptr, indices, D, cum, D.dtype.type(top + 1))
    return DenseHops(D, cum, np.arange(n, dtype=np.int64))


@kernel(parallel=True)
def memb_dense(D, cum, radii, orig, labels):
    """MEMB labels for every radius (parallel over radii) from the dense matrix.

    Same rules as :func:`selfsim.covering.reference.memb_reference`: the
    centre is the node of largest excluded mass (ties: smallest index); every
    node joins its nearest centre (ties: the centre picked first).
    Nodes are in the relabelled order of :class:`DenseHops`; ``orig[i]`` is
    the original label of node i (for the tie rule). ``labels``
    (len(radii), n) receives the centre rank of each node.
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
                if mass[v] > best or (mass[v] == best and orig[v] < orig[c]):
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
