"""feature_matrix: the reduction rules of METHOD section 1."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from selfsim import InvalidInputError, feature_matrix


def test_conv_maps_are_averaged_over_space():
    h = np.arange(2 * 3 * 2 * 2, dtype=float).reshape(2, 3, 2, 2)
    F = feature_matrix(h)
    assert F.shape == (3, 2)
    np.testing.assert_allclose(F[1, 0], h[0, 1].mean())
    np.testing.assert_allclose(F[2, 1], h[1, 2].mean())


def test_tokens_are_averaged_over_sequence_class_token_included():
    h = np.random.default_rng(0).normal(size=(4, 5, 6))
    F = feature_matrix(h)
    assert F.shape == (6, 4)
    np.testing.assert_allclose(F, h.mean(axis=1).T)


def test_channels_last_maps():
    h = np.random.default_rng(1).normal(size=(4, 7, 7, 96))
    np.testing.assert_allclose(feature_matrix(h), h.mean(axis=(1, 2)).T)
    np.testing.assert_allclose(feature_matrix(h, layout="NCHW"), h.mean(axis=(2, 3)).T)


def test_two_d_is_transposed_and_torch_keeps_grad():
    h = torch.randn(8, 5, requires_grad=True)
    F = feature_matrix(h)
    assert isinstance(F, torch.Tensor) and F.shape == (5, 8)
    F.sum().backward()
    assert torch.equal(h.grad, torch.ones(8, 5))


def test_numpy_and_torch_agree():
    h = np.random.default_rng(2).normal(size=(3, 16, 4, 4))
    np.testing.assert_allclose(feature_matrix(torch.tensor(h)).numpy(), feature_matrix(h))


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4, 5, 6)])
def test_unsupported_rank(shape):
    with pytest.raises(InvalidInputError, match="cannot reduce an output of rank"):
        feature_matrix(np.zeros(shape))


def test_layout_rank_mismatch_and_bad_type():
    with pytest.raises(InvalidInputError, match="needs rank 4"):
        feature_matrix(np.zeros((2, 3)), layout="NCHW")
    with pytest.raises(InvalidInputError, match="numpy array or torch tensor"):
        feature_matrix([[1.0, 2.0]])
    with pytest.raises(InvalidInputError, match="'layout' parameter"):
        feature_matrix(np.zeros((2, 3)), layout="CHW")
