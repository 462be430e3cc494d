"""``selfsim report RUN_DIR ...``: report.html built again for analysis, training and grid folders.

Hand-made run folders (no model is run) through the CLI in this process; the numbers on the
grid page are checked against values worked out by hand from the made-up metrics.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from report_runs import blocks, training_run, write_results

from selfsim.cli import main


def _fingerprint(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root`` except those under ``skip``."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not any(rel == s or rel.startswith(s + "/") for s in skip):
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _images(html: str) -> int:
    return len(re.findall(r"src='data:image/png;base64,", html))


def _report(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(["report", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_analysis_run_gets_its_page_and_plots_again(tmp_path, capsys):
    run = write_results(tmp_path / "run", blocks(4), model="resnet_tiny_32")
    (run / "layers.csv").write_text("layer,ss_rate\n")
    (run / "report.html").write_text("<html>an old page</html>")
    before = _fingerprint(run, skip=("report.html", "plots"))
    rc, out, err = _report(capsys, str(run))
    assert rc == 0, err
    html = (run / "report.html").read_text()
    assert "an old page" not in html and "selfsim analysis: resnet_tiny_32" in html
    assert "blocks.3" in html and _images(html) >= 2  # SS_rate against depth, N(theta)
    assert (run / "plots" / "ss_rate_depth.png").stat().st_size > 0
    assert _fingerprint(run, skip=("report.html", "plots")) == before  # nothing else touched
    assert f"analysis   {run / 'report.html'}" in out
    leftovers = [p.name for p in run.iterdir() if p.name.startswith(".")]
    assert not leftovers  # atomic writes leave no temporary file


def test_no_plots_gives_a_page_without_figures_and_no_plots_folder(tmp_path, capsys):
    run = write_results(tmp_path / "run", blocks(3))
    rc, _, err = _report(capsys, "--no-plots", str(run))
    assert rc == 0, err
    assert _images((run / "report.html").read_text()) == 0
    assert not (run / "plots").exists()


def test_training_run_page(tmp_path, capsys):
    run = training_run(tmp_path / "train", epochs=3)
    before = _fingerprint(run, skip=("report.html",))
    rc, out, err = _report(capsys, str(run))
    assert rc == 0, err
    html = (run / "report.html").read_text()
    assert "selfsim training: resmlp_tiny_32 on synthetic" in html
    assert "3 of 3 finished" in html and _images(html) == 3  # accuracy, SS per layer, steps
    assert sorted(p.name for p in run.iterdir()) == sorted([*before, "report.html"])
    assert _fingerprint(run, skip=("report.html",)) == before


def _grid(root: Path) -> Path:
    """Two arms x two seeds of one model; finished after 3 / 2 (baseline) and 4 / 3 epochs.

    The made-up metrics give top-1 = 40 + 10 * last epoch, so: baseline final top-1 60 and 50
    (mean 55, std 7.07), S2-Con 70 and 60 (mean 65); paired difference +10 on both seeds.
    """
    for arm, epochs in (("baseline", (3, 2)), ("constrained", (4, 3))):
        for seed, n in enumerate(epochs):
            training_run(root / "resmlp_tiny_32" / arm / f"seed{seed}", epochs=n)
    (root / "summary.md").write_text("| model | arm |\n")
    (root / "summary.csv").write_text("model,arm\nresmlp_tiny_32,baseline\n")
    return root


def test_grid_page_holds_the_summary_the_paired_table_and_the_curves(tmp_path, capsys):
    grid = _grid(tmp_path / "grid")
    before = _fingerprint(grid, skip=("report.html", "plots"))
    rc, out, err = _report(capsys, str(grid))
    assert rc == 0, err
    html = (grid / "report.html").read_text()
    assert "55.00 ± 7.07" in html  # baseline final (= best) top-1 over the two seeds
    assert "65.00 ± 7.07" in html  # S2-Con
    assert "+10.00" in html and "2/0" in html  # paired: +10 pp, won on both seeds
    assert html.index(">baseline<") < html.index(">S2-Con<")
    for arm in ("baseline", "constrained"):
        for seed in (0, 1):
            assert f"href='resmlp_tiny_32/{arm}/seed{seed}/report.html'" in html
    # the curves, and the paired differences drawn under their table
    assert _images(html) == 2 and (grid / "plots" / "resmlp_tiny_32.png").stat().st_size > 0
    assert (grid / "plots" / "paired.png").stat().st_size > 0
    assert html.index("2/0") < html.index("alt='paired differences'") < html.index("curves")
    # the summary files and the runs are not rewritten
    assert _fingerprint(grid, skip=("report.html", "plots")) == before
    assert f"experiment {grid / 'report.html'}" in out


def test_unfinished_runs_are_named_in_a_banner(tmp_path, capsys):
    grid = _grid(tmp_path / "grid")
    status = grid / "resmlp_tiny_32" / "constrained" / "seed1" / "status.json"
    status.write_text(json.dumps({"state": "failed", "reason": "diverged"}))
    rc, _, err = _report(capsys, "--no-plots", str(grid))
    assert rc == 0, err
    html = (grid / "report.html").read_text()
    assert "1 of 4 runs are not finished" in html
    assert "70.00 ± 0.00" in html  # S2-Con over its one finished seed


@pytest.mark.parametrize(
    "make, fragments",
    [
        (lambda p: (p.mkdir(), (p / "thesis.tex").write_text("x")), ["not a selfsim run"]),
        (lambda p: None, ["does not exist"]),
        (lambda p: p.write_text("x"), ["not a folder"]),
        (
            lambda p: (
                p.mkdir(),
                *((p / n).write_text("x") for n in ("compare.csv", "compare.png")),
            ),
            ["comparison", "selfsim compare", "--overwrite"],
        ),
    ],
    ids=["other-files", "missing", "file", "compare"],
)
def test_refuses_what_is_not_a_run_before_writing_anything(tmp_path, capsys, make, fragments):
    good = write_results(tmp_path / "good", blocks(2))
    bad = tmp_path / "bad"
    make(bad)
    before = _fingerprint(tmp_path)
    rc, out, err = _report(capsys, str(good), str(bad))
    assert rc == 2 and out == ""
    assert "selfsim report: error:" in err and "Traceback" not in err
    for f in fragments:
        assert f in err, err
    assert _fingerprint(tmp_path) == before  # not even the good run was touched


def test_comparison_page_is_rebuilt_from_the_runs_it_names(tmp_path, capsys):
    from selfsim.report.compare import compare_runs

    a = write_results(tmp_path / "untrained", blocks(3), model="resnet_tiny_32")
    b = write_results(tmp_path / "trained", blocks(3, offset=0.1), model="resnet_tiny_32")
    cmp, _ = compare_runs([a, b], tmp_path / "cmp")
    sources = json.loads((cmp / "compare.json").read_text())
    assert sources["runs"] == [str(a.resolve()), str(b.resolve())]
    assert sources["labels"] == ["untrained", "trained"]
    (cmp / "report.html").write_text("<html>an old page</html>")
    kept = _fingerprint(cmp, skip=("report.html", "plots", "compare.png"))
    assert set(kept) == {"compare.csv", "compare.json"}
    rc, out, err = _report(capsys, str(cmp))
    assert rc == 0, err
    html = (cmp / "report.html").read_text()
    assert "an old page" not in html and "untrained vs trained" in html
    assert _images(html) >= 2 and (cmp / "plots" / "curves.png").stat().st_size > 0
    assert _fingerprint(cmp, skip=("report.html", "plots", "compare.png")) == kept
    assert f"compare    {cmp / 'report.html'}" in out
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    # --no-plots cannot apply, and a compared run that is gone stops everything before writing
    rc, _, err = _report(capsys, "--no-plots", str(cmp))
    assert rc == 2 and "--no-plots does not apply to a comparison" in err
    (a / "results.json").rename(tmp_path / "moved.json")
    a.rename(tmp_path / "elsewhere")
    before = _fingerprint(tmp_path)
    rc, _, err = _report(capsys, str(b), str(cmp))
    assert rc == 2 and "no longer exist" in err and "untrained" in err
    assert _fingerprint(tmp_path) == before
