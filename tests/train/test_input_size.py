"""The training input size follows the model's own configuration when none is given."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("name", ["resmlp_tiny_32"])
def test_small_variant_trains_at_its_own_size_under_the_paper_preset(name):
    # a fresh interpreter: nothing has registered the small variants with timm yet
    code = (
        "from selfsim.train.config import resolve_config\n"
        "from selfsim.train.loop import _probe_input\n"
        f"cfg = resolve_config(preset='paper', overrides=['model.name={name}'])\n"
        "print(_probe_input(cfg)[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "32"


def test_model_input_size_wins_over_the_preset_data_size():
    from selfsim.train.config import resolve_config
    from selfsim.train.loop import _probe_input

    cfg = resolve_config(
        preset="small", overrides=["model.name=fc_mlp", 'model.kwargs={"img_size": 8}']
    )
    assert cfg.data.img_size == 32  # the preset's
    assert _probe_input(cfg)[0] == 8
