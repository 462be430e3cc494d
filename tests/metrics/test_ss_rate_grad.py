"""The fast straight-through backward against the dense surrogate and properties."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from selfsim import ss_rate
from selfsim.metrics.ss_dense import ss_rate_dense


def _grads(F: np.ndarray, dtype, **kw):
    out = []
    for fn in (ss_rate, ss_rate_dense):
        x = torch.tensor(F, dtype=dtype, requires_grad=True)
        v = fn(x, **kw)
        v.backward()
        out.append((float(v.detach()), x.grad.clone()))
    return out


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


@pytest.mark.parametrize("shape", [(5, 3), (40, 8), (150, 32)])
@pytest.mark.parametrize("formula", ["code", "paper"])
def test_fast_gradient_matches_dense(shape, formula):
    F = np.random.default_rng(shape[0]).normal(size=shape)
    (v_fast, g_fast), (v_dense, g_dense) = _grads(F, torch.float64, formula=formula)
    assert v_fast == pytest.approx(v_dense, abs=1e-12)  # same hard counts
    assert g_dense.norm() > 0
    assert _rel(g_fast, g_dense) < 1e-4


@pytest.mark.parametrize("k, fac", [(1.0, None), (5.0, 1.0), (50.0, 300.0), (0.2, 10.0)])
def test_fast_gradient_matches_dense_for_k_and_fac(k, fac):
    F = np.random.default_rng(7).normal(size=(60, 16))
    (v_fast, g_fast), (v_dense, g_dense) = _grads(F, torch.float64, k=k, fac=fac)
    assert v_fast == pytest.approx(v_dense, abs=1e-12)
    assert _rel(g_fast, g_dense) < 1e-4


def test_float32_gradient_matches_dense():
    F = np.random.default_rng(8).normal(size=(200, 64))
    (v_fast, g_fast), (v_dense, g_dense) = _grads(F, torch.float32)
    assert v_fast == pytest.approx(v_dense, abs=1e-6)
    assert g_fast.dtype == torch.float32
    assert _rel(g_fast, g_dense) < 1e-4


def test_gradient_scales_with_fac_and_reaches_layer_weights():
    torch.manual_seed(0)
    layer = torch.nn.Linear(16, 32)
    x = torch.randn(24, 16)
    grads = []
    for fac in (1.0, 3.0):
        layer.zero_grad()
        ss_rate(layer(x).T, fac=fac).backward()
        grads.append(layer.weight.grad.clone())
    assert grads[0].norm() > 0
    torch.testing.assert_close(grads[1], 3.0 * grads[0])


def test_duplicate_nodes_give_finite_gradient():
    F = np.random.default_rng(9).normal(size=(10, 4))
    F[3] = F[2]  # a zero distance
    x = torch.tensor(F, requires_grad=True)
    ss_rate(x).backward()
    assert torch.isfinite(x.grad).all()


@settings(max_examples=40, deadline=None)
@given(
    D=st.integers(3, 30),
    B=st.integers(2, 12),
    log_scale=st.floats(-3, 3),
    seed=st.integers(0, 2**16),
)
def test_properties_over_shapes_and_scales(D, B, log_scale, seed):
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(D, B)) * 10.0**log_scale
    v = ss_rate(F, num_thresholds=32)
    assert 0.0 <= v <= 1.0
    x = torch.tensor(F, requires_grad=True)
    t = ss_rate(x, num_thresholds=32)
    assert float(t.detach()) == pytest.approx(v, abs=1e-9)
    t.backward()
    assert torch.isfinite(x.grad).all()
    x2 = torch.tensor(F, requires_grad=True)
    ss_rate_dense(x2, num_thresholds=32).backward()
    denom = float(x2.grad.norm())
    if denom > 1e-12:
        assert float((x.grad - x2.grad).norm()) / denom < 1e-4


def test_threshold_binning_equals_binary_search_on_ties():
    from selfsim.metrics import _ss_formulas as sf
    from selfsim.metrics.ss_rate import _first_threshold_above

    rng = np.random.default_rng(10)
    for tz, tv, S in [(0.0, 1.0, 256), (0.3, 0.30001, 16), (1e-6, 50.0, 256)]:
        theta = torch.from_numpy(sf.thresholds(tz, tv, S))
        # distances sitting exactly on thresholds, one ulp either side, and random
        on = theta.float().double()
        C = torch.cat(
            [
                theta,
                on,
                torch.nextafter(theta, theta + 1),
                torch.nextafter(theta, theta - 1),
                tz + (tv - tz) * torch.from_numpy(rng.random(5000)),
            ]
        ).clamp(tz, tv)
        for Cx in (C, C.float()):
            expected = torch.searchsorted(theta, Cx.double(), right=True)
            assert torch.equal(_first_threshold_above(Cx, theta, tz, tv), expected)


def _brute_smooth_grad(values: np.ndarray, theta: np.ndarray, w: np.ndarray, k: float):
    """sum_s w_s sigmoid'(k (theta_s - v)) over all P x S pairs (float64, numpy)."""
    x = k * (theta[None, :] - values[:, None])
    s = 0.5 * (1.0 + np.tanh(0.5 * x))  # sigmoid, written independently of torch
    return (s * (1.0 - s)) @ w


