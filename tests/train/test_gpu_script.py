"""The GPU scripts run on the CPU: the S2-Con recipe (scripts/gpu_s2con.py --smoke) and the checks."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import pytest

pytest.importorskip("timm")
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu_s2con.py"


@pytest.mark.slow
def test_gpu_recipe_smoke(tmp_path, monkeypatch):
    monkeypatch.setattr(
        sys,
        "argv",
        [
            str(SCRIPT),
            "--smoke",
            "--out",
            str(tmp_path),
            "--families",
            "vit_tiny_32",
            "resnet_cifar_32",
        ],
    )
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    assert done.value.code == 0
    summary = (tmp_path / "digits" / "summary.md").read_text()
    assert "vit_tiny_32" in summary and "resnet_cifar_32" in summary
    runs = (tmp_path / "digits" / "runs.csv").read_text().splitlines()
    assert len(runs) == 1 + 4  # header + 2 families x 2 arms x 1 seed
    # the ResNet is the CPU experiment's network (stride-1, 16-wide stem)
    cfg = json.loads((tmp_path / "digits/resnet_cifar_32/baseline/seed0/config.json").read_text())
    assert cfg["config"]["model"]["kwargs"] == {"stem_stride": 1, "stem_width": 16}


@pytest.mark.slow
def test_gpu_script_runs_a_committed_grid(tmp_path, monkeypatch):
    # --grid: a CPU experiment file on the device, its models, arms and recipe unchanged
    config = SCRIPT.parents[1] / "configs" / "s2con" / "resnet3_cifar10.yaml"
    monkeypatch.setattr(
        sys, "argv", [str(SCRIPT), "--smoke", "--out", str(tmp_path), "--grid", str(config)]
    )
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    assert done.value.code == 0
    runs = (tmp_path / "resnet3_cifar10" / "runs.csv").read_text().splitlines()
    assert [line.split(",")[1] for line in runs[1:]] == ["baseline", "paper", "paper-nogate"]
    cfg = json.loads(
        (tmp_path / "resnet3_cifar10/resnet3_cifar10/paper/seed0/config.json").read_text()
    )["config"]
    assert cfg["model"]["kwargs"] == {"stem_stride": 1, "stem_width": 16}
    assert cfg["ss"]["alpha"] == 1e-4 and cfg["ss"]["gate"] == "code"
    assert cfg["aug"]["pad_crop"] == 4 and not cfg.get("amp")  # the file's recipe, fp32


def test_gpu_check_runs_on_the_cpu():
    """benchmarks/gpu_check.py --device cpu --quick: both legs print their rows.

    The script is what a lent GPU runs first; a break found there costs the GPU budget.
    """
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.py"
    out = subprocess.run(
        [sys.executable, str(script), "--device", "cpu", "--quick", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    rows = [line.split() for line in out.splitlines() if line.split()[:1] in (["96"], ["128"])]
    assert [(r[0], r[2]) for r in rows] == [
        ("96", "float32"),
        ("96", "bfloat16"),
        ("128", "float32"),
        ("128", "bfloat16"),
    ]
    assert all(r[5].endswith("x") and 0.0 < float(r[6]) < 1.0 for r in rows)  # ratio, SS_rate
    assert "constrain" in out and "constraint alone" in out
