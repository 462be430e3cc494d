"""Layer outputs: scoped forward hooks and the reduction to the feature matrix F (D, B)."""

from __future__ import annotations

from .hooks import Capture, capture, first_tensor, hook_outputs
from .reduce import feature_matrix, guess_layout

__all__ = ["capture", "Capture", "first_tensor", "hook_outputs", "feature_matrix", "guess_layout"]
