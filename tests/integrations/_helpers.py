"""Helpers shared by the integration tests (kept out of conftest so tests can import them)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SRC = Path(__file__).resolve().parents[2] / "src"


def run_launched(cmd: list[str], out: Path, timeout: int = 300) -> dict:
    """Run ``cmd`` (a launcher around an example) in a subprocess; return OUT/summary.json."""
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=str(EXAMPLES)
    )
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-4000:])
    return json.loads((out / "summary.json").read_text())


def same_constraint_state(a: dict, b: dict) -> None:
    """The parts of two constraint states that do not depend on the data order."""
    for key in ("gate", "rng", "current", "epoch", "layers", "epoch_count"):
        assert a[key] == b[key], key
