"""Flags: the same spelling and position rules for every subcommand, help and code agree."""

from __future__ import annotations

import argparse

import pytest

from selfsim.cli import build_parser
from selfsim.cli._args import join_dash_values

# the least each subcommand needs to parse
MINIMAL = {
    "analyze": [],
    "compare": ["a", "b"],
    "train": ["--out", "o"],
    "experiment": ["grid.yaml"],
    "boxcover": ["--network", "flower:2,2,2"],
}


def _parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(join_dash_values(list(argv)))


@pytest.mark.parametrize("command", sorted(MINIMAL))
@pytest.mark.parametrize(
    "flag, dest, value", [("-v", "verbose", 1), ("-q", "quiet", 1), ("--debug", "debug", True)]
)
def test_global_flags_work_before_and_after_the_subcommand(command, flag, dest, value):
    before = _parse(flag, command, *MINIMAL[command])
    after = _parse(command, *MINIMAL[command], flag)
    plain = _parse(command, *MINIMAL[command])
    assert getattr(before, dest) == getattr(after, dest) == value
    assert getattr(plain, dest) in (0, False)
    assert _parse("-vv", command, *MINIMAL[command]).verbose == 2
    assert _parse(command, *MINIMAL[command], "-vv").verbose == 2


def test_every_flag_is_spelt_with_hyphens():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, p in sub.choices.items():
        for action in p._actions:
            for opt in action.option_strings:
                assert "_" not in opt, f"{name} {opt}"
                assert opt == opt.lower(), f"{name} {opt}"


@pytest.mark.parametrize("spec", ["-2", "-2,-1", "-3:", "-1,blocks.0", "3", "0:2"])
def test_layer_specs_starting_with_a_dash_need_no_equals_sign(spec):
    for command in ("analyze", "train"):
        args = _parse(command, *MINIMAL[command], "--layers", spec, "--seed", "1")
        assert args.layers == spec and args.seed == 1


def test_join_dash_values_leaves_options_and_plain_values_alone():
    argv = ["analyze", "--layers", "blocks.0", "--seed", "-1", "-v", "--", "--layers", "-2"]
    assert join_dash_values(argv) == argv
    assert join_dash_values(["--layers", "-1", "-v"]) == ["--layers=-1", "-v"]
    assert join_dash_values(["--layers", "--seed"]) == ["--layers", "--seed"]


def test_analyze_and_train_share_the_device_default():
    from selfsim.cli.train import _overrides
    from selfsim.train.config import resolve_config

    assert _parse("analyze").device == "auto"
    args = _parse("train", "--out", "o")
    assert args.device is None  # the configuration decides
    assert resolve_config(preset="small", overrides=_overrides(args)).device == "auto"
    assert resolve_config(preset="paper", overrides=_overrides(args)).device == "auto"


def test_alpha_and_gamma_flags_and_their_old_names_set_the_same_keys():
    from selfsim.cli.train import _overrides
    from selfsim.train.config import resolve_config

    new = _parse("train", "--out", "o", "--ss-alpha", "0.25", "--ss-gamma", "linear:0.1:0.2")
    old = _parse("train", "--out", "o", "--ss-weight", "0.25", "--ss-target", "linear:0.1:0.2")
    for args in (new, old):
        cfg = resolve_config(preset="small", overrides=_overrides(args))
        assert cfg.ss.alpha == 0.25 and cfg.ss.gamma == "linear:0.1:0.2"
    assert not getattr(new, "_deprecated", [])
    assert old._deprecated == [("--ss-weight", "--ss-alpha"), ("--ss-target", "--ss-gamma")]
    number = _parse("train", "--out", "o", "--ss-target", "0.3")
    assert resolve_config(preset="small", overrides=_overrides(number)).ss.gamma == 0.3


def test_old_flag_names_are_hidden_from_help():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    train_help = sub.choices["train"].format_help()
    assert "--ss-alpha" in train_help and "--ss-gamma" in train_help
    assert "--ss-weight" not in train_help and "--ss-target" not in train_help
    analyze_help = sub.choices["analyze"].format_help()
    assert "--measures" in analyze_help and "--measure " not in analyze_help
    assert "last N" not in analyze_help  # --layers N is an index, as the code reads it


def test_set_keys_may_use_hyphens():
    from selfsim.cli.train import _overrides
    from selfsim.train.config import resolve_config

    args = _parse(
        "train",
        "--out",
        "o",
        "--set",
        "optim.weight-decay=0.125",
        "--set",
        "data.name=fashion-mnist",
    )
    cfg = resolve_config(preset="small", overrides=_overrides(args))
    assert cfg.optim.weight_decay == 0.125
    assert cfg.data.name == "fashion-mnist"  # values keep their hyphens


def test_model_kwargs_must_be_a_json_object(cli):
    for command in ("analyze", "train"):
        code, _, err = cli(command, *MINIMAL[command], "--model-kwargs", "{img_size: 32}")
        assert code == 2 and "not valid JSON" in err
        code, _, err = cli(command, *MINIMAL[command], "--model-kwargs", "[32]")
        assert code == 2 and "must be a JSON object" in err


def test_deprecated_flag_warns_once_and_still_works(cli):
    # the run stops at the unknown data set, after the flags were read
    code, _, err = cli(
        "train",
        "--ss-weight",
        "0.1",
        "--ss-weight",
        "0.2",
        "--ss-target",
        "0.3",
        "--data",
        "no_such_data_set",
        "--out",
        "o",
    )
    assert code == 2 and "unknown data set" in err
    assert err.count("--ss-weight is deprecated; use --ss-alpha") == 1
    assert err.count("--ss-target is deprecated; use --ss-gamma") == 1
    code, _, err = cli("train", "--ss-alpha", "0.1", "--data", "no_such_data_set", "--out", "o")
    assert code == 2 and "deprecated" not in err
