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


@pytest.fixture
def run_main(capsys, monkeypatch):
    """The CLI in this process (same code path, no interpreter start-up): for the cheap cases."""
    import subprocess

    from selfsim.cli import main

    def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        rc = main(list(args))
        out = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), rc, out.out, out.err)

    return run
