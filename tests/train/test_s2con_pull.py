"""scripts/s2con_pull.py: the penalty's gradient against the task's, on a trained tiny run."""

from __future__ import annotations

import hashlib
import runpy
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("timm")

from selfsim.train.config import resolve_config  # noqa: E402
from selfsim.train.loop import train  # noqa: E402

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "s2con_pull.py"


def _rows(text: str) -> dict[str, list[float]]:
    rows = {}
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0].startswith("blocks."):
            rows[parts[0]] = [float(v) for v in parts[1:]]
    return rows


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.mark.slow
def test_pull_scales_with_alpha_and_leaves_the_run_alone(tmp_path, tiny_overrides, capsys):
    run = tmp_path / "run"
    train(resolve_config(preset="small", overrides=[*tiny_overrides, "epochs=1"]), run)
    before = _digest(run)
    main = runpy.run_path(str(SCRIPT))["main"]
    out = {}
    for alpha in ("1e-2", "1e-1"):
        assert main([str(run), "--alpha", alpha, "--batches", "2", "--steps", "3"]) == 0
        out[alpha] = _rows(capsys.readouterr().out)
    assert set(out["1e-2"]) == {"blocks.0", "blocks.1"}  # the released set of this model
    for layer, (ss, task, pen, ratio, a10, *traj) in out["1e-2"].items():
        ss2, task2, pen2, ratio2, a10_2, *_ = out["1e-1"][layer]
        assert 0.0 <= ss <= 1.0 and ss == ss2 and task == task2 and len(traj) == 4
        # same weights and batches: the penalty's gradient is linear in alpha, the task's is not
        assert pen2 == pytest.approx(10 * pen, rel=1e-2) and ratio == pytest.approx(
            pen / task, rel=1e-2
        )
        assert a10 == pytest.approx(a10_2, rel=1e-2)  # the alpha for a tenth does not depend on it
    assert _digest(run) == before  # nothing in the run folder was written


def test_pull_refuses_a_folder_that_is_not_a_run(tmp_path):
    main = runpy.run_path(str(SCRIPT))["main"]
    with pytest.raises(SystemExit, match="not a run folder"):
        main([str(tmp_path)])
