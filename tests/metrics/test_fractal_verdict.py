"""The verdict of fractal_dimension is a test with stated rules, and d_B has an interval.

Ground truth: exact power laws and exponentials, flat counts, the MEMB
plateau of the (3,3)-flower, a disconnected graph, and calibration on
synthetic counts with known d_B and noise.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from selfsim import InvalidInputError, ScalingRangeWarning
from selfsim.covering.api import box_counts
from selfsim.generators import uv_flower
from selfsim.metrics.fractal import fractal_dimension
from selfsim.network.graph import components


def _quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fractal_dimension(*args, **kwargs)


def test_exact_power_law_is_fractal_with_a_tight_interval():
    lb = np.array([2, 4, 8, 16, 32, 64, 128])
    fit = fractal_dimension(lb, 2.0**20 / lb**2)
    assert fit.verdict == "fractal" and fit.is_fractal
    assert fit.d_B == pytest.approx(2.0, abs=1e-9)
    assert fit.d_B_ci[0] <= 2.0 <= fit.d_B_ci[1] and fit.d_B_ci[1] - fit.d_B_ci[0] < 1e-6
    assert fit.p_value < 0.05 and fit.loglik_ratio > 0 and fit.p_plateau < 1e-6


def test_exponential_decay_over_a_decade_is_not_fractal():
    lb = np.arange(2, 31, 2)
    fit = fractal_dimension(lb, np.round(1e6 * np.exp(-lb / 4.0)), fit_range=(2, 30))
    assert fit.verdict == "not fractal" and not fit.is_fractal
    assert fit.loglik_ratio < 0 and fit.p_value < 0.05
    assert fit.decay_length == pytest.approx(4.0, rel=0.02)


@pytest.mark.parametrize("counts", [[50] * 7, [174] * 7])
def test_flat_counts_are_undetermined_never_d0_fractal(counts):
    sizes = [3, 5, 8, 13, 21, 34, 55]
    fit = _quiet(sizes, counts, fit_range=(3, 55))
    assert fit.verdict == "undetermined" and "flat" in fit.reason and not fit.is_fractal


def test_noisy_constant_counts_fail_the_plateau_test():
    sizes = np.geomspace(2, 200, 9)
    counts = [100, 98, 101, 99, 100, 97, 102, 99, 98]  # no trend over two decades
    fit = _quiet(sizes, counts, fit_range=(2, 200))
    assert fit.p_plateau > 0.05 and fit.verdict == "undetermined" and "plateau" in fit.reason


def test_memb_plateau_of_the_33_flower_is_not_a_fractal_fit():
    """The issue's case: MEMB gives N_B = 30 at every l_B from 9 to 17 on the (3,3)-flower g=4."""
    sizes = np.arange(3, 18)
    counts = box_counts(uv_flower(3, 3, 4), sizes, method="memb")
    assert np.all(counts[sizes >= 9] == counts[-1])  # the plateau is really there
    fit = _quiet(sizes, counts)
    assert fit.verdict == "undetermined" and not fit.is_fractal
    assert fit.fit_range[1] <= 9  # the plateau beyond its first point is outside the range
    assert not (fit.d_B == 0 and fit.is_fractal)


def test_short_range_and_few_sizes_are_undetermined():
    lb = np.array([2, 3, 4, 5, 6, 7, 8])
    fit = fractal_dimension(lb, np.round(1e5 * lb**-2.0), fit_range=(2, 8))
    assert fit.d_B == pytest.approx(2.0, abs=0.01)  # the slope is still reported
    assert fit.verdict == "undetermined" and "decades" in fit.reason
    with pytest.warns(ScalingRangeWarning):
        fit = fractal_dimension([2, 20, 200], [10000, 100, 1], fit_range=(2, 200))
    assert fit.verdict == "undetermined" and "too few" in fit.reason


def test_fewer_than_two_sizes_gives_nan_and_undetermined():
    with pytest.warns(ScalingRangeWarning):
        fit = fractal_dimension([1, 2, 3], [100, 3, 1])
    assert math.isnan(fit.d_B) and fit.verdict == "undetermined" and fit.num_points == 1


def test_disconnected_graph_is_undetermined():
    A = uv_flower(2, 2, 6)
    two = sp.block_diag([A, A]).tocsr()
    k, _ = components(two)
    sizes = np.unique(np.round(np.geomspace(1, 65, 16))).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        counts = box_counts(two, sizes)
    assert k == 2
    fit = _quiet(sizes, counts, num_components=k)
    assert fit.verdict == "undetermined" and "disconnected" in fit.reason
    # the same counts without saying so would be judged: the flag is what decides
    assert _quiet(sizes, counts).verdict == "fractal"


def test_interval_is_reproducible_and_resamples_seeds():
    A = uv_flower(2, 2, 6)
    sizes = np.unique(np.round(np.geomspace(1, 65, 16))).astype(int)
    counts = np.stack([box_counts(A, sizes, seed=s) for s in range(4)])
    a = fractal_dimension(sizes, counts, seed=1)
    b = fractal_dimension(sizes, counts, seed=1)
    assert a.d_B_ci == b.d_B_ci and "4 covering seeds" in a.ci_method
    one = fractal_dimension(sizes, counts[0], seed=1)
    assert "seeds" not in one.ci_method
    # the fit of several seeds is the fit of the mean log N_B
    mean = fractal_dimension(sizes, np.exp(np.log(counts).mean(axis=0)), seed=1)
    assert a.d_B == pytest.approx(mean.d_B, rel=1e-12)


def test_interval_coverage_on_noisy_power_laws():
    """95 % intervals contain the true d_B in most replicates (percentile bootstrap on 12 points)."""
    rng = np.random.default_rng(0)
    lb = np.geomspace(2, 300, 12)
    hits = 0
    reps = 60
    for r in range(reps):
        N = np.exp(np.log(1e6) - 1.7 * np.log(lb) + rng.normal(0, 0.15, lb.size))
        fit = fractal_dimension(lb, N, fit_range=(2, 300), num_bootstrap=500, seed=r)
        hits += fit.d_B_ci[0] <= 1.7 <= fit.d_B_ci[1]
    assert hits / reps >= 0.8


def test_verdict_error_rates_on_noisy_synthetic_counts():
    """Noisy exponentials are not called fractal, noisy power laws are not called 'not fractal'."""
    rng = np.random.default_rng(1)
    lb = np.geomspace(2, 40, 12)
    wrong_exp = wrong_pow = 0
    for _ in range(40):
        e = rng.normal(0, 0.1, lb.size)
        wrong_exp += _quiet(
            lb, np.exp(12 - lb / 5 + e), fit_range=(2, 40), num_bootstrap=200
        ).is_fractal
        wrong_pow += (
            _quiet(
                lb, np.exp(12 - 2 * np.log(lb) + e), fit_range=(2, 40), num_bootstrap=200
            ).verdict
            == "not fractal"
        )
    assert wrong_exp <= 4 and wrong_pow <= 4


def test_parameters_are_validated():
    with pytest.raises(InvalidInputError, match="'alpha' parameter"):
        fractal_dimension([2, 4, 8], [9, 3, 1], alpha=1.5)
    with pytest.raises(InvalidInputError, match="'num_components' parameter"):
        fractal_dimension([2, 4, 8], [9, 3, 1], num_components=0)
    with pytest.raises(InvalidInputError, match="same non-zero length"):
        fractal_dimension([2, 4, 8], np.ones((2, 4)))
