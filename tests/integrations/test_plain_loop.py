"""The plain-loop example: constraint + monitor in a hand-written loop, killed and resumed."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")  # the embedded digits

from _helpers import same_constraint_state  # noqa: E402


@pytest.mark.slow
def test_smoke_run_and_resume(tmp_path, example):
    mod = example("plain_loop")
    whole = mod.main(["--smoke", "--out", str(tmp_path / "whole"), "--monitor-every", "5"])
    assert whole["steps"] == 3 * 8 and whole["top1"] > 50.0  # 256 images / 32; chance 10 %
    assert [m["step"] for m in whole["monitor"]] == [0, 5, 10, 15, 20]
    assert all(0.0 < m[k] < 1.0 for m in whole["monitor"] for k in ("1", "3"))
    mod.main(
        [
            "--smoke",
            "--out",
            str(tmp_path / "cut"),
            "--stop-after-epoch",
            "0",
            "--monitor-every",
            "5",
        ]
    )
    resumed = mod.main(
        ["--smoke", "--out", str(tmp_path / "cut"), "--resume", "--monitor-every", "5"]
    )
    # same data order, weights and constraint state: the resumed run is the whole run
    same_constraint_state(resumed["constraint"], whole["constraint"])
    assert resumed["constraint"]["epoch_sum"] == whole["constraint"]["epoch_sum"]
    assert resumed["top1"] == whole["top1"]
    assert resumed["monitor"] == [m for m in whole["monitor"] if m["step"] >= 8]
