"""report.html of an experiment grid: the summary tables, the paired comparison and the curves.

The numbers come from the caller (:func:`selfsim.train.experiment.write_grid_report` gathers
them from the grid's run folders, as ``summary.md`` does); this module only lays them out.
Each run of the table links to its own ``report.html``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .html import Page, esc
from .reading import finite, fmt

__all__ = ["experiment_page"]

_SUMMARY_NOTE = (
    "Best (over epochs) and final-epoch test top-1; SS_rate: final-epoch mean over the hooked "
    "layers on the fixed evaluation batch of test images; mean ± std over seeds."
)
_PAIRED_NOTE = (
    "Δ = arm minus baseline, paired by seed (same initial weights and data order). CI: "
    "two-sided 95 % t interval of the mean difference; t p: two-sided paired t-test (below 0.05 "
    "exactly when the CI excludes 0); sign p: exact two-sided binomial test of "
    "wins against losses; MDE: the smallest true mean difference a paired t-test at the 5 % "
    "level would detect with 80 % power given the observed spread. Gate open: mean z over the "
    "logged steps after epoch 0 (1 = penalty fully on). Time ×: median over seeds of the "
    "training time relative to the baseline, over the pairs trained in one installation "
    "('-' when there is none; wall clock: indicative only)."
)


def _pm(mean: Any, std: Any, digits: int) -> str:
    # the spread in the mean's decimals (a tiny std reads 0.001, not 7.09e-04)
    s = finite(std)
    spread = "-" if math.isnan(s) else f"{s:.{digits}f}"
    return f"{fmt(mean, digits)} ± {spread}"


def experiment_page(
    title: str,
    *,
    labels: Mapping[str, str],
    summary: Sequence[Mapping[str, Any]],
    paired: Sequence[Mapping[str, Any]],
    runs: Sequence[Mapping[str, Any]],
    planned: int,
    figures: Sequence[tuple[str, Path]] = (),
    paired_figure: Path | None = None,
) -> str:
    """The HTML of a grid.

    labels : arm -> display name ("baseline", "S2-Con", ...)
    summary : rows of ``summary.csv`` (model, arm, n, best/final top-1 and SS_rate mean, std)
    paired : rows of the paired comparison (``PairedResult`` values per measure)
    runs : one record per finished run (``runs.csv``), with ``path``: its folder relative to
        the grid folder
    planned : the number of run folders found
    figures : (model, PNG) curves of each model
    paired_figure : PNG of the paired differences (a forest plot), shown under their table
    """
    page = Page(f"selfsim experiment: {title}")
    models = list(dict.fromkeys(r["model"] for r in summary)) or sorted({r["model"] for r in runs})
    page.meta(
        [
            ("models", ", ".join(models) or "none finished"),
            ("arms", ", ".join(labels.values())),
            ("runs", f"{len(runs)} finished of {planned} run folders"),
        ]
    )
    if planned and len(runs) < planned:
        page.banner(
            f"<b>{planned - len(runs)} of {planned} runs are not finished</b> (running, "
            "stopped or failed): the tables describe the finished ones only.",
            "warn",
        )
    if not summary:
        page.banner("<b>No run has finished yet</b>: nothing to summarise.", "bad")
    page.heading("Summary", anchor="summary")
    page.table(
        ["model", "arm", "runs", "best top-1 (%)", "final top-1 (%)", "SS_rate"],
        [
            [
                esc(r["model"]),
                esc(labels.get(r["arm"], r["arm"])),
                esc(r["n"]),
                esc(_pm(r["best_top1_mean"], r["best_top1_std"], 2)),
                esc(_pm(r["final_top1_mean"], r["final_top1_std"], 2)),
                esc(_pm(r["ss_rate_mean"], r["ss_rate_std"], 3)),
            ]
            for r in summary
        ],
        name_columns=2,
    )
    page.raw(f"<p>{esc(_SUMMARY_NOTE)}</p>")
    if paired:
        page.heading("Each arm against the baseline, paired by seed", anchor="paired")
        header = [
            "model",
            "arm",
            "n",
            "Δ final top-1 (pp) [95 % CI]",
            "t p",
            "wins/losses",
            "sign p",
            "MDE (pp)",
            "Δ SS_rate (eval) [95 % CI]",
            "Δ SS_rate (train)",
            "gate open",
            "time ×",
        ]
        rows = []
        for r in paired:
            t = r["final_top1"]
            rows.append(
                [
                    esc(r["model"]),
                    esc(labels.get(r["arm"], r["arm"])),
                    esc(r["n"]),
                    esc(t.interval(2)),
                    esc("-" if math.isnan(t.t_p) else f"{t.t_p:.2g}"),
                    esc(f"{t.wins}/{t.losses}"),
                    esc(f"{t.sign_p:.2g}"),
                    esc(fmt(t.mde, 2)),
                    esc(r["ss_rate"].interval(3)),
                    esc(f"{r['train_ss_rate'].mean:+.3f}"),
                    esc(fmt(r["gate_mean"], 2)),
                    esc(fmt(r["time_ratio"], 2)),
                ]
            )
        page.table(header, rows, name_columns=2)
        page.raw(f"<p>{esc(_PAIRED_NOTE)}</p>")
        page.figure(
            paired_figure,
            esc(
                "Each arm's paired difference from the baseline: final test top-1 (left) and "
                "SS_rate on the evaluation batch (right), mean with its 95 % t interval (a dot "
                "alone: fewer than two pairs)."
            ),
            "paired differences",
        )
    if figures:
        page.heading("Top-1 and SS_rate over epochs", anchor="curves")
        for model, path in figures:
            page.figure(
                path,
                esc(
                    f"{model}: test top-1 (left) and mean SS_rate over the hooked layers "
                    "(right) after each epoch; each arm the mean over seeds with a band of "
                    "± one standard deviation."
                ),
                f"curves {model}",
            )
    if runs:
        page.heading("Finished runs", anchor="runs")
        page.table(
            ["run", "epochs", "final top-1", "best top-1", "SS_rate", "gamma", "gate", "time (s)"],
            [
                [
                    f"<a href='{esc(r['path'])}/report.html'>{esc(r['path'])}</a>",
                    esc(r["epochs"]),
                    esc(fmt(r["final_top1"], 2)),
                    esc(fmt(r["best_top1"], 2)),
                    esc(fmt(r["ss_rate"], 3)),
                    esc(fmt(r["gamma"], 3)),
                    esc(fmt(r["gate_mean"], 2)),
                    esc(fmt(r["time_s"], 1)),
                ]
                for r in runs
            ],
        )
        page.raw(
            "<p>Each run's own page (accuracy, SS_rate per layer, the gate) is its "
            "<code>report.html</code>. The same numbers are in <code>summary.csv</code>, "
            "<code>runs.csv</code> and <code>summary.md</code>.</p>"
        )
    return page.render()
