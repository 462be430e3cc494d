"""Sketch-based radius covering for large graphs (after Akiba, Nakamura, Takaguchi, ICDM 2016).

No all-pairs distances: the excluded mass of MEMB is bounded from
bottom-k min-hash sketches of the balls, the sketches are rebuilt over the
nodes still uncovered once they stop telling the candidates apart, and a
centre is chosen only after its exact excluded mass has been counted.

Per radius r, in passes p = 0, 1, ... until every node is covered:

1. U = the uncovered nodes, ranked by a random order of the pass (pass 0:
   the seed's ranks; later passes: a hash of the seed rank and p, so the
   ranks do not depend on which nodes earlier passes happened to cover).
2. For every node u, the bottom-k sketch of ``B_r(u) & U``: its k members
   of smallest rank. Unweighted graphs: level by level, the sketch within
   d + 1 hops of u is the bottom-k of u's and its neighbours' sketches
   within d hops; a node is recomputed only when a neighbour's sketch changed
   at the last level, from those neighbours' sorted rows of k ranks
   (:func:`merged_sketches`). With edge lengths: one pruned Dijkstra search
   per source of U in rank order (Cohen's all-distances sketches, capped at
   distance r; :func:`pruned_sketches`). When the exact balls ``B_r(u) & U``
   hold at most ``EXACT_PER_NODE`` n entries in total they are stored whole
   instead, source by source, and the pass is exact MEMB (the masses are
   kept current: covering a node of U lowers the mass of every node of its
   ball), as in Akiba et al.'s code, which uses MEMB while its index stays
   below alpha k n.
3. Lazy greedy (a max-heap, ties to the smallest index). A key is either an
   exact excluded mass (number of uncovered nodes within r) or, to start
   with, the optimistic sketch bound ``est (1 + z / sqrt(m))`` (at most the
   number of nodes still uncovered) of the
   estimate ``est = m (|U| + 1) / (tau + 1)`` (m = sketch members not yet
   covered, tau = rank of the k-th member; z = ``BOUND_Z``; the exact count m
   when the ball holds fewer than k members of U). The popped node becomes a
   centre if its key is an exact mass counted since the last centre; a stale
   exact key is recounted (masses only fall, so stale keys are upper
   bounds); a sketch key is recomputed from the sketch and, if still on top,
   replaced by the exact mass (one truncated BFS). So a centre has the
   largest exact mass among the candidates whose bounds reached the top,
   which is MEMB's choice unless a bound fell short of the true mass. The
   counts are capped: once the truncated searches since the last centre
   have reached ``COUNT_BUDGET`` n nodes, the centre is the largest exact
   mass counted so far (at large radii thousands of bounds can exceed the
   best mass and each count walks a large ball; without the cap one centre
   could cost thousands of searches of a tenth of the graph). A sketch key
   on top that rests on fewer than k/4 uncovered members
   (``REBUILD_FRACTION``) says little: that node's mass is counted exactly
   as well, until such counts have walked ``SPENT_WALK`` n nodes in the
   pass (about the cost of new sketches); the next one ends the pass, and
   the next pass sketches the nodes left afresh. A centre covers its exact
   ball. On unweighted graphs, once the counts since the last centre have
   walked ``BATCH_FROM`` n nodes, a count takes along up to 63 other
   contenders near the top of the heap and counts them all in one
   bit-parallel breadth-first search (:func:`batch_counts`); later pops
   before the next centre use those counts. Nothing is covered in between,
   so the counts and the partition are those of one search per count; it
   pays where the balls overlap (hubs at large radii) and stops for the
   radius once a batch shares little (``BATCH_OVERLAP``).
4. Every node joins its nearest centre (ties: the centre picked first), so
   every box lies within r_B of its centre: pairwise distance <= 2 r_B < l_B.

On unweighted graphs, a radius where counting every ball is cheap (balls that
grow slowly from r to 2 r and are small; see ``LAZY_*``) is covered by exact
MEMB instead (:func:`lazy_memb`): all excluded masses are counted 64 at a
time by :func:`batch_counts`, and a lazy greedy recounts only the nodes near
each new centre. Unweighted sketches of 32 hops or more are built by pruned
breadth-first searches (:func:`bfs_sketches`) rather than merged.

The nodes are first renamed in breadth-first order (:func:`locality_order`)
so that neighbours' rows lie close in memory; ranks follow the nodes and
ties are broken by the original index, so the partition does not change.

Akiba et al. select centres by the estimated size of the union of the chosen
balls and restart with new sketches of the uncovered nodes; the bounds, the
exact counts of the candidates that reach the top and the rebuild rule here
are ours. The result depends on the seed only through the ranks;
:func:`selfsim.covering.reference.sketch_reference` computes the same
partition from the distance matrix.

References
----------
T. Akiba, K. Nakamura, T. Takaguchi, Fractality of massive graphs: scalable
analysis with sketch-based box-covering algorithm, ICDM 2016.
E. Cohen, Size-estimation framework with applications to transitive closure
and reachability, J. Comput. Syst. Sci. 55, 441 (1997).
"""

from __future__ import annotations

import numpy as np

from ._dense import spread_bits
from ._jit import have_numba, kernel, prange
from ._sssp import heap_pop, heap_push, reset, sssp

__all__ = [
    "BFS_FROM_HOPS",
    "COUNT_BUDGET",
    "SKETCH_K",
    "ball_sketches",
    "locality_order",
    "pass_keys",
    "sketch_labels",
]

#: sketch size k (relative error of a ball-size estimate about 1/sqrt(k - 2))
SKETCH_K = 16

#: a pass is exact MEMB while its balls hold at most this many entries per node
#: (4 bytes each twice; the bottom-k sketches need k)
EXACT_PER_NODE = 16

#: optimistic bound of a sketch estimate from m members: est (1 + BOUND_Z / sqrt(m))
BOUND_Z = 2.0

#: the truncated searches that count exact masses of sketched candidates reach
#: at most about COUNT_BUDGET n nodes per centre; once they have, the centre is
#: the largest exact mass counted since the last centre
COUNT_BUDGET = 128.0

#: a candidate whose sketch has fewer than REBUILD_FRACTION k uncovered members
#: left is counted exactly; once such counts have walked SPENT_WALK n nodes in a
#: pass, the next one sketches the nodes left afresh
SPENT_WALK = 16.0

