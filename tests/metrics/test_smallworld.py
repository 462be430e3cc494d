"""Small-world measures on graphs with known clustering and path length (Watts-Strogatz)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from selfsim.metrics.smallworld import clustering_and_path_length, small_world


def _ring_lattice(n: int, k: int) -> np.ndarray:
    """Each node joined to its k nearest neighbours on a ring (k even)."""
    A = np.zeros((n, n))
    for i in range(n):
        for j in range(1, k // 2 + 1):
            A[i, (i + j) % n] = A[(i + j) % n, i] = 1.0
    return A


def _ring_path_length(n: int, k: int) -> float:
    """Mean hop distance on the ring lattice: ring distance d takes ceil(d / (k/2)) hops."""
    hops = [math.ceil(min(d, n - d) / (k // 2)) for d in range(1, n)]
    return sum(hops) / (n - 1)


@pytest.mark.parametrize("n, k", [(20, 4), (60, 4), (30, 6)])
def test_ring_lattice_clustering_and_path_length(n, k):
    """C = 3 (k - 2) / (4 (k - 1)) exactly (Watts & Strogatz 1998); L by counting hops."""
    C, L, frac = clustering_and_path_length(_ring_lattice(n, k))
    assert C == pytest.approx(3 * (k - 2) / (4 * (k - 1)), abs=1e-12)
    assert L == pytest.approx(_ring_path_length(n, k), abs=1e-12)
    assert frac == 1.0
    assert _ring_path_length(60, 4) == pytest.approx(465 / 59)  # the helper, by hand


def test_complete_star_and_split_graphs():
    n = 9
    C, L, _ = clustering_and_path_length(np.ones((n, n)) - np.eye(n))
    assert (C, L) == (pytest.approx(1.0), pytest.approx(1.0))
    star = np.zeros((n, n))
    star[0, 1:] = star[1:, 0] = 1.0
    C, L, _ = clustering_and_path_length(star)
    pairs = n * (n - 1) / 2  # n - 1 pairs at distance 1, the rest at distance 2
    assert C == 0.0 and L == pytest.approx(((n - 1) + 2 * (pairs - (n - 1))) / pairs)
    # a triangle beside a path of 5: the path is the giant component (5 of 8 nodes)
    A = np.zeros((8, 8))
    for i, j in [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (5, 6), (6, 7)]:
        A[i, j] = A[j, i] = 1.0
    C, L, frac = clustering_and_path_length(A)
    assert C == pytest.approx(3 / 8) and L == pytest.approx(2.0) and frac == pytest.approx(5 / 8)


@pytest.mark.parametrize("p", [0.0, 0.1, 1.0])
def test_matches_networkx_on_watts_strogatz_graphs(p):
    """An independent implementation: networkx on rewired ring lattices."""
    nx = pytest.importorskip("networkx")
    G = nx.connected_watts_strogatz_graph(80, 6, p, seed=4)
    C, L, frac = clustering_and_path_length(nx.to_numpy_array(G))
    assert C == pytest.approx(nx.average_clustering(G), abs=1e-12)
    assert L == pytest.approx(nx.average_shortest_path_length(G), abs=1e-12)
    assert frac == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_features_on_a_circle_give_a_ring_lattice(seed):
    """60 evenly spaced points on a circle: the 120 closest pairs are the ring lattice k = 4, so
    C = 1/2 and L = 465/59 exactly. The Erdos-Renyi graph with as many edges has C_rand near
    the edge density p = 120/1770 = 0.068 (within 0.03) and L_rand near ln n / ln <k> = 2.95
    (within 0.35), so the lattice has sigma > 1.5 (seen 2.2 to 2.7)."""
    D = 60
    t = 2 * np.pi * np.arange(D) / D
    F = np.c_[np.cos(t), np.sin(t)]  # (D, B = 2)
    p = 120 / (D * (D - 1) / 2)
    sw = small_world(F, density=p, seed=seed)
    assert sw.clustering == pytest.approx(0.5, abs=1e-12)
    assert sw.path_length == pytest.approx(465 / 59, abs=1e-12)
    assert sw.giant_fraction == 1.0
    # the largest kept distance: the chord of two steps, over sqrt(B) (METHOD section 1)
    assert sw.threshold == pytest.approx(2 * math.sin(2 * math.pi / D) / math.sqrt(2))
    assert sw.clustering_random == pytest.approx(p, abs=0.03)
    assert sw.path_length_random == pytest.approx(math.log(D) / math.log(4), abs=0.35)
    assert sw.sigma == pytest.approx(
        (0.5 / sw.clustering_random) / ((465 / 59) / sw.path_length_random)
    )
    assert sw.sigma > 1.5
