"""scripts/gpu_s2con.py --smoke: the GPU recipe runs end to end on the CPU in a few steps."""

from __future__ import annotations

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
