"""surrogate="released": float32 thresholds and chord as the authors' script builds them.

Checked against a direct transcription of that computation (dense, float32,
every pair-threshold term), on fixed inputs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from selfsim import ss_rate


def _released_transcription(F: torch.Tensor, S: int = 256, k: float = 1.0) -> torch.Tensor:
    """The released computation, written out: float32 everywhere, no exact end points."""
    D, B = F.shape
    C = torch.pdist(F) / math.sqrt(B)
    tz, tv = C.min().detach(), C.max().detach()
    t = torch.arange(S, dtype=torch.float32) / (S - 1)
    theta = (1 + tz) * ((1 + tv) / (1 + tz)) ** t - 1
    hard = (C[:, None] < theta[None, :]).float().mean(0).double()
    soft = D * torch.sigmoid(k * (theta[None, :] - C[:, None])).mean(0).double()
    p = hard + (soft - soft.detach())
    N = D - (D - 1) * torch.log1p((D - 1) * p) / math.log(D)
    y = torch.log(N) / math.log(D)
    c = ((torch.log1p(tv) - torch.log1p(theta)) / (torch.log1p(tv) - torch.log1p(tz))).double()
    return 2.0 / S * (c - y).abs().sum()


def _value_and_grad(fn, F):
    x = F.clone().requires_grad_(True)
    v = fn(x)
    v.backward()
    return float(v), x.grad


@pytest.mark.parametrize(
    "D,B,seed", [(16, 8, 0), (48, 16, 1), (128, 64, 2), (256, 32, 3), (64, 64, 7)]
)
def test_released_matches_transcription(D, B, seed):
    F = torch.from_numpy(np.random.default_rng(seed).normal(size=(D, B)).astype(np.float32))
    v_fast, g_fast = _value_and_grad(lambda x: ss_rate(x, surrogate="released"), F)
    v_ref, g_ref = _value_and_grad(_released_transcription, F)
    assert v_fast == pytest.approx(v_ref, abs=2e-6)
    assert (g_fast - g_ref).norm() / g_ref.norm() < 1e-3


def test_the_option_matters_where_rounding_flips_an_end_point_term():
    # on this input the exact end points give a gradient 8 % away from the released one
    F = torch.from_numpy(np.random.default_rng(7).normal(size=(64, 64)).astype(np.float32))
    _, g_exact = _value_and_grad(ss_rate, F)
    _, g_ref = _value_and_grad(_released_transcription, F)
    assert (g_exact - g_ref).norm() / g_ref.norm() > 0.01


def test_released_and_exact_differ_only_at_the_end_points():
    # same hard counts inside; the values agree to float32 rounding of the end-point terms
    F = torch.from_numpy(np.random.default_rng(5).normal(size=(64, 32)).astype(np.float32))
    exact, released = ss_rate(F), ss_rate(F, surrogate="released")
    assert abs(float(exact) - float(released)) < 2.0 / 256 * 2  # at most the two end terms
    np_value = ss_rate(F.double().numpy(), surrogate="released")
    assert np_value == pytest.approx(float(released), abs=1e-5)


def test_unknown_surrogate_is_a_clear_error():
    with pytest.raises(ValueError, match="surrogate"):
        ss_rate(np.ones((4, 3)) + np.arange(12).reshape(4, 3), surrogate="float32")
