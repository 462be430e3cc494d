"""Collect the S2-Con experiment (configs/s2con/*.yaml) into docs: tables, per-run records, figures.

    python scripts/collect_s2con.py [RUNS=runs/s2con] [DOCS=docs]

For every grid under RUNS (a grid is the ``out`` directory of one or more configs: the
confirmatory and exploratory arms of a family share one where they were trained in one
installation; an exploratory file with its own ``out`` trains its own baselines), writes
DOCS/results/s2con/<grid>.md (the paired summary of :func:`selfsim.train.experiment.summarize`)
and <grid>_runs.csv (one line per finished run), and DOCS/figures/s2con_<grid>.png (test top-1
and SS_rate over epochs per arm). Unfinished runs are left out and counted, so a partial grid
gives a partial table that says what is missing. DOCS/results/s2con/overview.md puts the
confirmatory arms of every grid that has them in one table, and
DOCS/figures/s2con_overview.png draws their paired differences with 95 % intervals, and
DOCS/figures/s2con_explore_overview.png those of every exploratory arm (top-1 and SS_rate). The same
table replaces the block between ``<!-- collect_s2con:overview -->`` and
``<!-- /collect_s2con:overview -->`` in DOCS/results.md, so the page never shows an older table
than the one generated; nothing else in that page is touched.

The committed records are results too: a run whose folder is not under RUNS keeps its line of
DOCS/results/s2con/<grid>_runs.csv, and enters the tables from there (the tables say how many
did). A run found in both is taken from its folder, and the script prints whether it matches
its committed record (a rerun reproduces it exactly where it was trained, not necessarily in
another installation: selfsim.train.experiment.use_baseline_records). A grid's figure is drawn
again only when every run it shows has its folder at hand; otherwise the committed one stays.
"""

from __future__ import annotations

import math
import shutil
import sys
from pathlib import Path

from selfsim._core.files import atomic_write_text
from selfsim.train.config import read_config_file
from selfsim.train.experiment import (
    RunSpec,
    arm_label,
    cell,
    paired_rows,
    plan_grid,
    read_run_records,
    records_csv,
    run_records,
    summary_from_records,
    summary_markdown,
)
from selfsim.train.experiment_plots import plot_experiment, plot_paired
from selfsim.train.paired import holm
from selfsim.train.rundir import run_state

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "s2con"
CONFIRMATORY = ("paper", "paper-nogate")  # fixed before any run (configs/s2con/<grid>.yaml)
COMPARED = ("final_top1", "best_top1", "ss_rate", "epochs")  # a rerun must reproduce these


def _same(a: object, b: object) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)


def _key(rec: dict) -> tuple:
    return rec["model"], rec["arm"], rec["seed"]


def grid_records(runs: list[RunSpec], committed: Path) -> tuple[list[dict], int, list[str]]:
    """A grid's run records: each finished run's, and the committed record of every run whose
    folder is gone (``committed``: the grid's ``_runs.csv``, when there is one).

    Returns the records (in the grid's order, committed records of runs no longer planned
    last), how many came from ``committed`` only, and one line per run found in both that
    says whether its folder reproduces the committed record.
    """
    found = {_key(rec): rec for rec in run_records(runs)}
    kept = {_key(rec): rec for rec in read_run_records(committed)} if committed.is_file() else {}
    checks = []
    for key in found.keys() & kept.keys():
        diff = [f for f in COMPARED if not _same(found[key][f], kept[key][f])]
        what = (
            "differs in " + ", ".join(f"{f} ({kept[key][f]} -> {found[key][f]})" for f in diff)
            if diff
            else "reproduces it exactly"
        )
        checks.append(f"{'/'.join(map(str, key))}: the run {what}")
    merged = {**kept, **found}
    order = {(r.model, r.arm, r.seed): i for i, r in enumerate(runs)}
    records = sorted(merged.values(), key=lambda rec: order.get(_key(rec), len(order)))
    return records, len(kept.keys() - found.keys()), sorted(checks)


