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

import numpy as np

from .._core.errors import InvalidInputError, OutputError
from .._core.files import describe_os_error, plan_output, staging_dir, swap_into_place
from .._core.provenance import provenance, to_jsonable, versions

__all__ = ["write_run", "versions", "default_run_dir", "to_jsonable", "RESULTS_FILE"]

RESULTS_FILE = "results.json"


def default_run_dir(prefix: str = "analyze") -> Path:
    """``./runs/<prefix>-<timestamp>``."""
    return Path("runs") / f"{prefix}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def _layer_json(r) -> dict[str, Any]:
    d = r.row()
    if r.curve is not None:
        d["curve"] = {"thresholds": r.curve.thresholds, "densities": r.curve.densities,
                      "counts": r.curve.counts, "chord": r.curve.chord}
    if r.box_counts is not None:
        d["box_count"] = {"thresholds": r.box_thresholds, "counts": r.box_counts}
    if r.eigenvalues is not None:
        d["eigenvalues"] = r.eigenvalues
    if r.mds is not None:
        d["mds"] = r.mds
    return d


def _plots(reports: dict[str, Any], main: str, folder: Path) -> dict[str, list[Path]]:
    from .plots import plot_curve, plot_depth, plot_mds, plot_spectra, safe_name

    folder.mkdir()
    rep = reports[main]
    out: dict[str, list[Path]] = {"depth": [], "curves": [], "mds": [], "spectra": []}
    layers = [r.layer for r in rep.layers]
    series = {"SS_rate (released formula)": [r.ss_rate for r in rep.layers],
              "SS_rate (printed formula)": [r.ss_rate_paper for r in rep.layers]}
    if any(np.isfinite(r.ss_rate_true) for r in rep.layers):
        series["SS_rate (greedy box count)"] = [r.ss_rate_true for r in rep.layers]
    for label, other in reports.items():
        if label != main and [r.layer for r in other.layers] == layers:
            series[f"SS_rate ({label})"] = [r.ss_rate for r in other.layers]
    out["depth"].append(plot_depth(series, layers, folder / "ss_rate_depth.png"))
    for label, other in reports.items():
        for r in other.layers:
            if r.curve is not None:
                stem = safe_name(r.layer) if label == main else f"{label}_{safe_name(r.layer)}"
                out["curves"].append(plot_curve(r, folder / f"curve_{stem}.png"))
    if any(r.mds is not None for rp in reports.values() for r in rp.layers):
        order = [k for k in reports if k != main] + [main]  # untrained beside (above) trained
        out["mds"].append(plot_mds({k: list(reports[k].layers) for k in order}, folder / "mds.png"))
    for label, other in reports.items():
        if any(r.eigenvalues is not None for r in other.layers):
            out["spectra"].append(plot_spectra(other.layers, folder / f"spectra_{label}.png"))
    return out


def write_run(reports: dict[str, Any], out: str | Path | None = None, *, main: str | None = None,
              overwrite: bool = False, plots: bool = True, extra: dict[str, Any] | None = None) -> Path:
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

    from .html import render_html

    if not reports:
        raise InvalidInputError("write_run needs at least one analysis report.")
    main = main or list(reports)[-1]
    out = Path(out) if out is not None else default_run_dir()
    plan_output(out, "analysis", overwrite=overwrite)
    tmp = staging_dir(out)
    try:
        frames = {label: rep.to_frame() for label, rep in reports.items()}
        frames[main].to_csv(tmp / "layers.csv", index=False)
        tables = [("Per-layer measurements" + (f" ({main})" if len(reports) > 1 else ""), frames[main])]
        for label, frame in frames.items():
            if label != main:
                frame.to_csv(tmp / f"layers_{label}.csv", index=False)
                tables.append((f"Per-layer measurements ({label})", frame))
        summary = pd.DataFrame([{"weights": label, **rep.summary()} for label, rep in reports.items()])
        summary.to_csv(tmp / "summary.csv", index=False)
        if len(reports) > 1:
            summary.to_csv(tmp / "table2.csv", index=False)
        tables.insert(0, ("Summary (means over the layers where each value is defined; "
                          "mean_ss_rate_layers of layers_total)", summary))
        failed = [{"weights": label, "layer": name, "status": status, "reason": reason}
                  for label, rep in reports.items() for name, status, reason in rep.failed_layers()]
        if failed:
            tables.insert(1, (f"Layers without a measurement ({len(failed)})", pd.DataFrame(failed)))
        images = _plots(reports, main, tmp / "plots") if plots else {}
        results = {
            "main": main,
            **provenance(),  # versions (with the git commit), host, command, created
            **(extra or {}),
            "runs": {label: {"config": rep.config, "timings": rep.timings, "summary": rep.summary(),
                             "failed_layers": [{"layer": n, "status": st, "reason": why}
                                               for n, st, why in rep.failed_layers()],
                             "layers": [_layer_json(r) for r in rep.layers]}
                     for label, rep in reports.items()},
        }
        (tmp / RESULTS_FILE).write_text(json.dumps(to_jsonable(results), indent=1, allow_nan=False))
        config = to_jsonable({label: rep.config for label, rep in reports.items()})
        title = f"selfsim analysis: {reports[main].config.get('model', '')}"
        sections = [("SS_rate against depth", images.get("depth", [])),
                    ("Metric MDS of G_M (Figure 2)", images.get("mds", [])),
                    ("Covariance spectra (Appendix B)", images.get("spectra", [])),
                    ("N(theta) per layer", images.get("curves", []))]
        (tmp / "report.html").write_text(render_html(title, tables, sections, config), encoding="utf-8")
        plan_output(out, "analysis", overwrite=overwrite)  # again: it may have changed meanwhile
        swap_into_place(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"cannot write the run into {out} ({describe_os_error(exc)}"
                          f"{': ' + str(exc.filename) if exc.filename else ''}); nothing in {out} "
                          "was changed.") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
