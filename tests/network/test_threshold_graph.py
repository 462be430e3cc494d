"""G_M as a graph: threshold_graph / pair_graph against hand cases and a slow loop,
and the small-world measures on a ring lattice with known clustering and path length."""

from __future__ import annotations

import math

import numpy as np
import pytest

from selfsim import InvalidInputError
from selfsim.metrics.smallworld import small_world
from selfsim.network.distances import pair_distances, pair_graph, threshold_graph


def _slow_graph(F, theta):
    D, B = F.shape
    A = np.zeros((D, D))
    for i in range(D):
        for j in range(D):
            if i != j and math.sqrt(sum((F[i] - F[j]) ** 2)) / math.sqrt(B) < theta:
                A[i, j] = 1.0
    return A


def test_threshold_is_strict_on_a_hand_case():
    F = np.array([[0.0], [1.0], [3.0], [3.0]])  # B = 1: C_ij = |x_i - x_j|
    C = pair_distances(F)
    # pairs (0,1)=1 (0,2)=3 (0,3)=3 (1,2)=2 (1,3)=2 (2,3)=0
    assert threshold_graph(C, 0.0).sum() == 0
    assert threshold_graph(C, 1.0).astype(int).tolist() == [
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 1],
        [0, 0, 1, 0],
    ]
    assert threshold_graph(C, 2.5).astype(int).tolist() == [
        [0, 1, 0, 0],
        [1, 0, 1, 1],
        [0, 1, 0, 1],
        [0, 1, 1, 0],
    ]
    assert threshold_graph(C, 3.5).sum() == 12  # complete graph, no self-loops


@pytest.mark.parametrize("theta", [0.3, 0.8, 1.2, 2.0])
def test_threshold_graph_matches_a_slow_loop(theta):
    F = np.random.default_rng(4).normal(size=(25, 6))
    A = threshold_graph(pair_distances(F), theta)
    assert np.array_equal(A, _slow_graph(F, theta))


def test_density_keeps_the_closest_pairs_ties_in_pair_order():
    C = np.array([1.0, 3.0, 3.0, 2.0, 2.0, 0.0])  # the hand case above
    A = threshold_graph(C, density=3 / 6)  # (2,3) at 0, (0,1) at 1, then (1,2) before (1,3)
    assert A.astype(int).tolist() == [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]]
    A = threshold_graph(C, density=0.5 / 6)  # rounds to 0: at least one edge is kept
    assert A.sum() == 2 and A[2, 3] == 1


def test_pair_graph_and_input_errors():
    A = pair_graph(np.array([0, 5]), 4)  # pairs (0,1) and (2,3)
    assert A.astype(int).tolist() == [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]
    with pytest.raises(InvalidInputError, match="exactly one"):
        threshold_graph(np.ones(3))
    with pytest.raises(InvalidInputError, match="D \\(D - 1\\) / 2"):
        threshold_graph(np.ones(4), 1.0)
    with pytest.raises(InvalidInputError, match="density"):
        threshold_graph(np.ones(3), density=1.5)


def test_small_world_of_a_ring_lattice():
    # D points on a circle: the 2 D closest pairs are the ring lattice with k = 2 neighbours
    # per side, whose clustering is 3 (k - 1) / (2 (2 k - 1)) = 1/2 and whose distance between
    # nodes s steps apart is ceil(s / 2).
    D = 30
    ang = 2 * np.pi * np.arange(D) / D
    F = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    P = D * (D - 1) // 2
    sw = small_world(F, density=2 * D / P, seed=0)
    sep = [min(j - i, D - (j - i)) for i in range(D) for j in range(i + 1, D)]
    assert sw.clustering == pytest.approx(0.5, abs=1e-12)
    assert sw.path_length == pytest.approx(np.mean([math.ceil(s / 2) for s in sep]), abs=1e-12)
    assert sw.giant_fraction == 1.0
    chord2 = 2 * math.sin(2 * math.pi / D)  # the largest kept distance: 2 steps apart
    assert sw.threshold == pytest.approx(chord2 / math.sqrt(2), rel=1e-12)
