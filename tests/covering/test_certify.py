"""Certified box counts: packing lower bound, iterated greedy, exact optimum.

Ground truth: hand-counted optima (paths, stars), brute force on tiny
graphs, and distances recomputed here with scipy for every box and packing.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from selfsim.covering import METHODS
from selfsim.covering.api import box_counts, cover_labels
from selfsim.covering.bounds import box_packing, packing_bound
from selfsim.covering.exact import exact_cover
from selfsim.covering.improve import improve_cover, improved_counts
from selfsim.generators import barabasi_albert, erdos_renyi, lattice, sierpinski_gasket, uv_flower

SIZES = [1, 2, 3, 4, 5, 7, 9, 13]


def _dist(A):
    return shortest_path(A, directed=False, unweighted=not np.any(A.data != 1))


def _weighted():
    A = uv_flower(2, 2, 3).tocoo()
    w = 1.0 + (np.arange(A.nnz) * 7 % 5) / 4.0
    W = sp.coo_matrix((w, (A.row, A.col)), shape=A.shape).tocsr()
    return (W + W.T).tocsr() / 2  # symmetric lengths in [1, 2]


GRAPHS = {
    "flower": uv_flower(2, 2, 4),
    "sierpinski": sierpinski_gasket(4),
    "ba": barabasi_albert(150, 2, seed=3),
    "er-disconnected": erdos_renyi(120, 1.5, seed=2),
    "weighted": _weighted(),
}


def _valid(A, labels, size, D=None):
    D = _dist(A) if D is None else D
    for b in np.unique(labels):
        nodes = np.flatnonzero(labels == b)
        if D[np.ix_(nodes, nodes)].max() >= size:
            return False
    return True


@pytest.mark.parametrize("name", list(GRAPHS))
def test_bound_never_exceeds_any_cover(name):
    A = GRAPHS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bound = packing_bound(A, SIZES)
        for method in METHODS:
            for seed in (None, 1):
                counts = box_counts(A, SIZES, method=method, seed=seed)
                assert np.all(bound <= counts), (method, seed, bound, counts)
    D = _dist(A)
    assert bound[0] == A.shape[0]
    ncomp = int(sp.csgraph.connected_components(A, directed=False)[0])
    big = float(D[np.isfinite(D)].max()) + 1
    assert packing_bound(A, [big])[0] == ncomp
    for s in (2, 4, 9):  # the packing really is pairwise >= l_B apart (scipy distances)
        P = box_packing(A, s)
        sub = D[np.ix_(P, P)]
        assert np.all(sub[~np.eye(P.size, dtype=bool)] >= s)


@pytest.mark.parametrize("name", list(GRAPHS))
def test_improvement_is_valid_and_never_worse(name):
    A = GRAPHS[name]
    D = _dist(A)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in (2, 3, 5, 9):
            for method in ("greedy", "memb", "random"):
                start = cover_labels(A, [s], method=method, seed=0)[0]
                better = improve_cover(A, s, start, iterations=30, seed=0)
                assert better.max() <= start.max() and _valid(A, better, s, D)
        imp = improved_counts(A, SIZES, iterations=30, seed=0)
        bound = packing_bound(A, SIZES)
        for method in ("greedy", "memb"):
            assert np.all(imp <= box_counts(A, SIZES, method=method))
        assert np.all(bound <= imp) and np.all(np.diff(imp) <= 0)


def test_improvement_gains_on_flower_and_gasket():
    """Measured gain (seed 0, 200 passes): strictly fewer boxes than both greedy and MEMB somewhere."""
    for A in (uv_flower(2, 2, 4), sierpinski_gasket(4)):
        best = np.minimum(box_counts(A, SIZES), box_counts(A, SIZES, method="memb"))
        imp = improved_counts(A, SIZES, seed=0)
        assert np.all(imp <= best) and np.any(imp < best)


@pytest.mark.parametrize("n,size", [(10, 3), (11, 3), (9, 2), (12, 5), (7, 8)])
def test_exact_on_paths_is_ceil_n_over_l(n, size):
    res = exact_cover(lattice((n,)), size)
    assert res.optimal and res.num_boxes == min(math.ceil(n / size), n)
    assert _valid(lattice((n,)), res.labels, size)


def test_exact_on_a_star():
    k = 9
    rows = np.zeros(k, dtype=int)
    cols = np.arange(1, k + 1)
    A = sp.coo_matrix(
        (np.ones(2 * k), (np.r_[rows, cols], np.r_[cols, rows])), shape=(k + 1, k + 1)
    )
    assert exact_cover(A.tocsr(), 2).num_boxes == k  # hub with one leaf, the other leaves alone
    assert exact_cover(A.tocsr(), 3).num_boxes == 1  # leaves are at distance 2


def _brute_force(D, size):
    """Smallest k such that the nodes split into k sets pairwise closer than l_B."""
    n = D.shape[0]
    for k in range(1, n + 1):
        for assign in itertools.product(range(k), repeat=n - 1):
            lab = np.array((0,) + assign)
            if np.unique(lab).size != k:
                continue
            if all(D[np.ix_(lab == b, lab == b)].max() < size for b in range(k)):
                return k
    return n


@pytest.mark.parametrize("seed", range(4))
def test_exact_matches_brute_force_on_tiny_graphs(seed):
    A = erdos_renyi(7, 2.5, seed=seed)
    D = _dist(A)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in (2, 3):
            res = exact_cover(A, s)
            assert res.optimal and res.num_boxes == _brute_force(D, s)


@pytest.mark.parametrize(
    "A",
    [uv_flower(2, 2, 3), sierpinski_gasket(3), barabasi_albert(40, 2, seed=1)],
    ids=["flower", "sierpinski", "ba"],
)
def test_exact_between_bound_and_heuristics(A):
    for s in (2, 3, 4, 6):
        res = exact_cover(A, s, time_limit=10)
        heur = min(int(box_counts(A, [s], method=m)[0]) for m in METHODS)
        assert packing_bound(A, [s])[0] <= res.lower_bound <= res.num_boxes <= heur
        assert _valid(A, res.labels, s)


def test_cbb_is_greedy_colouring_for_the_same_seed():
    """CBB takes candidates in rank order, which is greedy colouring in that order (see docs)."""
    A = sierpinski_gasket(4)
    for seed in (0, 5):
        assert np.array_equal(
            cover_labels(A, SIZES, method="cbb", seed=seed),
            cover_labels(A, SIZES, method="greedy", seed=seed),
        )


def test_inputs_are_checked():
    from selfsim import InvalidInputError

    with pytest.raises(InvalidInputError, match="number of nodes"):
        exact_cover(lattice((601,)), 2)
    with pytest.raises(InvalidInputError, match="one box label"):
        improve_cover(lattice((5,)), 2, [0, 0, 1])
    with pytest.raises(InvalidInputError, match="sizes"):
        packing_bound(lattice((5,)), [0.5])
