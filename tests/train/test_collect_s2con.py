"""scripts/collect_s2con.py keeps the committed results of runs whose folders are gone."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

pytest.importorskip("timm")

from selfsim.train.experiment import RunSpec, read_run_records, records_csv  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "results" / "s2con"


def _script():
    spec = importlib.util.spec_from_file_location(
        "collect_s2con", ROOT / "scripts" / "collect_s2con.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rec(arm, seed, top1, **kw):
    rec = dict(
        model="m",
        arm=arm,
        seed=seed,
        epochs=2,
        final_top1=top1,
        best_top1=top1,
        ss_rate=0.17,
        train_ss_rate=0.16,
        gamma=None if arm == "baseline" else 0.16,
        gate_mean=0.05,
        penalty_mean=0.0 if arm == "baseline" else 1e-8,
        time_s=9.0,
    )
    return {**rec, **kw}


def test_grid_records_merge_folders_with_the_committed_records(tmp_path, monkeypatch):
    collect = _script()
    runs = [
        RunSpec("m", arm, s, tmp_path / arm / f"seed{s}", {})
        for arm in ("baseline", "paper")
        for s in (0, 1)
    ]
    committed = [_rec("paper", 1, 70.0), _rec("baseline", 0, 73.59), _rec("baseline", 1, 72.74)]
    csv = tmp_path / "m_runs.csv"
    csv.write_text(records_csv(committed))
    found = [_rec("baseline", 0, 73.59), _rec("baseline", 1, 72.75), _rec("paper", 0, 71.0)]
    monkeypatch.setattr(collect, "run_records", lambda runs: found)
    records, carried, checks = collect.grid_records(runs, csv)
    # grid order; the folders win; the committed paper/seed1 is kept
    assert [(r["arm"], r["seed"], r["final_top1"]) for r in records] == [
        ("baseline", 0, 73.59),
        ("baseline", 1, 72.75),
        ("paper", 0, 71.0),
        ("paper", 1, 70.0),
    ]
    assert carried == 1
    assert checks == [
        "m/baseline/0: the run reproduces it exactly",
        "m/baseline/1: the run differs in final_top1 (72.74 -> 72.75), best_top1 (72.74 -> 72.75)",
    ]
    # no committed file: the folders alone
    records, carried, checks = collect.grid_records(runs, tmp_path / "none.csv")
    assert (len(records), carried, checks) == (3, 0, [])


@pytest.mark.skipif(not DOCS.is_dir(), reason="needs the committed results")
def test_collecting_without_run_folders_keeps_every_committed_table(tmp_path, capsys):
    """With no run folder at hand, every table, record and the overview come out as committed
    (the tables gain one line saying where their runs were read from); figures stay."""
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs / "results" / "s2con")
    figures = docs / "figures"
    figures.mkdir()
    (figures / "s2con_fc_fmnist.png").write_bytes(b"kept")
    assert _script().main([str(tmp_path / "no-runs"), str(docs)]) == 0
    out = capsys.readouterr().out
    assert "fc_fmnist: figure kept" in out
    assert (figures / "s2con_fc_fmnist.png").read_bytes() == b"kept"
    grids = sorted(p.name.removesuffix("_runs.csv") for p in DOCS.glob("*_runs.csv"))
    assert len(grids) >= 5
    for grid in grids:
        new = docs / "results" / "s2con"
        assert (new / f"{grid}_runs.csv").read_text() == (DOCS / f"{grid}_runs.csv").read_text()
        n = len(read_run_records(DOCS / f"{grid}_runs.csv"))
        before = (DOCS / f"{grid}.md").read_text().splitlines()
        after = (new / f"{grid}.md").read_text().splitlines()
        assert after[-1].startswith("Read from the records committed earlier") and after[
            -1
        ].endswith(f": {n} of these runs.")
        assert [line for line in after if not line.startswith("Read from the records")] == [
            line for line in before if not line.startswith("Read from the records")
        ]
    assert (docs / "results" / "s2con" / "overview.md").read_text() == (
        DOCS / "overview.md"
    ).read_text()


def test_an_arm_without_a_test_is_not_counted_among_the_comparisons():
    """An arm with one pair has no p-value: Holm's correction and the count leave it out."""
    collect = _script()
    two = [_rec("baseline", s, 90.0 + s) for s in (0, 1, 2)] + [
        _rec("paper", s, 90.1 + s + 0.05 * s) for s in (0, 1, 2)
    ]
    one = [dict(r, model="n") for r in (_rec("baseline", 0, 70.0), _rec("paper", 0, 70.2))]
    text = collect.overview({"a": two, "b": one})
    rows = {
        line.split(" | ")[0].strip("| "): line for line in text.splitlines() if "S2-Con" in line
    }
    assert "not enough data" in rows["b"] and "| - | - |" in rows["b"]
    assert "with 1 independent comparisons" in text


