"""box_counts_features: counts are monotone in the threshold and order-independent."""

from __future__ import annotations

import numpy as np

from selfsim import box_counts_features
from selfsim.network.distances import pair_distances


def test_feature_counts_never_increase_with_threshold():
    # greedy colouring alone can find one box more at a larger threshold; a cover valid at a
    # smaller threshold stays valid, so the reported counts must be non-increasing
    rng = np.random.default_rng(11)
    for trial in range(20):
        F = rng.normal(size=(40, 6))
        C = pair_distances(F)
        thresholds = np.linspace(C.min(), C.max() * 1.01, 60)
        counts = box_counts_features(F, thresholds, seed=trial)
        assert np.all(np.diff(counts) <= 0), counts
        shuffled = rng.permutation(60)
        np.testing.assert_array_equal(
            box_counts_features(F, thresholds[shuffled], seed=trial), counts[shuffled]
        )
