"""Contract tests over every registered covering method (the registry in selfsim.covering)."""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pytest

from selfsim.covering import METHODS
from selfsim.covering._jit import have_numba
from selfsim.covering.api import box_counts, box_cover, cover_labels
from selfsim.generators import barabasi_albert, lattice, shm_model, sierpinski_gasket, uv_flower


def all_pairs(A, weighted=False):
    """Independent distances: scipy's shortest_path (BFS or Dijkstra)."""
    from scipy.sparse.csgraph import shortest_path

    return shortest_path(A, directed=False, unweighted=not weighted)


GRAPHS = {
    "flower22": uv_flower(2, 2, 3),
    "gasket": sierpinski_gasket(3),
    "shm": shm_model(2, 2),
    "ba": barabasi_albert(60, 2, seed=3),
    "grid": lattice((5, 7)),
}
METHOD_NAMES = sorted(METHODS)


def _top(A, method):
    """Smallest size that must give one box: diameter + 1, or 2 * diameter + 1 for radius boxes."""
    d = int(all_pairs(A).max())
    return d + 1 if METHODS[method].kind == "diameter" else 2 * d + 1


@pytest.mark.parametrize("method", METHOD_NAMES)
@pytest.mark.parametrize("gname", sorted(GRAPHS))
def test_partition_and_box_sizes(method, gname):
    A = GRAPHS[gname]
    D = all_pairs(A)
    n = A.shape[0]
    top = _top(A, method)
    sizes = np.array(sorted({1, 2, 3, 4, 5, 7, top}))
    labels = cover_labels(A, sizes, method=method, seed=7)
    assert labels.shape == (sizes.size, n)
    counts = labels.max(axis=1) + 1
    for s, lab in zip(sizes, labels, strict=True):
        assert lab.min() == 0 and np.unique(lab).size == lab.max() + 1  # boxes 0..N_B-1, none empty
        same = lab[:, None] == lab[None, :]
        assert np.all(D[same] < s), f"{method}: a box of size {s} holds a pair at distance >= {s}"
    assert counts[0] == n  # l_B = 1 (memb/random: r_B = 0)
    assert counts[-1] == 1


def _raw_counts(A, sizes, method, seed, engine):
    """N_B straight from a method's kernel, before keep_best_cover makes it monotone."""
    from selfsim.covering.reference import distance_matrix

    A = A.tocsr()
    rank = np.random.default_rng(seed).permutation(A.shape[0])
    sizes = np.asarray(sizes, dtype=float)
    m = METHODS[method]
    if engine == "numba":
        lab = m.fast(A, False, sizes, rank)
    else:
        lab = m.reference(distance_matrix(A, False), sizes, rank)
    return lab.max(axis=1) + 1


@pytest.mark.parametrize("method", METHOD_NAMES)
@pytest.mark.parametrize("gname", sorted(GRAPHS) + ["flower22_g4"])
def test_raw_kernel_counts_non_increasing(method, gname):
    """The kernels themselves (not the public API, which keeps the best smaller cover): on these
    graphs N_B never grows with l_B for greedy/memb (any node order), and random methods do not
    grow on average over four seeds."""
    A = uv_flower(2, 2, 4) if gname == "flower22_g4" else GRAPHS[gname]
    sizes = sorted({1, 2, 3, 4, 5, 7, 9, 13, 17, _top(A, method)})
    engine = "numba" if have_numba() else "python"
    runs = np.array([_raw_counts(A, sizes, method, s, engine) for s in range(4)])
    assert np.all(runs[:, 0] == A.shape[0]) and np.all(runs[:, -1] == 1)
    if METHODS[method].random:
        assert np.all(np.diff(runs.mean(axis=0)) <= 0), runs
    else:
        assert np.all(np.diff(runs, axis=1) <= 0), runs


def test_keep_best_cover_reuses_the_best_smaller_cover():
    """Hand-made rows: a row with more boxes than a smaller size's is replaced by that cover."""
    from selfsim.covering.api import keep_best_cover

    rows = np.array(
        [
            [0, 1, 2, 3],  # l = 1: 4 boxes
            [0, 0, 1, 1],  # l = 2: 2 boxes
            [0, 1, 2, 2],  # l = 3: 3 boxes (worse than l = 2)
            [0, 0, 0, 0],  # l = 4: 1 box
        ]
    )
    out = keep_best_cover(rows.copy(), np.arange(4))
    assert out.tolist() == [[0, 1, 2, 3], [0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0]]
    # rows given out of size order: ``ascending`` says which row is which size
    shuffled = rows[[2, 0, 3, 1]]
    out = keep_best_cover(shuffled.copy(), np.array([1, 3, 0, 2]))
    assert out.tolist() == [[0, 0, 1, 1], [0, 1, 2, 3], [0, 0, 0, 0], [0, 0, 1, 1]]


