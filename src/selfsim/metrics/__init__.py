"""Metrics of feature networks and graphs: SS_rate, fractal dimension, null model, spectrum,
correlation dimension and small-world measures.

The functions are exported here; :func:`ss_rate` shares its name with the module
:mod:`selfsim.metrics.ss_rate` that defines it, and the name in this package is the function
(code inside the package imports from the module path). Importing this package imports
neither torch nor the optional extras (powerlaw, umap); they load on first use.
"""

from __future__ import annotations

from .corrdim import CorrelationDimension, correlation_dimension, delta_across_layers, umap_embed
from .fractal import FractalFit, auto_fit_range, fractal_dimension
from .null import NullComparison, feature_fractal_fit, feature_null_test, surrogate_features
from .smallworld import SmallWorld, clustering_and_path_length, small_world
from .spectrum import (
    SpectrumFit,
    covariance_eigenvalues,
    eigenvalues_from_gram,
    fit_spectrum,
    spectrum_sigma,
)
from .ss_interval import SSRateInterval, bootstrap_weights, mean_interval, ss_rate_interval
from .ss_rate import SSCurve, ss_curve, ss_rate

__all__ = [
    "ss_rate",
    "ss_curve",
    "SSCurve",
    "ss_rate_interval",
    "SSRateInterval",
    "bootstrap_weights",
    "mean_interval",
    "fractal_dimension",
    "FractalFit",
    "auto_fit_range",
    "feature_fractal_fit",
    "feature_null_test",
    "surrogate_features",
    "NullComparison",
    "fit_spectrum",
    "covariance_eigenvalues",
    "eigenvalues_from_gram",
    "spectrum_sigma",
    "SpectrumFit",
    "correlation_dimension",
    "umap_embed",
    "delta_across_layers",
    "CorrelationDimension",
    "small_world",
    "clustering_and_path_length",
    "SmallWorld",
]
