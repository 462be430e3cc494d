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