def test_public_counts_are_monotone_even_when_a_kernel_is_not(monkeypatch):
    """A kernel that returns more boxes at a larger size: box_counts keeps the smaller size's
    (valid) cover instead, so N_B(l_B) is non-increasing and every box still fits its size."""
    A = lattice((6,))
    D = all_pairs(A)

    def worse_at_three(A, weighted, sizes, rank):
        n = A.shape[0]
        by_size = {1: np.arange(n), 2: np.arange(n) // 2, 3: np.arange(n), 7: np.zeros(n, int)}
        return np.stack([by_size[int(s)] for s in sizes])

    fake = dataclasses.replace(
        METHODS["greedy"],
        fast=worse_at_three,
        reference=lambda Dm, sizes, rank: worse_at_three(A, False, sizes, rank),
    )
    monkeypatch.setitem(METHODS, "greedy", fake)
    labels = cover_labels(A, [1, 2, 3, 7], method="greedy")
    assert (labels.max(axis=1) + 1).tolist() == [6, 3, 3, 1]
    for s, lab in zip([1, 2, 3, 7], labels, strict=True):
        same = lab[:, None] == lab[None, :]
        assert np.all(D[same] < s)


@pytest.mark.parametrize("method", METHOD_NAMES)
def test_same_seed_same_result(method):
    A = GRAPHS["ba"]
    a = cover_labels(A, [2, 3, 5], method=method, seed=11)
    b = cover_labels(A, [2, 3, 5], method=method, seed=11)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("method", METHOD_NAMES)
@pytest.mark.parametrize("gname", ["flower22", "ba", "gasket"])
def test_fast_equals_reference(method, gname):
    """numba kernels == numpy/scipy reference, exactly, for the same seed (node order)."""
    pytest.importorskip("numba")
    A = GRAPHS[gname]
    sizes = [1, 2, 3, 4, 6, 9, 13]
    fast = cover_labels(A, sizes, method=method, seed=5, engine="numba")
    slow = cover_labels(A, sizes, method=method, seed=5, engine="python")
    assert np.array_equal(fast, slow)


@pytest.mark.parametrize("method", METHOD_NAMES)
def test_weighted_graph(method):
    rng = np.random.default_rng(0)
    A = uv_flower(2, 2, 3).astype(float)
    A.data = np.round(rng.uniform(1.0, 3.0, A.nnz), 2)  # l_B = 1 below every length
    A = A.maximum(A.T).tocsr()
    D = all_pairs(A, weighted=True)
    sizes = [1.0, 1.5, 2.5, 4.0, 7.0, 2 * D.max() + 1]  # non-integer sizes are fine here
    labels = cover_labels(A, sizes, method=method, seed=2)
    for s, lab in zip(sizes, labels, strict=True):
        same = lab[:, None] == lab[None, :]
        assert np.all(D[same] < s)
    assert labels[0].max() + 1 == A.shape[0] and labels[-1].max() == 0
    if have_numba():
        slow = cover_labels(A, sizes, method=method, seed=2, engine="python")
        assert np.array_equal(labels, slow)


@pytest.mark.parametrize("method", METHOD_NAMES)
def test_networkx_input_equals_scipy_input(method):
    A = GRAPHS["gasket"]
    G = nx.from_scipy_sparse_array(A)
    assert np.array_equal(
        box_counts(G, [2, 3, 5], method=method, seed=1),
        box_counts(A, [2, 3, 5], method=method, seed=1),
    )


def test_disconnected_graph_is_covered_per_component():
    import scipy.sparse as sp

    from selfsim import DisconnectedGraphWarning

    A = sp.block_diag([uv_flower(2, 2, 2), lattice((4,)), sp.csr_matrix((1, 1))]).tocsr()
    with pytest.warns(DisconnectedGraphWarning):
        counts = box_counts(A, [1, 100])
    assert counts.tolist() == [A.shape[0], 3]


def test_box_cover_example_and_order_of_sizes():
    assert box_cover(lattice((6,)), 3).tolist() == [0, 0, 0, 1, 1, 1]
    A = GRAPHS["flower22"]
    c = box_counts(A, [1, 3, 9])
    assert box_counts(A, [9, 1, 3]).tolist() == [c[2], c[0], c[1]]


@pytest.mark.parametrize("method", ["memb", "greedy"])
@pytest.mark.parametrize("gname", ["flower22", "ba", "grid"])
def test_sparse_path_equals_dense_path(method, gname, monkeypatch):
    """Dense hop matrix and per-node BFS give the reference partition (memb, greedy)."""
    pytest.importorskip("numba")
    from selfsim.covering import _dense

    A = GRAPHS[gname]
    sizes = [1, 2, 3, 5, 8, 13, 40]
    dense = cover_labels(A, sizes, method=method, seed=3, engine="numba")
    monkeypatch.setattr(_dense, "DENSE_MAX_BYTES", 0)
    sparse = cover_labels(A, sizes, method=method, seed=3, engine="numba")
    assert np.array_equal(dense, sparse)
    assert np.array_equal(dense, cover_labels(A, sizes, method=method, seed=3, engine="python"))


def test_dense_hops_match_scipy_after_relabelling():
    """Bit-parallel fill: D[i, j] = d(perm[i], perm[j]); cum = ball sizes."""
    pytest.importorskip("numba")
    from selfsim.covering._dense import dense_hops

    A = sierpinski_gasket(5).tocsr()  # > 64 nodes: several blocks
    h = dense_hops(A.indptr.astype(np.int64), A.indices.astype(np.int64), 10)
    D = all_pairs(A)
    assert np.array_equal(h.D, D[np.ix_(h.perm, h.perm)].astype(np.uint8))
    want = (D[h.perm][:, :, None] <= np.arange(11)).sum(axis=1)
    assert np.array_equal(h.cum, want)


@pytest.mark.parametrize("method", ["memb", "greedy"])
def test_long_path_uses_wide_or_sparse_distances(method):
    """Distances beyond 254 hops: uint16 matrix (memb) or BFS path (greedy), same as reference."""
    pytest.importorskip("numba")
    A = lattice((300,))
    sizes = [1, 3, 100, 299, 300]
    fast = cover_labels(A, sizes, method=method, engine="numba")
    assert np.array_equal(fast, cover_labels(A, sizes, method=method, engine="python"))


def test_dense_hops_saturate_to_uint16_for_long_paths():
    """A path longer than 254 hops needs uint16 distances when a radius reaches 254."""
    pytest.importorskip("numba")
    A = lattice((700,))
    sizes = [1, 3, 509, 701]
    fast = cover_labels(A, sizes, method="memb", engine="numba")
    assert (fast.max(axis=1) + 1).tolist() == [700, 234, 2, 1]
    assert np.array_equal(fast, cover_labels(A, sizes, method="memb", engine="python"))


@pytest.mark.parametrize("gname", ["gasket", "ba"])
@pytest.mark.parametrize(
    "exact, weighted, bfs_from",
    [(True, False, 2**40), (True, True, 2**40), (False, True, 2**40)]
    + [(False, False, b) for b in (2**40, 0, 3)],
)
def test_ball_sketches_hold_bottom_k_of_every_ball(gname, exact, weighted, bfs_from):
    """Sketches: the first k members of U within r (by rank); exact: every ball of U.

    Unweighted: merged level by level below ``bfs_from`` hops, pruned breadth-first
    searches from there on; weighted (unit lengths here): pruned Dijkstra.
    """
    pytest.importorskip("numba")
    from selfsim.covering._sssp import new_workspace
    from selfsim.covering.sketch import ball_sketches

    A = GRAPHS[gname].tocsr()
    D = all_pairs(A)
    n, k = A.shape[0], 4
    rng = np.random.default_rng(1)
    order = rng.permutation(n)[: n // 2]  # U, in rank order
    for r in range(int(D.max()) + 1):
        dist, touched, heap_d, heap_v = new_workspace(n, A.nnz, True)
        cnt, tau = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
        ent, seg = np.empty(k * n, dtype=np.int32), np.empty(n + 1, dtype=np.int64)
        ne = ball_sketches(
            A.indptr.astype(np.int64),
            A.indices.astype(np.int64),
            np.ones(A.nnz),
            weighted,
            float(r),
            order,
            order.size,
            k,
            exact,
            cnt,
            ent,
            seg,
            tau,
            np.empty((n, k)),
            dist,
            touched,
            heap_d,
            heap_v,
            np.empty(n * k, dtype=np.int32),
            np.empty(n, dtype=np.int64),
            np.empty(n, dtype=np.int64),
            np.zeros(n, dtype=np.bool_),
            np.zeros(n, dtype=np.bool_),
            bfs_from,
        )
        inside = D[:, order] <= r
        if exact:
            if inside.sum() > k * n:
                assert ne == -1  # the exact balls do not fit: the caller sketches instead
                continue
            assert ne == inside.sum()
            for t in range(order.size):  # segment t: the ball of the source of rank t
                got = ent[seg[t] : seg[t + 1]]
                assert sorted(got.tolist()) == np.flatnonzero(inside[:, t]).tolist()
            continue
        for u in range(n):
            got = ent[u * k : u * k + cnt[u]]
            t = np.flatnonzero(inside[u])
            assert sorted(got.tolist()) == sorted(order[t[:k]].tolist())
            assert tau[u] == (t[k - 1] if t.size >= k else -1)


@pytest.mark.parametrize("budget, spent", [(None, 0.0), (0.05, 0.0), (None, 1.0), (None, None)])
def test_sketch_equals_reference_with_small_sketches(monkeypatch, budget, spent):
    """k = 4: several passes, pruned sketches, sketch bounds replaced by exact masses.

    budget 0.05: the counts' budget runs out, so centres are also taken early.
    spent: candidates with spent sketches are counted exactly (0: never, the pass
    ends at the first; None: the default budget, one pass here).
    """
    pytest.importorskip("numba")
    from selfsim.covering import sketch

    if budget is not None:
        monkeypatch.setattr(sketch, "COUNT_BUDGET", budget)
    if spent is not None:
        monkeypatch.setattr(sketch, "SPENT_WALK", spent)
    monkeypatch.setattr(sketch, "SKETCH_K", 4)
    monkeypatch.setattr(sketch, "EXACT_PER_NODE", 4)
    monkeypatch.setattr(sketch, "REBUILD_FRACTION", 0.75)
    A = uv_flower(2, 2, 4)
    sizes = [2, 3, 5, 9, 17]
    stats: dict = {}
    from selfsim.covering.registry import _csr

    ip, ix, w = _csr(A.tocsr())
    rank = np.random.default_rng(4).permutation(A.shape[0])
    sketch.sketch_labels(ip, ix, w, False, [1.0, 2.0, 4.0], rank, stats=stats)
    assert stats["passes"].max() > (1 if spent is not None else 0)
    fast = cover_labels(A, sizes, method="sketch", seed=4, engine="numba")
    assert np.array_equal(fast, cover_labels(A, sizes, method="sketch", seed=4, engine="python"))


@pytest.mark.parametrize("gname", ["gasket", "ba", "grid"])
def test_batch_counts_equal_ball_sizes_from_distances(gname):
    """Bit-parallel counts of up to 64 sources: |B_r(s)| and its uncovered nodes, every r."""
    pytest.importorskip("numba")
    from selfsim.covering import sketch

    sketch.sketch_centres.compiled()  # compiles the helpers (batch_counts among them)
    A = GRAPHS[gname].tocsr()
    D = all_pairs(A)
    n = A.shape[0]
    rng = np.random.default_rng(2)
    covered = rng.random(n) < 0.4
    ws = [np.zeros(n, dtype=np.uint64) for _ in range(3)]
    ws += [np.empty(n, dtype=np.int64) for _ in range(3)]
    ball, mass = np.empty(64, dtype=np.int64), np.empty(64, dtype=np.int64)
    for ns in (1, 7, 64):
        src = rng.choice(n, size=64).astype(np.int64)  # repeats: each copy counted
        src[1:3] = src[0]
        for r in range(int(D.max()) + 2):
            within = D[src[:ns]] <= r
            nt = sketch.batch_counts(
                A.indptr.astype(np.int64), A.indices, r, src, ns, covered, *ws, ball, mass
            )
            assert ball[:ns].tolist() == within.sum(axis=1).tolist()
            assert mass[:ns].tolist() == (within & ~covered).sum(axis=1).tolist()
            assert nt == within.any(axis=0).sum()
            assert all(not x.any() for x in ws[:3])  # the bit arrays are left cleared


@pytest.mark.parametrize("overlap", [0.0, 1e9])
def test_sketch_batched_counts_leave_the_partition_unchanged(monkeypatch, overlap):
    """Counts batched from the first one on (overlap 1e9: batching stops after one batch)."""
    pytest.importorskip("numba")
    from selfsim.covering import sketch
    from selfsim.covering.registry import _csr

    monkeypatch.setattr(sketch, "BATCH_FROM", 0.0)
    monkeypatch.setattr(sketch, "BATCH_OVERLAP", overlap)
    for A, lims in ((barabasi_albert(3000, 2, seed=7), [2.0, 3.0]), (uv_flower(2, 2, 5), [4.0])):
        ip, ix, w = _csr(A.tocsr())
        rank = np.random.default_rng(1).permutation(A.shape[0])
        stats: dict = {}
        a = sketch.sketch_labels(ip, ix, w, False, lims, rank, batch=False)
        b = sketch.sketch_labels(ip, ix, w, False, lims, rank, stats=stats)
        assert np.array_equal(a, b)
        assert stats["work"][:, 4].min() >= 1
        if overlap > 1:
            assert stats["work"][:, 4].max() == 1


@pytest.mark.parametrize("batch_from", [0.0, None])
def test_sketch_batched_equals_reference(monkeypatch, batch_from):
    """The reference (one count at a time) gives the same partition with batched counts."""
    pytest.importorskip("numba")
    from selfsim.covering import sketch

    if batch_from is not None:
        monkeypatch.setattr(sketch, "BATCH_FROM", batch_from)
        monkeypatch.setattr(sketch, "BATCH_OVERLAP", 0.0)
    monkeypatch.setattr(sketch, "SKETCH_K", 4)
    monkeypatch.setattr(sketch, "EXACT_PER_NODE", 4)
    A = uv_flower(2, 2, 4)
    sizes = [3, 5, 9, 17]
    fast = cover_labels(A, sizes, method="sketch", seed=2, engine="numba")
    assert np.array_equal(fast, cover_labels(A, sizes, method="sketch", seed=2, engine="python"))


@pytest.mark.parametrize("bfs_from", [0, 2, 2**40])
def test_sketch_bfs_builds_equal_reference(monkeypatch, bfs_from):
    """Sketches built by pruned breadth-first searches (from ``bfs_from`` hops on) or merged.

    Same sketches, so the partition is the reference's either way (several passes: k = 4).
    """
    pytest.importorskip("numba")
    from selfsim.covering import sketch

    monkeypatch.setattr(sketch, "BFS_FROM_HOPS", bfs_from)
    monkeypatch.setattr(sketch, "SKETCH_K", 4)
    monkeypatch.setattr(sketch, "EXACT_PER_NODE", 4)
    A = uv_flower(2, 2, 5)
    sizes = [3, 5, 9, 17, 33]
    stats: dict = {}
    fast = cover_labels(A, sizes, method="sketch", seed=3, engine="numba")
    assert np.array_equal(fast, cover_labels(A, sizes, method="sketch", seed=3, engine="python"))
    from selfsim.covering.registry import _csr

    ip, ix, w = _csr(A.tocsr())
    lims = [float(s // 2) for s in sizes]
    rank = np.random.default_rng(3).permutation(A.shape[0])
    sketch.sketch_labels(ip, ix, w, False, lims, rank, stats=stats, bfs_from=bfs_from)
    assert stats["work"][:, 0].sum() >= 2  # sketched passes ran (the test is not vacuous)


def _force_lazy(monkeypatch, sketch, recount=1e9):
    monkeypatch.setattr(sketch, "LAZY_MIN_NODES", 0)
    monkeypatch.setattr(sketch, "LAZY_INIT", 1e18)
    monkeypatch.setattr(sketch, "LAZY_BALL", 2.0)
    monkeypatch.setattr(sketch, "LAZY_GROWTH", 1e18)
    monkeypatch.setattr(sketch, "LAZY_RECOUNT", recount)


@pytest.mark.parametrize("gname", ["flower", "gasket", "lattice"])
def test_sketch_lazy_radii_are_exact_memb(monkeypatch, gname):
    """Radii covered by lazy_memb give MEMB's partition (same centres, same order)."""
    pytest.importorskip("numba")
    from selfsim.covering import sketch
    from selfsim.covering.registry import _csr, radius_limit

    _force_lazy(monkeypatch, sketch)
    A = {
        "flower": uv_flower(2, 2, 5),
        "gasket": sierpinski_gasket(5),
        "lattice": lattice((30, 30)),
    }[gname]
    sizes = [2, 3, 5, 8, 9, 17, 33]
    ip, ix, w = _csr(A.tocsr())
    stats: dict = {}
    lims = [radius_limit(float(s)) for s in sizes]
    rank = np.random.default_rng(0).permutation(A.shape[0])
    sketch.sketch_labels(ip, ix, w, False, lims, rank, stats=stats)
    assert stats["work"][:, 5].tolist() == [1] * len(sizes)
    got = cover_labels(A, sizes, method="sketch", engine="numba")
    assert np.array_equal(got, cover_labels(A, sizes, method="memb", engine="numba"))
    assert np.array_equal(got, cover_labels(A, sizes, method="memb", engine="python"))


def test_sketch_lazy_gives_up_to_the_sketch_partition(monkeypatch):
    """Once lazy_memb's recounts pass their cap, the radius is sketched as without it."""
    pytest.importorskip("numba")
    from selfsim.covering import sketch
    from selfsim.covering.registry import _csr

    _force_lazy(monkeypatch, sketch, recount=0.0)
    ip, ix, w = _csr(uv_flower(2, 2, 5).tocsr())
    rank = np.random.default_rng(0).permutation(ip.size - 1)
    lims = [1.0, 2.0, 4.0, 8.0]
    stats: dict = {}
    got = sketch.sketch_labels(ip, ix, w, False, lims, rank, stats=stats)
    assert stats["work"][:, 5].sum() == 0 and stats["work"][:, 6].min() > 0  # tried, gave up
    assert np.array_equal(got, sketch.sketch_labels(ip, ix, w, False, lims, rank, lazy=False))


def test_sketch_lazy_rule_same_in_both_engines(monkeypatch):
    """The reference makes the kernel's choices (decline, give up, exact MEMB) per radius."""
    pytest.importorskip("numba")
    from selfsim.covering import sketch
    from selfsim.covering.registry import _csr, radius_limit

    monkeypatch.setattr(sketch, "LAZY_MIN_NODES", 0)
    monkeypatch.setattr(sketch, "SKETCH_K", 4)  # sketched passes differ from MEMB
    monkeypatch.setattr(sketch, "EXACT_PER_NODE", 4)
    monkeypatch.setattr(sketch, "COUNT_BUDGET", 0.05)
    sizes = [2, 3, 5, 9, 17, 33]
    modes = set()
    for A in [uv_flower(2, 2, 5), sierpinski_gasket(5), barabasi_albert(600, 3, seed=2)]:
        fast = cover_labels(A, sizes, method="sketch", seed=4, engine="numba")
        assert np.array_equal(
            fast, cover_labels(A, sizes, method="sketch", seed=4, engine="python")
        )
        ip, ix, w = _csr(A.tocsr())
        stats: dict = {}
        lims = [radius_limit(float(s)) for s in sizes]
        sketch.sketch_labels(ip, ix, w, False, lims, np.arange(A.shape[0]), stats=stats)
        modes |= {(int(a), int(b > 0)) for a, b in stats["work"][:, 5:7]}
    assert (1, 1) in modes and (0, 1) in modes and (0, 0) in modes  # exact, gave up, declined


def test_sketch_lazy_give_up_rule_matches_reference(monkeypatch):
    """Over a sweep of recount caps the kernel gives up exactly where the reference does."""
    pytest.importorskip("numba")
    from selfsim.covering import reference as ref
    from selfsim.covering import sketch
    from selfsim.covering.registry import _csr

    decided = set()
    for A in [uv_flower(2, 2, 5), barabasi_albert(600, 3, seed=2)]:
        ip, ix, w = _csr(A.tocsr())
        Dm = all_pairs(A.tocsr())
        for cap in [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2.0, 4.0]:
            _force_lazy(monkeypatch, sketch, recount=cap)
            lims = [1.0, 2.0, 4.0, 8.0]
            stats: dict = {}
            sketch.sketch_labels(ip, ix, w, False, lims, np.arange(A.shape[0]), stats=stats)
            caps = (sketch.LAZY_INIT, cap, sketch.LAZY_BALL, 0, sketch.LAZY_GROWTH)
            want = [ref.lazy_memb_reference(Dm, r, ip, ix, caps) is not None for r in lims]
            assert stats["work"][:, 5].astype(bool).tolist() == want
            decided |= set(want)
    assert decided == {True, False}


def test_sketch_lazy_chosen_on_fractals_not_on_hubs():
    """Default rule: exact MEMB on a (2,2)-flower's mid radii, sketches on a BA graph."""
    pytest.importorskip("numba")
    from selfsim.covering import sketch
    from selfsim.covering.registry import _csr

    for A, lims, want in [
        (uv_flower(2, 2, 7), [2.0, 4.0, 8.0, 16.0], [1, 1, 1, 1]),
        (barabasi_albert(6000, 3, seed=1), [1.0, 2.0, 3.0], [0, 0, 0]),
    ]:
        ip, ix, w = _csr(A.tocsr())
        stats: dict = {}
        rank = np.random.default_rng(0).permutation(A.shape[0])
        sketch.sketch_labels(ip, ix, w, False, lims, rank, stats=stats)
        assert stats["work"][:, 5].tolist() == want


def test_sketch_lazy_rule_sees_components_not_the_whole_graph():
    """Two copies of a BA graph are declined where one copy is, without counting every ball.

    Measured against n, a ball holds half the share in two copies, and the block in the middle
    of the node order is the second copy's hub, whose ball hardly grows from r to 2 r: the
    rule used to start exact MEMB there and give up after counting 1.7e7 nodes (one copy:
    declined at once). Now the ball test is per component and the growth test a median.
    """
    pytest.importorskip("numba")
    import scipy.sparse as sp

    from selfsim.covering import sketch
    from selfsim.covering.registry import _csr

    g = barabasi_albert(30_000, 3, seed=1)
    for copies in (1, 2):
        ip, ix, w = _csr(sp.block_diag([g] * copies, format="csr"))
        stats: dict = {}
        rank = np.random.default_rng(0).permutation(ip.size - 1)
        sketch.sketch_labels(ip, ix, w, False, [3.0], rank, stats=stats)
        assert stats["work"][:, 5:9].tolist() == [[0, 0, 0, 0]]  # declined before counting
    assert sketch.component_sizes(ip, ix).tolist() == [30_000] * 60_000


def test_sketch_bfs_builds_beyond_254_hops(monkeypatch):
    """Radii of 255 hops or more keep their distances as int16: same partition as merged."""
    pytest.importorskip("numba")
    from selfsim.covering import sketch
    from selfsim.covering.registry import _csr

    monkeypatch.setattr(sketch, "EXACT_PER_NODE", 1)  # sketch every pass
    ip, ix, w = _csr(lattice((1200,)).tocsr())
    rank = np.random.default_rng(0).permutation(1200)
    lims = [100.0, 260.0, 300.0]
    stats: dict = {}
    a = sketch.sketch_labels(ip, ix, w, False, lims, rank, bfs_from=0, stats=stats)
    b = sketch.sketch_labels(ip, ix, w, False, lims, rank, bfs_from=2**40)
    assert np.array_equal(a, b)
    assert stats["work"][:, 0].min() >= 1


@pytest.mark.parametrize("weighted", [False, True])
def test_sketch_relabelling_leaves_the_partition_unchanged(weighted):
    """Nodes renamed in breadth-first order (ranks and ties carried along): same labels."""
    pytest.importorskip("numba")
    import scipy.sparse as sp

    from selfsim.covering.registry import _csr
    from selfsim.covering.sketch import locality_order, sketch_labels

    for A in (barabasi_albert(3000, 2, seed=7), uv_flower(2, 2, 5)):
        if weighted:  # edge lengths 1-3
            T = sp.triu(A, 1).tocoo()
            T.data = np.random.default_rng(3).integers(1, 4, size=T.nnz).astype(np.float64)
            A = (T + T.T).tocsr()
        ip, ix, w = _csr(A.tocsr())
        n = A.shape[0]
        perm = locality_order(ip, ix)
        assert sorted(perm.tolist()) == list(range(n))
        assert perm.tolist() != list(range(n))  # the test would be vacuous otherwise
        rank = np.random.default_rng(1).permutation(n)
        lims = [1.0, 2.0, 3.0, 5.0]
        a = sketch_labels(ip, ix, w, weighted, lims, rank, relabel=False)
        b = sketch_labels(ip, ix, w, weighted, lims, rank, relabel=True)
        assert np.array_equal(a, b)
        assert (a.max(axis=1) + 1).tolist()[0] > 1


def test_sketch_progress_reports_per_group_of_radii(caplog):
    """With a progress counter the radii run in groups (a line after each): same labels."""
    pytest.importorskip("numba")
    import logging

    from selfsim._core.progress import Progress
    from selfsim.covering.registry import _csr
    from selfsim.covering.sketch import sketch_labels

    A = uv_flower(2, 2, 5)
    ip, ix, w = _csr(A.tocsr())
    rank = np.random.default_rng(2).permutation(A.shape[0])
    lims = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    want = sketch_labels(ip, ix, w, False, lims, rank)
    progress = Progress(logging.getLogger("selfsim.test"), "sketch", total=5, every=0.0)
    with caplog.at_level(logging.INFO, logger="selfsim.test"):
        got = sketch_labels(ip, ix, w, False, lims, rank, progress=progress)
    assert np.array_equal(got, want)
    assert progress.done == 5
    import numba

    lines = [r.getMessage() for r in caplog.records if "boxes l_B" in r.getMessage()]
    threads = numba.get_num_threads()
    assert len(lines) == -(-5 // threads)  # one per group of radii, as many as threads
    assert f"l_B 32: {int(want[-1].max()) + 1}" in " ".join(lines)


def test_sketch_count_budget_bounds_the_walks(monkeypatch):
    """Per centre (or pass that ends without one) the counts walk < COUNT_BUDGET n + n nodes.

    Plus, per pass, the counts of candidates whose sketches are spent (< SPENT_WALK n + n).
    """
    pytest.importorskip("numba")
    from selfsim.covering import sketch
    from selfsim.covering.registry import _csr

    A = barabasi_albert(3000, 3, seed=5)
    n = A.shape[0]
    ip, ix, w = _csr(A.tocsr())
    rank = np.random.default_rng(0).permutation(n)
    walked = {}
    for budget in (1e18, 2.0):
        monkeypatch.setattr(sketch, "COUNT_BUDGET", budget)
        stats: dict = {}
        labels = sketch.sketch_labels(ip, ix, w, False, [3.0, 4.0], rank, stats=stats)
        nb = np.array([np.unique(row).size for row in labels])
        walked[budget] = stats["work"][:, 2]
        if budget < n:
            spent = stats["passes"] * (sketch.SPENT_WALK * n + n)
            assert np.all(walked[budget] <= (nb + stats["passes"]) * (budget * n + n) + spent)
    assert walked[1e18].max() > 2 * 2.0 * n  # uncapped, the counts walk far more


@pytest.mark.parametrize(
    "gname, A, sizes",
    [
        ("ba", barabasi_albert(4000, 3, seed=2), [3, 5, 7]),
        ("flower", uv_flower(2, 2, 6), [3, 5, 9, 17, 33]),
        ("gasket", sierpinski_gasket(7), [3, 5, 9, 17, 33, 65]),
        ("shm", shm_model(2, 4), [3, 5, 9, 17, 33]),
    ],
)
def test_sketch_counts_close_to_memb(gname, A, sizes):
    """Sketch N_B within 10 % of exact MEMB's where MEMB has >= 40 boxes, within 4 boxes below."""
    memb = box_counts(A, sizes, method="memb")
    for seed in range(2):
        sk = box_counts(A, sizes, method="sketch", seed=seed)
        big = memb >= 40
        assert np.all(np.abs(sk[big] - memb[big]) <= 0.1 * memb[big]), (gname, seed, sk, memb)
        assert np.all(np.abs(sk[~big] - memb[~big]) <= 4), (gname, seed, sk, memb)


def test_small_inputs_run_on_one_thread_and_restore_the_count(monkeypatch):
    """threads_for: one numba thread below SERIAL_BELOW nodes, the caller's count after."""
    numba = pytest.importorskip("numba")
    from selfsim.covering import _jit

    before = numba.get_num_threads()
    with _jit.threads_for(_jit.SERIAL_BELOW - 1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with _jit.threads_for(_jit.SERIAL_BELOW):
        assert numba.get_num_threads() == before
    seen = []
    real = METHODS["memb"].fast

    def spy(*a):
        seen.append(numba.get_num_threads())
        return real(*a)

    monkeypatch.setitem(METHODS, "memb", dataclasses.replace(METHODS["memb"], fast=spy))
    box_counts(GRAPHS["flower22"], [1, 3], method="memb", engine="numba")
    assert seen == [1] and numba.get_num_threads() == before


def test_kernels_compile_without_a_writable_cache(monkeypatch):
    """No cache locator (read-only install, no writable home): compile without the cache."""
    numba = pytest.importorskip("numba")
    from selfsim.covering import _jit

    real = numba.njit
    calls = []

    def njit(*args, cache=False, **kw):
        calls.append(cache)
        if cache:
            raise RuntimeError("cannot cache function 'f': no locator available for file 'f.py'")
        return real(*args, **kw)

    monkeypatch.setattr(numba, "njit", njit)

    def twice(x):
        return 2 * x

    k = _jit._LazyKernel(twice, False, ())
    assert k(21) == 42 and calls == [True, False]


@pytest.mark.parametrize("gname", ["flower", "lattice", "ba"])
def test_nearest_centre_by_hops_equals_dijkstra_and_argmin(gname):
    """Breadth-first labels: nearest centre, ties to the centre of smallest rank."""
    pytest.importorskip("numba")
    from selfsim.covering.burning import _nearest_centre, nearest_centre_rows
    from selfsim.covering.registry import _csr

    A = {
        "flower": uv_flower(2, 2, 5),
        "lattice": lattice((20, 20)),
        "ba": barabasi_albert(500, 2, seed=3),
    }[gname]
    ip, ix, w = _csr(A.tocsr())
    D = all_pairs(A.tocsr())
    rng = np.random.default_rng(5)
    rows = [rng.choice(A.shape[0], m, replace=False) for m in (1, 7, 40)]
    cen = np.zeros((3, 40), dtype=np.int64)
    for s, c in enumerate(rows):
        cen[s, : c.size] = c
    got = nearest_centre_rows(ip, ix, cen, np.array([c.size for c in rows]))
    for s, c in enumerate(rows):
        want = np.argmin(D[c], axis=0)  # ties: the first centre
        assert np.array_equal(got[s], want)
        assert np.array_equal(got[s], _nearest_centre(ip, ix, np.ones_like(w), c.astype(np.int64)))
