"""What the radius methods guarantee at large sizes (the table in docs/covering.md).

memb reaches one box at l_B = 2 radius + 1 (its first centre has the largest
ball, which is the whole graph once r_B >= radius); random and sketch only at
l_B = 2 diameter + 1 (then any centre's ball holds the whole graph): at
2 radius + 1 the centre drawn first may be off-centre.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import shortest_path

from selfsim.covering.api import box_counts
from selfsim.generators import lattice, sierpinski_gasket, uv_flower

GRAPHS = {
    "path41": lattice((41,)),
    "grid9": lattice((9, 9)),
    "gasket4": sierpinski_gasket(4),
    "flower4": uv_flower(2, 2, 4),
}


def _radius_diameter(A):
    ecc = shortest_path(A, unweighted=True).max(axis=1)
    return int(ecc.min()), int(ecc.max())


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_one_box_sizes(name):
    A = GRAPHS[name]
    rad, diam = _radius_diameter(A)
    for seed in range(6):
        assert box_counts(A, [2 * rad + 1], method="memb", seed=seed)[0] == 1
        for method in ("random", "sketch"):
            assert box_counts(A, [2 * diam + 1], method=method, seed=seed)[0] == 1


def test_random_need_not_reach_one_box_at_twice_the_radius():
    A = GRAPHS["path41"]
    rad, _ = _radius_diameter(A)
    counts = [int(box_counts(A, [2 * rad + 1], method="random", seed=s)[0]) for s in range(10)]
    assert max(counts) == 2 and min(counts) == 1, counts
    assert np.all(box_counts(A, [2 * rad + 1], method="memb") == 1)


def test_sketch_takes_memb_centre_where_its_passes_are_exact():
    # a small graph fits the exact passes: the first centre has the largest exact mass, as
    # in MEMB (on large graphs only 2 diameter + 1 is guaranteed, tested above)
    A = GRAPHS["path41"]
    rad, _ = _radius_diameter(A)
    counts = [int(box_counts(A, [2 * rad + 1], method="sketch", seed=s)[0]) for s in range(10)]
    assert counts == [1] * 10
