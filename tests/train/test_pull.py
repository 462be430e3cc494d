"""selfsim pull / penalty_pull: the penalty's gradient against the task's, on a trained tiny run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("timm")

from selfsim import DataError  # noqa: E402
from selfsim.cli import main  # noqa: E402
from selfsim.train.config import resolve_config  # noqa: E402
from selfsim.train.loop import train  # noqa: E402
from selfsim.train.pull import load_run, penalty_pull  # noqa: E402


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.mark.slow
def test_pull_scales_with_alpha_and_leaves_the_run_alone(tmp_path, tiny_overrides, capsys):
    run = tmp_path / "run"
    train(resolve_config(preset="small", overrides=[*tiny_overrides, "epochs=1"]), run)
    before = _digest(run)
    small = penalty_pull(run, alpha=1e-2, batches=2, steps=3)
    large = penalty_pull(run, alpha=1e-1, batches=2, steps=3)
    hooked = json.loads((run / "config.json").read_text())["layers"]
    assert [r.layer for r in small] == hooked == ["stem", "blocks.0", "blocks.1"]  # the run's
    one = penalty_pull(run, alpha=1e-2, batches=2, steps=0, layers=["blocks.1"])
    assert [(r.layer, r.penalty_grad, len(r.alone)) for r in one] == [
        ("blocks.1", small[2].penalty_grad, 1)
    ]
    for a, b in zip(small, large, strict=True):
        assert 0.0 <= a.ss_rate <= 1.0 and a.ss_rate == b.ss_rate and a.task_grad == b.task_grad
        # same weights and batches: the penalty's gradient is linear in alpha, the task's is not
        assert b.penalty_grad == pytest.approx(10 * a.penalty_grad, rel=1e-5)
        assert a.ratio == pytest.approx(a.penalty_grad / a.task_grad)
        assert a.alpha_for(0.1) == pytest.approx(b.alpha_for(0.1), rel=1e-5)
        # at the alpha it names, the ratio is the target
        assert a.ratio * a.alpha_for(0.1) / a.alpha == pytest.approx(0.1)
        assert len(a.alone) == 4 and a.alone == b.alone  # the penalty alone: alpha cancels
    sharp = penalty_pull(run, alpha=1e-2, batches=2, steps=0, k=4.0)  # ss.k reaches the surrogate
    assert [r.task_grad for r in sharp] == [r.task_grad for r in small]
    assert [r.penalty_grad for r in sharp] != [r.penalty_grad for r in small]
    assert main(["pull", str(run), "--batches", "2", "--steps", "3", "--k", "4"]) == 0
    out = capsys.readouterr().out
    assert "blocks.0" in out and "blocks.1" in out and "alpha for 0.1" in out
    # load_run: the run's hooked layers, its weights and the same batches on every call
    doc, build, data = load_run(run, nbatch=2)
    _, build2, data2 = load_run(run, nbatch=2)
    assert doc["layers"] == hooked and len(data) == 2
    pairs = zip(data, data2, strict=True)
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in pairs)
    trained, again = build().state_dict(), build2().state_dict()
    fresh = load_run(run, initial=True, nbatch=1)[1]().state_dict()
    assert all(torch.equal(v, again[k]) for k, v in trained.items())
    assert any(not torch.equal(v, fresh[k]) for k, v in trained.items() if v.is_floating_point())
    assert _digest(run) == before  # nothing in the run folder was written


def test_pull_refuses_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(DataError, match="not a training run"):
        penalty_pull(tmp_path)
    assert main(["pull", str(tmp_path)]) != 0