#: on unweighted graphs, once the counts since the last centre have walked BATCH_FROM n
#: nodes, a count takes along up to 63 contenders from the first BATCH_SCAN heap slots and
#: counts them in one bit-parallel search (:func:`batch_counts`); same counts, fewer edge
#: reads where the balls overlap. A batch whose balls hold fewer than BATCH_OVERLAP times
#: the nodes it reached (little shared) ends batching for that radius (one search is cheaper)
BATCH_FROM = 1.0
BATCH_SCAN = 128
BATCH_OVERLAP = 4.0

#: unweighted sketches of radius >= BFS_FROM_HOPS hops are built by pruned breadth-first
#: searches (:func:`bfs_sketches`), below by merging rows level by level
#: (:func:`merged_sketches`): the merges cost about one pass over the graph per level, the
#: searches about one visit per change of a sketch (same sketches either way)
BFS_FROM_HOPS = 32

#: :func:`lazy_memb` (exact MEMB from bit-parallel counts of every ball) covers a radius
#: on graphs of at least LAZY_MIN_NODES nodes whose balls grow at most LAZY_GROWTH-fold from
#: r to 2 r (the region each centre makes stale; the median of GROWTH_BLOCKS blocks of 64
#: nodes), when a sample of every 64th block of 64 nodes predicts that counting all balls
#: reaches at most LAZY_INIT n nodes and that a ball holds on average at most LAZY_BALL of its
#: node's connected component; it gives up (the radius is sketched instead) once
#: its recounts reach LAZY_RECOUNT times (the first counts + n) (hubs)
LAZY_INIT = 1536.0
LAZY_RECOUNT = 2.0
LAZY_BALL = 0.1
LAZY_MIN_NODES = 4096
LAZY_GROWTH = 8.0
#: blocks of 64 nodes whose median growth from r to 2 r decides :func:`lazy_memb`'s first test
GROWTH_BLOCKS = 7

#: a pass ends once the best candidate's estimate rests on fewer than this
#: fraction of its k sketch members (the rest are covered)
REBUILD_FRACTION = 0.25


def rebuild_below(k: int) -> int:
    """Fewest uncovered sketch members an estimate may rest on (see REBUILD_FRACTION)."""
    return max(1, int(round(REBUILD_FRACTION * k)))


def pass_keys(base_rank, p, n):
    """Random keys of pass ``p`` >= 1 (splitmix64 of ``base_rank + p n``; distinct per node)."""
    z = base_rank.astype(np.uint64) + np.uint64(p) * np.uint64(n) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def exact_balls(
    indptr, indices, weights, weighted, r, order, nu, ent, seg, dist, touched, heap_d, heap_v
):
    """Every ball ``B_r(s)``, s in U = ``order[:nu]``, source by source.

    ``ent[seg[t]:seg[t + 1]]`` are the nodes within r of ``order[t]`` (so u
    lists among its members of U exactly the sources whose segments hold u).
    Returns the number of entries, or -1 once ``ent`` is full.
    """
    cap = ent.shape[0]
    ne = 0
    for t in range(nu):
        seg[t] = ne
        cnt = sssp(indptr, indices, weights, weighted, order[t], r, dist, touched, heap_d, heap_v)
        reset(dist, touched, cnt)
        if ne + cnt > cap:
            return -1
        for q in range(cnt):
            ent[ne + q] = touched[q]
        ne += cnt
    seg[nu] = ne
    return ne


def pruned_sketches(
    indptr, indices, weights, r, order, nu, k, cnt, ent, tau, kth, dist, touched, heap_d, heap_v
):
    """Bottom-k sketch of ``B_r(u) & U`` per node u, U = ``order[:nu]`` by rank (edge lengths).

    One pruned Dijkstra search per source in rank order (Cohen's
    all-distances sketches): a search stops at u once u holds k sources
    within the current distance, so the first k sources to reach u are its
    bottom-k; nodes on the rim of the ball are not expanded. Output as
    :func:`merged_sketches`; ``kth`` (n, k) is workspace.
    """
    n = indptr.shape[0] - 1
    kmax = np.full(n, np.inf)  # kth[:, k - 1], contiguous: tested before a node is queued
    for u in range(n):
        cnt[u] = 0
        tau[u] = -1
        for j in range(k):
            kth[u, j] = np.inf
    wmin = np.inf  # no edge from a node farther than r - wmin ends within r
    for e in range(weights.shape[0]):
        wmin = min(wmin, weights[e])
    for t in range(nu):
        src = order[t]
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
            if d > dist[u]:
                continue  # stale
            if kmax[u] <= d:
                continue  # pruned: k smaller ranks within d of u already
            j = k - 1  # insert d into u's k smallest source distances
            while j > 0 and kth[u, j - 1] > d:
                kth[u, j] = kth[u, j - 1]
                j -= 1
            kth[u, j] = d
            kmax[u] = kth[u, k - 1]
            if cnt[u] < k:  # the first k sources to reach u are its bottom-k
                ent[u * k + cnt[u]] = src
                cnt[u] += 1
                if cnt[u] == k:
                    tau[u] = t
            if d + wmin > r:
                continue  # on the rim of the ball: no neighbour lies within r
            for e in range(indptr[u], indptr[u + 1]):
                w = indices[e]
                nd = d + weights[e]
                if nd <= r and nd < dist[w]:
                    if kmax[w] <= nd:
                        continue  # would be pruned (kmax[w] cannot fall before w is reached)
                    if dist[w] == np.inf:
                        touched[nt] = w
                        nt += 1
                    dist[w] = nd
                    size = heap_push(heap_d, heap_v, size, nd, w)
        for q in range(nt):
            dist[touched[q]] = np.inf


