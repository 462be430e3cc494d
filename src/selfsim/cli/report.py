"""``selfsim report RUN_DIR [RUN_DIR ...]``: build report.html of existing runs again.

For an analysis run (from ``results.json``), a training run (from ``config.json``,
``metrics.jsonl``, ``status.json``), a comparison (from the compared runs named in its
``compare.json``) or an experiment grid (from its runs: the summary tables and the curves).
Only ``report.html`` and its figures (``plots/``, a comparison's ``compare.png``) are written,
atomically;
a folder that is not a selfsim run is refused before anything is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "build report.html again for analysis runs, comparisons, training runs or experiment grids"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "runs",
        metavar="RUN_DIR",
        nargs="+",
        help="folders of `selfsim analyze`, `selfsim compare`, `selfsim train` or "
        "`selfsim experiment`",
    )
    p.add_argument(
        "--no-plots", action="store_true", help="a page without figures; plots/ is left alone"
    )


def _kind(path: Path) -> str:
    """The kind of run in ``path``, or an error that says what selfsim expected there."""
    from .._core.errors import DataError
    from .._core.files import run_kind

    if path.is_symlink() or not path.is_dir():
        what = "does not exist" if not path.exists() else "is not a folder (a file or a link)"
        raise DataError(f"{path} {what}; give the folder of a selfsim run.")
    kind = run_kind(path)
    if kind == "compare":
        from ..report.compare import compare_sources

        compare_sources(path)  # the compared runs must be known and still there
    if kind is None:
        raise DataError(
            f"{path} is not a selfsim run (no results.json of an analysis, config.json of a "
            "training run, or summary of an experiment grid); nothing was written."
        )
    return kind


def run(args: argparse.Namespace) -> int:
    from .._core.errors import InvalidInputError

    paths = [Path(p) for p in args.runs]
    kinds = [_kind(p) for p in paths]  # every folder is checked before any is written
    plots = not args.no_plots
    if not plots and "compare" in kinds:
        raise InvalidInputError(
            "--no-plots does not apply to a comparison (its page is built around its figures); "
            "leave it out for "
            + ", ".join(str(p) for p, k in zip(paths, kinds, strict=True) if k == "compare")
            + "."
        )
    for path, kind in zip(paths, kinds, strict=True):
        if kind == "analysis":
            from ..report.run import rebuild_report

            page = rebuild_report(path, plots=plots)
        elif kind == "compare":
            from ..report.compare import rebuild_compare

            page = rebuild_compare(path)
        elif kind == "train":
            from ..report.training import write_training_report

            page = write_training_report(path, plots=plots)
        else:
            from ..train.experiment import write_grid_report

            page, _ = write_grid_report(path, plots=plots)
        print(f"{kind:10s} {page}")
    return 0
