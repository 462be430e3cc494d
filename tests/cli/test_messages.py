"""Warnings print without file paths; a model fed the wrong input size says how to fix it."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

import selfsim
from selfsim import InvalidInputError


@pytest.mark.parametrize("debug", [False, True])
def test_warnings_print_without_source_paths(tmp_path, debug):
    # a real process: pytest records warnings in-process instead of printing them
    # four sizes on a small flower: too few points in the fit range -> ScalingRangeWarning
    cmd = [
        sys.executable,
        "-m",
        "selfsim",
        "boxcover",
        "--network",
        "flower:2,2,3",
        "--sizes",
        "1",
        "3",
        "5",
        "9",
        *(["--debug"] if debug else []),
    ]
    env = dict(os.environ, PYTHONPATH=str(Path(selfsim.__file__).resolve().parents[1]))
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, check=False, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "warning:" in line]
    assert any("only 2 sizes" in ln and "[ScalingRangeWarning]" in ln for ln in lines), proc.stderr
    # no source line is echoed, and only --debug says where the warning comes from
    assert "fit = fractal_dimension" not in proc.stderr
    assert all((".py:" in line) == debug for line in lines), proc.stderr


def test_main_restores_the_warning_format(cli):
    before = warnings.formatwarning
    code, _, _ = cli("boxcover", "--network", "flower:2,2,3", "--sizes", "1", "3", "5", "9")
    assert code == 0 and warnings.formatwarning is before


def test_importing_the_library_leaves_warnings_alone():
    code = (
        "import warnings; s = warnings.formatwarning, warnings.showwarning; import selfsim, "
        "selfsim.cli; selfsim.cli.build_parser(); "
        "print(s == (warnings.formatwarning, warnings.showwarning))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def _mlp32() -> nn.Module:
    """A plain module for 32 x 32 RGB inputs (no declared input size)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 16), nn.ReLU(), nn.Linear(16, 10))


def test_plain_module_fed_the_wrong_size_says_how_to_set_it():
    from selfsim import analyze

    with pytest.raises(InvalidInputError) as err:
        analyze(_mlp32(), "synthetic", num_images=8, measures="ss", layers=["2"])
    text = str(err.value)
    assert "(8, 3, 224, 224)" in text and "img_size" in text
    assert "mat1 and mat2" in text  # torch's own words are kept
    rep = analyze(
        _mlp32(),
        "synthetic",
        num_images=8,
        measures="ss",
        layers=["2"],
        model_kwargs={"img_size": 32},
    )
    assert rep["2"].num_nodes == 16 and rep["2"].num_samples == 8


def test_a_flat_input_model_fed_images_is_told_to_flatten():
    from selfsim import analyze

    flat = nn.Sequential(nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 10))
    with pytest.raises(InvalidInputError) as err:
        analyze(flat, torch.zeros(8, 1, 28, 28), measures="ss", layers=["1"])
    assert "Linear(in_features=784)" in str(err.value) and "(N, 784)" in str(err.value)
    rep = analyze(flat, torch.randn(8, 784), measures="ss", layers=["1"])
    assert rep["1"].num_nodes == 16
    with pytest.raises(InvalidInputError) as err:  # a model that flattens itself: no such hint
        analyze(_mlp32(), "synthetic", num_images=8, measures="ss", layers=["2"])
    assert "flat vectors" not in str(err.value)


def test_other_first_batch_errors_pass_through():
    from selfsim import analyze

    class Broken(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(4, 4)

        def forward(self, x):
            raise RuntimeError("deliberate failure")

    with pytest.raises(RuntimeError, match="^deliberate failure$"):
        analyze(Broken(), torch.zeros(4, 1, 2, 2), layers=["a"], measures="ss")
