"""Paired comparison of two training arms run with the same seeds.

Each seed gives one difference d_i = treatment_i - baseline_i (same data
order, same initial weights, so the seed-to-seed noise cancels in part). The
summary is what a reader needs to judge an effect: the mean difference with
a two-sided 95 % t confidence interval, an exact sign test (which does not
assume normal differences), and the smallest true mean difference the design
would detect with 80 % power in a two-sided paired t-test at the 5 % level,
given the observed spread (the minimal detectable effect).

Examples
--------
>>> r = paired_difference([90.0, 91.0, 89.5, 90.5], [90.5, 91.2, 90.1, 90.6])
>>> r.n, round(r.mean, 3), r.wins, r.losses
(4, 0.35, 4, 0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["PairedResult", "paired_difference", "holm"]


@dataclass(frozen=True)
class PairedResult:
    """Paired differences treatment - baseline over ``n`` seeds.

    ``ci_low``/``ci_high``: 95 % t interval of the mean (NaN when n < 2);
    ``sign_p``: two-sided exact binomial test of wins against losses (ties
    dropped); ``mde``: minimal detectable effect at 80 % power (NaN when n < 2);
    ``t_p``: two-sided p of the paired t-test (NaN when n < 2; 1 when every
    difference is 0), the test the CI inverts: ``t_p < 0.05`` exactly when the
    CI excludes 0.
    """

    n: int
    mean: float
    sd: float
    ci_low: float
    ci_high: float
    wins: int
    losses: int
    sign_p: float
    mde: float
    t_p: float = math.nan

    def interval(self, digits: int = 2) -> str:
        """``"+0.06 [+0.003, +0.11]"``: the mean and its 95 % CI (the mean alone below n = 2).

        A bound that would print as zero without being zero gets one more digit, so
        that the printed interval shows on which side of 0 it ends.

        >>> paired_difference([0.0, 0.0, 0.0], [0.06, 0.07, 0.05]).interval()
        '+0.06 [+0.04, +0.08]'
        """

        def num(v: float) -> str:
            d = digits
            while d < digits + 3 and v != 0 and round(v, d) == 0:
                d += 1
            return f"{v:+.{d}f}"

        if self.n < 2 or not math.isfinite(self.ci_low):
            return num(self.mean)
        return f"{num(self.mean)} [{num(self.ci_low)}, {num(self.ci_high)}]"

    @property
    def verdict(self) -> str:
        """ "better", "worse" or "no resolvable difference" (the CI against 0)."""
        if not (self.n >= 2 and math.isfinite(self.ci_low)):
            return "not enough data"
        if self.ci_low > 0:
            return "better"
        if self.ci_high < 0:
            return "worse"
        return "no resolvable difference"


def _mde(sd: float, n: int, power: float = 0.8, level: float = 0.05) -> float:
    from scipy import optimize, stats

    if n < 2 or not sd > 0:
        return math.nan
    df, crit = n - 1, stats.t.ppf(1 - level / 2, n - 1)

    def gap(delta: float) -> float:
        nc = delta / (sd / math.sqrt(n))
        upper, lower = stats.nct.sf(crit, df, nc), stats.nct.cdf(-crit, df, nc)
        # far out, scipy's tails may underflow to NaN; the lower one is then 0, the upper 1
        return float(np.nan_to_num(upper, nan=1.0) + np.nan_to_num(lower, nan=0.0)) - power

    se = sd / math.sqrt(n)  # the answer lies near (crit + 0.84) se; bracket it generously
    return float(optimize.brentq(gap, 1e-9 * se, 2.0 * (crit + 5.0) * se))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of ``pvalues`` (family-wise error; NaN entries are skipped).

    Examples
    --------
    >>> [round(p, 3) for p in holm([0.01, 0.04, 0.03, float("nan")])]
    [0.03, 0.06, 0.06, nan]
    """
    idx = [i for i, p in enumerate(pvalues) if not math.isnan(p)]
    order = sorted(idx, key=lambda i: pvalues[i])
    out = [math.nan] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * pvalues[i]))
        out[i] = running
    return out


def paired_difference(baseline: Sequence[float], treatment: Sequence[float]) -> PairedResult:
    """Summary of ``treatment - baseline`` over paired seeds (same order in both)."""
    from scipy import stats

    b, t = np.asarray(baseline, dtype=float), np.asarray(treatment, dtype=float)
    if b.shape != t.shape or b.ndim != 1:
        raise ValueError(
            f"paired_difference needs two 1-D sequences of equal length; "
            f"got shapes {b.shape} and {t.shape}."
        )
    d = t - b
    n = int(d.size)
    mean = float(d.mean()) if n else math.nan
    sd = float(d.std(ddof=1)) if n > 1 else math.nan
    t_p = math.nan
    if n > 1:
        half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
        lo, hi = mean - half, mean + half
        t_p = float(2 * stats.t.sf(abs(mean) / (sd / math.sqrt(n)), n - 1)) if sd > 0 else 1.0
    else:
        lo = hi = math.nan
    wins, losses = int((d > 0).sum()), int((d < 0).sum())
    sign_p = float(stats.binomtest(wins, wins + losses, 0.5).pvalue) if wins + losses else 1.0
    return PairedResult(n, mean, sd, lo, hi, wins, losses, sign_p, _mde(sd, n), t_p)
