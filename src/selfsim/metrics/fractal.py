"""Fractal (box) dimension from box counts, with a confidence interval and a tested verdict.

A fractal network has ``N_B(l_B) ~ l_B**(-d_B)``: log N_B is linear in
log l_B. A small world (Barabasi-Albert, Erdos-Renyi) has
``N_B ~ exp(-l_B / l_0)``: log N_B is linear in l_B itself
(Song, Havlin, Makse 2005). :func:`fractal_dimension` fits both lines on the
same points of a stated fit range and decides between them with a
likelihood-ratio test, not by comparing two R^2 (Clauset, Shalizi, Newman
2009 explain why a good R^2 is no evidence for a power law). The verdict is
``"fractal"``, ``"not fractal"`` or ``"undetermined"``; the last is the honest
answer when the data cannot decide (too few sizes, less than a decade of
l_B, flat counts, a disconnected graph, or a test that favours neither model).

d_B comes with a bootstrap confidence interval over the points of the fit
range (and over covering seeds when several covers are given).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from .._core.errors import FitQualityWarning, InvalidInputError, ScalingRangeWarning
from .._core.seeding import SeedLike, as_generator
from .._core.validation import check_float, check_int

__all__ = ["FractalFit", "fractal_dimension", "auto_fit_range", "FIT_RANGE_RULE"]

MIN_POINTS = 4  # fewer points in the fit range -> "undetermined" and ScalingRangeWarning
MIN_R2 = 0.9  # neither model above this -> FitQualityWarning
VERDICTS = ("fractal", "not fractal", "undetermined")

FIT_RANGE_RULE = (
    "sizes sorted; dropped: sizes where N_B is at its maximum (every node its own box), the "
    "saturated tail N_B <= 2, a trailing run of equal counts (kept: its first point), then the "
    "smallest remaining size (lattice-scale effects)"
)


@dataclass(frozen=True)
class FractalFit:
    """Result of :func:`fractal_dimension`.

    Attributes
    ----------
    d_B : float
        Box dimension: minus the least-squares slope of log N_B on log l_B
        over the fit range (NaN when fewer than 2 sizes remain).
    intercept : float
        Intercept of that line (natural logs).
    r2 : float
        Coefficient of determination of the power-law line (descriptive only).
    fit_range : tuple of float
        Smallest and largest l_B used.
    num_points : int
        Number of sizes in the fit.
    r2_exponential : float
        R^2 of the exponential alternative (log N_B linear in l_B).
    decay_length : float
        l_0 of the exponential fit ``N_B ~ exp(-l_B / l_0)`` (inf if flat).
    is_fractal : bool
        ``verdict == "fractal"``.
    d_B_ci : tuple of float
        Bootstrap confidence interval of d_B at level ``ci_level``.
    ci_level : float
    ci_method : str
        How the interval was computed.
    verdict : {"fractal", "not fractal", "undetermined"}
    reason : str
        Why that verdict (the criterion that decided it).
    loglik_ratio : float
        Vuong's normalised log-likelihood ratio z of power law against
        exponential (> 0 favours the power law).
    p_value : float
        Two-sided p of that ratio; small p means the sign of z is significant.
    p_plateau : float
        p of the F-test of the power-law slope against flat counts.
    range_rule : str
        How the fit range was chosen.
    """

    d_B: float
    intercept: float
    r2: float
    fit_range: tuple[float, float]
    num_points: int
    r2_exponential: float
    decay_length: float
    is_fractal: bool
    d_B_ci: tuple[float, float] = (math.nan, math.nan)
    ci_level: float = 0.95
    ci_method: str = ""
    verdict: str = "undetermined"
    reason: str = ""
    loglik_ratio: float = math.nan
    p_value: float = math.nan
    p_plateau: float = math.nan
    range_rule: str = ""

    def summary(self) -> str:
        """One line for people: d_B, its interval, the range and the verdict with its reason."""
        lo, hi = self.fit_range
        return (
            f"d_B = {self.d_B:.3f} [{self.d_B_ci[0]:.3f}, {self.d_B_ci[1]:.3f}] "
            f"({self.ci_level:.0%} CI) over l_B in [{lo:g}, {hi:g}] ({self.num_points} sizes); "
            f"verdict: {self.verdict} ({self.reason})"
        )


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Least-squares slope, intercept and R^2 of y on x."""
    slope, intercept = np.polyfit(x, y, 1)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    ss_res = float(np.sum((y - (slope * x + intercept)) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res == 0 else 0.0)
    return float(slope), float(intercept), r2


def auto_fit_range(sizes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Mask of the points used by the automatic fit range (sizes sorted ascending).

    Rule (:data:`FIT_RANGE_RULE`): drop the sizes where N_B is at its
    maximum (l_B = 1 on a graph, thresholds up to the smallest distance on a
    feature network: every node its own box), the saturated tail N_B <= 2
    (one or two boxes span the network: the finite-size cut-off), a trailing
    run of equal counts except its first point (the cover has stopped
    changing: a plateau is no evidence of any slope), and then the smallest
    remaining size (lattice-scale effects) when more than 2 points remain.
    """
    counts = np.asarray(counts)
    mask = (counts < counts.max()) & (counts > 2)
    idx = np.flatnonzero(mask)
    while idx.size > 1 and counts[idx[-1]] == counts[idx[-2]]:
        mask[idx[-1]] = False
        idx = idx[:-1]
    if idx.size > 2:
        mask[idx[0]] = False
    return mask


def _loglik_terms(resid: np.ndarray, var: float) -> np.ndarray:
    """Pointwise Gaussian log-likelihoods of residuals with variance ``var``."""
    return -0.5 * np.log(2 * np.pi * var) - resid**2 / (2 * var)


def _vuong(r_pow: np.ndarray, r_exp: np.ndarray, floor: float) -> tuple[float, float]:
    """Vuong's z (power law over exponential) and its two-sided p (equal parameter counts)."""
    k = r_pow.size
    v1 = max(float(np.mean(r_pow**2)), floor)
    v2 = max(float(np.mean(r_exp**2)), floor)
    lr = _loglik_terms(r_pow, v1) - _loglik_terms(r_exp, v2)
    total = float(lr.sum())
    sd = float(lr.std())
    if sd == 0.0:
        return (0.0, 1.0) if total == 0.0 else (math.copysign(math.inf, total), 0.0)
    z = total / (sd * math.sqrt(k))
    return z, float(math.erfc(abs(z) / math.sqrt(2)))


def _bootstrap_slopes(
    x: np.ndarray, Y: np.ndarray, num: int, rng: np.random.Generator
) -> np.ndarray:
    """Slopes of least-squares lines on resampled points.

    ``Y`` has shape (R, k): one row per covering. A draw takes k points with
    replacement and, for each, the count of a random covering. Draws with a
    single distinct size (no slope) are left out.
    """
    R, k = Y.shape
    idx = rng.integers(0, k, size=(num, k))
    rows = rng.integers(0, R, size=(num, k))
    xs, ys = x[idx], Y[rows, idx]
    xc = xs - xs.mean(axis=1, keepdims=True)
    sxx = np.sum(xc * xc, axis=1)
    ok = sxx > 0
    return np.sum(xc * ys, axis=1)[ok] / sxx[ok]


def _check_inputs(sizes: Any, counts: Any) -> tuple[np.ndarray, np.ndarray]:
    lb = np.asarray(sizes, dtype=np.float64).ravel()
    N = np.asarray(counts, dtype=np.float64)
    N = N[None, :] if N.ndim == 1 else N
    if N.ndim != 2 or N.shape[1] != lb.size or lb.size == 0 or N.shape[0] == 0:
        raise InvalidInputError(
            f"fractal_dimension needs sizes and counts of the same non-zero length (counts may be "
            f"(seeds, sizes)); got {lb.size} sizes and counts of shape {np.shape(counts)}."
        )
    if not (
        np.all(np.isfinite(lb)) and np.all(lb > 0) and np.all(np.isfinite(N)) and np.all(N >= 1)
    ):
        raise InvalidInputError(
            "fractal_dimension needs finite sizes l_B > 0 and counts N_B >= 1; check the inputs "
            "(a count of 0 means the covering failed)."
        )
    order = np.argsort(lb, kind="stable")
    return lb[order], N[:, order]


def _verdict(
    k: int,
    x: np.ndarray,
    Nmean: np.ndarray,
    slope: float,
    r_pow: np.ndarray,
    r_exp: np.ndarray,
    num_components: int,
    min_decades: float,
    alpha: float,
) -> tuple[str, str, float, float, float]:
    """(verdict, reason, z, p, p_plateau) by the rules in order (see fractal_dimension Notes)."""
    # integer counts: log N_B is not known better than its rounding error
    floor = float(np.mean(1.0 / (12.0 * Nmean**2)))
    z, p = _vuong(r_pow, r_exp, floor)
    rss1 = max(float(np.sum(r_pow**2)), k * floor)
    rss0 = float(np.sum((np.log(Nmean) - np.log(Nmean).mean()) ** 2))
    if k > 2:
        F = max(rss0 - rss1, 0.0) / (rss1 / (k - 2))
        p_flat = float(stats.f.sf(F, 1, k - 2))
    else:
        p_flat = math.nan
    decades = math.log10(x.max() / x.min())
    if num_components > 1:
        return (
            "undetermined",
            f"disconnected graph ({num_components} components): N_B cannot fall "
            "below the number of components; fit the largest component",
            z,
            p,
            p_flat,
        )
    if k < MIN_POINTS:
        return (
            "undetermined",
            f"too few sizes in the fit range ({k} < {MIN_POINTS})",
            z,
            p,
            p_flat,
        )
    if np.ptp(Nmean) == 0:
        return "undetermined", "flat counts: N_B does not change over the fit range", z, p, p_flat
    if decades < min_decades:
        return (
            "undetermined",
            f"the fit range spans {decades:.2f} decades of l_B "
            f"(< {min_decades:g}); too short to tell a power law from an exponential",
            z,
            p,
            p_flat,
        )
    if not p_flat < alpha or slope >= 0:
        return (
            "undetermined",
            f"counts do not fall significantly (plateau test p = {p_flat:.3g} >= {alpha:g})",
            z,
            p,
            p_flat,
        )
    count_decades = math.log10(Nmean.max() / Nmean.min())
    if count_decades < min_decades:
        return (
            "undetermined",
            f"N_B spans {count_decades:.2f} decades over the fit range "
            f"(< {min_decades:g}); a power law needs a decade on both axes",
            z,
            p,
            p_flat,
        )
    if p < alpha:
        if z > 0:
            return (
                "fractal",
                f"power law favoured over exponential (z = {z:.2f}, p = {p:.3g})",
                z,
                p,
                p_flat,
            )
        return (
            "not fractal",
            f"exponential favoured over power law (z = {z:.2f}, p = {p:.3g})",
            z,
            p,
            p_flat,
        )
    return (
        "undetermined",
        f"neither power law nor exponential favoured (z = {z:.2f}, p = {p:.3g} >= {alpha:g})",
        z,
        p,
        p_flat,
    )


def fractal_dimension(
    sizes: npt.ArrayLike,
    counts: npt.ArrayLike,
    *,
    fit_range: tuple[float, float] | None = None,
    num_components: int = 1,
    min_decades: float = 1.0,
    alpha: float = 0.05,
    ci_level: float = 0.95,
    num_bootstrap: int = 2000,
    seed: SeedLike = 0,
) -> FractalFit:
    """Fit ``N_B ~ l_B**(-d_B)`` with a confidence interval and test it against exponential decay.

    Parameters
    ----------
    sizes : array of shape (K,)
        Box sizes l_B (> 0), any order.
    counts : array of shape (K,) or (R, K)
        Box counts N_B (>= 1), e.g. from :func:`selfsim.box_counts`; R rows
        are covers of the same graph with R seeds (the fit uses the mean of
        log N_B, the interval resamples the seeds too).
    fit_range : (float, float), optional
        Inclusive range of l_B to fit. Default: :func:`auto_fit_range`.
    num_components : int
        Connected components of the covered graph; more than one gives
        ``"undetermined"``.
    min_decades : float
        Shortest fit range, in decades of l_B and of N_B, on which a verdict
        is given.
    alpha : float
        Significance level of the plateau test and of the power law /
        exponential test.
    ci_level : float
        Level of the confidence interval of d_B.
    num_bootstrap : int
        Bootstrap draws for the interval.
    seed : None, int or numpy.random.Generator
        Seed of the bootstrap (fixed by default so the same counts give the
        same interval).

    Returns
    -------
    FractalFit

    Warns
    -----
    ScalingRangeWarning
        Fewer than 4 sizes in the fit range.
    FitQualityWarning
        Neither the power law nor the exponential reaches R^2 = 0.9.

    Notes
    -----
    Power law: ``log N_B = -d_B log l_B + a``; exponential:
    ``log N_B = -l_B / l_0 + b``; both least-squares lines for the same
    y = log N_B. The verdict applies these rules in order:

    1. more than one component, fewer than 4 sizes, equal counts over the
       range, or a range shorter than ``min_decades`` decades of l_B:
       ``"undetermined"``;
    2. plateau test: the F-test of the power-law slope against a constant
       log N_B (flat counts) must reject at ``alpha``, and N_B must span
       ``min_decades`` decades, else ``"undetermined"``;
    3. Vuong's test of the two non-nested models (Gaussian residuals in
       log N_B, pointwise log-likelihood ratios, as Clauset, Shalizi and Newman
       2009 compare distributions): ``p < alpha`` gives ``"fractal"`` (z > 0)
       or ``"not fractal"`` (z < 0), otherwise ``"undetermined"``.

    Residual variances are floored at the rounding error of integer counts,
    ``mean(1 / (12 N_B^2))``, so exact power laws give finite statistics.
    The tests treat the sizes as independent; log-periodic oscillations make
    residuals correlated, so p is approximate (conservative rules 1-2 guard
    the common failures).

    The interval is a percentile bootstrap: draws of the fit-range points
    with replacement (and of the covering seed per point when ``counts``
    has several rows), refitted. It measures how much d_B depends on which
    sizes (and covers) were used, including the scatter of log-periodic
    steps; it does not include the finite-size bias of small networks.

    References
    ----------
    C. Song, S. Havlin, H. A. Makse, Nature 433, 392 (2005).
    C. Song, L. K. Gallos, S. Havlin, H. A. Makse, J. Stat. Mech. P03006 (2007).
    A. Clauset, C. R. Shalizi, M. E. J. Newman, SIAM Review 51, 661 (2009).
    Q. H. Vuong, Econometrica 57, 307 (1989).

    Examples
    --------
    >>> sizes = [2, 4, 8, 16, 32, 64, 128, 256]
    >>> fit = fractal_dimension(sizes, [2**20 / l**2 for l in sizes])
    >>> round(fit.d_B, 6), fit.verdict, fit.fit_range
    (2.0, 'fractal', (8.0, 256.0))
    >>> flat = fractal_dimension([2, 3, 4, 5, 6], [50, 50, 50, 50, 50], fit_range=(2, 6))
    >>> flat.verdict, flat.reason
    ('undetermined', 'flat counts: N_B does not change over the fit range')
    """
    num_components = check_int(num_components, "num_components", "fractal_dimension", low=1)
    min_decades = check_float(min_decades, "min_decades", "fractal_dimension", low=0.0)
    alpha = check_float(alpha, "alpha", "fractal_dimension", low=0.0, high=1.0, closed="neither")
    ci_level = check_float(
        ci_level, "ci_level", "fractal_dimension", low=0.0, high=1.0, closed="neither"
    )
    num_bootstrap = check_int(num_bootstrap, "num_bootstrap", "fractal_dimension", low=100)
    rng = as_generator(seed, "fractal_dimension")
    lb, Nall = _check_inputs(sizes, counts)
    logN = np.log(Nall)
    Nmean = np.exp(logN.mean(axis=0))
    if fit_range is None:
        mask = auto_fit_range(lb, Nmean)
        rule = FIT_RANGE_RULE
    else:
        if len(fit_range) != 2 or not fit_range[0] <= fit_range[1]:
            raise InvalidInputError(
                f"The 'fit_range' parameter of fractal_dimension must be (low, high) with low <= high. "
                f"Got {fit_range!r} instead."
            )
        mask = (lb >= fit_range[0]) & (lb <= fit_range[1])
        rule = f"given: l_B in [{fit_range[0]:g}, {fit_range[1]:g}]"
    x, Y = lb[mask], logN[:, mask]
    y = Y.mean(axis=0)
    k = int(mask.sum())
    nan2 = (math.nan, math.nan)
    if k < MIN_POINTS:
        warnings.warn(
            f"fractal_dimension: only {k} sizes in the fit range; d_B and the verdict are "
            "unreliable. Use more box sizes (log-spaced up to the diameter) or a larger network.",
            ScalingRangeWarning,
            stacklevel=2,
        )
    if k < 2 or np.unique(x).size < 2:
        rng_ = (float(x.min()), float(x.max())) if k else nan2
        return FractalFit(
            math.nan,
            math.nan,
            math.nan,
            rng_,
            k,
            math.nan,
            math.nan,
            False,
            verdict="undetermined",
            reason=f"too few sizes in the fit range ({k} < 2)",
            ci_level=ci_level,
            range_rule=rule,
        )
    slope, intercept, r2 = _line(np.log(x), y)
    eslope, eintercept, r2e = _line(x, y)
    r_pow = y - (slope * np.log(x) + intercept)
    r_exp = y - (eslope * x + eintercept)
    verdict, reason, z, p, p_flat = _verdict(
        k, x, np.exp(y), slope, r_pow, r_exp, num_components, min_decades, alpha
    )
    if max(r2, r2e) < MIN_R2 and verdict != "undetermined":
        warnings.warn(
            f"fractal_dimension: neither a power law (R^2 = {r2:.3f}) nor an exponential "
            f"(R^2 = {r2e:.3f}) describes N_B(l_B) well over l_B in [{x.min():g}, {x.max():g}].",
            FitQualityWarning,
            stacklevel=2,
        )
    slopes = -_bootstrap_slopes(np.log(x), Y, num_bootstrap, rng)
    q = (1.0 - ci_level) / 2.0
    ci = (float(np.quantile(slopes, q)), float(np.quantile(slopes, 1.0 - q)))
    what = "sizes" if Y.shape[0] == 1 else f"sizes and {Y.shape[0]} covering seeds"
    return FractalFit(
        d_B=-slope,
        intercept=intercept,
        r2=r2,
        fit_range=(float(x.min()), float(x.max())),
        num_points=k,
        r2_exponential=r2e,
        decay_length=-1.0 / eslope if eslope < 0 else math.inf,
        is_fractal=verdict == "fractal",
        d_B_ci=ci,
        ci_level=ci_level,
        ci_method=f"percentile bootstrap over {what} in the fit range ({slopes.size} draws)",
        verdict=verdict,
        reason=reason,
        loglik_ratio=z,
        p_value=p,
        p_plateau=p_flat,
        range_rule=rule,
    )