def overview(grids: dict[str, list[dict]], figure: Path | None = None) -> str:
    """One row per grid and confirmatory arm: the baseline, the paired difference, the verdict.

    With ``figure``, also a forest plot of the differences there (the paper's +0.5 to +1.5
    points on CIFAR-10 for the MLP and attention families shaded).
    """
    points = []
    lines = [
        "| grid | baseline final top-1 (%) | arm | n | Δ final top-1 (pp) [95 % CI] | verdict "
        "| t p | Holm p | wins/losses | MDE (pp) | Δ SS_rate (eval) [95 % CI] | gate open |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    pending, found = [], []
    for grid, records in grids.items():
        base = [s for s in summary_from_records(records) if s["arm"] == "baseline"]
        if not base:
            pending.append(grid)
            continue
        b = base[0]
        head = f"{b['final_top1_mean']:.2f} ± {b['final_top1_std']:.2f} (n = {b['n']})"
        rows = [r for r in paired_rows(records) if r["arm"] in CONFIRMATORY]
        found += [(grid, head, r) for r in rows] or [(grid, head, None)]
    # an arm with fewer than two pairs has no test (p is nan): it is not one of the comparisons
    tested = [r for _, _, r in found if r is not None and math.isfinite(r["final_top1"].t_p)]
    m = len(tested)
    adjusted = dict(zip(map(id, tested), holm([r["final_top1"].t_p for r in tested]), strict=True))
    for grid, head, r in found:
        if r is None:
            lines.append(f"| {grid} | {head} | (no S2-Con arm finished) |" + " |" * 9)
            continue
        t = r["final_top1"]
        points.append(
            (f"{grid}, {arm_label(r['arm'])} (n = {r['n']})", t.mean, t.ci_low, t.ci_high)
        )
        lines.append(
            f"| {grid} | {head} | {arm_label(r['arm'])} | {r['n']} | {t.interval(2)} | "
            f"{t.verdict} | {cell(t.t_p, '.2g')} | {cell(adjusted.get(id(r), math.nan), '.2g')} | "
            f"{t.wins}/{t.losses} | {cell(t.mde, '.2f')} | {r['ss_rate'].interval(3)} | "
            f"{r['gate_mean']:.2f} |"
        )
    note = (
        "\nConfirmatory arms only (the paper's recipe with and without the released gate), "
        "each paired by seed with its grid's baseline; verdict: the 95 % t interval of the "
        'mean difference against 0 ("not enough data" below two pairs); t p: the paired t-test '
        "behind that interval; Holm p: the same p adjusted (Holm) over every comparison in this "
        "table, so that a family of tests at the 5 % level does not find an effect by chance "
        f"(with {m} independent comparisons and no effect anywhere, at least one interval would "
        f"exclude 0 with probability 1 - 0.95^{m} = {100 * (1 - 0.95**m):.0f} %). Baseline: mean ± std over "
        "its seeds. The exploratory arms are in each grid's own table.\n"
    )
    if pending:
        note += f"\nNo finished baseline yet: {', '.join(pending)}.\n"
    if figure is not None and points:
        from selfsim.report.plots import plot_intervals

        plot_intervals(
            points,
            figure,
            xlabel="Δ final test top-1, S2-Con minus baseline, paired by seed (points; 95 % CI)",
            band=(0.5, 1.5, "the paper's CIFAR-10 gains for ResMLP, MLP-Mixer, ViT-S"),
        )
    return "\n".join(lines) + "\n" + note


def explore_figure(grids: dict[str, list[dict]], figure: Path) -> int:
    """Every exploratory arm of every grid in one forest plot (Δ top-1 and Δ SS_rate); rows drawn.

    The exploratory arms are each grid's arms other than the confirmatory ones; each is paired
    by seed with its own grid's baseline. A person sees at once which arms moved SS_rate at
    all and what that cost, across families; the numbers are in each grid's table.
    """
    rows = [
        (f"{grid}: {r['arm']} (n = {r['n']})", r)
        for grid, records in grids.items()
        for r in paired_rows(records)
        if r["arm"] not in CONFIRMATORY
    ]
    plot_paired(rows, figure)
    return len(rows)


def refresh_block(path: Path, name: str, text: str) -> bool:
    r"""Replace the text between ``<!-- collect_s2con:NAME -->`` and its closing marker in ``path``.

    Returns False (and leaves the file alone) where the file or its markers are absent; a
    marker without its partner, or a block given twice, is an error that names the file.

    >>> import tempfile
    >>> page = Path(tempfile.mkdtemp()) / "page.md"
    >>> _ = page.write_text("intro\n<!-- collect_s2con:t -->\nold\n<!-- /collect_s2con:t -->\nend\n")
    >>> refresh_block(page, "t", "new\n"), page.read_text().splitlines()[1:4]
    (True, ['<!-- collect_s2con:t -->', 'new', '<!-- /collect_s2con:t -->'])
    """
    if not path.is_file():
        return False
    page = path.read_text()
    start, end = f"<!-- collect_s2con:{name} -->", f"<!-- /collect_s2con:{name} -->"
    counts = (page.count(start), page.count(end))
    if counts == (0, 0):
        return False
    if counts != (1, 1) or page.index(start) > page.index(end):
        raise SystemExit(
            f"{path}: expected one {start!r} line followed by one {end!r} line, found "
            f"{counts[0]} and {counts[1]}; fix the markers (the page was not changed)"
        )
    head, rest = page.split(start, 1)
    tail = rest.split(end, 1)[1]
    atomic_write_text(path, f"{head}{start}\n{text.rstrip()}\n{end}{tail}")
    return True


def main(argv: list[str]) -> int:
    runs_root = Path(argv[0]) if argv else Path("runs/s2con")
    docs = Path(argv[1]) if len(argv) > 1 else Path("docs")
    (docs / "results" / "s2con").mkdir(parents=True, exist_ok=True)
    (docs / "figures").mkdir(parents=True, exist_ok=True)
    grids: dict[str, list] = {}
    for cfg in sorted(CONFIGS.glob("*.yaml")):
        doc = read_config_file(cfg)
        grid = Path(doc.get("out") or cfg.stem).name  # exploratory files may share a grid
        planned = plan_grid(doc, runs_root / grid)
        seen = {str(r.out) for r in grids.get(grid, [])}
        grids.setdefault(grid, []).extend(r for r in planned if str(r.out) not in seen)
    collected: dict[str, list[dict]] = {}
    for grid, runs in grids.items():
        csv_path = docs / "results" / "s2con" / f"{grid}_runs.csv"
        records, carried, checks = grid_records(runs, csv_path)
        for line in checks:
            print(f"{grid}: rerun {line}")
        if not records:
            print(f"{grid}: no finished runs yet ({len(runs)} planned)")
            continue
        collected[grid] = records
        have = {_key(rec) for rec in records}
        missing = sorted({r.arm for r in runs if (r.model, r.arm, r.seed) not in have})
        n_done = sum((r.model, r.arm, r.seed) in have for r in runs)
        text = summary_markdown(records)
        text += f"\n{n_done} of {len(runs)} planned runs finished" + (
            f"; arms with runs still missing: {', '.join(missing)}.\n" if missing else ".\n"
        )
        planned = {(r.model, r.arm, r.seed) for r in runs}
        if gone := [rec for rec in records if _key(rec) not in planned]:
            text += (
                f"Also in this table: {len(gone)} committed runs of arms no longer planned in "
                f"this directory ({', '.join(sorted({rec['arm'] for rec in gone}))}).\n"
            )
        if carried and (differ := sum("differs in" in line for line in checks)):
            text += (
                f"**Mixed installations:** {differ} runs trained again differ from their "
                f"committed records, while {carried} runs come from the records only; a pair "
                "across the two sets shares seed, data order and gamma but not numerics.\n"
            )
        if carried:
            text += (
                "Read from the records committed earlier (their run folders were not at hand "
                f"when this was collected): {carried} of these runs.\n"
            )
        atomic_write_text(docs / "results" / "s2con" / f"{grid}.md", text)
        atomic_write_text(csv_path, records_csv(records))
        done = [r for r in runs if run_state(r.out) == "finished"]
        if carried:
            print(f"{grid}: figure kept ({carried} runs have no folder to draw from)")
        elif done:
            pngs = plot_experiment(done, runs_root / grid)  # one per model, named by its label
            for png in pngs:  # named by the grid: two grids may train the same label
                name = grid if len(pngs) == 1 else f"{grid}_{png.stem}"
                shutil.copyfile(png, docs / "figures" / f"s2con_{name}.png")
        print(f"== {grid}\n{text}")
    confirmatory = {g for g, runs in grids.items() if any(r.arm in CONFIRMATORY for r in runs)}
    tested = {g: recs for g, recs in collected.items() if g in confirmatory}
    text = overview(tested, docs / "figures" / "s2con_overview.png")
    atomic_write_text(docs / "results" / "s2con" / "overview.md", text)
    if refresh_block(docs / "results.md", "overview", text):
        print(f"{docs / 'results.md'}: overview table refreshed")
    print(f"== overview\n{text}")
    shown = explore_figure(collected, docs / "figures" / "s2con_explore_overview.png")
    print(f"exploratory arms drawn in figures/s2con_explore_overview.png: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