@pytest.mark.parametrize("k, spread", [(1.0, 3.0), (5.0, 200.0), (50.0, 40.0), (0.2, 1e4)])
def test_windowed_smooth_gradient_equals_every_threshold(k, spread):
    """Only thresholds within 40 / k of a value: error <= exp(-40) sum |w| (stated bound)."""
    from selfsim.metrics.ss_rate import _smooth_grad_at

    rng = np.random.default_rng(3)
    theta = np.expm1(np.linspace(0.0, np.log1p(spread), 256))  # evenly spaced in log(1 + theta)
    values = rng.uniform(0.0, spread, size=5000)
    values[:10] = theta[:10]  # values on thresholds, and at both ends
    values[10], values[11] = 0.0, spread
    w = rng.normal(size=256)
    want = _brute_smooth_grad(values, theta, w, k)
    got = _smooth_grad_at(
        torch.from_numpy(values), torch.from_numpy(theta), torch.from_numpy(w), k
    ).numpy()
    bound = np.exp(-40.0) * np.abs(w).sum() + 1e-12 * np.abs(want) + 1e-300
    assert np.all(np.abs(got - want) <= bound + 1e-15 * np.abs(w).sum())
    assert np.abs(want).max() > 1e-3  # not a vacuous all-zero case


def test_spread_activations_take_the_windowed_path_and_match_dense():
    """Pairs spread over many multiples of 1 / k (no interpolation grid): equals the dense."""
    mod = importlib.import_module("selfsim.metrics.ss_rate")  # the module, not the function

    rng = np.random.default_rng(11)
    F = rng.normal(size=(80, 16)) * np.exp(rng.uniform(0, 6, size=(80, 1)))
    P = 80 * 79 // 2
    x = torch.tensor(F)
    C = torch.pdist(x) / 4.0
    tz, tv = float(C.min()), float(C.max())
    assert (tv - tz) * 5.0 / mod._GRID_STEP >= P // 4  # the fall-back branch is taken
    (v_fast, g_fast), (v_dense, g_dense) = _grads(F, torch.float64, k=5.0)
    assert v_fast == pytest.approx(v_dense, abs=1e-12)
    assert g_dense.norm() > 0
    assert _rel(g_fast, g_dense) < 1e-10


@pytest.mark.parametrize("k, spread", [(1.0, 600.0), (20.0, 30.0)])
def test_cubic_grid_gradient_equals_every_threshold(k, spread):
    """Hermite cubic on a grid of step 0.05 / k: within 1e-6 of max |dC| of the full sum."""
    from selfsim.metrics.ss_rate import _cubic_on_grid

    rng = np.random.default_rng(5)
    theta = np.expm1(np.linspace(np.log1p(1.0), np.log1p(spread), 256))
    C = np.sort(rng.uniform(1.0, spread, size=20000))
    C[0], C[-1] = 1.0, spread
    g = rng.normal(size=256)
    num = int(np.ceil((spread - 1.0) * k / 0.05)) + 1
    got = _cubic_on_grid(
        torch.from_numpy(C), torch.from_numpy(theta), torch.from_numpy(g), k, -2.0, 1.0, spread, num
    ).numpy()
    want = -2.0 * _brute_smooth_grad(C, theta, g, k)
    assert np.abs(want).max() > 1e-3
    assert np.abs(got - want).max() <= 1e-6 * np.abs(want).max()


def test_a_step_along_the_surrogate_gradient_moves_the_true_ss_rate_its_way():
    """The surrogate is checked against a dense copy of the same formula above; a sign error
    shared by both would pass there. Here the true (piecewise constant) SS_rate itself: a
    step of 3 % of ||F|| along +g raises it and along -g lowers it in most of 12 Gaussian
    matrices at D = 256 (benchmarks/bench_ss_direction.py: 18 and 18 of 20), and moves it
    more than a random step of the same length orthogonal to F."""
    gen = torch.Generator().manual_seed(3)
    rose = fell = 0
    along, random_moves = [], []
    for _ in range(12):
        F = torch.randn(256, 64, generator=gen, dtype=torch.float64)
        x = F.clone().requires_grad_(True)
        value = ss_rate(x)
        value.backward()
        g = x.grad / x.grad.norm()
        step = 0.03 * F.norm()
        s0 = float(value.detach())
        up, down = float(ss_rate(F + step * g)) - s0, float(ss_rate(F - step * g)) - s0
        r = torch.randn(F.shape, generator=gen, dtype=F.dtype)
        r = r - (r * F).sum() / (F * F).sum() * F
        random_moves.append(abs(float(ss_rate(F + step * r / r.norm())) - s0))
        rose += up > 0
        fell += down < 0
        along.append(up)
    assert rose >= 10 and fell >= 10, (rose, fell)
    assert np.mean(along) > 1.5 * np.mean(random_moves)


