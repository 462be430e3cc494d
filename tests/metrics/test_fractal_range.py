"""fractal_dimension's automatic range on sizes below 1 (feature-network thresholds)."""

from __future__ import annotations

import numpy as np
import pytest

from selfsim import fractal_dimension


def test_auto_range_works_for_thresholds_below_one():
    theta = np.geomspace(0.01, 0.6, 25)
    counts = np.maximum(1.0, np.round(5000 * (theta / 0.01) ** -1.5))
    counts[:2] = 5000  # thresholds up to the smallest distance: every node its own box
    fit = fractal_dimension(theta, counts)
    assert fit.d_B == pytest.approx(1.5, abs=0.02)
    assert fit.fit_range[0] > theta[1]  # the all-singleton points are left out
    assert fit.is_fractal


def test_auto_range_drops_unit_size_on_graphs():
    sizes = np.array([1, 2, 3, 5, 8, 13, 21, 34])
    counts = np.array([10000, 2500, 1111, 400, 156, 59, 23, 9])
    fit = fractal_dimension(sizes, counts)
    assert fit.fit_range[0] == 3  # l_B = 1 and the smallest remaining size dropped
    assert fit.d_B == pytest.approx(2.0, abs=0.05)
