"""Fixtures of the bad-input suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from safety_helpers import TINY_TRAIN, run_cli


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A finished 1-epoch training run (made once per module; copy before changing it)."""
    pytest.importorskip("timm")
    root = tmp_path_factory.mktemp("finished")
    proc = run_cli("train", *TINY_TRAIN, "--epochs", "1", "--out", "run", cwd=root)
    assert proc.returncode == 0, proc.stderr
    return root / "run"
