"""The straightforward trainable SS_rate: every (pair, threshold) sigmoid term materialised.

This is the formulation the fast path of :mod:`selfsim.metrics.ss_rate`
replaces. It builds the P x S matrices of hard indicators and sigmoid terms
and lets autograd differentiate the straight-through estimator
``p = p_hard + (p_soft - p_soft.detach())``. Its memory grows as P S
(for D = 2048 that is 2.1M x 256 terms), so it serves as the independent
reference in tests and as the baseline of ``benchmarks/bench_ss_rate.py``.
"""

from __future__ import annotations

import math

import torch

from ..network.distances import check_features, pair_distances

__all__ = ["ss_rate_dense"]


def ss_rate_dense(
    F: torch.Tensor,
    *,
    num_thresholds: int = 256,
    formula: str = "code",
    k: float = 1.0,
    fac: float | None = None,
    k_unit: str = "distance",
    thresholds: str = "fixed",
) -> torch.Tensor:
    """SS_rate with the dense straight-through surrogate (slow, memory-hungry reference).

    Parameters and value are those of :func:`selfsim.ss_rate` for torch input.
    ``thresholds="fixed"`` (the surrogate of :func:`selfsim.ss_rate` and of the released
    script) differentiates with the thresholds held where they are; ``"moving"`` also
    differentiates through their dependence on TZ = min C and TV = max C, so the pairs
    at the two extremes get the thresholds' pull as well (an analysis option: the value
    is the same; docs/training.md measures where the two gradients point).
    """
    if thresholds not in ("fixed", "moving"):
        raise ValueError(f"thresholds must be 'fixed' or 'moving', got {thresholds!r}")
    D, B = check_features(F, "ss_rate_dense")
    S = num_thresholds
    fac = float(D) if fac is None else float(fac)
    x = F if F.dtype in (torch.float32, torch.float64) else F.float()
    C = pair_distances(x, check_input=False)  # differentiable
    tz, tv = C.min(), C.max()
    if thresholds == "fixed":
        tz, tv = tz.detach(), tv.detach()
    t = torch.arange(S, dtype=torch.float64, device=C.device) / (S - 1)
    inner = (1 + tz.double()) * ((1 + tv.double()) / (1 + tz.double())) ** t[1:-1] - 1
    theta = torch.cat([tz.double()[None], inner, tv.double()[None]])
    tz, tv = tz.detach(), tv.detach()  # the chord's ends: c_s = 1 - s / (S - 1) whatever they are
    if k_unit == "max":  # k per largest pair distance
        k = k / float(tv)
    # P x S indicator and P x S sigmoid terms, in the working dtype of F
    hard = (C.double().detach()[:, None] < theta.detach()[None, :]).to(C.dtype).mean(0).double()
    soft = fac * torch.sigmoid(k * (theta.to(C.dtype)[None, :] - C[:, None])).mean(0).double()
    p = hard + (soft - soft.detach())
    Dd = float(D)
    if formula == "code":
        N = Dd - (Dd - 1) * torch.log1p((Dd - 1) * p) / math.log(Dd)
    else:
        N = 1 + (Dd - 1) * torch.log(Dd - (Dd - 1) * p) / math.log(Dd)
    y = torch.log(N) / math.log(Dd)
    c = (torch.log1p(tv.double()) - torch.log1p(theta)) / (
        torch.log1p(tv.double()) - torch.log1p(tz.double())
    )
    c = torch.cat([c.new_ones(1), c[1:-1], c.new_zeros(1)])
    return (2.0 / S * (c - y).abs().sum()).to(x.dtype)
