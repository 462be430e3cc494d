"""Shared helpers for the training tests: a tiny, fast configuration."""

from __future__ import annotations

import pytest

TINY = [
    "data.name=synthetic",
    "data.train_samples=64",
    "data.test_samples=32",
    "data.eval_batch=16",
    "batch_size=16",
    "model.name=resmlp_tiny_32",
    'model.kwargs={"num_blocks": 2, "embed_dim": 32}',
    "ss.num_thresholds=64",
    "tensorboard=false",
]


@pytest.fixture
def tiny_overrides() -> list[str]:
    return list(TINY)
