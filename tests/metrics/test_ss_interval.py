"""SS_rate's bootstrap interval over images: exact resampling, ground-truth coverage."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from selfsim import DegenerateInputError, InvalidInputError, ss_rate
from selfsim.metrics import bootstrap_weights, mean_interval, ss_rate_interval


def _features(rng: np.random.Generator, mixing: np.ndarray, B: int, kind: str) -> np.ndarray:
    """B fresh samples of D channels from a fixed population: a low-rank mixture plus noise."""
    D, r = mixing.shape
    z = rng.standard_t(3, size=(r, B)) if kind == "t" else rng.standard_normal((r, B))
    F = mixing @ z + 0.3 * rng.standard_normal((D, B))
    return np.maximum(F - 0.5, 0.0) if kind == "relu" else F


def test_a_draw_is_the_batch_with_images_repeated():
    # a resample holds image k w_k times: the draw must equal SS_rate of that batch
    rng = np.random.default_rng(3)
    F = rng.normal(size=(24, 40))
    iv = ss_rate_interval(F, draws=5, seed=7)
    for value, w in zip(iv.draws, bootstrap_weights(40, 5, seed=7), strict=True):
        repeated = F[:, np.repeat(np.arange(40), w)]
        assert value == pytest.approx(ss_rate(repeated), abs=1e-12)
    assert iv.value == ss_rate(F)
    assert iv.defined == 5


def test_same_seed_same_draws_and_shared_across_layers():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(16, 30)), rng.normal(size=(40, 30))
    first = ss_rate_interval(a, draws=20, seed=1)
    np.testing.assert_array_equal(first.draws, ss_rate_interval(a, draws=20, seed=1).draws)
    assert not np.array_equal(first.draws, ss_rate_interval(a, draws=20, seed=2).draws)
    # two layers of one batch: resample i takes the same images in both
    np.testing.assert_array_equal(bootstrap_weights(30, 20, 1), bootstrap_weights(30, 20, 1))
    # the mean over two copies of a layer has that layer's interval
    lo, hi = mean_interval([first.draws, first.draws])
    assert (lo, hi) == pytest.approx((first.low, first.high))
    other = ss_rate_interval(b, draws=20, seed=1)
    lo, hi = mean_interval([first.draws, other.draws])
    assert lo <= (first.value + other.value) / 2 <= hi or np.isnan(lo)


@pytest.mark.parametrize("kind", ["gauss", "relu"])
def test_interval_covers_the_mean_over_fresh_batches(kind):
    # ground truth: SS_rate over 400 fresh batches of the same size from a known population;
    # the 95 % interval of 60 independent batches must hold their mean about 95 % of the time
    D, B, reps = 32, 64, 60
    rng = np.random.default_rng(1)
    mixing = rng.standard_normal((D, 8)) * rng.lognormal(0, 0.7, size=(D, 1))
    fresh = np.array([ss_rate(_features(rng, mixing, B, kind)) for _ in range(400)])
    truth, spread = fresh.mean(), fresh.std(ddof=1)
    covered = covered_half = 0
    ses = []
    for _ in range(reps):
        iv = ss_rate_interval(_features(rng, mixing, B, kind), draws=200, seed=rng)
        covered += iv.low <= truth <= iv.high
        # an interval half as wide (a wrong one) must be caught by the same check
        mid, half = (iv.low + iv.high) / 2, (iv.high - iv.low) / 4
        covered_half += mid - half <= truth <= mid + half
        ses.append(iv.se)
    assert covered / reps >= 0.85
    assert covered_half / reps < 0.85
    assert 0.7 <= float(np.median(ses)) / spread <= 1.3


def test_torch_input_and_errors():
    F = torch.randn(12, 20, generator=torch.Generator().manual_seed(0))
    iv = ss_rate_interval(F, draws=10)
    assert iv.value == pytest.approx(ss_rate(F.double().numpy()))
    with pytest.raises(InvalidInputError, match="draws"):
        ss_rate_interval(F, draws=0)
    with pytest.raises(InvalidInputError, match="level"):
        ss_rate_interval(F, draws=10, level=1.0)
    with pytest.raises(DegenerateInputError):
        ss_rate_interval(np.ones((8, 10)), draws=10)


def test_degenerate_draws_are_left_out():
    # two distinct images only: some resamples repeat one image, and then every channel pair
    # is at the same distance... only when the channels differ in one coordinate: build that
    F = np.zeros((6, 2))
    F[:, 0] = np.arange(6.0)
    F[:, 1] = np.arange(6.0) ** 2
    iv = ss_rate_interval(F, draws=40, seed=0)
    assert 0 < iv.defined <= 40
    assert np.isnan(iv.draws).sum() == 40 - iv.defined
    assert mean_interval([]) != mean_interval([]) or np.isnan(mean_interval([])[0])
    assert np.isnan(mean_interval([np.zeros(3), np.zeros(4)])[0])
