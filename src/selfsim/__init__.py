"""selfsim: self-similarity of the feature networks inside deep neural networks.

The hidden outputs of a layer become a network of channels (the feature
network G_M); its self-similarity is measured by SS_rate (arXiv 2507.17785)
and by true box covering with fractal-dimension fits, and the S2-Con
training constraint steers it.

Importing ``selfsim`` is light: the public names below are loaded on first
use, so timm, matplotlib, pandas and umap are never imported up front.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._core.errors import (
    CheckpointError,
    DataError,
    DegenerateInputError,
    DisconnectedGraphWarning,
    FitQualityWarning,
    InvalidInputError,
    NotFoundError,
    OutputError,
    RunLockedError,
    ScalingRangeWarning,
    SelfSimError,
    SelfSimWarning,
    TrainingError,
)

__version__ = "0.1.0"

# public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "feature_matrix": "selfsim.activations.reduce",
    "pair_distances": "selfsim.network.distances",
    "ss_rate": "selfsim.metrics.ss_rate",
    "ss_curve": "selfsim.metrics.ss_rate",
    "SSCurve": "selfsim.metrics.ss_rate",
    "ss_rate_interval": "selfsim.metrics.ss_interval",
    "SSRateInterval": "selfsim.metrics.ss_interval",
    "box_counts": "selfsim.covering.api",
    "box_cover": "selfsim.covering.api",
    "box_counts_features": "selfsim.covering.features",
    "renormalize": "selfsim.covering.renormalize",
    "fractal_dimension": "selfsim.metrics.fractal",
    "FractalFit": "selfsim.metrics.fractal",
    "read_graph": "selfsim.network.io",
    "load_graph": "selfsim.network.io",
    "analyze": "selfsim.analysis.pipeline",
    "SelfSimilarityConstraint": "selfsim.train.constraint",
}
_SUBMODULES = {"generators", "covering", "metrics", "models", "data", "report", "train", "analysis"}

__all__ = [
    "__version__",
    "SelfSimError",
    "InvalidInputError",
    "DegenerateInputError",
    "NotFoundError",
    "DataError",
    "CheckpointError",
    "TrainingError",
    "OutputError",
    "RunLockedError",
    "SelfSimWarning",
    "ScalingRangeWarning",
    "DisconnectedGraphWarning",
    "FitQualityWarning",
    *sorted(_LAZY),
    *sorted(_SUBMODULES),
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"selfsim.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'selfsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover
    from .activations.reduce import feature_matrix as feature_matrix
    from .analysis.pipeline import analyze as analyze
    from .covering.api import box_counts as box_counts
    from .covering.api import box_cover as box_cover
    from .covering.features import box_counts_features as box_counts_features
    from .covering.renormalize import renormalize as renormalize
    from .metrics.fractal import FractalFit as FractalFit
    from .metrics.fractal import fractal_dimension as fractal_dimension
    from .metrics.ss_interval import SSRateInterval as SSRateInterval
    from .metrics.ss_interval import ss_rate_interval as ss_rate_interval
    from .metrics.ss_rate import SSCurve as SSCurve
    from .metrics.ss_rate import ss_curve as ss_curve
    from .metrics.ss_rate import ss_rate as ss_rate
    from .network.distances import pair_distances as pair_distances
    from .network.io import load_graph as load_graph
    from .network.io import read_graph as read_graph
    from .train.constraint import SelfSimilarityConstraint as SelfSimilarityConstraint
