"""Geometric invariance: correlation dimension of a layer's samples after UMAP.

Appendix C of arXiv 2507.17785: L2-normalise each sample's flattened layer
output, embed the samples with UMAP into 30 dimensions (``n_neighbors=20``,
``min_dist=0.05``) and measure the correlation dimension of the embedded
point cloud,

    T(r) = 1 / (N (N - 1)) * sum_{i != j} [d_ij < r],    T(r) ~ r^nu,

nu being the slope of log T against log r over the scaling range. Across
layers, ``Delta = (max nu - min nu) / mean nu``; lower is more invariant
(the paper reports < 0.1).

References
----------
P. Grassberger, I. Procaccia, "Measuring the strangeness of strange
attractors", Physica D 9 (1983) 189-208.
L. McInnes, J. Healy, J. Melville, "UMAP: Uniform Manifold Approximation and
Projection for Dimension Reduction", arXiv:1802.03426 (2018).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .._core.errors import DegenerateInputError, ScalingRangeWarning
from .._core.seeding import SeedLike

__all__ = [
    "CorrelationDimension",
    "correlation_dimension",
    "umap_embed",
    "delta_across_layers",
    "MIN_UMAP_SAMPLES",
]

UMAP_NEIGHBORS = 20
MIN_UMAP_SAMPLES = UMAP_NEIGHBORS + 2


@dataclass(frozen=True)
class CorrelationDimension:
    """Correlation integral and its scaling-range slope.

    Attributes
    ----------
    radii, integral : arrays
        r and T(r) over the grid used.
    dimension : float
        Least-squares slope of log T vs log r inside the scaling range.
    r2 : float
        Coefficient of determination of that fit.
    fit_range : (float, float)
        The radii bounding the scaling range.
    """

    radii: np.ndarray
    integral: np.ndarray
    dimension: float
    r2: float
    fit_range: tuple[float, float]


def correlation_dimension(
    X: np.ndarray, *, num_radii: int = 32, low: float = 0.01, high: float = 0.25
) -> CorrelationDimension:
    """Correlation dimension of points X (N x d).

    The scaling range spans the radii at which T(r) lies between ``low`` and
    ``high`` (the small-r regime, above the noise of the closest pairs and
    below saturation).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> plane = np.c_[rng.random((800, 2)), np.zeros(800)]
    >>> 1.8 < correlation_dimension(plane).dimension < 2.1  # edge effects pull it below 2
    True
    """
    from scipy.spatial.distance import pdist

    X = np.asarray(X, dtype=np.float64)
    if len(X) < 3 or not np.all(np.isfinite(X)):
        raise DegenerateInputError("the correlation dimension needs at least 3 finite points.")
    d = np.sort(pdist(X))
    d = d[d > 0]
    if len(d) < 10:
        raise DegenerateInputError(
            "the correlation dimension needs distinct points; nearly all coincide."
        )
    r_lo, r_hi = np.quantile(d, low), np.quantile(d, high)
    radii = np.geomspace(r_lo, r_hi, num_radii)
    integral = np.searchsorted(d, radii, side="left") / len(d)
    ok = integral > 0
    lr, lt = np.log(radii[ok]), np.log(integral[ok])
    if len(lr) < 4:
        warnings.warn(
            "fewer than 4 radii in the scaling range of the correlation integral.",
            ScalingRangeWarning,
            stacklevel=2,
        )
    slope, icpt = np.polyfit(lr, lt, 1)
    resid = lt - (slope * lr + icpt)
    ss = np.sum((lt - lt.mean()) ** 2)
    r2 = float(1 - np.sum(resid**2) / ss) if ss > 0 else float("nan")
    return CorrelationDimension(radii, integral, float(slope), r2, (float(r_lo), float(r_hi)))


def umap_embed(
    X: np.ndarray,
    *,
    n_components: int = 30,
    n_neighbors: int = UMAP_NEIGHBORS,
    min_dist: float = 0.05,
    seed: SeedLike = 0,
) -> np.ndarray:
    """UMAP embedding of the rows of X with the paper's settings (seeded)."""
    import umap

    if len(X) < max(n_neighbors + 2, n_components + 2):
        raise DegenerateInputError(
            f"UMAP with n_neighbors={n_neighbors} into {n_components} dimensions needs at least "
            f"{max(n_neighbors + 2, n_components + 2)} samples; got {len(X)}. Use more images."
        )
    rs = (
        0
        if seed is None
        else (int(seed) if not isinstance(seed, np.random.Generator) else int(seed.integers(2**31)))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # umap's n_jobs / spectral-init chatter
        reducer = umap.UMAP(
            n_components=n_components,
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            random_state=rs,
            init="random",
        )
        return reducer.fit_transform(np.asarray(X, dtype=np.float32))


def delta_across_layers(dimensions: Iterable[float]) -> float:
    """Delta = (max - min) / mean of the correlation dimensions across layers."""
    v = np.asarray([x for x in dimensions if np.isfinite(x)], dtype=np.float64)
    if len(v) == 0 or v.mean() == 0:
        return float("nan")
    return float((v.max() - v.min()) / v.mean())
