"""Two or more analysis runs side by side: compare.csv, compare.png and report.html.

Layers are matched by name and kept in depth order: the hook order the runs
recorded (module order), or, when the runs hooked different sets, a natural
sort of the dotted names (``blocks.2`` before ``blocks.10``). Runs of
different models are refused unless ``allow_different_models`` is set: the
same layer name means a different module in another architecture.
"""

from __future__ import annotations

import functools
import json
import math
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import DataError, InvalidInputError
from .._core.files import (
    atomic_write,
    atomic_write_text,
    plan_output,
    staging_dir,
    swap_into_place,
)
from .analysis_page import describe_run, failed_banner, layer_tables, paper_references
from .html import Page, esc
from .plots import finite, plot_curves, plot_depth
from .reading import depth_trend, fmt, how_to_read, mean_of, paper_values

__all__ = [
    "RunData",
    "read_run",
    "natural_key",
    "layer_order",
    "compare_runs",
    "rebuild_compare",
    "run_labels",
    "COMPARE_COLUMNS",
]

COMPARE_COLUMNS = ("ss_rate", "ss_rate_paper", "ss_rate_true", "approx_error", "d_B")
SOURCES_FILE = "compare.json"  # the compared folders, so that `selfsim report` can rebuild


class RunData:
    """The main analysis of one run folder: its label, configuration and layer records."""

    def __init__(
        self,
        path: Path,
        label: str,
        config: dict[str, Any],
        layers: list[dict[str, Any]],
        weights: str,
    ) -> None:
        self.path, self.label, self.config, self.layers, self.weights = (
            path,
            label,
            config,
            layers,
            weights,
        )

    @property
    def model(self) -> str:
        return str(self.config.get("model") or "")

    def layer_names(self) -> list[str]:
        return [r["layer"] for r in self.layers]


def read_run(run: str | Path) -> RunData:
    """Read ``results.json`` of a ``selfsim analyze`` run (``layers.csv`` when that is all)."""
    path = Path(run)
    results, csv = path / "results.json", path / "layers.csv"
    if results.is_file():
        try:
            doc = json.loads(results.read_text())
            main = doc["main"]
            body = doc["runs"][main]
            return RunData(
                path, path.name, dict(body.get("config") or {}), list(body["layers"]), main
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{results} is not a readable selfsim analysis ({exc}).") from exc
    if csv.is_file():
        import pandas as pd

        frame = pd.read_csv(csv)
        records = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in frame.to_dict("records")
        ]
        return RunData(path, path.name, {}, records, "?")
    raise DataError(
        f"{run} is not an analysis run: {results} is missing. Run "
        "`selfsim analyze --out DIR` first."
    )


