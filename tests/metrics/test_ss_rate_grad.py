"""The fast straight-through backward against the dense surrogate and properties."""

from __future__ import annotations

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
        C = torch.cat([theta, on, torch.nextafter(theta, theta + 1), torch.nextafter(theta, theta - 1),
                       tz + (tv - tz) * torch.from_numpy(rng.random(5000))]).clamp(tz, tv)
        for Cx in (C, C.float()):
            expected = torch.searchsorted(theta, Cx.double(), right=True)
            assert torch.equal(_first_threshold_above(Cx, theta, tz, tv), expected)
