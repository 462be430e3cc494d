"""``selfsim compare DIR_A DIR_B [DIR ...]``: analysis runs side by side (table, plots, page)."""

from __future__ import annotations

import argparse

HELP = "compare two or more analysis runs layer by layer (table, plots, report.html)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "runs",
        metavar="DIR",
        nargs="+",
        help="run directories of `selfsim analyze` (two or more, e.g. untrained and trained)",
    )
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="where to write compare.csv, compare.png and report.html "
        "(default ./runs/compare-<time>)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace an earlier comparison in --out"
    )
    p.add_argument(
        "--allow-different-models",
        action="store_true",
        help="compare runs of different models anyway (layers matched by name)",
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .._core.errors import InvalidInputError
    from ..report.compare import compare_runs
    from ..report.run import default_run_dir

    if len(args.runs) < 2:
        raise InvalidInputError("selfsim compare needs at least two run directories.")
    out = Path(args.out) if args.out else default_run_dir("compare")
    out, frame = compare_runs(
        args.runs, out, overwrite=args.overwrite, allow_different_models=args.allow_different_models
    )
    cols = [
        "layer",
        *(
            c
            for c in frame.columns
            if c.startswith(("ss_rate_", "d_B_"))
            and not c.startswith(("ss_rate_paper", "ss_rate_true"))
        ),
    ]
    print(frame[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    for c in frame.columns:
        if (
            c.startswith("ss_rate_")
            and not c.startswith(("ss_rate_paper", "ss_rate_true"))
            and not c.endswith("_diff")
            and "_ci_" not in c
        ):
            print(f"mean {c}: {frame[c].mean():.4f}")
    print(f"wrote {out / 'compare.csv'}, {out / 'compare.png'} and {out / 'report.html'}")
    return 0
