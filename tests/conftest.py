"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """The shared real data sets (beside the checkout, or $SELFSIM_DATA_DIR); None when absent."""
    env = os.environ.get("SELFSIM_DATA_DIR")
    for cand in ([Path(env)] if env else []) + [REPO_ROOT.parent / "shared" / "data"]:
        if cand.is_dir():
            return cand
    return None


@pytest.fixture
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("shared data sets not found (set SELFSIM_DATA_DIR)")
    return path
