"""Null models of G_M: surrogates keep what they claim to keep, and noise is not called fractal."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from selfsim import InvalidInputError, analyze
from selfsim.analysis.config import AnalysisConfig
from selfsim.metrics.null import feature_null_test, surrogate_features


def test_spectrum_surrogate_keeps_singular_values_and_samples():
    F = np.random.default_rng(0).gamma(2.0, size=(40, 12))
    S = surrogate_features(F, "spectrum", seed=3)
    assert S.shape == F.shape
    np.testing.assert_allclose(
        np.linalg.svd(S, compute_uv=False), np.linalg.svd(F, compute_uv=False)
    )
    # same sample Gram matrix F^T F (the rows' directions are what is randomised)
    np.testing.assert_allclose(S.T @ S, F.T @ F, rtol=1e-9, atol=1e-9)
    assert not np.allclose(S @ S.T, F @ F.T)


def test_shuffle_surrogate_keeps_each_channel_and_is_seeded():
    F = np.random.default_rng(1).normal(size=(30, 10))
    S = surrogate_features(F, "shuffle", seed=2)
    np.testing.assert_array_equal(np.sort(S, axis=1), np.sort(F, axis=1))
    np.testing.assert_array_equal(S, surrogate_features(F, "shuffle", seed=2))
    with pytest.raises(InvalidInputError, match="'kind' parameter"):
        surrogate_features(F, "phase")


def _hierarchy(rng, depth=3, branch=5, B=48):
    """Channels on the leaves of a tree of clusters, spread shrinking by half per level."""
    X = np.zeros((1, B))
    for d in range(depth):
        X = np.repeat(X, branch, axis=0) + rng.normal(size=(X.shape[0] * branch, B)) * 0.5**d
    return X


def test_noise_is_consistent_with_the_null_and_not_fractal():
    """Gaussian F is exactly a draw of the spectrum null (its left singular vectors are Haar)."""
    F = np.random.default_rng(5).normal(size=(96, 32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = feature_null_test(F, num_surrogates=19, num_thresholds=64, box_thresholds=24, seed=0)
    assert res.verdict != "fractal" and not res.fit.is_fractal
    assert res.p_ss_rate > 0.05 and res.ss_rate_verdict == "consistent with the null"
    lo, _, hi = res.ss_rate_quantiles
    assert lo <= res.ss_rate <= hi
    assert res.d_B_null.shape == (19,) and res.ss_rate_null.shape == (19,)


def test_hierarchical_features_differ_from_the_null():
    F = _hierarchy(np.random.default_rng(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = feature_null_test(F, num_surrogates=19, num_thresholds=64, box_thresholds=24, seed=0)
    # the cluster hierarchy is far outside both null distributions
    assert res.p_d_B <= 0.1 and res.p_ss_rate <= 0.1
    assert not (res.d_B_quantiles[0] <= res.d_B <= res.d_B_quantiles[2])


def test_random_init_layers_on_random_inputs_are_not_fractal():
    torch.manual_seed(0)
    cfg = AnalysisConfig(
        measures=("ss", "boxcount", "null"), num_thresholds=64, box_thresholds=24, null_surrogates=9
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = analyze(
            "resnet_tiny_32", torch.randn(32, 3, 32, 32), layers="layer1,layer2", config=cfg
        )
    for r in rep.layers:
        assert r.status == "ok" and np.isfinite(r.null_d_B_p) and np.isfinite(r.d_B_ci_low), r
        assert r.fractal_verdict != "fractal" and not r.is_fractal, r