def bfs_sketches(indptr, indices, hops, order, nu, k, cnt, ent, tau, queue, kth, kmax):
    """Bottom-k sketch of ``B_hops(u) & U`` per node u, U = ``order[:nu]`` by rank (unweighted).

    :func:`pruned_sketches` with breadth-first searches and hop counts: one
    pruned search per source in rank order, stopping at u once u holds k
    sources within the current hop count. Its cost grows with the number of
    times a sketch changes, not with the number of levels, so it beats
    :func:`merged_sketches` at large radii (see ``BFS_FROM_HOPS``). Output as
    :func:`merged_sketches`. The insertion step is written out here and in
    :func:`pruned_sketches` on purpose: as a shared helper function it made
    the whole (2,2)-flower g = 9 run 2x slower (7.1 -> 13.7 CPU-s). Workspace: ``queue`` (n); ``kth`` (n, k), the k
    smallest source distances of every node, and ``kmax`` (n), its last column
    kept contiguous for the test before a node is queued, both filled with a
    value above ``hops`` (small integer types: the searches are memory bound).
    """
    n = indptr.shape[0] - 1
    dist = np.full(n, -1, dtype=np.int32)
    for u in range(n):
        cnt[u] = 0
        tau[u] = -1
    for t in range(nu):
        src = order[t]
        dist[src] = 0
        queue[0] = src
        nt = 1
        qh = 0
        while qh < nt:
            u = queue[qh]
            qh += 1
            d = dist[u]
            if kmax[u] <= d:
                continue  # pruned: k smaller ranks within d of u already
            j = k - 1  # insert d into u's k smallest source distances
            while j > 0 and kth[u, j - 1] > d:
                kth[u, j] = kth[u, j - 1]
                j -= 1
            kth[u, j] = d
            kmax[u] = kth[u, k - 1]
            if cnt[u] < k:  # the first k sources to reach u are its bottom-k
                ent[u * k + cnt[u]] = src
                cnt[u] += 1
                if cnt[u] == k:
                    tau[u] = t
            if d >= hops:
                continue  # on the rim of the ball
            for e in range(indptr[u], indptr[u + 1]):
                w = indices[e]
                if dist[w] < 0 and kmax[w] > d + 1:
                    dist[w] = d + 1
                    queue[nt] = w
                    nt += 1
        for q in range(nt):
            dist[queue[q]] = -1


pruned_sketches.helpers_ = (heap_pop, heap_push)  # type: ignore[attr-defined]
exact_balls.helpers_ = (sssp, reset)  # type: ignore[attr-defined]


def merged_sketches(indptr, indices, hops, order, nu, k, cnt, ent, tau, tmp, cand, chg, flag, was):
    """Bottom-k sketch of ``B_hops(u) & U`` per node u, U = ``order[:nu]``, unweighted graphs.

    Level by level: the sketch within d + 1 hops of u is the bottom-k (by
    rank) of u's sketch within d hops and those of its neighbours. A node is
    recomputed only when a neighbour's sketch changed at the last level, and
    merges only those neighbours' sorted rows (new rows are kept in ``tmp``
    until the level is done). Each step reads whole rows of k ranks, so the
    memory traffic is one row per edge and changed level rather than one
    random access per source that reaches a node (as in a pruned search).
    Output: ``ent[u k : u k + cnt[u]]`` the members (node ids), ``tau[u]``
    the rank of the k-th (-1 when u has fewer than k members). Workspace:
    ``tmp`` (n k), ``cand`` and ``chg`` (n), ``flag`` and ``was`` (n, all False).
    """
    n = indptr.shape[0] - 1
    big = np.int32(2**31 - 1)  # an empty slot (rows are sorted, empty slots last)
    for i in range(n * k):
        ent[i] = big
    rk = np.full(n, big, dtype=np.int32)  # rank of each node of U
    nch = 0
    for t in range(nu):  # level 0: every node of U holds itself
        v = order[t]
        rk[v] = t
        ent[v * k] = t
        was[v] = True
        chg[nch] = v
        nch += 1
    a = np.empty(k, dtype=np.int32)
    b = np.empty(k, dtype=np.int32)
    for _lev in range(hops):
        if nch == 0:
            break
        nc = 0  # the nodes next to a changed one
        for i in range(nch):
            w = chg[i]
            for e in range(indptr[w], indptr[w + 1]):
                v = indices[e]
                if not flag[v]:
                    flag[v] = True
                    cand[nc] = v
                    nc += 1
        if nc > n // 16:  # in node order: rows, adjacency and ``tmp`` are then read in sequence
            nc = 0
            for v in range(n):
                if flag[v]:
                    cand[nc] = v
                    nc += 1
        else:
            cand[:nc] = np.sort(cand[:nc])
        for i in range(nc):
            v = cand[i]
            base = v * k
            for j in range(k):
                a[j] = ent[base + j]
            if _lev == 0:  # rows of one rank: insert the neighbours' ranks directly
                for e in range(indptr[v], indptr[v + 1]):
                    x = rk[indices[e]]
                    if x >= a[k - 1]:
                        continue  # not in U (big), or above u's k-th rank
                    j = k - 1
                    while j > 0 and a[j - 1] > x:
                        j -= 1
                    if j > 0 and a[j - 1] == x:
                        continue  # a repeated edge
                    for q in range(k - 1, j, -1):
                        a[q] = a[q - 1]
                    a[j] = x
            for e in range(indptr[v], indptr[v + 1]):
                if _lev == 0:
                    break
                w = indices[e]
                wb = w * k
                if not was[w] or ent[wb] >= a[k - 1]:
                    continue  # unchanged, or nothing below u's k-th rank
                ia = 0
                ib = 0
                j = 0
                while j < k:  # b = the k smallest distinct ranks of a and row w
                    x = a[ia] if ia < k else big
                    y = ent[wb + ib] if ib < k else big
                    if x < y:
                        b[j] = x
                        ia += 1
                    elif y < x:
                        b[j] = y
                        ib += 1
                    elif x == big:
                        break
                    else:
                        b[j] = x
                        ia += 1
                        ib += 1
                    j += 1
                while j < k:
                    b[j] = big
                    j += 1
                a, b = b, a
            same = True
            for j in range(k):
                tmp[i * k + j] = a[j]
                if a[j] != ent[base + j]:
                    same = False
            flag[v] = not same
        for i in range(nch):
            was[chg[i]] = False
        nch = 0
        for i in range(nc):
            v = cand[i]
            if flag[v]:
                flag[v] = False
                base = v * k
                for j in range(k):
                    ent[base + j] = tmp[i * k + j]
                was[v] = True
                chg[nch] = v
                nch += 1
    for i in range(nch):
        was[chg[i]] = False
    for u in range(n):
        base = u * k
        tau[u] = ent[base + k - 1] if ent[base + k - 1] != big else -1
        c = 0
        while c < k and ent[base + c] != big:
            ent[base + c] = order[ent[base + c]]
            c += 1
        cnt[u] = c