def test_an_exploratory_file_with_its_own_out_is_its_own_grid(tmp_path, monkeypatch):
    """An exploratory config with its own ``out`` gets its own tables (its own baselines) and
    stays out of the confirmatory overview; one sharing ``out`` joins its family's grid."""
    collect = _script()
    configs = tmp_path / "configs"
    configs.mkdir()
    base = "models: [{name: fc_mlp, label: m}]\nseeds: [0, 1]\nbaseline: {ss: {mode: record}}\n"
    arm = "constrained: [{name: %s, ss: {mode: constrain, alpha: 1.0e-2, gamma: auto}}]\n"
    (configs / "fam.yaml").write_text("out: runs/fam\n" + base + arm % "paper")
    (configs / "fam_explore.yaml").write_text("out: runs/fam\n" + base + arm % "a1e-2")
    (configs / "fam2_explore.yaml").write_text("out: runs/fam2_explore\n" + base + arm % "a1e-1")
    docs = tmp_path / "docs"
    (docs / "results" / "s2con").mkdir(parents=True)
    fam = [
        _rec(a, s, 90.0 + s + 0.1 * (a != "baseline"))
        for a in ("baseline", "paper")
        for s in (0, 1)
    ]
    own = [
        _rec(a, s, 80.0 + s + 0.2 * (a != "baseline"))
        for a in ("baseline", "a1e-1")
        for s in (0, 1)
    ]
    old = [_rec("moved", 0, 90.5)]  # an arm whose file now has its own directory
    (docs / "results" / "s2con" / "fam_runs.csv").write_text(records_csv(fam + old))
    (docs / "figures").mkdir()
    (docs / "figures" / "s2con_m.png").write_bytes(b"another grid's")
    # fam2_explore's runs have folders (faked): its figure is drawn, named by the grid
    found = {(r["arm"], r["seed"]): r for r in own}
    monkeypatch.setattr(
        collect,
        "run_records",
        lambda runs: [found[r.arm, r.seed] for r in runs if "fam2_explore" in str(r.out)],
    )
    monkeypatch.setattr(
        collect, "run_state", lambda out: "finished" if "fam2_explore" in str(out) else None
    )

    def plot(runs, out):
        assert all("fam2_explore" in str(r.out) for r in runs) and len(runs) == 4
        (tmp_path / "m.png").write_bytes(b"drawn")
        return [tmp_path / "m.png"]

    monkeypatch.setattr(collect, "plot_experiment", plot)
    monkeypatch.setattr(collect, "CONFIGS", configs)
    assert collect.main([str(tmp_path / "no-runs"), str(docs)]) == 0
    out = docs / "results" / "s2con"
    # the family's grid plans both files' arms; the exploratory arm of fam has no run yet
    assert (
        "4 of 6 planned runs finished; arms with runs still missing: a1e-2."
        in (out / "fam.md").read_text()
    )
    assert (
        "committed runs of arms no longer planned in this directory (moved)"
        in (out / "fam.md").read_text()
    )
    assert "4 of 4 planned runs finished." in (out / "fam2_explore.md").read_text()
    overview = (out / "overview.md").read_text()
    assert "| fam |" in overview and "fam2_explore" not in overview
    assert (docs / "figures" / "s2con_fam2_explore.png").read_bytes() == b"drawn"
    assert (docs / "figures" / "s2con_m.png").read_bytes() == b"another grid's"


