"""``selfsim experiment``: a grid of models x {baseline, S2-Con} x seeds, then a summary page.

Example::

    selfsim experiment configs/experiment_small.yaml --out runs/cifar10_small --parallel 2
    selfsim experiment configs/s2con/resnet_fmnist28.yaml --arms baseline --seeds 0   # a check
    selfsim experiment configs/s2con/mixer_cifar10.yaml --baseline-records RUNS_CSV  # see --help
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "run a grid of baseline and S2-Con trainings and summarise it (Table-3 style)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "config", help="experiment file (YAML or JSON): models, seeds, base, baseline, constrained"
    )
    p.add_argument("--out", help="experiment directory (default: 'out' of the file)")
    p.add_argument("--parallel", type=int, help="runs at a time (default: file or 1)")
    p.add_argument(
        "--arms",
        nargs="+",
        metavar="ARM",
        help="train only these arms, e.g. 'baseline' for a baseline check (default: all); the "
        "summary covers every finished run of the grid",
    )
    p.add_argument(
        "--seeds", nargs="+", type=int, metavar="S", help="train only these seeds (default: all)"
    )
    p.add_argument(
        "--baseline-records",
        metavar="RUNS_CSV",
        help="run records of this grid (a runs.csv, e.g. committed results) whose baseline "
        "folders are gone: a constrained run takes gamma from its baseline's record (the value "
        "'gamma: auto' reads from the folder) and that baseline is not trained again",
    )
    p.add_argument(
        "--summary-only", action="store_true", help="do not train; summarise the finished runs"
    )
    p.add_argument("--no-plots", action="store_true", help="skip the plots")


def _check_out(out: Path) -> None:
    """An experiment folder is new, empty, or an earlier grid, which is continued.

    The rule is :func:`~selfsim._core.files.plan_output`'s (kind "experiment"), as for every
    other command; asked before any training.
    """
    from .._core.files import plan_output

    plan_output(out, "experiment")


def run(args: argparse.Namespace) -> int:
    from ..train.config import read_config_file
    from ..train.experiment import (
        plan_grid,
        read_run_records,
        run_grid,
        select_runs,
        summarize,
        use_baseline_records,
        write_grid_report,
    )

    doc = read_config_file(args.config)
    out = args.out or doc.get("out") or "runs/experiment"
    runs = plan_grid(doc, out)
    trained = runs
    if args.baseline_records:
        trained = use_baseline_records(runs, read_run_records(args.baseline_records))
    todo = select_runs(trained, arms=args.arms, seeds=args.seeds)
    _check_out(Path(out))
    if not args.summary_only:
        parallel = args.parallel or int(doc.get("parallel", 1))
        for path, what in run_grid(todo, parallel=parallel).items():
            print(f"{what:8s} {path}")
    summarize(runs, out)
    print(open(f"{out}/summary.md").read())
    page, plots = write_grid_report(out, runs, plots=not args.no_plots)
    for plot in plots:
        print(f"plot     {plot}")
    print(f"report   {page}")
    return 0
