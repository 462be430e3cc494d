"""The experiment folder rule is plan_output's: a grid is continued, anything else refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from safety_helpers import assert_error, fingerprint

from selfsim._core.errors import InvalidInputError, OutputError
from selfsim._core.files import plan_output, run_kind

GRID = "models: [resmlp_tiny_32]\nseeds: [0]\nbase: {preset: small, data: {name: synthetic}}\n"


def _train_run(path: Path) -> None:
    """The files that mark a training run (``config.json`` with config and version)."""
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"config": {}, "selfsim_version": "0"}))


def _summarised_grid(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "summary.md").write_text("| model | arm |\n")
    (path / "summary.csv").write_text("model,arm\n")


def test_run_kind_knows_grids_with_and_without_a_summary(tmp_path):
    _summarised_grid(tmp_path / "summarised")
    _train_run(tmp_path / "stopped" / "resmlp_tiny_32" / "baseline" / "seed0")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "summary.md").write_text("my own summary\n")  # not a grid
    _train_run(tmp_path / "deep" / "a" / "b" / "c" / "seed0")  # not at <model>/<arm>/seed<S>
    kinds = [run_kind(tmp_path / n) for n in ("summarised", "stopped", "notes", "deep")]
    assert kinds == ["experiment", "experiment", None, None]


def test_plan_output_continues_a_grid_and_refuses_the_rest(tmp_path):
    assert plan_output(tmp_path / "new", "experiment").resumes is False
    _summarised_grid(tmp_path / "grid")
    plan = plan_output(tmp_path / "grid", "experiment")
    assert plan.resumes and not plan.replaces
    _train_run(tmp_path / "stopped" / "m" / "constrained" / "seed3")
    assert plan_output(tmp_path / "stopped", "experiment").resumes
    with pytest.raises(InvalidInputError, match="never replaced"):
        plan_output(tmp_path / "grid", "experiment", overwrite=True)
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "chapter1.tex").write_text("x")
    with pytest.raises(OutputError, match="not a selfsim run"):
        plan_output(tmp_path / "thesis", "experiment")
    _train_run(tmp_path / "single")  # one training run is not a grid
    with pytest.raises(OutputError, match="a selfsim train run"):
        plan_output(tmp_path / "single", "experiment")
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        plan_output(tmp_path / "file", "experiment")


def test_a_compare_folder_with_its_page_is_a_comparison(tmp_path):
    """compare writes report.html and plots/ beside its table: still recognised, replaceable."""
    out = tmp_path / "cmp"
    (out / "plots").mkdir(parents=True)
    for name in ("compare.csv", "compare.png", "report.html"):
        (out / name).write_text("x")
    assert run_kind(out) == "compare"
    assert plan_output(out, "compare", overwrite=True).replaces
    (out / "thesis.tex").write_text("x")
    assert run_kind(out) is None


def test_experiment_refuses_a_folder_of_other_files_before_training(tmp_path, run_main):
    (tmp_path / "exp.yaml").write_text(GRID)
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "chapter1.tex").write_text("\\section{Intro}\n")
    before = fingerprint(tmp_path)
    proc = run_main("experiment", "exp.yaml", "--out", "thesis", cwd=tmp_path)
    assert_error(proc, "thesis", "not a selfsim run", "another --out")
    assert proc.stdout == ""
    assert fingerprint(tmp_path) == before


def test_experiment_continues_an_earlier_grid(tmp_path, run_main):
    """--summary-only on an earlier grid: accepted, summary rewritten, the runs untouched."""
    (tmp_path / "exp.yaml").write_text(GRID)
    _summarised_grid(tmp_path / "grid")
    _train_run(tmp_path / "grid" / "resmlp_tiny_32" / "baseline" / "seed0")
    runs_before = fingerprint(tmp_path / "grid" / "resmlp_tiny_32")
    proc = run_main(
        "experiment", "exp.yaml", "--out", "grid", "--summary-only", "--no-plots", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "| model | arm | runs |" in (tmp_path / "grid" / "summary.md").read_text()
    assert fingerprint(tmp_path / "grid" / "resmlp_tiny_32") == runs_before
