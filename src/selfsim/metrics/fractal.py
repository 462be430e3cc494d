"""Fractal (box) dimension from box counts, and the fractal / small-world test.

A fractal network has ``N_B(l_B) ~ l_B**(-d_B)``: log N_B is linear in
log l_B. A small world (Barabasi-Albert, Erdos-Renyi) has
``N_B ~ exp(-l_B / l_0)``: log N_B is linear in l_B itself
(Song, Havlin, Makse 2005). :func:`fractal_dimension` fits both straight
lines on the same points and calls the network fractal when the power law
explains more of the variance of log N_B.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from .._core.errors import FitQualityWarning, InvalidInputError, ScalingRangeWarning

__all__ = ["FractalFit", "fractal_dimension", "auto_fit_range"]

MIN_POINTS = 4  # fewer points in the scaling range -> ScalingRangeWarning
MIN_R2 = 0.9  # neither model above this -> FitQualityWarning


@dataclass(frozen=True)
class FractalFit:
    """Result of :func:`fractal_dimension`.

    Attributes
    ----------
    d_B : float
        Box dimension: minus the slope of log N_B on log l_B over the fit range.
    intercept : float
        Intercept of that line (natural logs).
    r2 : float
        Coefficient of determination of the power-law fit.
    fit_range : tuple of float
        Smallest and largest l_B used.
    num_points : int
        Number of (l_B, N_B) points in the fit.
    r2_exponential : float
        R^2 of the exponential alternative (log N_B linear in l_B).
    decay_length : float
        l_0 of the exponential fit ``N_B ~ exp(-l_B / l_0)`` (inf if flat).
    is_fractal : bool
        True when the power law fits better than the exponential.
    """

    d_B: float
    intercept: float
    r2: float
    fit_range: tuple[float, float]
    num_points: int
    r2_exponential: float
    decay_length: float
    is_fractal: bool


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Least-squares slope, intercept and R^2 of y on x."""
    slope, intercept = np.polyfit(x, y, 1)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    ss_res = float(np.sum((y - (slope * x + intercept)) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res == 0 else 0.0)
    return float(slope), float(intercept), r2


def auto_fit_range(sizes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Mask of the points used by the automatic fit range.

    Criterion: sort by l_B; drop the sizes where N_B is at its maximum (l_B = 1
    on a graph, thresholds up to the smallest distance on a feature network:
    every node its own box) and then the smallest remaining size (lattice-scale effects); drop the saturated tail
    where N_B <= 2 (one or two boxes span the network, the finite-size
    cut-off). What is left is the scaling range.
    """
    # N_B at its maximum is the trivial all-singletons cover (l_B = 1 on a graph,
    # theta <= min C_ij on a feature network), whatever the unit of the sizes
    mask = (counts < counts.max()) & (counts > 2)
    idx = np.flatnonzero(mask)
    if idx.size > 2:
        mask[idx[0]] = False
    return mask


def fractal_dimension(sizes, counts, *, fit_range: tuple[float, float] | None = None) -> FractalFit:
    """Fit ``N_B ~ l_B**(-d_B)`` and test it against exponential decay.

    Parameters
    ----------
    sizes : array of shape (K,)
        Box sizes l_B (> 0), any order.
    counts : array of shape (K,)
        Box counts N_B (>= 1), e.g. from :func:`selfsim.box_counts`.
    fit_range : (float, float), optional
        Inclusive range of l_B to fit. Default: :func:`auto_fit_range`
        (drop the all-singleton sizes such as l_B = 1, the smallest remaining size and the tail with N_B <= 2).

    Returns
    -------
    FractalFit

    Warns
    -----
    ScalingRangeWarning
        Fewer than 4 points in the fit range.
    FitQualityWarning
        Neither the power law nor the exponential reaches R^2 = 0.9.

    Notes
    -----
    Power law: ``log N_B = -d_B log l_B + a``; exponential:
    ``log N_B = -l_B / l_0 + b``. Both are least-squares lines for the same
    y = log N_B, so their R^2 compare directly; ``is_fractal`` is
    ``r2 > r2_exponential``.

    References
    ----------
    C. Song, S. Havlin, H. A. Makse, Nature 433, 392 (2005).

    Examples
    --------
    >>> fit = fractal_dimension([2, 4, 8, 16, 32, 64], [4096, 1024, 256, 64, 16, 4])
    >>> round(fit.d_B, 6), fit.is_fractal
    (2.0, True)
    """
    l = np.asarray(sizes, dtype=np.float64).ravel()
    N = np.asarray(counts, dtype=np.float64).ravel()
    if l.shape != N.shape or l.size == 0:
        raise InvalidInputError(
            f"fractal_dimension needs sizes and counts of the same non-zero length; got {l.size} "
            f"sizes and {N.size} counts."
        )
    if not (np.all(np.isfinite(l)) and np.all(l > 0) and np.all(np.isfinite(N)) and np.all(N >= 1)):
        raise InvalidInputError(
            "fractal_dimension needs finite sizes l_B > 0 and counts N_B >= 1; check the inputs "
            "(a count of 0 means the covering failed)."
        )
    order = np.argsort(l, kind="stable")
    l, N = l[order], N[order]
    if fit_range is None:
        mask = auto_fit_range(l, N)
    else:
        if len(fit_range) != 2 or not fit_range[0] <= fit_range[1]:
            raise InvalidInputError(
                f"The 'fit_range' parameter of fractal_dimension must be (low, high) with low <= high. "
                f"Got {fit_range!r} instead."
            )
        mask = (l >= fit_range[0]) & (l <= fit_range[1])
    x, y = l[mask], np.log(N[mask])
    k = int(mask.sum())
    if k < 2 or np.unique(x).size < 2:
        raise InvalidInputError(
            f"fractal_dimension needs at least 2 distinct sizes in the fit range; got {k} "
            f"(sizes {l.tolist()}, counts {N.tolist()}). Use more box sizes up to the diameter, "
            "or pass fit_range."
        )
    if k < MIN_POINTS:
        warnings.warn(
            f"fractal_dimension: only {k} points in the scaling range l_B in "
            f"[{x.min():g}, {x.max():g}]; d_B and the fractal test are unreliable. "
            "Use more box sizes (log-spaced up to the diameter) or a larger network.",
            ScalingRangeWarning,
            stacklevel=2,
        )
    slope, intercept, r2 = _line(np.log(x), y)
    eslope, _, r2e = _line(x, y)
    if max(r2, r2e) < MIN_R2:
        warnings.warn(
            f"fractal_dimension: neither a power law (R^2 = {r2:.3f}) nor an exponential "
            f"(R^2 = {r2e:.3f}) describes N_B(l_B) well over l_B in [{x.min():g}, {x.max():g}].",
            FitQualityWarning,
            stacklevel=2,
        )
    return FractalFit(
        d_B=-slope,
        intercept=intercept,
        r2=r2,
        fit_range=(float(x.min()), float(x.max())),
        num_points=k,
        r2_exponential=r2e,
        decay_length=-1.0 / eslope if eslope < 0 else math.inf,
        is_fractal=bool(r2 > r2e),
    )
