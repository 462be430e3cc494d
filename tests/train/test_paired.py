"""Paired-difference statistics against hand-computed values and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from selfsim.train.paired import paired_difference


def test_hand_computed_case():
    r = paired_difference([1.0, 2.0, 3.0], [2.0, 2.5, 4.5])  # d = 1, 0.5, 1.5
    assert r.n == 3 and r.mean == pytest.approx(1.0) and r.sd == pytest.approx(0.5)
    half = stats.t.ppf(0.975, 2) * 0.5 / math.sqrt(3)  # 1.2421
    assert (r.ci_low, r.ci_high) == pytest.approx((1.0 - half, 1.0 + half))
    assert (r.wins, r.losses) == (3, 0) and r.sign_p == pytest.approx(0.25)
    assert r.verdict == "no resolvable difference"  # the CI reaches below 0


def test_interval_covers_the_true_mean_about_95_percent():
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(2000):
        b = rng.normal(size=8)
        r = paired_difference(b, b + 0.3 + rng.normal(scale=0.5, size=8))
        hits += r.ci_low <= 0.3 <= r.ci_high
    assert 0.93 < hits / 2000 < 0.97


def test_mde_has_80_percent_power_by_simulation():
    rng = np.random.default_rng(1)
    n, sd = 8, 1.0
    d = np.linspace(-1, 1, n)
    r = paired_difference(np.zeros(n), d * sd / np.std(d, ddof=1))  # observed spread: sd
    assert r.sd == pytest.approx(sd)
    rejected = sum(
        stats.ttest_1samp(rng.normal(r.mde, sd, size=n), 0.0).pvalue < 0.05 for _ in range(4000)
    )
    assert 0.77 < rejected / 4000 < 0.83


def test_too_few_pairs_say_so():
    r = paired_difference([1.0], [2.0])
    assert math.isnan(r.ci_low) and math.isnan(r.mde) and r.verdict == "not enough data"
    with pytest.raises(ValueError, match="equal length"):
        paired_difference([1.0, 2.0], [1.0])


def test_t_test_p_matches_scipy_and_the_interval():
    """t_p is scipy's paired t-test; it falls below 0.05 exactly when the CI excludes 0."""
    rng = np.random.default_rng(2)
    for shift in (0.0, 0.2, 0.5, 1.0):
        b = rng.normal(size=6)
        t = b + shift + rng.normal(scale=0.4, size=6)
        r = paired_difference(b, t)
        assert r.t_p == pytest.approx(stats.ttest_rel(t, b).pvalue, rel=1e-9)
        assert (r.t_p < 0.05) == (r.ci_low > 0 or r.ci_high < 0)
    assert paired_difference([1.0, 2.0], [1.0, 2.0]).t_p == 1.0  # no difference at all


def test_holm_by_hand_and_its_family_wise_error():
    from selfsim.train.paired import holm

    # sorted 0.01, 0.03, 0.04 -> 3 x 0.01, max(0.03, 2 x 0.03), max(0.06, 1 x 0.04)
    assert holm([0.04, 0.01, 0.03]) == pytest.approx([0.06, 0.03, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    # under the null, some of 8 tests rejects at 5 % in about 1 - 0.95^8 = 34 % of families;
    # after Holm in at most 5 %
    rng = np.random.default_rng(3)
    raw = adj = 0
    for _ in range(1000):
        p = list(rng.uniform(size=8))
        raw += min(p) < 0.05
        adj += min(holm(p)) < 0.05
    assert 0.30 < raw / 1000 < 0.38 and adj / 1000 < 0.065


def test_interval_shows_the_side_of_zero_a_bound_ends_on():
    # differences of the fully connected MNIST grid's paper arm: CI 0.0034 .. 0.114
    d = [0.06, 0.01, 0.11, 0.04, 0.14, 0.14, -0.04, 0.01]
    r = paired_difference([0.0] * 8, d)
    assert r.ci_low == pytest.approx(0.0034, abs=1e-4)
    assert r.interval(2) == "+0.06 [+0.003, +0.11]"
    assert paired_difference([0.0], [0.25]).interval(2) == "+0.25"
