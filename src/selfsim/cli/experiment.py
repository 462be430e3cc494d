"""``selfsim experiment``: a grid of models x {baseline, S2-Con} x seeds, then a summary.

Example::

    selfsim experiment configs/experiment_small.yaml --out runs/cifar10_small --parallel 2
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
        "--summary-only", action="store_true", help="do not train; summarise the finished runs"
    )
    p.add_argument("--no-plots", action="store_true", help="skip the plots")


def _check_out(out: Path, runs: list) -> None:
    """An experiment directory is new, empty, or an earlier run of an experiment."""
    from .._core.errors import OutputError
    from .._core.files import check_writable, run_kind

    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputError(
            f"--out {out} is not a directory (a file or a link); choose another --out."
        )
    if out.is_dir() and any(out.iterdir()):
        ours = (out / "summary.md").is_file() or any(run_kind(r.out) == "train" for r in runs)
        if not ours:
            raise OutputError(
                f"--out {out} holds files that are not a selfsim experiment; choose another --out."
            )
    check_writable(out)


def run(args: argparse.Namespace) -> int:
    from ..train.config import read_config_file
    from ..train.experiment import plan_grid, run_grid, summarize

    doc = read_config_file(args.config)
    out = args.out or doc.get("out") or "runs/experiment"
    runs = plan_grid(doc, out)
    _check_out(Path(out), runs)
    if not args.summary_only:
        parallel = args.parallel or int(doc.get("parallel", 1))
        for path, what in run_grid(runs, parallel=parallel).items():
            print(f"{what:8s} {path}")
    summarize(runs, out)
    print(open(f"{out}/summary.md").read())
    if not args.no_plots:
        from ..train.experiment_plots import plot_experiment

        for plot in plot_experiment(runs, out):
            print(f"plot     {plot}")
    return 0
