"""SS_rate: the self-similarity degree of a feature network (arXiv 2507.17785).

A layer's output, reduced to F of shape (D, B), is a network of D channels
(the feature network G_M) joined at threshold theta when their distance
``C_ij = ||F_i - F_j|| / sqrt(B)`` is below theta. Over S thresholds spread
evenly in log(1 + theta) between the smallest (TZ) and largest (TV) distance,
the edge density p_s gives a box count N_s by a closed form (no covering is
run). If log N is linear in log(1 + theta), i.e. ``N ~ (1 + theta) ** -d_B``,
the network is self-similar; SS_rate is twice the mean absolute gap between
the normalised curve ``y_s = log N_s / log D`` and the straight chord joining
its end points. It lies in [0, 1]: near 0 strongly self-similar, near 1 weakly.

The torch path is trainable by a straight-through surrogate (METHOD section 3):
the forward pass uses the hard densities, the backward pass takes dp_s/dC_ij
from ``fac * mean_ij sigmoid(k (theta_s - C_ij))``. The backward is computed
without the P x S matrix of sigmoid terms: dL/dC_ij is one smooth function of
C_ij, evaluated on a fine grid over [TZ, TV] and interpolated (linearly; a
cubic Hermite grid 25x coarser when the distances span so many multiples of
1/k that the fine grid would outgrow the pairs; past that, at every pair over
the thresholds within 40/k only), and the chain rule into F is two D x D
matrix products.

References
----------
Ding, Qi, Wang, Wu, Jiao, Guo, Gao, "Self-similarity Analysis in Deep Neural
Networks", arXiv 2507.17785 (2025).
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from .._core.validation import check_choice, check_float, check_int
from ..network.distances import check_features, pair_distances
from . import _ss_formulas as sf
from ._ss_formulas import SSCurve

if TYPE_CHECKING:
    import torch

__all__ = ["ss_rate", "ss_curve", "SSCurve"]

# grid step of the interpolated backward, in units of 1/k; linear interpolation
# of the smooth gradient then errs by about (step)^2 / 8 relative, ~5e-7
_GRID_STEP = 2e-3
_CHUNK = 1 << 21  # elements of one (values x thresholds) block in the backward
# thresholds farther than _WINDOW / k from a distance add under exp(-_WINDOW) of
# their weight to its smooth gradient (sigmoid'(x) <= exp(-|x|)) and are skipped
_WINDOW = 40.0
# grid step (in units of 1/k) of the cubic Hermite interpolation used when the
# linear grid would have more points than a quarter of the pairs (while it has
# fewer than half as many points as there are pairs)
_CUBIC_STEP = 0.05

#: torch intra-op threads for the CPU forward and backward (None: torch's own
#: count). The kernel is small; on a busy machine (data loaders, DDP ranks,
#: other jobs) threads waiting for a core cost more than they give, see
#: benchmarks/bench_ss_rate.py --compete.
KERNEL_THREADS: int | None = 1


@contextlib.contextmanager
def _kernel_threads(device: torch.device) -> Iterator[None]:
    """Run CPU work inside on KERNEL_THREADS intra-op threads; restore the count after."""
    import torch

    before = torch.get_num_threads()
    if KERNEL_THREADS is None or device.type != "cpu" or KERNEL_THREADS == before:
        yield
        return
    torch.set_num_threads(KERNEL_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _validate(
    F: Any,
    caller: str,
    num_thresholds: int,
    formula: str,
    k: float,
    fac: float | None,
    surrogate: str = "exact",
    k_unit: str = "distance",
) -> tuple[int, int]:
    check_int(num_thresholds, "num_thresholds", caller, low=2)
    check_choice(k_unit, "k_unit", caller, sf.K_UNITS)
    check_choice(formula, "formula", caller, sf.FORMULAS)
    check_choice(surrogate, "surrogate", caller, sf.SURROGATES)
    check_float(k, "k", caller, low=0.0, closed="right")
    if fac is not None:
        check_float(fac, "fac", caller, low=0.0, closed="right")
    return check_features(F, caller)


def _numpy_curve(
    F: np.ndarray, S: int, formula: str, caller: str, surrogate: str = "exact"
) -> SSCurve:
    D, B = F.shape
    return _pairs_curve(pair_distances(F, check_input=False), D, B, S, formula, caller, surrogate)


def _pairs_curve(
    C: np.ndarray, D: int, B: int, S: int, formula: str, caller: str, surrogate: str = "exact"
) -> SSCurve:
    """The curve from the P = D (D - 1) / 2 pair distances C (float64, any order)."""
    C = np.sort(C)
    if surrogate == "released":
        C = C.astype(np.float32).astype(np.float64)  # the script works in float32
    tz, tv = float(C[0]), float(C[-1])
    sf.check_spread(tz, tv, caller)
    theta = sf.thresholds(tz, tv, S, surrogate)
    counts = np.searchsorted(C, theta, side="left")  # strict: C_ij < theta_s
    return sf.hard_curve(counts, C.size, D, B, theta, tz, tv, formula, surrogate)


def _torch_distances(F: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    x = F.detach()
    if x.dtype not in (torch.float32, torch.float64):
        x = x.float()  # METHOD 3: float32 even under mixed precision
    return x, pair_distances(x, check_input=False)


def _first_threshold_above(
    C: torch.Tensor, theta: torch.Tensor, tz: float, tv: float
) -> torch.Tensor:
    """Index of the first theta_s > C_ij for every pair (S where there is none).

    The thresholds are evenly spaced in log(1 + theta), so the index follows from
    arithmetic; only distances within rounding reach of a threshold are placed
    by an exact binary search (a tiny fraction), so the result equals
    ``searchsorted(theta, C, right=True)`` at a fraction of its cost.
    """
    import torch

    S = theta.numel()
    log_tz = math.log1p(tz)
    pos = (torch.log1p(C.double()) - log_tz) / ((math.log1p(tv) - log_tz) / (S - 1))
    whole = pos.floor()
    first = (whole + 1).clamp_(0, S).long()
    frac = pos.sub_(whole)
    near = (frac < 1e-6) | (frac > 1 - 1e-6)
    idx = near.nonzero().squeeze(1)
    if idx.numel():
        first[idx] = torch.searchsorted(theta, C[idx].double(), right=True)
    return first


def _torch_curve(
    C: torch.Tensor, D: int, B: int, S: int, formula: str, caller: str, surrogate: str = "exact"
) -> tuple[SSCurve, torch.Tensor]:
    """Hard curve from condensed torch distances; returns (curve, theta tensor)."""
    import torch

    if surrogate == "released":
        C = C.float()
    tz, tv = (float(v) for v in torch.aminmax(C))
    sf.check_spread(tz, tv, caller)
    theta = sf.thresholds(tz, tv, S, surrogate)
    theta_t = torch.from_numpy(theta).to(C.device)
    # pair (i, j) is counted at every s from its first threshold above C_ij on
    if surrogate == "released":  # rounded thresholds are not evenly spaced: binary search
        first = torch.searchsorted(theta_t, C.double(), right=True)
    else:
        first = _first_threshold_above(C, theta_t, tz, tv)
    counts = torch.bincount(first, minlength=S + 1)[:S].cumsum(0)
    curve = sf.hard_curve(counts.cpu().numpy(), C.numel(), D, B, theta, tz, tv, formula, surrogate)
    return curve, theta_t


def _smooth_grad_at(
    values: torch.Tensor, theta: torch.Tensor, weights: torch.Tensor, k: float
) -> torch.Tensor:
    """sum_s weights_s * sigmoid'(k (theta_s - v)) for each v (float64), in blocks.

    Only the thresholds within ``_WINDOW / k`` of v are summed (sigmoid'(x) <=
    exp(-|x|), so the rest adds at most exp(-_WINDOW) sum_s |weights_s|, about
    4e-18 of it). The values are sorted first, so a block of neighbouring values
    shares one window of consecutive thresholds (``searchsorted``); with
    thresholds spread over many multiples of 1 / k the work falls from
    len(values) x S to len(values) x (thresholds per window).
    """
    import torch

    n, S = values.numel(), theta.numel()
    order = torch.argsort(values)
    v = values[order]
    half = _WINDOW / k
    lo = torch.searchsorted(theta, v - half)
    hi = torch.searchsorted(theta, v + half, right=True)
    width = int((hi - lo).max()) if n else 0
    out = torch.zeros_like(v)
    if width == 0:
        return out
    rows = max(1, _CHUNK // width)
    for start in range(0, n, rows):
        vb, lb, hb = v[start : start + rows], lo[start : start + rows], hi[start : start + rows]
        w = int((hb - lb).max())
        if w == 0:
            continue
        if 4 * w > S:  # many thresholds: a dense block is cheaper than the gather
            sg = torch.sigmoid(k * (theta[None, :] - vb[:, None]))
            out[start : start + rows] = (sg * (1.0 - sg)) @ weights
            continue
        idx = lb[:, None] + torch.arange(w, device=v.device)[None, :]
        inside = idx < hb[:, None]
        idx.clamp_(max=S - 1)
        sg = torch.sigmoid(k * (theta[idx] - vb[:, None]))
        term = sg * (1.0 - sg) * weights[idx]
        out[start : start + rows] = torch.where(inside, term, 0.0).sum(1)
    res = torch.empty_like(out)
    res[order] = out
    return res


def _cubic_on_grid(
    C: torch.Tensor,
    theta: torch.Tensor,
    g: torch.Tensor,
    k: float,
    scale: float,
    tz: float,
    tv: float,
    num: int,
) -> torch.Tensor:
    """dSS/dC_ij by cubic Hermite interpolation of f and f' on ``num`` points over [tz, tv].

    f(v) = scale sum_s g_s sigmoid'(k (theta_s - v)) and its exact derivative are
    evaluated on the grid; between two points the Hermite cubic errs by at most
    h^4 / 384 max |f^(4)| (h = the step, here 0.05 / k), about 1e-7 of max |f|
    (tested against the sum over every threshold).
    """
    import torch

    grid = torch.linspace(tz, tv, num, dtype=torch.float64, device=C.device)
    f = torch.empty_like(grid)
    df = torch.empty_like(grid)
    rows = max(1, _CHUNK // theta.numel())
    for start in range(0, num, rows):
        sg = torch.sigmoid(k * (theta[None, :] - grid[start : start + rows, None]))
        d1 = sg * (1.0 - sg)  # sigmoid'
        f[start : start + rows] = d1 @ g
        # d/dv sigmoid'(k (theta - v)) = -k sigmoid'' = -k sigmoid' (1 - 2 sigmoid)
        df[start : start + rows] = ((d1 * (1.0 - 2.0 * sg)) @ g) * (-k)
    f, df = f * scale, df * scale
    h = (tv - tz) / (num - 1)
    pos = (C.double() - tz) / h
    idx = pos.long().clamp_(0, num - 2)  # pos >= 0, so long() is floor
    t = pos.sub_(idx).clamp_(0.0, 1.0)
    t2 = t * t
    t3 = t2 * t
    out = (2 * t3 - 3 * t2 + 1) * f[idx] + (t3 - 2 * t2 + t) * (h * df[idx])
    out += (-2 * t3 + 3 * t2) * f[idx + 1] + (t3 - t2) * (h * df[idx + 1])
    return out.to(C.dtype)


def _pair_gradient(
    C: torch.Tensor,
    theta: torch.Tensor,
    grad_density: np.ndarray,
    k: float,
    fac: float,
    tz: float,
    tv: float,
) -> torch.Tensor:
    """dSS/dC_ij of the surrogate for every pair (condensed), in the dtype of C."""
    import torch

    P = C.numel()
    g = torch.as_tensor(grad_density, dtype=torch.float64, device=C.device)
    scale = -fac * k / P  # d sigmoid(k (theta - C)) / dC = -k sigmoid'
    num_grid = int(math.ceil((tv - tz) * k / _GRID_STEP)) + 1
    if num_grid >= P // 4:
        num_cubic = int(math.ceil((tv - tz) * k / _CUBIC_STEP)) + 1
        if num_cubic >= P // 2:  # pairs spread over ~ P / 40 multiples of 1 / k: every pair
            return (scale * _smooth_grad_at(C.double(), theta, g, k)).to(C.dtype)
        return _cubic_on_grid(C, theta, g, k, scale, tz, tv, num_cubic)
    grid = torch.linspace(tz, tv, num_grid, dtype=torch.float64, device=C.device)
    on_grid = (scale * _smooth_grad_at(grid, theta, g, k)).to(C.dtype)
    slope = on_grid[1:] - on_grid[:-1]
    pos = (C - tz) * ((num_grid - 1) / (tv - tz))
    idx = pos.long().clamp_(0, num_grid - 2)  # pos >= 0, so long() is floor
    return on_grid[idx].addcmul_(pos.sub_(idx), slope[idx])


@functools.lru_cache(maxsize=8)
def _upper_pairs(D: int, device: str) -> torch.Tensor:
    """Flat indices i * D + j of the pairs i < j, in condensed order."""
    import torch

    iu = torch.triu_indices(D, D, offset=1, device=device)
    return iu[0] * D + iu[1]


def _chain_to_features(x: torch.Tensor, C: torch.Tensor, dC: torch.Tensor) -> torch.Tensor:
    """dSS/dF from dSS/dC_ij for C_ij = ||F_i - F_j|| / sqrt(B): two D x D products."""
    import torch

    D, B = x.shape
    # dC_ij/dF_i = (F_i - F_j) / (B C_ij); zero-distance pairs get no gradient
    w = torch.where(C > 0, dC / (B * C).clamp_min(torch.finfo(C.dtype).tiny), 0.0)
    W = torch.zeros(D * D, dtype=x.dtype, device=x.device)
    W.scatter_(0, _upper_pairs(D, str(x.device)), w.to(x.dtype))
    W = W.view(D, D)
    W = W + W.T
    return W.sum(1, keepdim=True) * x - W @ x


def _make_function() -> Any:
    import torch

    class _SSRate(torch.autograd.Function):
        @staticmethod
        def forward(  # type: ignore[override]
            ctx: Any,
            F: torch.Tensor,
            S: int,
            formula: str,
            k: float,
            fac: float,
            caller: str,
            surrogate: str,
            k_unit: str,
        ) -> torch.Tensor:
            with _kernel_threads(F.device):
                x, C = _torch_distances(F)
                curve, theta = _torch_curve(
                    C, x.shape[0], x.shape[1], S, formula, caller, surrogate
                )
            ctx.save_for_backward(x, C, theta)
            ctx.in_dtype = F.dtype
            if k_unit == "max":  # k per largest pair distance
                k = k / curve.tv
            ctx.info = (curve.grad_density, k, fac, curve.tz, curve.tv)
            return torch.tensor(curve.value, dtype=x.dtype, device=x.device)

        @staticmethod
        def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
            x, C, theta = ctx.saved_tensors
            grad_density, k, fac, tz, tv = ctx.info
            with _kernel_threads(x.device):
                dC = _pair_gradient(C, theta, grad_density, k, fac, tz, tv)
                dF = _chain_to_features(x, C, dC) * grad_out.to(x.dtype)
            return dF.to(ctx.in_dtype), None, None, None, None, None, None, None

    return _SSRate


_FUNCTION: Any = None


@overload
def ss_rate(
    F: np.ndarray,
    *,
    num_thresholds: int = ...,
    formula: str = ...,
    k: float = ...,
    fac: float | None = ...,
    surrogate: str = ...,
    k_unit: str = ...,
) -> float: ...
@overload
def ss_rate(
    F: torch.Tensor,
    *,
    num_thresholds: int = ...,
    formula: str = ...,
    k: float = ...,
    fac: float | None = ...,
    surrogate: str = ...,
    k_unit: str = ...,
) -> torch.Tensor: ...
def ss_rate(
    F: np.ndarray | torch.Tensor,
    *,
    num_thresholds: int = 256,
    formula: str = "code",
    k: float = 1.0,
    fac: float | None = None,
    surrogate: str = "exact",
    k_unit: str = "distance",
) -> float | torch.Tensor:
    """SS_rate of the feature network of F.

    Parameters
    ----------
    F : numpy array or torch tensor of shape (D, B)
        One row per node (channel) holding its activations over a batch of B
        inputs; :func:`selfsim.feature_matrix` makes it from a layer output.
    num_thresholds : int, default 256
        S, the number of thresholds.
    formula : {"code", "paper"}, default "code"
        Closed-form box count: the released script's
        ``N = D - (D - 1) log(1 + (D - 1) p) / log D`` or the printed paper's
        ``N = 1 + (D - 1) log(D - (D - 1) p) / log D``.
    k : float, default 1.0
        Sharpness of the sigmoid in the surrogate backward (torch only).
    fac : float, optional
        Gradient scale of the surrogate backward; defaults to D (torch only).
    surrogate : {"exact", "released"}, default "exact"
        ``"exact"`` puts the first and last thresholds at TZ and TV and the chord's
        end points at 1 and 0 exactly (the definition). ``"released"`` builds
        thresholds and chord in float32 as the authors' released script does, so
        the end points sit at TZ and TV only up to float32 rounding; the sign of
        the two end-point terms, which dominate the surrogate gradient, then
        follows rounding. Offered to measure what that behaviour does in training.
    k_unit : {"distance", "max"}, default "distance"
        The unit of ``k``. ``"distance"``: per unit of pair distance (the released
        code), so the surrogate's smoothing depends on the activations' scale.
        ``"max"``: per largest pair distance TV of the batch (``k / TV`` per unit
        distance), the same smoothing relative to the spread whatever the scale
        (docs/training.md measures both; torch only).

    Returns
    -------
    float or 0-d tensor
        A Python float for numpy input; a 0-d tensor (float32 unless F is
        float64) for torch input, differentiable when F requires grad.

    Raises
    ------
    DegenerateInputError
        D < 3, B < 2, non-finite values, or all pair distances equal.

    Notes
    -----
    With C_ij over the P = D (D - 1) / 2 pairs, TZ = min C, TV = max C and
    ``theta_s = (1 + TZ) ((1 + TV) / (1 + TZ)) ** (s / (S - 1)) - 1``:
    ``p_s = #{C_ij < theta_s} / P``, ``y_s = log N(p_s) / log D``,
    ``c_s = (log(1 + TV) - log(1 + theta_s)) / (log(1 + TV) - log(1 + TZ))`` and
    ``SS_rate = (2 / S) sum_s |c_s - y_s|``.

    The backward pass is the straight-through surrogate: with
    ``g_s = dSS/dp_s``, ``dSS/dC_ij = -(fac k / P) sum_s g_s sigmoid'(k (theta_s - C_ij))``,
    one smooth function of C_ij evaluated on a grid and interpolated (relative
    error about 1e-6), so memory is O(P + D^2) instead of O(P S).

    Examples
    --------
    >>> import numpy as np
    >>> F = np.random.default_rng(0).normal(size=(64, 32))
    >>> 0.0 <= ss_rate(F) <= 1.0
    True
    """
    caller = "ss_rate"
    _validate(F, caller, num_thresholds, formula, k, fac, surrogate, k_unit)
    if isinstance(F, np.ndarray):
        return _numpy_curve(F, num_thresholds, formula, caller, surrogate).value
    global _FUNCTION
    if _FUNCTION is None:
        _FUNCTION = _make_function()
    D = int(F.shape[0])
    return _FUNCTION.apply(
        F,
        num_thresholds,
        formula,
        float(k),
        float(D if fac is None else fac),
        caller,
        surrogate,
        k_unit,
    )


DTYPES = ("float32", "float64")


def ss_curve(
    F: np.ndarray | torch.Tensor,
    *,
    num_thresholds: int = 256,
    formula: str = "code",
    dtype: str | None = None,
) -> SSCurve:
    """The curve behind SS_rate: thresholds, densities, box counts, chord and value.

    The one place that decides what a layer's SS_rate is: the analysis
    (float64) and the per-epoch evaluation of training (float32) both call it.

    Parameters
    ----------
    F : numpy array or torch tensor of shape (D, B)
    num_thresholds : int, default 256
    formula : {"code", "paper"}, default "code"
    dtype : {"float32", "float64"}, optional
        Precision of the pair distances. ``"float64"``: the plain numpy
        reference for numpy input (torch input stays on its device, in
        float64). ``"float32"``: the torch kernel of training, which is faster
        (numpy input is converted). None: float64 for numpy input; for torch
        input float32, or float64 when F is float64. The two agree to about
        1e-6 on layer activations (a distance within rounding of a threshold
        can change one pair count; see tests/metrics/test_ss_rate.py).

    Returns
    -------
    SSCurve
        Arrays of length S (numpy float64) and the value; torch input is detached.

    Examples
    --------
    >>> import numpy as np
    >>> curve = ss_curve(np.random.default_rng(0).normal(size=(16, 8)), num_thresholds=32)
    >>> float(curve.counts[0]), float(curve.densities[0])
    (16.0, 0.0)
    """
    caller = "ss_curve"
    D, B = _validate(F, caller, num_thresholds, formula, 1.0, None)
    if dtype is not None:
        check_choice(dtype, "dtype", caller, DTYPES)
    if isinstance(F, np.ndarray) and dtype != "float32":
        return _numpy_curve(F, num_thresholds, formula, caller)
    import torch

    x = torch.tensor(F) if isinstance(F, np.ndarray) else F
    if dtype is not None:
        x = x.to(torch.float32 if dtype == "float32" else torch.float64)
    with torch.no_grad():
        _, C = _torch_distances(x)
        return _torch_curve(C, D, B, num_thresholds, formula, caller)[0]
