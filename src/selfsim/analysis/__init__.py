"""The analysis pipeline: model + data -> hooked layers -> per-layer measurements -> report.

``analyze(model, data, ...)`` returns an :class:`AnalysisReport`; ``dry_run`` estimates its
cost without running it; ``untrained_vs_trained`` compares a model before and after training.
"""

from __future__ import annotations

from .collect import model_device, model_state_kept
from .config import MEASURES, AnalysisConfig, parse_measures
from .estimate import dry_run
from .layer import LayerResult
from .pipeline import AnalysisReport, analyze
from .protocols import untrained_vs_trained

__all__ = [
    "analyze",
    "AnalysisReport",
    "AnalysisConfig",
    "LayerResult",
    "model_device",
    "model_state_kept",
    "MEASURES",
    "parse_measures",
    "dry_run",
    "untrained_vs_trained",
]
