"""Curves of an experiment grid: top-1 and SS_rate over epochs, baseline vs S2-Con.

The data come from the runs' metric files; the drawing is
:func:`selfsim.report.plots.plot_bands`.

One figure per model (``plots/<model>.png``): the left panel shows test
top-1, the right one the mean SS_rate over the hooked layers on the fixed
evaluation batch; each arm is the mean over seeds with a band of +- one
standard deviation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .experiment import RunSpec, arm_label, arm_names
from .rundir import epoch_lines, run_state

__all__ = ["plot_experiment", "plot_paired"]

_LABELS = {"baseline": "baseline (record-only)"}


def _curves(runs: list[RunSpec], key: str) -> np.ndarray | None:
    series = []
    for r in runs:
        if run_state(r.out) in ("finished", "stopped", "running"):
            vals = [np.nan if e.get(key) is None else e[key] for e in epoch_lines(r.out)]
            if vals:
                series.append(vals)
    if not series:
        return None
    n = min(len(s) for s in series)
    return np.asarray([s[:n] for s in series], dtype=float)


def plot_experiment(runs: list[RunSpec], out: str | Path) -> list[Path]:
    """Write one PNG per model under ``out/plots``; return their paths.

    The curves are gathered here; :func:`selfsim.report.plots.plot_bands` draws them.
    """
    from ..report.plots import plot_bands

    folder = Path(out) / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for model in dict.fromkeys(r.model for r in runs):
        panels = []
        for key, title in (("top1", "test top-1 (%)"), ("ss_rate_mean", "SS_rate")):
            series = {}
            for arm in arm_names(runs):
                data = _curves([r for r in runs if r.model == model and r.arm == arm], key)
                if data is not None:
                    series[_LABELS.get(arm, arm_label(arm))] = data
            panels.append((title, series))
        # the grid's folder in the title where it is not named after the model (an
        # exploratory grid of the same model, say), so two figures are not mistaken
        grid = Path(out).resolve().name
        title = model if grid == model else f"{model} ({grid})"
        # top-1's y range from epoch 1 on: the warm-up epoch would flatten the differences
        written.append(
            plot_bands(panels, folder / f"{model}.png", title=title, skip_first=(True, False))
        )
    return written


def plot_paired(rows: list[tuple[str, dict]], path: str | Path) -> Path | None:
    """A forest plot of paired comparisons: Δ final top-1 and Δ SS_rate (eval), 95 % CIs.

    ``rows``: (label, row of :func:`selfsim.train.experiment.paired_rows`), top to bottom.
    Returns the PNG, or None when there is nothing to draw.
    """
    from ..report.plots import plot_intervals

    if not rows:
        return None
    points = []
    for label, r in rows:
        t, ss = r["final_top1"], r["ss_rate"]
        points.append((label, t.mean, t.ci_low, t.ci_high, ss.mean, ss.ci_low, ss.ci_high))
    return plot_intervals(
        points,
        path,
        xlabel=[
            "Δ final test top-1 (pp), arm minus baseline (95 % CI)",
            "Δ SS_rate, eval batch (95 % CI)",
        ],
    )
