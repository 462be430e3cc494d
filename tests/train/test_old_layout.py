"""Run folders written by an earlier selfsim are recognised, skipped, summarised and resumable.

``data/old_layout`` holds one finished baseline run of a tiny grid and the
grid's summary files exactly as the earlier code wrote them (before the
configuration became frozen and the runner stopped calling the CLI). A grid
started by one version must continue under the next: same folder names,
same files, same summary bytes, and a resume check that passes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from selfsim._core.files import plan_output, run_kind
from selfsim.train.config import config_to_dict, resolve_config
from selfsim.train.rundir import epoch_lines, resume_mismatch, run_state

OLD = Path(__file__).parent / "data" / "old_layout"


@pytest.fixture
def old_grid(tmp_path):
    out = tmp_path / "exp"
    shutil.copytree(OLD / "runs", out)
    return out


def test_old_run_folder_is_a_finished_training_run(old_grid):
    from selfsim.train.experiment import plan_grid

    runs = plan_grid(OLD / "experiment.json", old_grid)
    assert [r.out.relative_to(old_grid).parts for r in runs] == [
        ("resmlp_tiny_32", "baseline", "seed0"),
        ("resmlp_tiny_32", "constrained", "seed0"),
    ]
    base = runs[0].out
    assert run_kind(base) == "train" and run_state(base) == "finished"
    assert [e["epoch"] for e in epoch_lines(base)] == [0, 1]
    # the one overwrite rule: an existing run needs --resume or --overwrite
    assert plan_output(base, "train", overwrite=True).replaces
    with pytest.raises(Exception, match="already holds a selfsim train run"):
        plan_output(base, "train")


def test_grid_skips_the_old_run_and_writes_the_same_summary(old_grid, monkeypatch):
    import selfsim.train.experiment as ex

    runs = ex.plan_grid(OLD / "experiment.json", old_grid)
    trained = []
    monkeypatch.setattr("selfsim.train.loop.train", lambda *a, **k: trained.append(a))
    assert ex._run_one(runs[0]) == "skipped" and trained == []
    ex.summarize(runs, old_grid)  # the constrained run never ran: baseline rows only
    for name in ("summary.csv", "summary.md"):
        assert (old_grid / name).read_bytes() == (OLD / "expected" / name).read_bytes(), name
    # runs.csv has gained one column since, the installation that trained a run: empty for a
    # run written before it; every other byte as the earlier code wrote it
    head, *rows = (OLD / "expected" / "runs.csv").read_text().splitlines()
    assert (old_grid / "runs.csv").read_text().splitlines() == [
        head + ",installation",
        *(row + "," for row in rows),
    ]


def test_old_saved_configuration_resumes_under_the_new_one(old_grid):
    from selfsim.train.experiment import plan_grid

    runs = plan_grid(OLD / "experiment.json", old_grid)
    saved = json.loads((runs[0].out / "config.json").read_text())["config"]
    now = resolve_config(file=runs[0].config)
    assert resume_mismatch(saved, config_to_dict(now)) == []
    # the saved settings, read back, are the same configuration
    again = resolve_config(preset=saved["preset"], file=saved)
    assert again == now
    # a setting newer than the saved run matches when left at its default ...
    older = {k: v for k, v in saved.items() if k != "amp_dtype"}
    assert resume_mismatch(older, config_to_dict(now)) == []
    # ... and not otherwise; a changed setting never does
    bf16 = config_to_dict(resolve_config(file=runs[0].config, overrides=["amp_dtype=bfloat16"]))
    assert resume_mismatch(older, bf16) == ["amp_dtype (saved None, now 'bfloat16')"]
    lr = config_to_dict(resolve_config(file=runs[0].config, overrides=["optim.lr=0.5"]))
    assert resume_mismatch(saved, lr) == ["optim.lr (saved 0.001, now 0.5)"]
