"""Collect the S2-Con experiment (configs/s2con/*.yaml) into docs: tables, per-run records, figures.

    python scripts/collect_s2con.py [RUNS=runs/s2con] [DOCS=docs]

For every family/data set grid found under RUNS (confirmatory and exploratory arms share one
directory), writes DOCS/results/s2con/<grid>.md (the paired summary of
:func:`selfsim.train.experiment.summarize`) and <grid>_runs.csv (one line per finished run),
and DOCS/figures/s2con_<grid>.png (test top-1 and SS_rate over epochs per arm). Unfinished runs
are left out and counted, so a partial grid gives a partial table that says what is missing.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from selfsim.train.experiment import plan_grid, summarize
from selfsim.train.experiment_plots import plot_experiment
from selfsim.train.rundir import run_state

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "s2con"


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
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
