"""Configuration: presets, files, dotted overrides; frozen and checked when built."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from selfsim import DataError, InvalidInputError
from selfsim._core.config import SSParams, deep_merge, did_you_mean
from selfsim.analysis.config import AnalysisConfig
from selfsim.train.config import (
    SSConfig,
    TrainConfig,
    config_from_dict,
    config_to_dict,
    read_config_file,
    resolve_config,
)


def test_paper_preset_is_the_recipe():
    cfg = resolve_config()
    assert (cfg.optim.opt, cfg.optim.lr, cfg.optim.weight_decay) == ("adamw", 5e-4, 0.05)
    assert (cfg.aug.mixup, cfg.aug.cutmix, cfg.aug.smoothing) == (0.8, 1.0, 0.1)
    assert cfg.aug.auto_augment == "rand-m9-mstd0.5-inc1" and cfg.aug.re_prob == 0.25
    assert cfg.ema and cfg.ema_decay == 0.99996 and cfg.epochs == 200


def test_file_then_overrides(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"preset": "small", "ss": {"alpha": 0.5}, "epochs": 4}))
    cfg = resolve_config(
        file=path,
        overrides=[
            "ss.alpha=0.25",
            "ss.gamma=linear:0.4:0.2",
            'model.kwargs={"depth": 2}',
            "data.root=none",
        ],
    )
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


# -- one frozen, validated style ------------------------------------------------------------------

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_configs_are_frozen_and_replace_checks_again():
    cfg = resolve_config(preset="small")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.epochs = 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.ss.mode = "constrain"
    new = dataclasses.replace(cfg, ss=dataclasses.replace(cfg.ss, mode="constrain"), epochs=3)
    assert (new.ss.mode, new.epochs, cfg.ss.mode, cfg.epochs) == ("constrain", 3, "record", 10)
    with pytest.raises(InvalidInputError, match="'epochs' must be int"):
        dataclasses.replace(cfg, epochs="ten")
    with pytest.raises(InvalidInputError, match="Did you mean 'constrain'"):
        dataclasses.replace(cfg.ss, mode="constrian")


@pytest.mark.parametrize(
    "override, message",
    [
        ("epochs=ten", "'epochs' must be int; got 'ten'"),
        ("epochs=0", "'epochs' must be an int >= 1; got 0"),
        (
            "ss.mode=constrian",
            "'ss.mode' must be one of 'off', 'record', 'constrain'; got "
            "'constrian'. Did you mean 'constrain'?",
        ),
        ("ss.gate=nne", "Did you mean 'none'?"),
        ("ss.surrogate=release", "Did you mean 'released'?"),
        ("amp_dtype=bfloat", "Did you mean 'bfloat16'?"),
        ("ss.alpha=-0.1", "'ss.alpha' must be a finite number >= 0.0"),
        ("ss.gamma=auto", "auto:RUN_DIR"),
        ("ss.gamma=linear:0.4", "'ss.gamma' must be"),
        ("ss.num_thresholds=1", "'ss.num_thresholds' must be an int >= 2"),
        ("ss.every=0", "'ss.every' must be an int >= 1"),
        ("optim.lr=0", "'optim.lr' must be a finite number > 0.0"),
        ("aug.crop_scale=[0.9, 0.5]", "0 < LOW <= HIGH <= 1"),
        ("aug.re_prob=1.5", "'aug.re_prob' must be a finite number in [0.0, 1.0]"),
        ("data.eval_batch=1", "'data.eval_batch' must be an int >= 2"),
        ("ema=1", "'ema' must be bool"),
        ("ss.alfa=1", "Unknown configuration key 'ss.alfa'. Did you mean 'alpha'?"),
        ("ss=3", "'ss' needs a mapping"),
    ],
)
def test_bad_values_say_what_and_how_to_fix(override, message):
    with pytest.raises(InvalidInputError) as info:
        resolve_config(preset="small", overrides=[override])
    assert message in str(info.value)
    if "Unknown" not in message and "mapping" not in message:
        assert "--set " in str(info.value)


def test_direct_construction_is_checked_too():
    with pytest.raises(InvalidInputError, match="'epochs' must be int"):
        TrainConfig(epochs="ten")
    with pytest.raises(InvalidInputError, match="constrain"):
        SSConfig(mode="constrian")
    # numbers from YAML 1.1 ("1e-4" is a string there) and ints for floats are converted
    ss = SSConfig(alpha="1e-4", k=2)
    assert ss.alpha == 1e-4 and isinstance(ss.k, float)
    assert config_from_dict({"aug": {"crop_scale": [0.5, 1.0]}}).aug.crop_scale == (0.5, 1.0)


def test_ss_params_are_shared_by_training_and_analysis():
    assert issubclass(SSConfig, SSParams) and issubclass(AnalysisConfig, SSParams)
    assert SSConfig().num_thresholds == AnalysisConfig().num_thresholds == 256
    assert (
        resolve_config(overrides=["ss.num_thresholds=64"]).ss.ss_params
        == AnalysisConfig(num_thresholds=64).ss_params
        == SSParams(num_thresholds=64)
    )
    for make in (lambda: SSConfig(num_thresholds=1), lambda: AnalysisConfig(num_thresholds=1)):
        with pytest.raises(InvalidInputError, match="num_thresholds' must be an int >= 2"):
            make()


def test_deep_merge_has_one_documented_meaning():
    base = {
        "ss": {"mode": "record", "alpha": 1},
        "model": {"kwargs": {"depth": 2}},
        "seeds": [0, 1],
        "x": {"a": 1},
    }
    upd = {"ss": {"mode": "constrain"}, "model": {"kwargs": {"width": 8}}, "seeds": [2], "x": None}
    out = deep_merge(base, upd, {"ss": {"alpha": 3}})
    assert out == {
        "ss": {"mode": "constrain", "alpha": 3},
        "model": {"kwargs": {"depth": 2, "width": 8}},
        "seeds": [2],
        "x": None,
    }
    # the inputs are not changed, and the result shares nothing with them
    assert base["ss"] == {"mode": "record", "alpha": 1} and upd["seeds"] == [2]
    out["model"]["kwargs"]["depth"] = 9
    assert base["model"]["kwargs"]["depth"] == 2
    # preset, then file, then overrides follow the same rule
    cfg = resolve_config(
        preset="small",
        file={"model": {"kwargs": {"depth": 2}}},
        overrides=['model.kwargs={"width": 8}', "aug.crop_scale=[0.5, 1]"],
    )
    assert cfg.model.kwargs == {"depth": 2, "width": 8} and cfg.aug.crop_scale == (0.5, 1)


def test_did_you_mean():
    assert did_you_mean("constrian", ["off", "record", "constrain"]) == " Did you mean 'constrain'?"
    assert did_you_mean("RECORD", ["off", "record"]) == " Did you mean 'record'?"
    assert did_you_mean("zzz", ["off", "record"]) == ""
    assert did_you_mean(3, ["off"]) == ""


def test_every_configuration_file_in_the_repository_loads():
    from selfsim.train.experiment import plan_grid

    files = sorted(CONFIGS.rglob("*.yaml"))
    assert len(files) >= 20
    grids = 0
    for path in files:
        doc = read_config_file(path)
        if "models" in doc:
            runs = plan_grid(doc, "runs/x")
            assert runs and all(isinstance(r.config, dict) for r in runs)
            for r in runs:
                resolve_config(file=r.config)
            grids += 1
        else:
            resolve_config(file=path)
    assert grids >= 15


def test_set_none_on_a_text_setting_is_the_word_none():
    """`--set ss.gate=none` must select the gate "none", not fail as a missing value."""
    from selfsim.train.config import resolve_config

    cfg = resolve_config(preset="small", overrides=["ss.gate=none", "ss.mode=constrain"])
    assert cfg.ss.gate == "none"
    # a setting that may be empty reads none / null as "no value"
    cfg = resolve_config(
        preset="small", overrides=["aug.auto_augment=none", "ss.fac=null", "model.layers=none"]
    )
    assert cfg.aug.auto_augment is None and cfg.ss.fac is None and cfg.model.layers is None
    with pytest.raises(InvalidInputError, match="'ss.mode' must be one of"):
        resolve_config(preset="small", overrides=["ss.mode=none"])
