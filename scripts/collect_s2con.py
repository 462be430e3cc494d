"""Collect the S2-Con experiment (configs/s2con/*.yaml) into docs: tables, per-run records, figures.

    python scripts/collect_s2con.py [RUNS=runs/s2con] [DOCS=docs]

For every family/data set grid found under RUNS (confirmatory and exploratory arms share one
directory), writes DOCS/results/s2con/<grid>.md (the paired summary of
:func:`selfsim.train.experiment.summarize`) and <grid>_runs.csv (one line per finished run),
and DOCS/figures/s2con_<grid>.png (test top-1 and SS_rate over epochs per arm). Unfinished runs
are left out and counted, so a partial grid gives a partial table that says what is missing.
DOCS/results/s2con/overview.md puts the confirmatory arms of every grid in one table, and
DOCS/figures/s2con_overview.png draws their paired differences with 95 % intervals.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from selfsim.train.experiment import (
    arm_label,
    paired_rows,
    plan_grid,
    run_records,
    summarize,
    summary_rows,
)
from selfsim.train.experiment_plots import plot_experiment
from selfsim.train.paired import holm
from selfsim.train.rundir import run_state

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "s2con"
CONFIRMATORY = ("paper", "paper-nogate")  # fixed before any run (configs/s2con/<grid>.yaml)


def overview(grids: dict[str, list], figure: Path | None = None) -> str:
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
    for grid, runs in grids.items():
        done = [r for r in runs if run_state(r.out) == "finished"]
        base = [s for s in summary_rows(done) if s["arm"] == "baseline"]
        if not base:
            pending.append(grid)
            continue
        b = base[0]
        head = f"{b['final_top1_mean']:.2f} ± {b['final_top1_std']:.2f} (n = {b['n']})"
        rows = [r for r in paired_rows(run_records(done)) if r["arm"] in CONFIRMATORY]
        found += [(grid, head, r) for r in rows] or [(grid, head, None)]
    p_values = [r["final_top1"].t_p for _, _, r in found if r is not None]
    m = len(p_values)
    adjusted = iter(holm(p_values))
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
            f"{t.verdict} | {t.t_p:.2g} | {next(adjusted):.2g} | {t.wins}/{t.losses} | "
            f"{t.mde:.2f} | {r['ss_rate'].interval(3)} | {r['gate_mean']:.2f} |"
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


def main(argv: list[str]) -> int:
    runs_root = Path(argv[0]) if argv else Path("runs/s2con")
    docs = Path(argv[1]) if len(argv) > 1 else Path("docs")
    (docs / "results" / "s2con").mkdir(parents=True, exist_ok=True)
    (docs / "figures").mkdir(parents=True, exist_ok=True)
    grids: dict[str, list] = {}
    for cfg in sorted(CONFIGS.glob("*.yaml")):
        grid = cfg.stem.removesuffix("_explore")
        planned = plan_grid(cfg, runs_root / grid)
        seen = {str(r.out) for r in grids.get(grid, [])}
        grids.setdefault(grid, []).extend(r for r in planned if str(r.out) not in seen)
    for grid, runs in grids.items():
        done = [r for r in runs if run_state(r.out) == "finished"]
        if not done:
            print(f"{grid}: no finished runs yet ({len(runs)} planned)")
            continue
        out = runs_root / grid
        summarize(runs, out)
        missing = sorted({f"{r.arm}" for r in runs if run_state(r.out) != "finished"})
        text = (out / "summary.md").read_text()
        text += f"\n{len(done)} of {len(runs)} planned runs finished" + (
            f"; arms with runs still missing: {', '.join(missing)}.\n" if missing else ".\n"
        )
        (docs / "results" / "s2con" / f"{grid}.md").write_text(text)
        shutil.copyfile(out / "runs.csv", docs / "results" / "s2con" / f"{grid}_runs.csv")
        for png in plot_experiment(done, out):
            shutil.copyfile(png, docs / "figures" / f"s2con_{png.stem}.png")
        print(f"== {grid}\n{text}")
    text = overview(grids, docs / "figures" / "s2con_overview.png")
    (docs / "results" / "s2con" / "overview.md").write_text(text)
    print(f"== overview\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