def ball_sketches(
    indptr,
    indices,
    weights,
    weighted,
    r,
    order,
    nu,
    k,
    exact,
    cnt,
    ent,
    seg,
    tau,
    kth,
    dist,
    touched,
    heap_d,
    heap_v,
    tmp,
    cand,
    chg,
    flag,
    was,
    bfs_from,
):
    """Members of ``B_r(u) & U`` per node u, U = ``order[:nu]`` by rank.

    ``exact``: every ball of a source of U (:func:`exact_balls`; -1 when they
    do not fit in ``ent``). Otherwise the bottom-k sketches of the balls,
    ``ent[u k : u k + cnt[u]]``, ``tau[u]`` the rank of the k-th member (-1:
    fewer): on unweighted graphs :func:`merged_sketches`, or :func:`bfs_sketches`
    from ``bfs_from`` hops on (same sketches), else :func:`pruned_sketches`.
    Returns the number of entries.
    """
    if exact:
        return exact_balls(
            indptr,
            indices,
            weights,
            weighted,
            r,
            order,
            nu,
            ent,
            seg,
            dist,
            touched,
            heap_d,
            heap_v,
        )
    if weighted:
        pruned_sketches(
            indptr,
            indices,
            weights,
            r,
            order,
            nu,
            k,
            cnt,
            ent,
            tau,
            kth,
            dist,
            touched,
            heap_d,
            heap_v,
        )
    else:
        hops = int(np.floor(r)) if r < 2.0**62 else 2**62
        n = indptr.shape[0] - 1
        if bfs_from <= hops < 255:
            kth8 = np.full((n, k), 255, dtype=np.uint8)
            kmax8 = np.full(n, 255, dtype=np.uint8)
            bfs_sketches(indptr, indices, hops, order, nu, k, cnt, ent, tau, touched, kth8, kmax8)
        elif bfs_from <= hops < 32767:
            kth16 = np.full((n, k), 32767, dtype=np.int16)
            kmax16 = np.full(n, 32767, dtype=np.int16)
            bfs_sketches(indptr, indices, hops, order, nu, k, cnt, ent, tau, touched, kth16, kmax16)
        else:
            merged_sketches(
                indptr, indices, hops, order, nu, k, cnt, ent, tau, tmp, cand, chg, flag, was
            )
    return 0


ball_sketches.helpers_ = (exact_balls, pruned_sketches, merged_sketches, bfs_sketches)  # type: ignore[attr-defined]


def _plane_add(planes, x):
    """Add the bits of ``x`` to 64 bit-sliced counters (plane i holds bit i of each count)."""
    i = 0
    while x != 0:
        c = planes[i] & x
        planes[i] ^= x
        x = c
        i += 1


def batch_counts(
    indptr, indices, hops, src, ns, covered, vis, new, nxt, front, nxtl, touched, ball, mass
):
    """Ball sizes ``|B_hops(s)|`` and excluded masses of up to 64 sources at once (unweighted).

    One breadth-first search for all of them, bit j of ``vis[v]`` saying
    that v lies within the current level of ``src[j]``: a node is scanned at
    each level where it got new bits, so sources near each other share
    their scans (up to 64 times fewer edge reads than one search each). The
    counts are summed in bit-sliced counters. Out: ``ball[j]`` the nodes
    within ``hops`` of ``src[j]``, ``mass[j]`` those not covered; returns the
    number of nodes within ``hops`` of any source. Workspace:
    ``vis``, ``new``, ``nxt`` (uint64, n, all 0 on entry and exit), ``front``,
    ``nxtl``, ``touched`` (n).
    """
    one = np.uint64(1)
    nt = 0
    nf = 0
    for j in range(ns):
        v = src[j]
        if vis[v] == 0:
            touched[nt] = v
            nt += 1
            front[nf] = v
            nf += 1
        vis[v] |= one << np.uint64(j)
        new[v] = vis[v]
    for _lev in range(hops):
        if nf == 0:
            break
        nn = 0
        for i in range(nf):
            u = front[i]
            nn = spread_bits(indptr, indices, u, new[u], vis, nxt, nxtl, nn)
            new[u] = 0
        for i in range(nn):
            w = nxtl[i]
            if vis[w] == 0:
                touched[nt] = w
                nt += 1
            vis[w] |= nxt[w]
            new[w] = nxt[w]
            nxt[w] = 0
            front[i] = w
        nf = nn
    for i in range(nf):
        new[front[i]] = 0
    bp = np.zeros(64, dtype=np.uint64)
    mp = np.zeros(64, dtype=np.uint64)
    for i in range(nt):
        v = touched[i]
        x = vis[v]
        vis[v] = 0
        _plane_add(bp, x)
        if not covered[v]:
            _plane_add(mp, x)
    for j in range(ns):
        sj = np.uint64(j)
        b = 0
        m = 0
        for q in range(64):
            b += np.int64((bp[q] >> sj) & one) << q
            m += np.int64((mp[q] >> sj) & one) << q
        ball[j] = b
        mass[j] = m
    return nt


batch_counts.helpers_ = (_plane_add, spread_bits)  # type: ignore[attr-defined]


def _uncovered(u, k, cnt, ent, covered):
    """Number of uncovered members in the sketch of ``u``."""
    m = 0
    base = u * k
    for j in range(cnt[u]):
        if not covered[ent[base + j]]:
            m += 1
    return m


def _bound(m, nu, tau, z, left):
    """Optimistic excluded mass from m uncovered members of a full sketch (k-th rank tau).

    At most ``left``, the number of nodes still uncovered.
    """
    return min(m * (nu + 1.0) / (tau + 1.0) * (1.0 + z / np.sqrt(m)), float(left))


@kernel()
def _heap_push(hk, hv, size, key, v, tie):
    """Max-heap on (key, -tie[v]): push; returns the new size."""
    i = size
    tv = tie[v]
    while i > 0:
        p = (i - 1) // 2
        if hk[p] < key or (hk[p] == key and tie[hv[p]] > tv):
            hk[i] = hk[p]
            hv[i] = hv[p]
            i = p
        else:
            break
    hk[i] = key
    hv[i] = v
    return size + 1


