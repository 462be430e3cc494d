"""Progress lines on every long job, also when the output is not a terminal."""

from __future__ import annotations

import logging
import re

import pytest

from selfsim._core import progress as progress_mod
from selfsim._core.progress import Progress


def test_progress_is_throttled_and_silent_for_short_loops(caplog):
    log = logging.getLogger("selfsim.test.progress")
    with caplog.at_level(logging.INFO, logger="selfsim.test.progress"):
        quiet = Progress(log, "short", total=5, unit="items", every=3600.0)
        for _ in range(5):
            quiet.update()
        quiet.close()
        assert caplog.records == []
        loud = Progress(log, "long", total=3, unit="items", every=0.0)
        for _ in range(3):
            loud.update(1, note="x")
        loud.close()
    lines = [r.getMessage() for r in caplog.records]
    assert [re.sub(r" \(\d+ s.*", "", m) for m in lines] == [
        "long: 1/3 items",
        "long: 2/3 items",
        "long: 3/3 items",
        "long: 3/3 items",
    ]
    assert lines[-1].endswith("done)")


TRAIN = [
    "train",
    "--model",
    "fc_mlp",
    "--model-kwargs",
    '{"img_size": 8}',
    "--data",
    "digits",
    "--preset",
    "small",
    "--set",
    "data.resident=true",
    "--set",
    "aug.hflip=0",
    "--set",
    "data.train_samples=128",
    "--set",
    "data.test_samples=64",
    "--set",
    "data.eval_batch=16",
    "--set",
    "tensorboard=false",
    "--epochs",
    "2",
    "--batch-size",
    "32",
]


def test_train_logs_every_epoch_by_default_and_q_silences(cli):
    code, out, err = cli(*TRAIN, "--out", "run")
    assert code == 0, err
    assert "training fc_mlp on digits" in err
    epochs = re.findall(r"epoch (\d) of 2: loss [\d.]+, top1 [\d.]+ %", err)
    assert epochs == ["0", "1"]
    assert "epoch 1: top1" in out  # the result line stays on stdout
    code, out, err = cli(*TRAIN, "--out", "run2", "-q")
    assert code == 0 and "epoch 1: top1" in out
    assert "epoch 0 of 2" not in err and "training fc_mlp" not in err


def test_boxcover_logs_sizes_when_a_size_takes_long(cli, monkeypatch):
    monkeypatch.setattr(progress_mod, "PROGRESS_EVERY_S", 0.0)
    code, out, err = cli(
        "boxcover",
        "--network",
        "flower:2,2,4",
        "--method",
        "random",
        "--seed",
        "1",
        "--sizes",
        "1",
        "3",
        "5",
        "9",
    )
    assert code == 0, err
    table = dict(re.findall(r"^\s+(\d+)\s+(\d+)$", out, flags=re.M))
    logged = re.findall(r"random: (\d)/4 sizes \(\d+ s, l_B = (\d+) gave (\d+) boxes\)", err)
    assert [n for n, _, _ in logged] == ["1", "2", "3", "4"]
    assert {size: count for _, size, count in logged} == table
    code, out, err = cli("boxcover", "--network", "flower:2,2,4", "--seed", "1")
    assert code == 0 and re.search(r"greedy colouring: 172/172 nodes", err)


def test_boxcover_names_sketch_before_a_slow_method_on_a_large_graph(cli, monkeypatch):
    from selfsim.cli import boxcover

    monkeypatch.setattr(boxcover, "LARGE_GRAPH", 100)  # flower:2,2,4 has 172 nodes
    for method in ("greedy", "cbb", "memb"):
        code, _, err = cli(
            "boxcover",
            "--network",
            "flower:2,2,4",
            "--method",
            method,
            "--sizes",
            "1",
            "3",
            "5",
            "9",
            "17",
        )
        assert code == 0, err
        assert re.search(rf"warning: {method} on 172 nodes .* --method sketch", err)
    code, _, err = cli(
        "boxcover",
        "--network",
        "flower:2,2,4",
        "--method",
        "sketch",
        "--sizes",
        "1",
        "3",
        "5",
        "9",
        "17",
    )
    assert code == 0 and "--method sketch" not in err
    code, _, err = cli("boxcover", "--network", "flower:2,2,3", "--sizes", "1", "3", "5", "9")
    assert code == 0 and "--method sketch" not in err  # 44 nodes


@pytest.mark.parametrize("method, top", [("greedy", 399), ("memb", 399), ("sketch", 797)])
def test_boxcover_default_sizes_are_as_the_help_says(cli, tmp_path, method, top):
    # a path of 200 nodes: the two-sweep search finds e = 199 (its diameter), so the sizes
    # run up to 2 e + 1 = 399, or 4 e + 1 = 797 for sketch; odd only for memb and sketch
    import numpy as np

    (tmp_path / "path.txt").write_text("".join(f"{i} {i + 1}\n" for i in range(199)))
    code, out, err = cli("boxcover", "path.txt", "--method", method)
    assert code == 0, err
    rows = np.array(re.findall(r"^\s+(\d+)\s+(\d+)$", out, flags=re.M), dtype=int)
    sizes, counts = rows[:, 0], rows[:, 1]
    assert len(sizes) == 16 and sizes[0] == 1 and sizes[-1] == top
    assert np.all(np.diff(sizes) > 0)
    assert np.all(sizes % 2 == 1) == (method != "greedy")
    assert counts[0] == 200 and counts[-1] == 1
    _, help_text, _ = cli("boxcover", "--help")
    assert "16 log-spaced" in " ".join(help_text.split())