def test_a_table_mixing_installations_says_so(tmp_path, monkeypatch):
    """A baseline trained again that differs from its record, next to runs known only by their
    records: the table flags the mix instead of pairing silently."""
    collect = _script()
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "fam.yaml").write_text(
        "out: runs/fam\nmodels: [{name: fc_mlp, label: m}]\nseeds: [0, 1]\n"
        "baseline: {ss: {mode: record}}\n"
        "constrained: [{name: paper, ss: {mode: constrain, alpha: 1.0e-4, gamma: auto}}]\n"
    )
    docs = tmp_path / "docs"
    (docs / "results" / "s2con").mkdir(parents=True)
    fam = [_rec(a, s, 90.0 + s) for a in ("baseline", "paper") for s in (0, 1)]
    (docs / "results" / "s2con" / "fam_runs.csv").write_text(records_csv(fam))
    monkeypatch.setattr(collect, "CONFIGS", configs)
    rerun = _rec("baseline", 0, 90.3)
    monkeypatch.setattr(
        collect,
        "run_records",
        lambda runs: [rerun] if any(r.arm == "baseline" for r in runs) else [],
    )
    monkeypatch.setattr(collect, "run_state", lambda out: None)
    assert collect.main([str(tmp_path / "no-runs"), str(docs)]) == 0
    text = (docs / "results" / "s2con" / "fam.md").read_text()
    assert "**Mixed installations:** 1 runs trained again differ" in text
    assert "while 3 runs come from the records only" in text
    # the same rerun reproducing its record: nothing to flag
    (docs / "results" / "s2con" / "fam_runs.csv").write_text(records_csv(fam))
    rerun.update(final_top1=90.0, best_top1=90.0)
    assert collect.main([str(tmp_path / "no-runs"), str(docs)]) == 0
    assert "Mixed installations" not in (docs / "results" / "s2con" / "fam.md").read_text()


@pytest.mark.skipif(not DOCS.is_dir(), reason="needs the committed results")
def test_the_results_page_shows_the_generated_overview():
    """docs/results.md carries the overview table the collector wrote, not an older copy."""
    page = (ROOT / "docs" / "results.md").read_text()
    block = page.split("<!-- collect_s2con:overview -->\n", 1)[1]
    block = block.split("<!-- /collect_s2con:overview -->", 1)[0]
    assert block == (DOCS / "overview.md").read_text().rstrip() + "\n"


def test_refresh_block_replaces_only_its_block_and_refuses_broken_markers(tmp_path):
    collect = _script()
    page = tmp_path / "results.md"
    assert not collect.refresh_block(page, "overview", "t\n")  # no page: nothing written
    assert not page.exists()
    body = "# R\n<!-- collect_s2con:overview -->\nold\n<!-- /collect_s2con:overview -->\nmore\n"
    page.write_text(body)
    assert collect.refresh_block(page, "overview", "| a |\n| b |\n\n")
    assert page.read_text() == body.replace("old\n", "| a |\n| b |\n")
    assert not collect.refresh_block(page, "other", "x")  # another block: untouched
    for broken in (
        "<!-- collect_s2con:overview -->\nold\n",
        "<!-- /collect_s2con:overview -->\n<!-- collect_s2con:overview -->\n",
        body + body,
    ):
        page.write_text(broken)
        with pytest.raises(SystemExit, match="fix the markers"):
            collect.refresh_block(page, "overview", "new")
        assert page.read_text() == broken


def test_the_exploratory_figure_draws_every_exploratory_arm_and_no_confirmatory_one(
    tmp_path, monkeypatch
):
    """explore_figure: one row per (grid, exploratory arm) with the paired Δ top-1 and Δ SS_rate."""
    import selfsim.report.plots as plots

    collect = _script()
    drawn = []
    monkeypatch.setattr(plots, "plot_intervals", lambda rows, path, **kw: drawn.append(rows))
    base = [_rec("baseline", s, 90.0 + s) for s in (0, 1, 2)]
    a = base + [_rec("paper", s, 90.0 + s) for s in (0, 1, 2)]
    a += [_rec("target-high", s, 89.5 + s, ss_rate=0.30 + 0.01 * s) for s in (0, 1, 2)]
    b = base + [_rec("a1e-2", s, 90.2 + s) for s in (0, 1)]
    assert collect.explore_figure({"a": a, "b": b}, tmp_path / "x.png") == 2
    (rows,) = drawn
    got = {r[0]: r[1:] for r in rows}
    assert set(got) == {"a: target-high (n = 3)", "b: a1e-2 (n = 2)"}
    top, lo, hi, ss, ss_lo, ss_hi = got["a: target-high (n = 3)"]
    assert top == pytest.approx(-0.5) and lo == pytest.approx(-0.5) == hi  # no spread
    assert ss == pytest.approx(0.14) and ss_lo < 0.14 < ss_hi  # 0.30..0.32 against 0.17
    assert collect.explore_figure({"a": a[:6]}, tmp_path / "y.png") == 0 and len(drawn) == 1
