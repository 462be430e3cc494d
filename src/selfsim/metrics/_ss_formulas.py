"""The per-threshold formulas behind SS_rate (METHOD section 2), on S-length vectors.

Everything here works on float64 numpy vectors of length S (the thresholds),
never on the P pair distances, so it is cheap and exact; the numpy path, the
fast torch path and the benchmarks all share it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._core.errors import DegenerateInputError

FORMULAS = ("code", "paper")
#: "exact": end points theta_0 = TZ, theta_(S-1) = TV, c_0 = 1, c_(S-1) = 0 exactly (the
#: definition, METHOD section 2); "released": thresholds and chord in float32 arithmetic as
#: the released script builds them, end points only up to float32 rounding
SURROGATES = ("exact", "released")
#: the unit of the surrogate's sharpness k: per unit of pair distance (the released code) or
#: per largest pair distance TV of the batch (k / TV per unit distance: the same smoothing
#: relative to the spread of the distances, whatever the activations' scale)
K_UNITS = ("distance", "max")


def thresholds(tz: float, tv: float, num: int, surrogate: str = "exact") -> np.ndarray:
    """``theta_s = (1 + TZ) ((1 + TV) / (1 + TZ)) ** (s / (S - 1)) - 1`` (float64 array).

    ``surrogate="exact"`` sets the end points to TZ and TV exactly; ``"released"``
    evaluates the power in float32 and keeps whatever rounding gives there.
    """
    if surrogate == "released":
        one, t = np.float32(1.0), np.arange(num, dtype=np.float32) / np.float32(num - 1)
        a, b = one + np.float32(tz), one + np.float32(tv)
        return (a * (b / a) ** t - one).astype(np.float64)
    t = np.arange(num, dtype=np.float64) / (num - 1)
    theta = (1.0 + tz) * ((1.0 + tv) / (1.0 + tz)) ** t - 1.0
    theta[0], theta[-1] = tz, tv
    return theta


def chord(theta: np.ndarray, tz: float, tv: float, surrogate: str = "exact") -> np.ndarray:
    """Straight line in log(1 + theta) from 1 at TZ to 0 at TV.

    ``surrogate="exact"``: end points exactly 1 and 0; ``"released"``: float32
    arithmetic on the float32 thresholds, end points up to rounding.
    """
    if surrogate == "released":
        th, lz, lv = (np.log1p(np.asarray(v, dtype=np.float32)) for v in (theta, tz, tv))
        return ((lv - th) / (lv - lz)).astype(np.float64)
    c = (math.log1p(tv) - np.log1p(theta)) / (math.log1p(tv) - math.log1p(tz))
    c[0], c[-1] = 1.0, 0.0
    return c


def box_count(p: np.ndarray, num_nodes: int, formula: str) -> np.ndarray:
    """Closed-form box count N(p) for edge density p (both give N(0) = D, N(1) = 1)."""
    D = float(num_nodes)
    if formula == "code":
        return D - (D - 1.0) * np.log1p((D - 1.0) * p) / math.log(D)
    return 1.0 + (D - 1.0) * np.log(D - (D - 1.0) * p) / math.log(D)


def box_count_slope(p: np.ndarray, num_nodes: int, formula: str) -> np.ndarray:
    """dN/dp of :func:`box_count`."""
    D = float(num_nodes)
    if formula == "code":
        return -((D - 1.0) ** 2) / ((1.0 + (D - 1.0) * p) * math.log(D))
    return -((D - 1.0) ** 2) / ((D - (D - 1.0) * p) * math.log(D))


@dataclass(frozen=True, repr=False)
class SSCurve:
    """The curve behind one SS_rate value.

    Attributes
    ----------
    thresholds : array of shape (S,)
        theta_s, from TZ to TV evenly in log(1 + theta).
    densities : array of shape (S,)
        p_s, the fraction of the P = D (D - 1) / 2 pairs with C_ij < theta_s.
    counts : array of shape (S,)
        N_s, the closed-form box count.
    y : array of shape (S,)
        log N_s / log D.
    chord : array of shape (S,)
        The straight line from (TZ, 1) to (TV, 0) in log(1 + theta).
    value : float
        SS_rate = (2 / S) sum_s |chord_s - y_s|.
    num_nodes, num_samples : int
        D and B.
    formula : str
        "code" (released script) or "paper" (printed formula).
    grad_density : array of shape (S,)
        dSS/dp_s, the outer gradient the surrogate backward spreads over the pairs.
    surrogate : str
        "exact" (end points exact, the definition) or "released" (float32 thresholds
        and chord as the released script builds them).
    tz, tv : float
        The smallest and largest pair distance, TZ and TV.
    """

    thresholds: np.ndarray
    densities: np.ndarray
    counts: np.ndarray
    y: np.ndarray
    chord: np.ndarray
    value: float
    num_nodes: int
    num_samples: int
    formula: str
    grad_density: np.ndarray | None = field(repr=False, compare=False, default=None)
    surrogate: str = "exact"
    tz: float = math.nan
    tv: float = math.nan

    def __repr__(self) -> str:
        return (
            f"SSCurve(value={self.value:.6g}, formula={self.formula!r}, "
            f"num_nodes={self.num_nodes}, num_samples={self.num_samples}, "
            f"num_thresholds={self.thresholds.shape[0]}, tz={self.tz:.6g}, tv={self.tv:.6g})"
        )

    def with_formula(self, formula: str) -> SSCurve:
        """The same densities read through the other box-count formula (no recount).

        Examples
        --------
        >>> import numpy as np
        >>> from selfsim import ss_curve, ss_rate
        >>> F = np.random.default_rng(0).normal(size=(20, 6))
        >>> ss_curve(F).with_formula("paper").value == ss_rate(F, formula="paper")
        True
        """
        return hard_curve(
            self.densities,
            1,
            self.num_nodes,
            self.num_samples,
            self.thresholds,
            self.tz,
            self.tv,
            formula,
            self.surrogate,
        )


def check_spread(tz: float, tv: float, caller: str) -> None:
    """Raise when all pair distances are equal (the curve has no extent)."""
    if not math.log1p(tv) > math.log1p(tz):
        raise DegenerateInputError(
            f"{caller}: all pair distances of the feature network are equal (C_ij = {tz:.6g}), "
            "so SS_rate is undefined. This happens for constant or duplicated channels, e.g. a "
            "layer whose outputs do not depend on the input; use a different layer or batch."
        )


def hard_curve(
    pair_counts: np.ndarray,
    num_pairs: int,
    num_nodes: int,
    num_samples: int,
    theta: np.ndarray,
    tz: float,
    tv: float,
    formula: str,
    surrogate: str = "exact",
) -> SSCurve:
    """Curve, SS_rate and dSS/dp from the counts #{pairs with C_ij < theta_s}."""
    S = theta.shape[0]
    p = np.asarray(pair_counts, dtype=np.float64) / num_pairs
    N = box_count(p, num_nodes, formula)
    logD = math.log(num_nodes)
    y = np.log(N) / logD
    c = chord(theta, tz, tv, surrogate)
    value = float(2.0 / S * np.abs(c - y).sum())
    # d|c - y|/dy = sign(y - c) with sign(0) = 0; dy/dp = N'(p) / (N log D)
    grad_density = 2.0 / S * np.sign(y - c) * box_count_slope(p, num_nodes, formula) / (N * logD)
    return SSCurve(
        theta,
        p,
        N,
        y,
        c,
        value,
        num_nodes,
        num_samples,
        formula,
        grad_density,
        surrogate,
        float(tz),
        float(tv),
    )
