"""SS_rate with its sampling uncertainty: a bootstrap over the images of the batch.

A layer's SS_rate is measured on B images; another B images of the same data give another
value. :func:`ss_rate_interval` resamples the B images with replacement and recomputes
SS_rate on each draw (Efron and Tibshirani, *An Introduction to the Bootstrap*, 1993,
chapter 13: the percentile interval). A resample holds image k ``w_k`` times (``w`` is
multinomial, summing to B), so its distances are
``C_ij = sqrt(sum_k w_k (F_ik - F_jk) ** 2 / B)``, the distances of ``F * sqrt(w)``; they
come from one matrix product per draw, so 200 draws cost about as much as 100-130 SS_rates.

What the interval covers: the SS_rate that a batch of the same size B, drawn afresh from the
same data, gives on average. SS_rate depends on B (its distances are averages over the
batch), so it is not an interval for a B -> infinity limit. Checked against ground truth in
tests/metrics/test_ss_interval.py: on features drawn from known distributions (Gaussian,
Student t with 3 degrees of freedom, thresholded ReLU), the 95 % interval held the mean over
400 fresh batches in 90-97 % of 60 repetitions at D = 32-128 and B = 24-256, and the
bootstrap standard error was 0.74-0.97 times the spread over fresh batches
(benchmarks/bench_ss_interval.py, docs/ss_rate.md).

The draws are made from ``seed`` alone, so every layer of one analysis with the same B gets
the same resampled images in draw i: the per-draw means over layers give an interval for the
mean SS_rate over layers (:func:`mean_interval`) that keeps their correlation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core.errors import DegenerateInputError
from .._core.seeding import SeedLike, as_generator
from .._core.stats import percentile_interval
from .._core.validation import check_float, check_int

__all__ = [
    "SSRateInterval",
    "ss_rate_interval",
    "bootstrap_weights",
    "mean_interval",
]


@dataclass(frozen=True)
class SSRateInterval:
    """SS_rate of a batch with a percentile-bootstrap interval over its images.

    Attributes
    ----------
    value : float
        SS_rate of the batch as given (:func:`~selfsim.metrics.ss_rate`).
    low, high : float
        Percentile interval at ``level`` (NaN when fewer than half the draws are defined).
    se : float
        Standard deviation of the draws: the bootstrap standard error.
    level : float
    draws : ndarray
        SS_rate of every resample (NaN where the resample is degenerate: all its
        distances equal).
    """

    value: float
    low: float
    high: float
    se: float
    level: float
    draws: np.ndarray = field(repr=False)

    @property
    def defined(self) -> int:
        """How many draws gave a value."""
        return int(np.isfinite(self.draws).sum())


def bootstrap_weights(num_samples: int, draws: int, seed: SeedLike = 0) -> np.ndarray:
    """How often each of ``num_samples`` images appears in each of ``draws`` resamples.

    Returns an int array of shape (draws, num_samples), every row summing to
    ``num_samples``. The same (num_samples, draws, int seed) give the same rows.

    >>> bootstrap_weights(5, 2, seed=0).sum(axis=1).tolist()
    [5, 5]
    """
    num_samples = check_int(num_samples, "num_samples", "bootstrap_weights", low=1)
    draws = check_int(draws, "draws", "bootstrap_weights", low=1)
    rng = as_generator(seed, "bootstrap_weights")
    return rng.multinomial(num_samples, np.full(num_samples, 1.0 / num_samples), size=draws)


def ss_rate_interval(
    F: Any,
    *,
    draws: int = 200,
    level: float = 0.95,
    num_thresholds: int = 256,
    formula: str = "code",
    seed: SeedLike = 0,
) -> SSRateInterval:
    """SS_rate of F (D channels x B images) with a bootstrap interval over the images.

    Parameters
    ----------
    F : array or tensor of shape (D, B)
        Features as for :func:`~selfsim.metrics.ss_rate` (a tensor is read as float64 numpy).
    draws : int, default 200
        Bootstrap resamples of the B images; each costs about half an exact SS_rate (one
        matrix product for its distances, then the sort of the pairs).
    level : float, default 0.95
        Coverage of the percentile interval.
    num_thresholds, formula
        As for :func:`~selfsim.metrics.ss_rate`.
    seed : int or Generator, default 0
        Seed of the resamples (:func:`bootstrap_weights`).

    Returns
    -------
    SSRateInterval

    Raises
    ------
    DegenerateInputError
        When F itself has no SS_rate (as :func:`~selfsim.metrics.ss_rate`).

    Examples
    --------
    >>> import numpy as np
    >>> F = np.random.default_rng(0).normal(size=(32, 64))
    >>> iv = ss_rate_interval(F, draws=50)
    >>> bool(iv.low <= iv.value <= iv.high), iv.draws.shape
    (True, (50,))
    """
    import torch

    from .ss_rate import _kernel_threads, _numpy_curve, _pairs_curve, _validate

    caller = "ss_rate_interval"
    if not isinstance(F, np.ndarray):
        F = F.detach().cpu().double().numpy() if hasattr(F, "detach") else np.asarray(F)
    F = np.asarray(F, dtype=np.float64)
    draws = check_int(draws, "draws", caller, low=1)
    level = check_float(level, "level", caller, low=0.0, high=1.0, closed="neither")
    _validate(F, caller, num_thresholds, formula, 1.0, None)
    value = _numpy_curve(F, num_thresholds, formula, caller).value
    D, B = F.shape
    values = np.full(draws, np.nan)
    x = torch.from_numpy(F)
    upper = torch.triu_indices(D, D, 1)
    # torch's matrix product on the kernel's thread count (KERNEL_THREADS): on a shared machine
    # numpy's BLAS threads made the draws 3.5x slower at D = 192 (docs/ss_rate.md)
    with _kernel_threads(torch.device("cpu")):
        for i, w in enumerate(bootstrap_weights(B, draws, seed)):
            # squared distances of the resample from one product:
            # sum_k w_k (F_ik - F_jk)^2 = a_i + a_j - 2 (F diag(w) F^T)_ij
            xw = x * torch.from_numpy(w.astype(np.float64))
            a = (xw * x).sum(dim=1)
            sq = (a[:, None] + a[None, :] - 2.0 * (xw @ x.T))[upper[0], upper[1]]
            C = torch.sqrt(sq.clamp_min(0.0) / B).numpy()
            try:
                values[i] = _pairs_curve(C, D, B, num_thresholds, formula, caller).value
            except DegenerateInputError:
                pass  # every distance equal in this resample: no SS_rate
    low, high = percentile_interval(values, level)
    ok = values[np.isfinite(values)]
    se = float(ok.std(ddof=1)) if ok.size > 1 else float("nan")
    return SSRateInterval(value, low, high, se, level, values)


def mean_interval(draws: Sequence[np.ndarray], level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the mean over layers, from each layer's bootstrap draws.

    ``draws``: one array per layer, all made with the same resamples
    (:func:`ss_rate_interval` with one seed and B). Draw i's mean over the layers is one
    resample of the mean; a draw where some layer is undefined is left out. NaN when there
    are no layers or their draws differ in number.

    >>> import numpy as np
    >>> lo, hi = mean_interval([np.array([0.1, 0.2, 0.3]), np.array([0.3, 0.4, 0.5])], level=0.5)
    >>> round(lo, 6), round(hi, 6)
    (0.25, 0.35)
    """
    level = check_float(level, "level", "mean_interval", low=0.0, high=1.0, closed="neither")
    arrays = [np.asarray(d, dtype=np.float64) for d in draws]
    if not arrays or len({a.shape for a in arrays}) != 1:
        return float("nan"), float("nan")
    return percentile_interval(np.mean(arrays, axis=0), level)
