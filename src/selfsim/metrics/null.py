"""Null models for the feature network G_M: is a layer more self-similar than chance?

A box count of G_M always falls from D to 1 as the threshold grows, and a
finite set of points in a B-dimensional space gives a d_B and an SS_rate
whatever its structure; a value alone is no evidence. This module covers
*surrogate* feature matrices the same way as the layer (same D and B, the
layer pipeline's thresholds, greedy covering, the same fit-range rule) and
reports where the layer's d_B and SS_rate fall in the null distribution.

Surrogates of F (D, B), with the SVD ``F = U S V^T``:

* ``"spectrum"``: ``U' S V^T`` with U' Haar-random orthonormal columns: the
  same singular values (so the same eigenvalues of ``F F^T`` and ``F^T F``:
  the covariance spectrum) and the same sample space, but channels placed
  at random within it;
* ``"shuffle"``: each channel's values permuted independently over the B
  samples: the same per-channel distributions, no shared sample structure.

The p-values are two-sided Monte Carlo ranks with the usual +1 correction
(Davison, Hinkley 1997): ``2 min(1 + #{null <= x}, 1 + #{null >= x}) / (M + 1)``,
so M = 39 surrogates can reach p = 0.05. The layer is called fractal only when
its own fit says so (:func:`~selfsim.metrics.fractal.fractal_dimension`) and
its d_B lies outside the null (``p_d_B <= alpha``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.errors import DegenerateInputError
from .._core.seeding import SeedLike, as_generator
from .._core.validation import check_choice, check_float, check_int
from .fractal import FractalFit, fractal_dimension

__all__ = [
    "box_grid",
    "feature_fractal_fit",
    "surrogate_features",
    "NullComparison",
    "feature_null_test",
]

SURROGATES = ("spectrum", "shuffle")


def box_grid(num_thresholds: int, box_thresholds: int) -> np.ndarray:
    """Indices into the SS_rate threshold grid at which the true box count is run."""
    return np.unique(np.rint(np.linspace(0, num_thresholds - 1, box_thresholds)).astype(int))


def feature_fractal_fit(theta: np.ndarray, counts: np.ndarray, num_nodes: int) -> FractalFit:
    """d_B of G_M from box counts at thresholds theta (the layer pipeline's fit rule).

    Thresholds of 0 are left out (TZ = 0 when two channels coincide, e.g.
    dead ReLUs); the rest go through the automatic rule of
    :func:`~selfsim.metrics.fractal.auto_fit_range`, whose "N_B at its
    maximum" is then every *distinct* channel in its own box. Raises
    DegenerateInputError when fewer than 2 thresholds have 2 < N < D.
    """
    theta = np.asarray(theta, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64)
    inside = (theta > 0) & (counts > 2) & (counts < num_nodes)
    if np.count_nonzero(inside) < 2:
        raise DegenerateInputError(
            "fewer than 2 box sizes with 2 < N < D; the box count falls from D to 1 too fast "
            f"for a fit on this grid of {len(theta)} thresholds (raise box_thresholds)."
        )
    pos = theta > 0
    return fractal_dimension(theta[pos], counts[pos])


def surrogate_features(F: Any, kind: str = "spectrum", *, seed: SeedLike = None) -> np.ndarray:
    """One surrogate feature matrix of the same shape (D, B); see the module docstring.

    Examples
    --------
    >>> F = np.random.default_rng(0).normal(size=(6, 4))
    >>> S = surrogate_features(F, "spectrum", seed=1)
    >>> np.allclose(np.linalg.svd(S, compute_uv=False), np.linalg.svd(F, compute_uv=False))
    True
    """
    kind = check_choice(kind, "kind", "surrogate_features", SURROGATES)
    rng = as_generator(seed, "surrogate_features")
    F = np.asarray(F, dtype=np.float64)
    if kind == "shuffle":
        return rng.permuted(F, axis=1)
    U, s, Vt = np.linalg.svd(F, full_matrices=False)
    Q, R = np.linalg.qr(rng.normal(size=U.shape))
    Q *= np.sign(np.diag(R))  # Haar-distributed orthonormal columns (Mezzadri 2007)
    return (Q * s) @ Vt


def _measure(F: np.ndarray, num_thresholds: int, box_thresholds: int) -> tuple[float, FractalFit]:
    from ..covering.features import box_counts_features
    from .ss_rate import ss_curve

    curve = ss_curve(F, num_thresholds=num_thresholds, formula="code")
    theta = curve.thresholds[box_grid(num_thresholds, box_thresholds)]
    counts = box_counts_features(F, theta, method="greedy")
    return float(curve.value), feature_fractal_fit(theta, counts, F.shape[0])


def _rank_p(observed: float, null: np.ndarray) -> float:
    """Two-sided Monte Carlo p-value of ``observed`` among ``null``."""
    m = null.size
    below = (1 + int(np.sum(null <= observed))) / (m + 1)
    above = (1 + int(np.sum(null >= observed))) / (m + 1)
    return min(1.0, 2 * min(below, above))


@dataclass(frozen=True)
class NullComparison:
    """Result of :func:`feature_null_test`.

    Attributes
    ----------
    surrogate : str
    d_B, ss_rate : float
        The layer's values.
    d_B_null, ss_rate_null : array of shape (M,)
        Values of the M surrogates (d_B NaN where a surrogate had no fit).
    d_B_quantiles, ss_rate_quantiles : tuple of float
        2.5 %, 50 % and 97.5 % quantiles of the null.
    p_d_B : float
        Two-sided Monte Carlo p of d_B against the null.
    p_ss_rate : float
        Two-sided Monte Carlo p of SS_rate against the null.
    fit : FractalFit
        The layer's own fit (its verdict needs a decade of thresholds).
    verdict : {"fractal", "not fractal", "undetermined"}
        ``"fractal"`` only when the layer's own fit says so *and* its d_B
        differs from the null (``p_d_B <= alpha``); ``"not fractal"`` when
        the fit says so; otherwise ``"undetermined"``.
    ss_rate_verdict : str
        ``"more self-similar than the null"`` / ``"less self-similar than the
        null"`` (``p_ss_rate <= alpha``, by the side of the median) or
        ``"consistent with the null"``.
    """

    surrogate: str
    d_B: float
    ss_rate: float
    d_B_null: np.ndarray
    ss_rate_null: np.ndarray
    d_B_quantiles: tuple[float, float, float]
    ss_rate_quantiles: tuple[float, float, float]
    p_d_B: float
    p_ss_rate: float
    fit: FractalFit
    verdict: str
    ss_rate_verdict: str


def _quantiles(x: np.ndarray) -> tuple[float, float, float]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (math.nan, math.nan, math.nan)
    q = np.quantile(x, [0.025, 0.5, 0.975])
    return (float(q[0]), float(q[1]), float(q[2]))


def feature_null_test(
    F: Any,
    *,
    surrogate: str = "spectrum",
    num_surrogates: int = 39,
    num_thresholds: int = 256,
    box_thresholds: int = 32,
    alpha: float = 0.05,
    seed: SeedLike = 0,
) -> NullComparison:
    """Compare a layer's d_B and SS_rate with surrogate feature matrices.

    Parameters
    ----------
    F : array of shape (D, B)
        Node features of G_M (one row per channel).
    surrogate : {"spectrum", "shuffle"}
        Null model (module docstring).
    num_surrogates : int
        M; the smallest attainable p is 2 / (M + 1) (0.05 for M = 39).
    num_thresholds, box_thresholds : int
        The SS_rate grid and the number of its thresholds that are box-covered
        (as in :class:`selfsim.analysis.config.AnalysisConfig`).
    alpha : float
        Level for the verdicts (reject when p <= alpha).
    seed : None, int or numpy.random.Generator

    Returns
    -------
    NullComparison

    Examples
    --------
    >>> F = np.random.default_rng(0).normal(size=(64, 16))
    >>> res = feature_null_test(F, num_surrogates=9, seed=0)
    >>> res.verdict, res.ss_rate_verdict
    ('undetermined', 'consistent with the null')
    """
    surrogate = check_choice(surrogate, "surrogate", "feature_null_test", SURROGATES)
    M = check_int(num_surrogates, "num_surrogates", "feature_null_test", low=1)
    alpha = check_float(alpha, "alpha", "feature_null_test", low=0.0, high=1.0, closed="neither")
    rng = as_generator(seed, "feature_null_test")
    F = np.asarray(F, dtype=np.float64)
    ss, fit = _measure(F, num_thresholds, box_thresholds)
    d_null = np.full(M, math.nan)
    s_null = np.empty(M)
    for m in range(M):
        S = surrogate_features(F, surrogate, seed=rng)
        try:
            s_null[m], f = _measure(S, num_thresholds, box_thresholds)
            d_null[m] = f.d_B
        except DegenerateInputError:  # no fit range on this surrogate: SS_rate only
            from .ss_rate import ss_rate

            s_null[m] = ss_rate(S, num_thresholds=num_thresholds)
    finite = d_null[np.isfinite(d_null)]
    p_d = _rank_p(fit.d_B, finite) if finite.size else math.nan
    p_s = _rank_p(ss, s_null)
    sq = _quantiles(s_null)
    if p_s > alpha:
        ss_verdict = "consistent with the null"
    else:
        ss_verdict = f"{'more' if ss < sq[1] else 'less'} self-similar than the null"
    if fit.verdict == "fractal":
        verdict = "fractal" if p_d <= alpha else "undetermined"
    else:
        verdict = fit.verdict
    return NullComparison(
        surrogate=surrogate,
        d_B=float(fit.d_B),
        ss_rate=ss,
        d_B_null=d_null,
        ss_rate_null=s_null,
        d_B_quantiles=_quantiles(d_null),
        ss_rate_quantiles=sq,
        p_d_B=p_d,
        p_ss_rate=p_s,
        fit=fit,
        verdict=verdict,
        ss_rate_verdict=ss_verdict,
    )
