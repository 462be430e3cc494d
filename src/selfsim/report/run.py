"""Write an analysis run directory: results.json, layers.csv, PNG plots and report.html.

The directory is built under a temporary name beside ``out`` and swapped into
place at the end (:func:`~selfsim._core.files.swap_into_place`), so a reader
never sees half a run and a full disk leaves the previous run whole. An
``out`` that already holds an analysis run is replaced only with
``overwrite=True``; any other non-empty directory is never touched
(:func:`~selfsim._core.files.plan_output`).

A run holds one or two analyses: the main one (``layers.csv``) and, for the
Table 2 / Figure 2 protocol, an untrained baseline (``layers_untrained.csv``
and ``table2.csv``).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from .._core.errors import DataError, InvalidInputError, OutputError
from .._core.files import (
    atomic_write_text,
    describe_os_error,
    plan_output,
    staging_dir,
    swap_into_place,
)
from .._core.provenance import provenance, to_jsonable, versions

__all__ = [
    "write_run",
    "rebuild_report",
    "versions",
    "default_run_dir",
    "to_jsonable",
    "RESULTS_FILE",
]

RESULTS_FILE = "results.json"


def default_run_dir(prefix: str = "analyze") -> Path:
    """``./runs/<prefix>-<timestamp>``."""
    return Path("runs") / f"{prefix}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def _layer_json(r) -> dict[str, Any]:
    d = r.row()
    if r.curve is not None:
        d["curve"] = {
            "thresholds": r.curve.thresholds,
            "densities": r.curve.densities,
            "counts": r.curve.counts,
            "chord": r.curve.chord,
        }
    if r.box_counts is not None:
        d["box_count"] = {"thresholds": r.box_thresholds, "counts": r.box_counts}
    if r.ss_rate_draws is not None:  # lets `selfsim compare` pair two runs of the same images
        d["ss_rate_draws"] = r.ss_rate_draws
    if r.eigenvalues is not None:
        d["eigenvalues"] = r.eigenvalues
    if r.mds is not None:
        d["mds"] = r.mds
    return d


def write_run(
    reports: dict[str, Any],
    out: str | Path | None = None,
    *,
    main: str | None = None,
    overwrite: bool = False,
    plots: bool = True,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write the run directory for one or more :class:`~selfsim.analysis.pipeline.AnalysisReport`.

    Parameters
    ----------
    reports : dict label -> AnalysisReport
        E.g. ``{"trained": rep}`` or ``{"untrained": base, "trained": rep}``.
    out : path, optional
        Default ``./runs/analyze-<timestamp>``.
    main : str, optional
        The label whose rows go to layers.csv (default: the last one).

    Returns
    -------
    Path of the run directory.
    """
    import pandas as pd

    from .analysis_page import analysis_page

    if not reports:
        raise InvalidInputError("write_run needs at least one analysis report.")
    main = main or list(reports)[-1]
    out = Path(out) if out is not None else default_run_dir()
    plan_output(out, "analysis", overwrite=overwrite)
    tmp = staging_dir(out)
    try:
        frames = {label: rep.to_frame() for label, rep in reports.items()}
        frames[main].to_csv(tmp / "layers.csv", index=False)
        for label, frame in frames.items():
            if label != main:
                frame.to_csv(tmp / f"layers_{label}.csv", index=False)
        summary = pd.DataFrame(
            [{"weights": label, **rep.summary()} for label, rep in reports.items()]
        )
        summary.to_csv(tmp / "summary.csv", index=False)
        if len(reports) > 1:
            summary.to_csv(tmp / "table2.csv", index=False)
        change = {}
        if len(reports) == 2:  # untrained against trained: the paired change of the mean
            (before,) = (label for label in reports if label != main)
            change = {
                "change": {
                    "from": before,
                    "to": main,
                    **reports[main].mean_difference(reports[before]),
                }
            }
        results = {
            "main": main,
            **provenance(),  # versions (with the git commit), host, command, created
            **(extra or {}),
            **change,
            "runs": {
                label: {
                    "config": rep.config,
                    "timings": rep.timings,
                    "summary": rep.summary(),
                    "failed_layers": [
                        {"layer": n, "status": st, "reason": why}
                        for n, st, why in rep.failed_layers()
                    ],
                    "layers": [_layer_json(r) for r in rep.layers],
                }
                for label, rep in reports.items()
            },
        }
        doc = to_jsonable(results)
        (tmp / RESULTS_FILE).write_text(json.dumps(doc, indent=1, allow_nan=False))
        folder = None
        if plots:
            folder = tmp / "plots"
            folder.mkdir()
        (tmp / "report.html").write_text(analysis_page(doc, folder), encoding="utf-8")
        plan_output(out, "analysis", overwrite=overwrite)  # again: it may have changed meanwhile
        swap_into_place(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OutputError):
            raise
        raise OutputError(
            f"cannot write the run into {out} ({describe_os_error(exc)}"
            f"{': ' + str(exc.filename) if exc.filename else ''}); nothing in {out} "
            "was changed."
        ) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def rebuild_report(run_dir: str | Path, *, plots: bool = True) -> Path:
    """Write ``report.html`` (and the figures in ``plots/``) of an analysis run again.

    Built from the run's ``results.json`` alone, so a run made by an earlier
    version gets the current page. Only ``report.html`` and the PNG files of
    ``plots/`` are written, each atomically; every other file of the run is
    left as it is. ``plots=False`` (or no matplotlib) gives a page without
    figures and leaves ``plots/`` alone. Returns the path of ``report.html``.
    """
    from ._mpl import available
    from .analysis_page import analysis_page

    run_dir = Path(run_dir)
    try:
        doc = json.loads((run_dir / RESULTS_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {run_dir / RESULTS_FILE}: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("runs"), dict) or "main" not in doc:
        raise DataError(f"{run_dir / RESULTS_FILE} is not the results file of an analysis run.")
    folder = None
    if plots and available():
        folder = run_dir / "plots"
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise OutputError(f"{folder} is not a plain folder; selfsim does not write into it.")
        folder.mkdir(exist_ok=True)
    path = run_dir / "report.html"
    atomic_write_text(path, analysis_page(doc, folder))
    return path
