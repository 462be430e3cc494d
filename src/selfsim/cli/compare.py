"""``selfsim compare DIR_A DIR_B``: two analysis runs side by side (table and plot)."""

from __future__ import annotations

import argparse

HELP = "compare two analysis runs layer by layer (table and plot)"

_COLUMNS = ("ss_rate", "ss_rate_paper", "approx_error", "d_B")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_a", metavar="DIR_A", help="run directory of `selfsim analyze`")
    p.add_argument("run_b", metavar="DIR_B", help="second run directory")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="where to write compare.csv and compare.png (default ./runs/compare-<time>)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier comparison in --out")


def _read(run: str):
    from pathlib import Path

    import pandas as pd

    from .._core.errors import DataError

    path = Path(run) / "layers.csv"
    if not path.is_file():
        raise DataError(f"{run} is not an analysis run: {path} is missing. Run `selfsim analyze` first.")
    return pd.read_csv(path)


def run(args: argparse.Namespace) -> int:
    import shutil
    from pathlib import Path

    from .._core.files import plan_output, staging_dir, swap_into_place
    from ..report.plots import plot_depth
    from ..report.run import default_run_dir

    out = Path(args.out) if args.out else default_run_dir("compare")
    plan_output(out, "compare", overwrite=args.overwrite)
    a, b = _read(args.run_a), _read(args.run_b)
    cols = [c for c in _COLUMNS if c in a and c in b]
    merged = a[["layer", *cols]].merge(b[["layer", *cols]], on="layer", how="outer", sort=False,
                                       suffixes=("_a", "_b"))
    for c in cols:
        merged[f"{c}_diff"] = merged[f"{c}_b"] - merged[f"{c}_a"]
    names = (Path(args.run_a).name or "A", Path(args.run_b).name or "B")
    if names[0] == names[1]:
        names = (names[0] + " (A)", names[1] + " (B)")
    tmp = staging_dir(out)
    try:  # written beside --out, then swapped in: an earlier comparison stays whole on failure
        merged.to_csv(tmp / "compare.csv", index=False)
        plot_depth({names[0]: merged["ss_rate_a"], names[1]: merged["ss_rate_b"]},
                   list(merged["layer"]), tmp / "compare.png")
        swap_into_place(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    print(merged.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"mean SS_rate: A {a['ss_rate'].mean():.4f}, B {b['ss_rate'].mean():.4f}")
    print(f"wrote {out / 'compare.csv'} and {out / 'compare.png'}")
    return 0