@kernel()
def _heap_pop(hk, hv, size, tie):
    """Remove the root of the max-heap on (key, -tie[v]); returns the new size."""
    size -= 1
    if size > 0:
        lk = hk[size]
        lv = hv[size]
        tl = tie[lv]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and (
                hk[c + 1] > hk[c] or (hk[c + 1] == hk[c] and tie[hv[c + 1]] < tie[hv[c]])
            ):
                c += 1
            if hk[c] > lk or (hk[c] == lk and tie[hv[c]] < tl):
                hk[i] = hk[c]
                hv[i] = hv[c]
                i = c
            else:
                break
        hk[i] = lk
        hv[i] = lv
    return size


def _block(b, n, bsrc):
    """The nodes of block b (64 consecutive node ids) into ``bsrc``; returns how many."""
    ns = 0
    for v in range(b * 64, min(n, b * 64 + 64)):
        bsrc[ns] = v
        ns += 1
    return ns


def lazy_memb(
    indptr,
    indices,
    weights,
    r,
    hops,
    tie,
    init_cap,
    recount_cap,
    ball_cap,
    min_nodes,
    growth_cap,
    csize,
    covered,
    mass,
    fresh,
    hk,
    hv,
    dist,
    ball,
    hd,
    hvv,
    vis,
    new,
    nxt,
    front,
    nxtl,
    bsrc,
    bball,
    bmass,
    centres,
    work,
):
    """Exact MEMB for one radius from bit-parallel counts of every ball (unweighted graphs).

    The excluded masses of all nodes are counted in blocks of 64 consecutive
    node ids (:func:`batch_counts`; after :func:`locality_order` a block's
    nodes lie close together, so their balls share most scans). Lazy greedy on
    a max-heap of masses (ties: smallest ``tie``): a centre covers its ball
    and marks every node within 2 r of it stale (only their masses can have
    fallen); a stale node on top is recounted together with the stale nodes
    of its block. The centre is thus always the node of largest current
    excluded mass (ties: smallest ``tie``), as in MEMB.

    Declined (returns -1, nothing covered) when the balls of a typical block
    (the median of ``GROWTH_BLOCKS`` blocks spread over the node order) grow
    more than ``growth_cap``-fold from r to 2 r, or a sample of the blocks
    (every 64th) predicts that counting every ball would reach more than
    ``init_cap`` n nodes or that a ball holds on average more than
    ``ball_cap`` of its node's connected component (``csize``: that size per
    node; measured against n, ten copies of a graph would pass a test that one
    copy fails), and abandoned (returns -1, ``covered`` cleared) once the
    recounts and the searches that mark stale nodes have reached more than
    ``recount_cap`` times (the nodes of the first counts + n): where hubs
    make every centre's 2 r-ball a large part of the graph, the recounts cost
    more than sketches. ``work``: nodes reached by the counts of every ball,
    by the recounts and stale marks, and the number of recounts. Returns the
    number of centres (``centres[:nc]``).
    """
    n = indptr.shape[0] - 1
    if n < min_nodes:
        return -1
    nblk = (n + 63) // 64
    # growth of the balls from r to 2 r around the nodes of the middle block: the region a
    # centre makes stale, against one ball (about 2^d_B on fractal and lattice-like graphs,
    # far more on small-world ones, where every centre would make much of the graph stale)
    # (one block misleads: each component starts with its hub in the locality order, and a
    # hub's ball hardly grows, so the median of blocks at scattered positions is taken)
    h2 = 2 * hops if hops < 2**61 else hops  # no overflow for unbounded radii
    gb = min(GROWTH_BLOCKS, nblk)
    grow = np.empty(gb)
    for i in range(gb):
        b = int(((i + 1) * 0.6180339887498949) % 1.0 * nblk) if gb < nblk else i
        ns = _block(b, n, bsrc)
        batch_counts(
            indptr, indices, hops, bsrc, ns, covered, vis, new, nxt, front, nxtl, ball, bball, bmass
        )
        b1 = 0
        for j in range(ns):
            b1 += bball[j]
        batch_counts(
            indptr, indices, h2, bsrc, ns, covered, vis, new, nxt, front, nxtl, ball, bball, bmass
        )
        b2 = 0
        for j in range(ns):
            b2 += bball[j]
        grow[i] = b2 / max(b1, 1)
    if np.median(grow) > growth_cap:
        return -1
    samp = 0
    reach = 0
    tot = 0
    room = 0  # the sampled nodes' component sizes, summed
    for b in range(0, nblk, 64):  # the sample: every 64th block
        ns = _block(b, n, bsrc)
        reach += batch_counts(
            indptr, indices, hops, bsrc, ns, covered, vis, new, nxt, front, nxtl, ball, bball, bmass
        )
        for j in range(ns):
            mass[bsrc[j]] = bmass[j]
            tot += bball[j]
            room += csize[bsrc[j]]
        samp += 1
        if reach > init_cap * n / 64.0:
            return -1  # counting every ball would cost too much
    pred = reach * (nblk / samp)
    if pred > init_cap * n or tot > ball_cap * room:
        return -1
    work[0] += reach
    for b in range(nblk):  # the other blocks
        if b % 64 == 0:
            continue
        ns = _block(b, n, bsrc)
        work[0] += batch_counts(
            indptr, indices, hops, bsrc, ns, covered, vis, new, nxt, front, nxtl, ball, bball, bmass
        )
        for j in range(ns):
            mass[bsrc[j]] = bmass[j]
    size = 0
    for u in range(n):
        fresh[u] = 1
        if mass[u] > 0:
            size = _heap_push(hk, hv, size, float(mass[u]), u, tie)
    nc = 0
    ncov = 0
    while ncov < n and size > 0:
        u = hv[0]
        top = hk[0]
        size = _heap_pop(hk, hv, size, tie)
        if fresh[u] == 0:  # recount u with the stale nodes of its block
            b0 = (u // 64) * 64
            bsrc[0] = u
            ns = 1
            for v in range(b0, min(n, b0 + 64)):
                if v != u and fresh[v] == 0 and mass[v] > 0:
                    bsrc[ns] = v
                    ns += 1
            work[1] += batch_counts(
                indptr,
                indices,
                hops,
                bsrc,
                ns,
                covered,
                vis,
                new,
                nxt,
                front,
                nxtl,
                ball,
                bball,
                bmass,
            )
            work[2] += 1
            for j in range(ns):
                mass[bsrc[j]] = bmass[j]
                fresh[bsrc[j]] = 1
            if work[1] > recount_cap * (work[0] + n):
                for v in range(n):  # abandoned: the caller sketches this radius
                    covered[v] = False
                return -1
        if top != mass[u]:  # an old key: every push follows a pop of the same node
            if mass[u] > 0:
                size = _heap_push(hk, hv, size, float(mass[u]), u, tie)
            continue
        centres[nc] = u
        nc += 1
        cnt = sssp(indptr, indices, weights, False, u, r, dist, ball, hd, hvv)
        for q in range(cnt):
            x = ball[q]
            if not covered[x]:
                covered[x] = True
                ncov += 1
        reset(dist, ball, cnt)
        cnt = sssp(indptr, indices, weights, False, u, 2.0 * r, dist, ball, hd, hvv)
        for q in range(cnt):
            fresh[ball[q]] = 0
        reset(dist, ball, cnt)
        work[1] += cnt
        if work[1] > recount_cap * (work[0] + n):
            for v in range(n):  # abandoned: the caller sketches this radius
                covered[v] = False
            return -1
    return nc


lazy_memb.helpers_ = (batch_counts, _heap_push, _heap_pop, sssp, reset, _block)  # type: ignore[attr-defined]


@kernel(
    parallel=True,
    helpers=(
        sssp,
        reset,
        ball_sketches,
        batch_counts,
        pass_keys,
        _uncovered,
        _bound,
        _heap_push,
        _heap_pop,
        lazy_memb,
    ),
)
def sketch_centres(
    indptr,
    indices,
    weights,
    weighted,
    limits,
    k,
    m_min,
    z,
    exact_per_node,
    count_budget,
    spent_walk,
    batch_from_n,
    batch_scan,
    batch_overlap,
    bfs_from,
    lazy_caps,
    csize,
    base_rank,
    by_rank,
    tie,
    centres_out,
    nc_out,
    passes_out,
    work_out,
):
    """Centres for every radius limit (parallel over radii); row s of ``centres_out``.

    ``work_out[s]``: sketched passes, exact counts of contenders, nodes those
    counts walked, nodes the centres' balls walked, bit-parallel batches; then
    1 where :func:`lazy_memb` covered the radius, and its work (nodes reached by
    the counts of every ball, by the recounts and stale marks, recounts).
    """
    n = indptr.shape[0] - 1
    R = limits.shape[0]
    hn = indices.shape[0] + 1
    hs = hn if weighted else 1
    cap = max(k, exact_per_node) * n
    budget = count_budget * n
    spent_budget = spent_walk * n
    batch_from = batch_from_n * n
    for s in prange(R):
        r = limits[s]
        covered = np.zeros(n, dtype=np.bool_)
        dist = np.full(n, np.inf)
        ball = np.empty(n, dtype=np.int64)
        heap_d = np.empty(hs, dtype=np.float64)
        heap_v = np.empty(hs, dtype=np.int64)
        hk = np.empty(n, dtype=np.float64)
        hv = np.empty(n, dtype=np.int64)
        order = np.empty(n, dtype=np.int64)
        pos = np.empty(n, dtype=np.int64)
        cnt = np.empty(n, dtype=np.int64)
        mass = np.empty(n, dtype=np.int64)
        tau = np.empty(n, dtype=np.int64)
        seg = np.empty(n + 1, dtype=np.int64)
        ent = np.empty(cap, dtype=np.int32)
        kth = np.empty((n if weighted else 1, k), dtype=np.float64)
        nk = 1 if weighted else n * k
        tmp = np.empty(nk, dtype=np.int32)
        cand = np.empty(n, dtype=np.int64)
        flag = np.zeros(n, dtype=np.bool_)
        was = np.zeros(n, dtype=np.bool_)
        chg = np.empty(n, dtype=np.int64)
        state = np.zeros(n, dtype=np.int8)
        stamp = np.zeros(n, dtype=np.int64)
        hd = heap_d[:hs]
        hvv = heap_v[:hs]
        batched = batch_from >= 0 and not weighted
        hops = int(np.floor(r)) if r < 2.0**62 else 2**62
        lazy_ok = not weighted and n >= lazy_caps[3]
        nb = n if batched or lazy_ok else 1
        # bit rows; node lists shared with the builds and the searches (free meanwhile)
        bws = (
            np.zeros(nb, dtype=np.uint64),
            np.zeros(nb, dtype=np.uint64),
            np.zeros(nb, dtype=np.uint64),
            cand,
            chg,
            ball,
        )
        bsrc = np.empty(64, dtype=np.int64)
        bball = np.empty(64, dtype=np.int64)
        bmass = np.empty(64, dtype=np.int64)
        cstamp = np.full(nb, -1, dtype=np.int64)  # cball, cmass: counted with nc centres taken
        cball = np.empty(nb, dtype=np.int64)
        cmass = np.empty(nb, dtype=np.int64)
        nc = 0
        ncov = 0
        p = 0
        if lazy_ok:  # exact MEMB from counts of every ball, where cheap
            nl = lazy_memb(
                indptr,
                indices,
                weights,
                r,
                hops,
                tie,
                lazy_caps[0],
                lazy_caps[1],
                lazy_caps[2],
                lazy_caps[3],
                lazy_caps[4],
                csize,
                covered,
                mass,
                state,
                hk,
                hv,
                dist,
                ball,
                hd,
                hvv,
                bws[0],
                bws[1],
                bws[2],
                cand,
                chg,
                bsrc,
                bball,
                bmass,
                centres_out[s],
                work_out[s, 6:9],
            )
            if nl >= 0:
                work_out[s, 5] = 1
                nc = nl
                ncov = n
        while ncov < n:
            nu = 0
            if p == 0:
                for t in range(n):
                    order[t] = by_rank[t]
                nu = n
            else:
                unc = np.empty(n - ncov, dtype=np.int64)
                for v in range(n):
                    if not covered[v]:
                        unc[nu] = v
                        nu += 1
                idx = np.argsort(pass_keys(base_rank[unc], p, n))
                for t in range(nu):
                    order[t] = unc[idx[t]]
            for t in range(nu):
                pos[order[t]] = t
            # exact balls of U while they fit in ``cap`` entries, else sketches
            ws = (
                cnt,
                ent,
                seg,
                tau,
                kth,
                dist,
                ball,
                heap_d,
                heap_v,
                tmp,
                cand,
                chg,
                flag,
                was,
                bfs_from,
            )
            ne = ball_sketches(indptr, indices, weights, weighted, r, order, nu, k, True, *ws)
            exact = ne >= 0
            if not exact:
                ball_sketches(indptr, indices, weights, weighted, r, order, nu, k, False, *ws)
                work_out[s, 0] += 1
            # lazy greedy: keys are exact masses (state 2, fresh when stamp == nc) or
            # optimistic sketch bounds (state 1), evaluated exactly once on top. Exact
            # passes keep every mass current (``mass``, lowered as nodes get covered).
            size = 0
            if exact:
                for u in range(n):
                    mass[u] = 0
                for e in range(ne):
                    mass[ent[e]] += 1
            for u in range(n):
                m = mass[u] if exact else _uncovered(u, k, cnt, ent, covered)
                if m == 0:
                    continue
                if exact or tau[u] < 0:
                    state[u] = 2
                    stamp[u] = nc
                    size = _heap_push(hk, hv, size, float(m), u, tie)
                else:
                    state[u] = 1
                    size = _heap_push(hk, hv, size, _bound(m, nu, tau[u], z, n - ncov), u, tie)
            spent = 0
            while ncov < n:  # the centres of this pass
                c = -1
                walked = 0  # nodes reached by the truncated searches since the last centre
                best = -1  # the largest exact mass counted since then (ties: smallest index)
                best_m = 0
                left = n - ncov
                while size > 0:
                    u = hv[0]
                    top = hk[0]
                    size = _heap_pop(hk, hv, size, tie)
                    if state[u] == 0:
                        continue  # a centre chosen while still on the heap
                    if exact:
                        if top == mass[u]:
                            c = u  # a current mass on top
                            break
                        if mass[u] > 0:
                            size = _heap_push(hk, hv, size, float(mass[u]), u, tie)
                        continue
                    if state[u] == 2 and stamp[u] == nc:
                        c = u
                        break
                    spent_u = False
                    if state[u] == 1:
                        m = _uncovered(u, k, cnt, ent, covered)
                        if m < m_min:
                            # the sketch says little now: count the mass exactly, unless
                            # such counts have cost about a rebuild (then: next pass)
                            if spent >= spent_budget:
                                break
                            spent_u = True
                        else:
                            key = _bound(m, nu, tau[u], z, left)
                            if size > 0 and (key < hk[0] or (key == hk[0] and tie[u] > tie[hv[0]])):
                                size = _heap_push(hk, hv, size, key, u, tie)
                                continue
                    if tau[u] < 0:
                        mu = _uncovered(u, k, cnt, ent, covered)
                    else:
                        if batched and walked >= batch_from and cstamp[u] != nc:
                            # count u with up to 63 likely next contenders near the top
                            # of the heap at once (same counts; nothing covered meanwhile)
                            bsrc[0] = u
                            ns = 1
                            for i in range(min(size, batch_scan)):
                                v = hv[i]
                                if ns < 64 and tau[v] >= 0 and cstamp[v] != nc:
                                    if state[v] == 1 or (state[v] == 2 and stamp[v] != nc):
                                        bsrc[ns] = v
                                        ns += 1
                            nt = batch_counts(
                                indptr, indices, hops, bsrc, ns, covered, *bws, bball, bmass
                            )
                            work_out[s, 4] += 1
                            tot = 0
                            for j in range(ns):
                                v = bsrc[j]
                                cstamp[v] = nc
                                cball[v] = bball[j]
                                cmass[v] = bmass[j]
                                tot += bball[j]
                            if tot < batch_overlap * nt:
                                batched = False  # the balls hardly overlap: one search each
                        if batched and cstamp[u] == nc:  # counted in a batch since the last centre
                            cnt_b = cball[u]
                            mu = cmass[u]
                        else:
                            cnt_b = sssp(
                                indptr, indices, weights, weighted, u, r, dist, ball, hd, hvv
                            )
                            mu = 0
                            for j in range(cnt_b):
                                if not covered[ball[j]]:
                                    mu += 1
                            reset(dist, ball, cnt_b)
                        walked += cnt_b
                        if spent_u:
                            spent += cnt_b
                        work_out[s, 1] += 1
                        work_out[s, 2] += cnt_b
                    state[u] = 2
                    stamp[u] = nc
                    if mu > 0:
                        size = _heap_push(hk, hv, size, float(mu), u, tie)
                        if mu > best_m or (mu == best_m and tie[u] < tie[best]):
                            best = u
                            best_m = mu
                    if best >= 0 and walked >= budget:
                        c = best  # the budget of the counts is spent
                        break
                if c < 0:
                    break  # nothing uncovered in reach, or too few members: next pass
                state[c] = 0
                centres_out[s, nc] = c
                nc += 1
                cnt_b = sssp(indptr, indices, weights, weighted, c, r, dist, ball, hd, hvv)
                work_out[s, 3] += cnt_b
                for q in range(cnt_b):
                    x = ball[q]
                    if not covered[x]:
                        covered[x] = True
                        ncov += 1
                        if exact:  # x is in U: every node within r of x loses one
                            t = pos[x]
                            for e in range(seg[t], seg[t + 1]):
                                mass[ent[e]] -= 1
                reset(dist, ball, cnt_b)
            p += 1
        nc_out[s] = nc
        passes_out[s] = p


@kernel()
def locality_order(indptr, indices):
    """Nodes in breadth-first order, components by their node of largest degree first.

    ``out[i]`` is the node placed at position i. Neighbours then sit close
    together in memory, which the memory-bound sketch merges and counts use.
    """
    n = indptr.shape[0] - 1
    deg = np.empty(n, dtype=np.int64)
    for u in range(n):
        deg[u] = indptr[u + 1] - indptr[u]
    roots = np.argsort(-deg, kind="mergesort")
    seen = np.zeros(n, dtype=np.bool_)
    out = np.empty(n, dtype=np.int64)
    head = 0
    tail = 0
    for root in roots:
        if seen[root]:
            continue
        seen[root] = True
        out[tail] = root
        tail += 1
        while head < tail:
            u = out[head]
            head += 1
            for e in range(indptr[u], indptr[u + 1]):
                w = indices[e]
                if not seen[w]:
                    seen[w] = True
                    out[tail] = w
                    tail += 1
    return out


@kernel()
def permute_csr(indptr, indices, weights, perm):
    """The graph with node ``perm[i]`` renamed i (CSR arrays; indices as int32)."""
    n = indptr.shape[0] - 1
    inv = np.empty(n, dtype=np.int64)
    for i in range(n):
        inv[perm[i]] = i
    ip = np.empty(n + 1, dtype=np.int64)
    ix = np.empty(indices.shape[0], dtype=np.int32)
    wt = np.empty(weights.shape[0], dtype=np.float64)
    ip[0] = 0
    for i in range(n):
        u = perm[i]
        a = ip[i]
        for e in range(indptr[u], indptr[u + 1]):
            ix[a] = inv[indices[e]]
            wt[a] = weights[e]
            a += 1
        ip[i + 1] = a
    return ip, ix, wt


def _threads() -> int:
    """numba's current thread count (1 without numba)."""
    if not have_numba():
        return 1
    import numba

    return max(1, int(numba.get_num_threads()))


def _round_robin(m: int) -> np.ndarray:
    """Order of m tasks such that contiguous equal runs, one per thread, deal them round-robin.

    With T numba threads, run t holds tasks t, t + T, t + 2 T, ...
    """
    threads = max(1, min(m, _threads()))
    return np.concatenate([np.arange(t, m, threads) for t in range(threads)]).astype(np.int64)


def component_sizes(indptr, indices):
    """The size of each node's connected component (int64, one per node).

    >>> from selfsim.network.graph import edges_to_csr
    >>> A = edges_to_csr([0], [1], 4)
    >>> component_sizes(A.indptr, A.indices).tolist()
    [2, 2, 1, 1]
    """
    from scipy.sparse import csr_matrix

    from selfsim.network.graph import components

    n = indptr.shape[0] - 1
    ones = np.ones(indices.shape[0], dtype=np.int8)
    _, labels = components(csr_matrix((ones, indices, indptr), shape=(n, n)))
    return np.bincount(labels)[labels].astype(np.int64)


def sketch_labels(
    indptr,
    indices,
    weights,
    weighted,
    limits,
    rank,
    k=None,
    stats=None,
    relabel=True,
    batch=True,
    bfs_from=None,
    lazy=True,
    progress=None,
):
    """Box labels (len(limits), n) for radius limits ``limits`` (one row per limit).

    ``stats``, a dict, receives ``passes`` (sketch passes per limit) and
    ``work``. ``relabel``: run on the nodes in :func:`locality_order` (ranks
    and ties follow the nodes, so the partition is the same). ``batch``: count
    contenders in bit-parallel batches at large radii (:func:`batch_counts`;
    same partition). ``bfs_from``: unweighted sketches by pruned breadth-first
    searches from this many hops on, merged level by level below
    (``BFS_FROM_HOPS`` by default; same sketches, hence the same partition).
    ``lazy``: on unweighted graphs, radii where counting every ball is cheap
    (``LAZY_INIT``, ``LAZY_RECOUNT``, ``LAZY_BALL``, ``LAZY_MIN_NODES``) are covered by exact MEMB
    instead (:func:`lazy_memb`; ``stats["work"][:, 5]`` is 1 there).
    ``progress``: a :class:`selfsim._core.progress.Progress` counting radii.
    The radii then run in groups of as many as there are threads, in the
    order given (one compiled call each, so a long cover reports between
    groups), and it is updated after each group; the partition is the same.
    """
    from .burning import _nearest_centre, nearest_centre_rows

    k = SKETCH_K if k is None else int(k)
    m_min = rebuild_below(k)
    n = indptr.shape[0] - 1
    w = weights if weighted else np.ones_like(weights)
    rank = np.asarray(rank)
    if relabel:
        perm = locality_order(indptr, indices)
        ip, ix, ww = permute_csr(indptr, indices, w.astype(np.float64), perm)
        rk = rank[perm]
    else:
        perm = np.arange(n, dtype=np.int64)
        ip, ix, ww, rk = indptr, indices, w, rank
    by_rank = np.argsort(rk, kind="stable").astype(np.int64)
    rk = rk.astype(np.int64)
    limits = np.asarray(limits, dtype=np.float64)
    L = limits.size
    centres = np.empty((L, n), dtype=np.int32)
    nc = np.empty(L, dtype=np.int64)
    passes = np.empty(L, dtype=np.int64)
    work = np.zeros((L, 9), dtype=np.int64)
    caps = np.array(
        [LAZY_INIT, LAZY_RECOUNT, LAZY_BALL, LAZY_MIN_NODES if lazy else 2.0**62, LAZY_GROWTH]
    )
    csize = component_sizes(ip, ix)  # lazy_memb's ball test is per component
    step = L if progress is None else _threads()
    for g0 in range(0, L, max(1, step)):
        idx = np.arange(g0, min(L, g0 + step))
        # numba splits the radii into one contiguous run per thread; dealt round-robin
        # instead, so that the costly large radii do not all land on the last thread
        idx = idx[_round_robin(idx.size)]
        out = (
            np.empty((idx.size, n), dtype=np.int32),
            np.empty(idx.size, dtype=np.int64),
            np.empty(idx.size, dtype=np.int64),
            np.zeros((idx.size, 9), dtype=np.int64),
        )
        sketch_centres(
            ip,
            ix,
            ww,
            weighted,
            limits[idx],
            k,
            m_min,
            BOUND_Z,
            EXACT_PER_NODE,
            COUNT_BUDGET,
            SPENT_WALK,
            BATCH_FROM if batch else -1.0,
            BATCH_SCAN,
            BATCH_OVERLAP,
            BFS_FROM_HOPS if bfs_from is None else int(bfs_from),
            caps,
            csize,
            rk,
            by_rank,
            perm,
            *out,
        )
        centres[idx], nc[idx], passes[idx], work[idx] = out
        if progress is not None:
            got = ", ".join(f"l_B {2 * limits[i]:.4g}: {nc[i]}" for i in np.sort(idx))
            progress.update(idx.size, note=f"boxes {got}")
    if stats is not None:
        stats["passes"] = passes
        stats["work"] = work
    if not weighted:  # one breadth-first search per radius, radii in parallel
        cen = np.zeros((L, max(1, int(nc.max(initial=0)))), dtype=np.int64)
        for s in range(L):
            cen[s, : nc[s]] = perm[centres[s, : nc[s]]]
        return nearest_centre_rows(indptr, indices, cen, nc)
    return np.stack(
        [_nearest_centre(indptr, indices, w, perm[centres[s, : nc[s]]]) for s in range(L)]
    )
