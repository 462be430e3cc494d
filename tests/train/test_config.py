"""Configuration: presets, files, dotted overrides."""

from __future__ import annotations

import json

import pytest

from selfsim import DataError, InvalidInputError
from selfsim.train.config import config_to_dict, resolve_config


def test_paper_preset_is_the_recipe():
    cfg = resolve_config()
    assert (cfg.optim.opt, cfg.optim.lr, cfg.optim.weight_decay) == ("adamw", 5e-4, 0.05)
    assert (cfg.aug.mixup, cfg.aug.cutmix, cfg.aug.smoothing) == (0.8, 1.0, 0.1)
    assert cfg.aug.auto_augment == "rand-m9-mstd0.5-inc1" and cfg.aug.re_prob == 0.25
    assert cfg.ema and cfg.ema_decay == 0.99996 and cfg.epochs == 200


def test_file_then_overrides(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"preset": "small", "ss": {"alpha": 0.5}, "epochs": 4}))
    cfg = resolve_config(file=path, overrides=["ss.alpha=0.25", "ss.gamma=linear:0.4:0.2",
                                               "model.kwargs={\"depth\": 2}", "data.root=none"])
    assert cfg.preset == "small" and cfg.epochs == 4 and cfg.aug.mixup == 0.0
    assert cfg.ss.alpha == 0.25 and cfg.ss.gamma == "linear:0.4:0.2"
    assert cfg.model.kwargs == {"depth": 2} and cfg.data.root is None
    assert json.loads(json.dumps(config_to_dict(cfg)))["ss"]["alpha"] == 0.25


def test_yaml_file(tmp_path):
    pytest.importorskip("yaml")
    path = tmp_path / "c.yaml"
    path.write_text("ss:\n  mode: constrain\n  alpha: 0.01\n")
    assert resolve_config(file=path).ss.mode == "constrain"


def test_unknown_keys_and_files_are_reported(tmp_path):
    with pytest.raises(InvalidInputError, match="ss.alfa"):
        resolve_config(overrides=["ss.alfa=1"])
    with pytest.raises(InvalidInputError, match="section.key=value"):
        resolve_config(overrides=["epochs"])
    with pytest.raises(DataError):
        resolve_config(file=tmp_path / "missing.yaml")
    with pytest.raises(InvalidInputError, match="preset"):
        resolve_config(preset="huge")