_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple:
    """Sort key of a dotted module name with numbers compared as numbers."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _DIGITS.split(name) if p)


def layer_order(names: Sequence[Sequence[str]]) -> list[str]:
    """Depth order of the union of the runs' layers.

    When every run hooked the same layers, their recorded (hook) order; else
    a natural sort of all names.
    """
    if not names:
        return []
    first = list(names[0])
    if all(set(n) == set(first) for n in names[1:]) and len(set(first)) == len(first):
        return first
    return sorted({x for n in names for x in n}, key=natural_key)


def run_labels(paths: Sequence[str | Path]) -> list[str]:
    """A distinct label per run: the folder name, with (A), (B), ... where names repeat."""
    names = [Path(p).resolve().name or "run" for p in paths]
    out = []
    for i, name in enumerate(names):
        out.append(
            f"{name} ({chr(65 + i) if i < 26 else i + 1})" if names.count(name) > 1 else name
        )
    return out


def _check_models(runs: Sequence[RunData], allow: bool) -> None:
    models = {r.model for r in runs if r.model}
    if len(models) > 1 and not allow:
        listing = "; ".join(f"{r.label}: {r.model or '?'}" for r in runs)
        raise InvalidInputError(
            f"The runs analysed different models ({listing}). The same layer name is a different "
            "module in another architecture, so a layer-by-layer comparison would mislead. "
            "Compare runs of one model, or pass --allow-different-models to match layers by name "
            "anyway."
        )


def _table(runs: Sequence[RunData], order: Sequence[str]):
    import pandas as pd

    cols = [c for c in COMPARE_COLUMNS if any(c in rec for r in runs for rec in r.layers)]
    letters = ("a", "b") if len(runs) == 2 else tuple(str(i + 1) for i in range(len(runs)))
    data: dict[str, list] = {"layer": list(order)}
    for c in cols:
        for r, s in zip(runs, letters, strict=True):
            by = {rec["layer"]: rec for rec in r.layers}
            data[f"{c}_{s}"] = [finite(by.get(name, {}).get(c)) for name in order]
        if len(runs) == 2:
            data[f"{c}_diff"] = [b - a for a, b in zip(data[f"{c}_a"], data[f"{c}_b"], strict=True)]
    if len(runs) == 2 and "ss_rate" in cols:
        data |= _diff_interval(runs, order, data["ss_rate_diff"])
    return pd.DataFrame(data), cols, letters


def _same_images(a: RunData, b: RunData) -> bool:
    """Whether two analyses drew the same images: the same named data set, split, number of
    images and seed (a tensor or loader passed through the API cannot be told apart)."""
    da, db = a.config.get("data") or {}, b.config.get("data") or {}
    seed_a = (a.config.get("analysis") or {}).get("seed")
    seed_b = (b.config.get("analysis") or {}).get("seed")
    keys = ("name", "split", "num_images")
    return (
        all(da.get(k) is not None and da.get(k) == db.get(k) for k in keys)
        and da.get("name") not in ("Tensor", "DataLoader", "ndarray")
        and seed_a is not None
        and seed_a == seed_b
    )


def _diff_interval(
    runs: Sequence[RunData], order: Sequence[str], diff: Sequence[float]
) -> dict[str, list[Any]]:
    """A 95 % interval of each layer's SS_rate difference (``ss_rate_diff_ci_kind`` says how).

    ``paired``: both runs drew the same images with the same seed and kept their bootstrap
    draws, so draw i resampled the same images in both and the percentile interval of the
    per-draw differences is a paired bootstrap interval. ``quadrature``: otherwise, the two
    runs' half-widths added in quadrature, a normal approximation that treats their images as
    independent samples (wider than a paired interval when they share images: conservative).
    NaN where a run has no interval (``--ss-draws 0``, or a run from before the intervals).
    """
    from .._core.stats import percentile_interval

    by = [{rec["layer"]: rec for rec in r.layers} for r in runs]
    same = _same_images(*runs)
    low, high, kind = [], [], []
    for name, d in zip(order, diff, strict=True):
        a, b = (layers.get(name, {}) for layers in by)
        da, db = a.get("ss_rate_draws"), b.get("ss_rate_draws")
        if same and da is not None and db is not None and len(da) == len(db):
            lo, hi = percentile_interval(np.asarray(db, float) - np.asarray(da, float), 0.95)
            low.append(lo)
            high.append(hi)
            kind.append("paired")
            continue
        w = math.hypot(
            *(
                (finite(rec.get("ss_rate_ci_high")) - finite(rec.get("ss_rate_ci_low"))) / 2
                for rec in (a, b)
            )
        )
        low.append(d - w)
        high.append(d + w)
        kind.append("quadrature" if math.isfinite(w) else "")
    return {"ss_rate_diff_ci_low": low, "ss_rate_diff_ci_high": high, "ss_rate_diff_ci_kind": kind}


def _reading(runs: Sequence[RunData], order: Sequence[str], frame: Any) -> str:
    parts = []
    means = []
    for r in runs:
        m, k = mean_of(r.layers, "ss_rate")
        means.append(m)
        trend, _ = depth_trend(
            [
                next((x.get("ss_rate") for x in r.layers if x["layer"] == name), None)
                for name in order
            ]
        )
        parts.append(
            f"<b>{esc(r.label)}</b> ({esc(r.model or '?')}, {esc(r.weights)} weights): "
            f"mean SS_rate {fmt(m)} over {k} of {len(r.layers)} layers, {trend}"
        )
    text = "; ".join(parts) + "."
    if len(runs) >= 2 and all(math.isfinite(m) for m in means):
        first, last = runs[0], runs[-1]
        a = {x["layer"]: finite(x.get("ss_rate")) for x in first.layers}
        b = {x["layer"]: finite(x.get("ss_rate")) for x in last.layers}
        both = [
            n
            for n in order
            if math.isfinite(a.get(n, math.nan)) and math.isfinite(b.get(n, math.nan))
        ]
        up = sum(b[n] > a[n] for n in both)
        text += (
            f" From {esc(first.label)} to {esc(last.label)} the mean moves by "
            f"{means[-1] - means[0]:+.3f}."
        )
        if both:
            text += (
                f" SS_rate rises in {up} and falls in {len(both) - up} of the "
                f"{len(both)} layers both measured (higher = less self-similar)."
            )
        if len(runs) == 2 and "ss_rate_diff_ci_low" in frame:
            lo, hi = frame["ss_rate_diff_ci_low"], frame["ss_rate_diff_ci_high"]
            known_ci = int((lo.notna() & hi.notna()).sum())
            how = (
                "paired bootstrap intervals over the same images"
                if (frame["ss_rate_diff_ci_kind"] == "paired").any()
                else "approximate intervals that treat the runs' images as independent"
            )
            if known_ci:
                text += (
                    f" Beyond the images' sampling noise (95 % {how}, "
                    f"{known_ci} layers): {int((lo > 0).sum())} rise, "
                    f"{int((hi < 0).sum())} fall, {known_ci - int((lo > 0).sum()) - int((hi < 0).sum())} "
                    "cannot be told apart."
                )
    known = paper_values(runs[0].model)
    if known is not None:
        name, pu, pt = known
        text += f" The paper's Table 2 reports {pu:.2f} untrained and {pt:.2f} trained for {name}."
    return text


def compare_page(runs: Sequence[RunData], order: Sequence[str], folder: Path, frame: Any) -> str:
    """The comparison page (the Table 2 view when the runs are untrained and trained)."""
    models = sorted({r.model for r in runs if r.model})
    page = Page("selfsim compare: " + " vs ".join(r.label for r in runs))
    if len(models) > 1:
        page.banner(
            "<b>Different models:</b> " + esc(", ".join(models)) + ". Layers are matched "
            "by name only; the same name may be a different module.",
            "warn",
        )
    header = ["run", "model", "weights", "data", "B", "layers", "mean SS_rate"]
    rows = []
    for r in runs:
        d = dict(describe_run(r.config))
        m, k = mean_of(r.layers, "ss_rate")
        rows.append(
            [
                esc(r.label),
                esc(d["model"]),
                esc(r.weights),
                esc(d["data"]),
                esc(d["images (B)"]),
                str(len(r.layers)),
                f"{fmt(m)} ({k} layers)",
            ]
        )
    page.table(header, rows)
    failed_banner(page, {r.label: r.layers for r in runs})
    page.reading(_reading(runs, order, frame))
    series: dict[str, list] = {}
    styles: dict[str, dict[str, Any]] = {}
    for k, r in enumerate(runs):
        by = {rec["layer"]: rec for rec in r.layers}
        series[r.label] = [by.get(n, {}).get("ss_rate") for n in order]
        styles[r.label] = {"color": f"C{k}"}
        if any(rec.get("ss_rate_true") is not None for rec in r.layers):
            key = f"{r.label} (greedy box count)"
            series[key] = [by.get(n, {}).get("ss_rate_true") for n in order]
            styles[key] = {"color": f"C{k}", "ls": "--", "marker": "s", "ms": 3}
    refs = paper_references(models[0] if len(models) == 1 else None, [r.weights for r in runs])
    depth = plot_depth(series, order, folder / "compare.png", styles=styles, references=refs)
    page.heading("SS_rate against depth", anchor="depth")
    page.figure(
        depth,
        esc(
            "SS_rate (released formula) per layer, one colour per run; dashed: "
            "the SS_rate sum on the real greedy box count, when measured."
            + (" Dotted: the paper's Table 2 mean." if refs else "")
        ),
        "SS_rate against depth",
    )
    plots = folder / "plots"
    plots.mkdir(exist_ok=True)
    curves = plot_curves({r.label: r.layers for r in runs}, order, plots / "curves.png")
    page.heading("N(θ) per layer", anchor="curves")
    page.figure(
        curves,
        esc(
            "Closed-form box count against 1 + θ, one colour per run, with "
            "each run's chord (dashed) and real box counts (open circles); the SS "
            "values in each title follow the runs' order."
        ),
        "N(theta) per layer",
    )
    page.heading("Per layer", anchor="layers")
    cols = [c for c in COMPARE_COLUMNS if any(f"{c}_{s}" in frame for s in ("a", "1"))]
    header = ["layer"]
    for r in runs:
        header.append(f"SS_rate {esc(r.label)}")
    if len(runs) == 2:
        header.append("difference (second - first) [95% CI]")
    body = []
    for _, row in frame.iterrows():
        cells = [esc(row["layer"])]
        for s in ("a", "b") if len(runs) == 2 else (str(i + 1) for i in range(len(runs))):
            cells.append(fmt(row.get(f"ss_rate_{s}")))
        if len(runs) == 2:
            diff, lo, hi = (
                finite(row.get(k))
                for k in ("ss_rate_diff", "ss_rate_diff_ci_low", "ss_rate_diff_ci_high")
            )
            ci = f" [{fmt(lo)}, {fmt(hi)}]" if math.isfinite(lo) and math.isfinite(hi) else ""
            cells.append(fmt(diff) + ci)
        body.append(cells)
    page.table(header, body)
    page.raw(
        f"<p>All compared columns ({esc(', '.join(cols))}) per run are in "
        "<code>compare.csv</code>.</p>"
    )
    for r in runs:
        page.raw(f"<details><summary>All measurements of {esc(r.label)}</summary>")
        layer_tables(
            page,
            sorted(
                r.layers,
                key=lambda x: order.index(x["layer"]) if x["layer"] in order else len(order),
            ),
            r.label,
        )
        page.raw("</details>")
    page.heading("How to read this", anchor="howto")
    measures = sorted(
        {m for r in runs for m in (r.config.get("analysis") or {}).get("measures") or []}
    )
    page.raw(f"<div class='howto'>{how_to_read(measures)}</div>")
    page.config({r.label: {"path": str(r.path), **r.config} for r in runs}, "Configurations")
    return page.render()


def compare_runs(
    paths: Sequence[str | Path],
    out: str | Path,
    *,
    overwrite: bool = False,
    allow_different_models: bool = False,
) -> tuple[Path, Any]:
    """Write compare.csv, compare.png, plots/ and report.html for two or more runs.

    Returns the output folder and the comparison table (one row per layer, in
    depth order; columns ``<measure>_a``, ``<measure>_b`` and ``<measure>_diff``
    for two runs, ``<measure>_1`` ... for more).
    """
    if len(paths) < 2:
        raise InvalidInputError("compare needs at least two run folders.")
    out = Path(out)
    plan_output(out, "compare", overwrite=overwrite)
    runs, order, frame = _prepare(paths, allow_different_models)
    sources = {
        "runs": [str(Path(p).resolve()) for p in paths],
        "labels": [r.label for r in runs],
        "allow_different_models": bool(allow_different_models),
    }
    tmp = staging_dir(out)
    try:  # written beside out, then swapped in: an earlier comparison stays whole on failure
        frame.to_csv(tmp / "compare.csv", index=False)
        (tmp / SOURCES_FILE).write_text(json.dumps(sources, indent=2) + "\n", encoding="utf-8")
        html_text = compare_page(runs, order, tmp, frame)
        (tmp / "report.html").write_text(html_text, encoding="utf-8")
        swap_into_place(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out, frame


def _prepare(
    paths: Sequence[str | Path], allow_different_models: bool, labels: Sequence[str] = ()
) -> tuple[list[RunData], list[str], Any]:
    """Read the runs, label them, check their models; the layer order and the table."""
    runs = [read_run(p) for p in paths]
    for r, label in zip(runs, labels or run_labels(paths), strict=True):
        r.label = label
    _check_models(runs, allow_different_models)
    order = layer_order([r.layer_names() for r in runs])
    frame, _, _ = _table(runs, order)
    return runs, order, frame


def compare_sources(folder: str | Path) -> tuple[list[str], list[str], bool]:
    """The compared run folders of a comparison, their labels and its model check setting.

    Read from ``compare.json``; a :class:`DataError` that says what to do when it is
    missing (a comparison made before selfsim recorded its runs) or a run is gone.
    """
    folder = Path(folder)
    try:
        doc = json.loads((folder / SOURCES_FILE).read_text(encoding="utf-8"))
        paths, labels = [str(p) for p in doc["runs"]], [str(s) for s in doc["labels"]]
        allow = bool(doc.get("allow_different_models", False))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(
            f"{folder} is a comparison without a readable {SOURCES_FILE} (one made before "
            f"selfsim recorded the compared runs), so its runs are unknown: run "
            f"selfsim compare RUN_A RUN_B --out {folder} --overwrite."
        ) from exc
    gone = [p for p in paths if not Path(p).is_dir()]
    if gone:
        raise DataError(
            f"the run folder(s) {', '.join(gone)} compared in {folder} no longer exist; "
            "nothing was written. Run selfsim compare again with the runs' new places."
        )
    return paths, labels, allow


def rebuild_compare(folder: str | Path) -> Path:
    """Write ``report.html`` (and its figures) of a comparison again, from the compared runs.

    The compared folders are read from ``compare.json``, which ``compare_runs``
    writes; they must still exist. Only ``report.html``, ``compare.png`` and the
    PNG files of ``plots/`` are written, each atomically; ``compare.csv`` is left
    as it is. Returns the path of ``report.html``.
    """
    folder = Path(folder)
    paths, labels, allow = compare_sources(folder)
    runs, order, frame = _prepare(paths, allow, labels)
    tmp = staging_dir(folder)
    try:  # drawn beside the comparison, then each file renamed into place
        html_text = compare_page(runs, order, tmp, frame)
        (folder / "plots").mkdir(exist_ok=True)
        for src in [tmp / "compare.png", *sorted((tmp / "plots").glob("*.png"))]:
            dst = folder / src.relative_to(tmp)
            atomic_write(dst, functools.partial(shutil.copyfile, src))
        atomic_write_text(folder / "report.html", html_text)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder / "report.html"
