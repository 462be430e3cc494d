"""Statistics that every stage may use (the report stage imports nothing but _core)."""

from __future__ import annotations

import numpy as np

__all__ = ["percentile_interval"]


def percentile_interval(values: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of bootstrap values at ``level``, NaN where fewer than half (or
    fewer than 2) of them are defined.

    >>> percentile_interval(np.array([0.0, 0.5, 1.0, np.nan]), 0.5)
    (0.25, 0.75)
    """
    ok = values[np.isfinite(values)]
    if ok.size < max(2, values.size / 2):
        return float("nan"), float("nan")
    lo, hi = np.quantile(ok, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)
