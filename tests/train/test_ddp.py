"""DDP: two CPU processes under torchrun (gloo); the gate reference is averaged."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("timm")
torch = pytest.importorskip("torch")
if not torch.distributed.is_available():  # pragma: no cover
    pytest.skip("torch.distributed is not available", allow_module_level=True)

from selfsim.train.rundir import epoch_lines, read_metrics, run_state  # noqa: E402


def _launch(out, tiny_overrides, *extra):
    sets = [a for o in [*tiny_overrides, *extra] for a in ("--set", o)]
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "selfsim",
        "train",
        "--model",
        "resmlp_tiny_32",
        "--data",
        "synthetic",
        "--preset",
        "small",
        "--epochs",
        "2",
        "--ss-mode",
        "constrain",
        "--ss-alpha",
        "1.0",
        "--ss-gamma",
        "0.1",
        "--device",
        "cpu",
        "--out",
        str(out),
        *sets,
        "--set",
        "aug.repeated_aug=1",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert run_state(out) == "finished"


@pytest.mark.slow
def test_two_process_run(tmp_path, tiny_overrides):
    out = tmp_path / "ddp"
    _launch(out, tiny_overrides)
    doc = json.loads((out / "config.json").read_text())
    assert doc["world_size"] == 2
    steps = [m for m in read_metrics(out) if m["kind"] == "step"]
    assert len(steps) == 2 * 2  # 64 images over 2 processes, 16 per step: 2 steps an epoch
    first = epoch_lines(out)[0]
    by_rank = first["train_ss_rate_by_rank"]
    assert len(by_rank) == 2 and all(0.0 < v < 1.0 for v in by_rank)  # both ranks ran
    assert by_rank[0] != by_rank[1]  # different local batches
    # rank 0's own mean is what its step lines show
    rank0 = [m["ss_rate"] for m in steps if m["epoch"] == 0]
    assert by_rank[0] == pytest.approx(sum(rank0) / len(rank0), rel=1e-6)
    # the reference is the average over processes (equal step counts), not rank 0's value
    assert first["gate_reference"] == pytest.approx(sum(by_rank) / 2, rel=1e-9)
    assert first["train_ss_rate_mean"] == pytest.approx(first["gate_reference"], rel=1e-12)


@pytest.mark.slow
def test_two_process_run_compiled(tmp_path, tiny_overrides):
    """compile=aot_eager under DDP (torch.compile of the DDP-wrapped model, the constraint's
    hooks inside): the epoch records of the eager run, number for number."""
    _launch(tmp_path / "eager", tiny_overrides)
    _launch(tmp_path / "compiled", tiny_overrides, "compile=aot_eager")
    keys = ("top1", "ss_rate_mean", "train_ss_rate_by_rank", "gate_reference", "train_loss")
    for a, b in zip(
        epoch_lines(tmp_path / "eager"), epoch_lines(tmp_path / "compiled"), strict=True
    ):
        for key in keys:
            assert b[key] == pytest.approx(a[key], rel=1e-5), key