def test_k_per_largest_distance_is_k_over_tv_and_matches_dense():
    """k_unit="max": the same gradient as k / TV per unit distance, in the fast path and the
    dense reference; the value does not depend on it; a bad unit is refused."""
    from selfsim import InvalidInputError
    from selfsim.metrics.ss_rate import ss_curve

    F = np.random.default_rng(4).normal(size=(40, 12)) * 3.0
    x = torch.tensor(F)
    tv = ss_curve(F).tv  # the largest pair distance, as SS_rate measures it
    (v1, g_rel), (v2, g_dense) = _grads(F, torch.float64, k=64.0, k_unit="max")
    (v3, g_abs), _ = _grads(F, torch.float64, k=64.0 / tv)
    assert v1 == v3 == pytest.approx(v2)
    assert _rel(g_rel, g_abs) < 1e-9 and _rel(g_rel, g_dense) < 1e-4
    with pytest.raises(InvalidInputError, match="k_unit"):
        ss_rate(x, k_unit="pairs")


def test_k_per_largest_distance_points_right_at_any_scale():
    """The released k = 1 smooths over a fixed distance, so on small activations (largest pair
    distance about 3, as in the ResNet's blocks) its gradient is a poor guide; k = 64 per largest
    distance is the same surrogate at every scale and raises the true SS_rate along +g in most
    matrices at either scale (benchmarks/bench_ss_direction.py --k-unit max)."""
    gen = torch.Generator().manual_seed(11)
    for scale in (0.25, 4.0):
        rose = 0
        for _ in range(10):
            F = scale * torch.randn(128, 64, generator=gen, dtype=torch.float64)
            x = F.clone().requires_grad_(True)
            value = ss_rate(x, k=64.0, k_unit="max")
            value.backward()
            step = 0.03 * F.norm() * x.grad / x.grad.norm()
            rose += float(ss_rate(F + step)) > float(value.detach())
        assert rose >= 8, (scale, rose)


def test_k1_surrogate_collapses_to_the_sum_of_distances_on_a_narrow_spread():
    """Where k (TV - TZ) is small the sigmoid is nearly straight over every distance, so the
    k = 1 gradient is a multiple of the gradient of the sum of pair distances (docs/training.md:
    |cos| >= 0.99 in every real layer where k = 1 went wrong); k per largest distance is not."""
    F = 0.25 * torch.randn(64, 64, generator=torch.Generator().manual_seed(5), dtype=torch.float64)

    def grad(fn):
        x = F.clone().requires_grad_(True)
        fn(x).backward()
        return x.grad

    total = grad(lambda x: torch.nn.functional.pdist(x).sum())

    def cos(g):
        return abs(float((g * total).sum() / g.norm() / total.norm()))

    assert cos(grad(lambda x: ss_rate(x))) > 0.999
    assert cos(grad(lambda x: ss_rate(x, k=32.0, k_unit="max"))) < 0.9


def test_dense_moving_thresholds_add_only_the_extreme_pairs_pull():
    """ss_rate_dense(thresholds="moving") also differentiates through TZ = min C and TV = max C:
    the same value, and a gradient that differs from the fixed-threshold surrogate (that of the
    fast path) only on the rows of the closest and the farthest pair."""
    F = torch.randn(24, 16, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    grads, values = {}, {}
    for mode in ("fixed", "moving"):
        x = F.clone().requires_grad_(True)
        value = ss_rate_dense(x, k=32.0, k_unit="max", thresholds=mode)
        value.backward()
        grads[mode], values[mode] = x.grad, float(value)
    x = F.clone().requires_grad_(True)
    ss_rate(x, k=32.0, k_unit="max").backward()
    assert torch.allclose(x.grad, grads["fixed"], rtol=1e-4, atol=1e-9)
    assert values["moving"] == values["fixed"] == pytest.approx(float(ss_rate(F)), abs=1e-12)
    C = torch.nn.functional.pdist(F)
    iu = torch.triu_indices(24, 24, 1)
    extremes = {int(iu[r, int(i)]) for i in (C.argmin(), C.argmax()) for r in (0, 1)}
    moved = (grads["moving"] - grads["fixed"]).abs().sum(1) > 1e-12
    changed = {int(i) for i in torch.nonzero(moved)}
    assert changed and changed <= extremes
    with pytest.raises(ValueError, match="thresholds must be"):
        ss_rate_dense(F, thresholds="free")
