"""Helpers for the bad-input suite (tests/safety): run the CLI as a user would and fingerprint directories."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

# a training run that takes seconds: 64 synthetic images, a 2-block ResMLP
TINY_TRAIN = [
    "--preset",
    "small",
    "--model",
    "resmlp_tiny_32",
    "--data",
    "synthetic",
    "--batch-size",
    "16",
    "--set",
    "data.train_samples=64",
    "--set",
    "data.test_samples=32",
    "--set",
    "data.eval_batch=16",
    "--set",
    'model.kwargs={"num_blocks": 2, "embed_dim": 32}',
    "--set",
    "ss.num_thresholds=64",
    "--set",
    "tensorboard=false",
]


def run_cli(
    *args: str, cwd: Path, timeout: float = 300, pre: str = "", **popen: object
) -> subprocess.CompletedProcess:
    """``python -m selfsim ARGS`` in ``cwd`` (``pre``: Python run first, e.g. to patch a writer)."""
    env = dict(os.environ, PYTHONPATH=str(SRC), OMP_NUM_THREADS="1")
    code = f"{pre}\nimport sys\nfrom selfsim.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        **popen,
    )


def fingerprint(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root`` (symlinks by their target)."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = "link:" + os.readlink(p)
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


def assert_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    """Exit code 2, a one-or-two-line message naming each fragment, no traceback."""
    err = proc.stderr.strip()
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], err[-2000:])
    assert "Traceback" not in err, err
    lines = err.splitlines()
    start = [i for i, ln in enumerate(lines) if ln.startswith("selfsim ") and ": error: " in ln]
    assert start and len(lines) - start[-1] <= 2, err  # the message ends stderr, 1-2 lines
    for f in fragments:
        assert f in err, (f, err)
