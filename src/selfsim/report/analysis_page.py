"""report.html of an analysis run (and the shared pieces of the comparison page).

The page reads top to bottom: what was analysed, a banner when layers have
no measurement, a one-paragraph reading of the result, the figures that
carry it at full width (SS_rate against depth, N(theta) per layer, and
when measured the spectra and the MDS of G_M), the per-layer tables with
only the columns that were measured, the summary, and how to read each
measure. Everything comes from the ``results.json`` document, so the page
can be rebuilt from a run folder.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .html import Page, esc
from .plots import finite, plot_curves, plot_depth, plot_mds, plot_spectra, safe_name
from .reading import depth_trend, fmt, how_to_read, is_trained_label, mean_of, paper_values

__all__ = ["analysis_page", "layer_tables", "failed_banner", "paper_references", "describe_run"]

Record = Mapping[str, Any]


def _num(key: str, digits: int = 3) -> Callable[[Record], str]:
    return lambda r: fmt(r.get(key), digits)


def _int(key: str) -> Callable[[Record], str]:
    return lambda r: "-" if math.isnan(finite(r.get(key))) else str(int(finite(r.get(key))))


def _text(key: str) -> Callable[[Record], str]:
    return lambda r: esc(r.get(key) or "-")


def _value_ci(r: Record, key: str, digits: int) -> str:
    """``key`` with its interval ``key_ci_low`` / ``key_ci_high`` where there is one."""
    d, lo, hi = (finite(r.get(k)) for k in (key, f"{key}_ci_low", f"{key}_ci_high"))
    if math.isnan(d):
        return "-"
    ci = (
        f" [{fmt(lo, digits)}, {fmt(hi, digits)}]"
        if math.isfinite(lo) and math.isfinite(hi)
        else ""
    )
    return f"{fmt(d, digits)}{ci}"


def _with_ci(r: Record) -> str:
    return _value_ci(r, "d_B", 2)


def _ratio(r: Record, key: str) -> str:
    a, b = finite(r.get(key)), finite(r.get(key + "_random"))
    if math.isnan(a):
        return "-"
    return f"{fmt(a)} / {fmt(b)}"


def _ratio_test(r: Record, kind: str) -> str:
    R, p = finite(r.get(f"spectrum_R_{kind}")), finite(r.get(f"spectrum_p_{kind}"))
    if math.isnan(R):
        return "-"
    return f"{fmt(R, 2)} (p {fmt(p, 2)})"


# (key that must be measured, header, cell, hover text); grouped into tables
_GROUPS: list[tuple[str, list[tuple[str, str, Callable[[Record], str], str]]]] = [
    (
        "SS_rate and box counting",
        [
            ("num_nodes", "D", _int("num_nodes"), "channels = nodes of G_M"),
            (
                "ss_rate",
                "SS_rate",
                lambda r: _value_ci(r, "ss_rate", 3),
                "released formula (selfsim's SS_rate), with its 95% bootstrap interval over the "
                "images where it was measured",
            ),
            ("ss_rate_paper", "SS_rate (printed)", _num("ss_rate_paper"), "printed paper formula"),
            (
                "ss_rate_true",
                "SS_rate (box count)",
                _num("ss_rate_true"),
                "the SS_rate sum on greedy box counts",
            ),
            (
                "approx_error",
                "approx. error",
                _num("approx_error"),
                "mean |closed form - box count| in log N / log D",
            ),
            ("d_B", "d_B [95% CI]", _with_ci, "box dimension with bootstrap interval"),
            ("d_B_r2", "R²", _num("d_B_r2"), "R² of the power-law fit"),
            ("fractal_verdict", "verdict", _text("fractal_verdict"), "power law vs exponential"),
        ],
    ),
    (
        "Null model (surrogates with the layer's spectrum)",
        [
            ("null_d_B_median", "null d_B (median)", _num("null_d_B_median"), ""),
            ("null_d_B_p", "p (d_B)", _num("null_d_B_p"), "two-sided Monte Carlo p"),
            ("null_ss_rate_median", "null SS_rate (median)", _num("null_ss_rate_median"), ""),
            ("null_ss_rate_p", "p (SS_rate)", _num("null_ss_rate_p"), "two-sided Monte Carlo p"),
            ("null_verdict", "SS_rate vs null", _text("null_verdict"), ""),
        ],
    ),
    (
        "Spectrum, correlation dimension, small world",
        [
            ("spectrum_exponent", "g", _num("spectrum_exponent"), "power-law exponent"),
            ("spectrum_xmin", "λ_min", _num("spectrum_xmin"), "fit starts here"),
            (
                "spectrum_R_exponential",
                "R vs exp.",
                lambda r: _ratio_test(r, "exponential"),
                "log-likelihood ratio, > 0 favours the power law",
            ),
            (
                "spectrum_R_lognormal",
                "R vs lognormal",
                lambda r: _ratio_test(r, "lognormal"),
                "log-likelihood ratio, > 0 favours the power law",
            ),
            ("corr_dim", "corr. dim.", _num("corr_dim"), "after UMAP to 30 dimensions"),
            ("corr_dim_r2", "R² (corr.)", _num("corr_dim_r2"), ""),
            ("sw_sigma", "small-world σ", _num("sw_sigma"), "(C/C_r)/(L/L_r)"),
            ("sw_clustering", "C / C_r", lambda r: _ratio(r, "sw_clustering"), ""),
            ("sw_path_length", "L / L_r", lambda r: _ratio(r, "sw_path_length"), ""),
        ],
    ),
]


def _measured(records: Sequence[Record], key: str) -> bool:
    for r in records:
        v = r.get(key)
        if isinstance(v, str):
            if v:
                return True
        elif v is not None and math.isfinite(finite(v)):
            return True
    return False


def _layer_cell(r: Record) -> str:
    status = r.get("status") or "ok"
    badge = "" if status == "ok" else f" <span class='bad'>({esc(status)})</span>"
    return esc(r.get("layer")) + badge


def _details(r: Record) -> str:
    parts = []
    if r.get("status", "ok") != "ok":
        parts.append(f"<b>{esc(r.get('status'))}:</b> {esc(r.get('reason') or 'no reason given')}")
    if r.get("notes"):
        parts.append(f"<b>notes:</b> {esc(r['notes'])}")
    if not parts:
        return ""
    summary = "why no measurement" if r.get("status", "ok") != "ok" else "notes"
    shape = r.get("shape")
    if shape:
        parts.append(f"output shape {esc(tuple(shape))}")
    return f"<details><summary>{summary}</summary>{'<br>'.join(parts)}</details>"


def layer_tables(page: Page, records: Sequence[Record], label: str = "") -> None:
    """The per-layer tables: one per group of measures that ran, measured columns only."""
    suffix = f" ({label})" if label else ""
    first = True
    for title, columns in _GROUPS:
        cols = [c for c in columns if _measured(records, c[0])]
        if not cols or (not first and all(c[0] == "num_nodes" for c in cols)):
            continue
        page.heading(f"{title}{suffix}", 3)
        header = ["layer", *(esc(c[1]) for c in cols)]
        rows = [[_layer_cell(r), *(c[2](r) for c in cols)] for r in records]
        details = [_details(r) for r in records] if first else None
        page.table(header, rows, details=details, title_attrs=["", *(c[3] for c in cols)])
        first = False


def failed_banner(page: Page, runs: Mapping[str, Sequence[Record]]) -> None:
    """A banner naming the layers without a measurement; red when they are most layers."""
    for label, records in runs.items():
        failed = [r for r in records if (r.get("status") or "ok") != "ok"]
        if not failed:
            continue
        total = len(records)
        names = ", ".join(esc(r["layer"]) for r in failed[:10])
        more = f", and {len(failed) - 10} more" if len(failed) > 10 else ""
        reason = esc(failed[0].get("reason") or failed[0].get("status"))
        most = 2 * len(failed) > total
        head = (
            f"<b>Layers without a measurement ({len(failed)})"
            + (f" in {esc(label)}" if len(runs) > 1 else "")
            + f": {len(failed)} of {total}.</b>"
        )
        tail = (
            " Most layers are degenerate, so the means and the figures describe only the "
            f"{total - len(failed)} measured ones; check the weights and the input data."
            if most
            else " Means cover only the measured layers."
        )
        page.banner(
            f"{head} {names}{more}. First reason: {reason}.{tail}", "bad" if most else "warn"
        )


def paper_references(model: str | None, labels: Sequence[str]) -> dict[str, float]:
    """Horizontal reference lines: the paper's Table 2 mean for the weights shown."""
    known = paper_values(model)
    if known is None:
        return {}
    name, untrained, trained = known
    out = {}
    if any(not is_trained_label(lb) for lb in labels):
        out[f"paper, {name} untrained: {untrained:.2f}"] = untrained
    if any(is_trained_label(lb) for lb in labels):
        out[f"paper, {name} trained (ImageNet): {trained:.2f}"] = trained
    return out


def _weights(label: str, config: Mapping[str, Any]) -> str:
    if config.get("checkpoint"):
        return f"{label} ({config['checkpoint']})"
    if config.get("pretrained"):
        return f"{label} (timm pretrained)"
    return label


def describe_run(config: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Model, data, B and layers of one run, as (name, value) pairs."""
    data = config.get("data") or {}
    layers = list(config.get("layers") or [])
    kwargs = config.get("model_kwargs") or {}
    model = str(config.get("model", "?")) + (f" {kwargs}" if kwargs else "")
    dname = data.get("name", "?") if isinstance(data, Mapping) else str(data)
    split = data.get("split") if isinstance(data, Mapping) else None
    B = data.get("num_images") if isinstance(data, Mapping) else None
    span = (
        f"{len(layers)}: {layers[0]} ... {layers[-1]}"
        if len(layers) > 2
        else ", ".join(layers) or "?"
    )
    measures = (config.get("analysis") or {}).get("measures") or []
    return [
        ("model", model),
        ("data", dname + (f" ({split} split)" if split else "")),
        ("images (B)", B if B is not None else "?"),
        ("hooked layers", span),
        ("measures", ", ".join(measures) or "?"),
    ]


def _reading(
    model: str,
    runs: Mapping[str, Sequence[Record]],
    main: str,
    change: Mapping[str, Any] | None = None,
) -> str:
    recs = runs[main]
    total = len(recs)
    m, k = mean_of(recs, "ss_rate")
    if k == 0:
        return (
            f"No layer of {esc(model)} has a defined SS_rate ({total} hooked); see the banner "
            "and the notes of each layer."
        )
    vals = [finite(r.get("ss_rate")) for r in recs]
    good = [v for v in vals if math.isfinite(v)]
    trend, rho = depth_trend(vals)
    rho_text = f" (Spearman &rho; = {rho:.2f})" if math.isfinite(rho) else ""
    text = [
        f"Mean SS_rate of <b>{esc(model)}</b> ({esc(main)} weights) is <b>{m:.3f}</b> over "
        f"{k} of {total} layers (range {min(good):.3f} to {max(good):.3f}; lower is more "
        f"self-similar) and it {trend}{rho_text}."
    ]
    mt, kt = mean_of(recs, "ss_rate_true")
    if kt:
        err, _ = mean_of(recs, "approx_error")
        text.append(
            f"On the real greedy box count the same sum gives {mt:.3f}; the closed form "
            f"differs from that count by {err:.3f} in log N / log D on average."
        )
    mp, kp = mean_of(recs, "ss_rate_paper")
    if kp:
        tp, _ = depth_trend([r.get("ss_rate_paper") for r in recs])
        text.append(f"The printed formula gives {mp:.3f} and {tp} (see how to read this).")
    verdicts = [r.get("fractal_verdict") for r in recs if r.get("fractal_verdict")]
    if verdicts:
        nf = sum(v == "fractal" for v in verdicts)
        nn = sum(v == "not fractal" for v in verdicts)
        text.append(
            f"{nf} of {total} layers have a power-law box count (fractal, with a "
            f"d<sub>B</sub>), {nn} decay like a small world, {len(verdicts) - nf - nn} are "
            "undetermined."
        )
    for label, other in runs.items():
        if label != main:
            mo, ko = mean_of(other, "ss_rate")
            if ko:
                text.append(
                    f"With {esc(label)} weights the mean is {mo:.3f} ({ko} layers): "
                    f"{'up' if m > mo else 'down'} by {abs(m - mo):.3f} to {esc(main)}."
                )
            if change and change.get("from") == label:
                text.append(_change_text(change))
    known = paper_values(model)
    if known is not None:
        name, pu, pt = known
        text.append(
            f"The paper reports {pu:.2f} untrained and {pt:.2f} trained for {name} "
            "(mean over its Table 1 layers, 512 ImageNet images at 224 px); expect "
            "differences when data, input size or layers differ."
        )
    return " ".join(text)


def _change_text(change: Mapping[str, Any]) -> str:
    """The paired change of the mean SS_rate between the two weights, as a verdict."""
    d, lo, hi = (finite(change.get(k)) for k in ("diff", "ci_low", "ci_high"))
    n = int(finite(change.get("layers")) or 0)
    head = f"Over the {n} layers both measured, {esc(change.get('to'))} minus " + (
        f"{esc(change.get('from'))}: {d:+.3f}"
    )
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return head + " (no interval: the runs were made without bootstrap draws)."
    if lo > 0 or hi < 0:
        verdict = "higher" if lo > 0 else "lower"
        return (
            f"{head}, 95 % paired bootstrap interval over the images [{lo:+.3f}, {hi:+.3f}]: "
            f"SS_rate is <b>{verdict}</b> with {esc(change.get('to'))} weights beyond the "
            "images' sampling noise (criterion: the interval excludes 0)."
        )
    return (
        f"{head}, 95 % paired bootstrap interval over the images [{lo:+.3f}, {hi:+.3f}]: "
        "the interval holds 0, so these images <b>cannot tell</b> the two apart."
    )


def _ci_of(summary: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The interval of a summary value as ``v_ci_low`` / ``v_ci_high`` (none: empty)."""
    return {f"v_ci_{end}": summary.get(f"{key}_ci_{end}") for end in ("low", "high")}


def _summary_table(page: Page, run_docs: Mapping[str, Mapping[str, Any]], model: str) -> None:
    keys = [
        ("mean_ss_rate", "SS_rate"),
        ("mean_ss_rate_paper", "SS_rate (printed)"),
        ("mean_ss_rate_true", "SS_rate (box count)"),
        ("mean_approx_error", "approx. error"),
        ("mean_d_B", "d_B"),
        ("spectrum_sigma", "σ of g"),
        ("corr_dim_delta", "Δ corr. dim."),
    ]
    sums = {label: doc.get("summary") or {} for label, doc in run_docs.items()}
    keys = [(k, h) for k, h in keys if any(math.isfinite(finite(s.get(k))) for s in sums.values())]
    known = paper_values(model)
    header = ["weights", *(esc(h) for _, h in keys), "layers measured"]
    if known:
        header.append("paper (Table 2)")
    rows = []
    for label, s in sums.items():
        row = [
            esc(label),
            *(_value_ci({"v": s.get(k)} | _ci_of(s, k), "v", 3) for k, _ in keys),
            f"{int(finite(s.get('mean_ss_rate_layers')) or 0)} of "
            f"{int(finite(s.get('layers_total')) or 0)}",
        ]
        if known:
            row.append(f"{known[2] if is_trained_label(label) else known[1]:.2f}")
        rows.append(row)
    page.table(header, rows)


def _figures(
    page: Page, runs: Mapping[str, Sequence[Record]], main: str, model: str, folder: Path
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    recs = runs[main]
    layers = [r["layer"] for r in recs]
    series: dict[str, list] = {
        "SS_rate (released formula)": [r.get("ss_rate") for r in recs],
        "SS_rate (printed formula)": [r.get("ss_rate_paper") for r in recs],
    }
    styles: dict[str, dict[str, Any]] = {
        "SS_rate (released formula)": {"color": "C0"},
        "SS_rate (printed formula)": {"color": "C1"},
    }
    if _measured(recs, "ss_rate_true"):
        series["SS_rate (greedy box count)"] = [r.get("ss_rate_true") for r in recs]
        styles["SS_rate (greedy box count)"] = {"color": "C2", "marker": "s"}
    for label, other in runs.items():
        if label != main:
            by = {r["layer"]: r for r in other}
            key = f"SS_rate, released ({label})"
            series[key] = [by.get(name, {}).get("ss_rate") for name in layers]
            styles[key] = {"color": "C0", "ls": "--", "marker": "^"}
    refs = paper_references(model, list(runs))
    depth = plot_depth(series, layers, folder / "ss_rate_depth.png", styles=styles, references=refs)
    page.heading("SS_rate against depth", anchor="depth")
    cap = (
        "Each point is one hooked layer in hook order. Lower SS_rate = more self-similar. "
        "Released and printed formulas use the same distances and differ only in how they turn "
        "edge density into a box count; the greedy box count is the real covering."
    )
    if refs:
        cap += (
            " Dotted: the paper's mean over its Table 1 layers (ImageNet, 224 px, B = 512), a "
            "single number, not a per-layer value."
        )
    page.figure(depth, esc(cap), "SS_rate against depth")
    curves = plot_curves(runs if len(runs) > 1 else {main: recs}, layers, folder / "curves.png")
    page.heading("N(θ) per layer", anchor="curves")
    page.figure(
        curves,
        esc(
            "Box count N against 1 + θ on log-log axes. SS_rate is twice the mean gap between the "
            "curve and the dashed chord (in log N / log D): a straight curve is a power law. Dots: "
            "real greedy box counts (when measured)."
            + (
                " One colour per weights; the SS values in each title follow the legend's order."
                if len(runs) > 1
                else ""
            )
        ),
        "N(theta) per layer",
    )
    for label, other in runs.items():
        if any(r.get("eigenvalues") is not None for r in other):
            if label == next(iter(runs)):
                page.heading("Covariance spectra (Appendix B)", anchor="spectra")
            path = plot_spectra(other, folder / f"spectra_{safe_name(label)}.png")
            page.figure(
                path,
                esc(
                    f"{label}: rank-ordered covariance eigenvalues, colour from "
                    "shallow (dark) to deep (yellow); dotted: each fit's "
                    "lambda_min."
                ),
                f"spectra {label}",
            )
    if any(r.get("mds") is not None for recs_ in runs.values() for r in recs_):
        order = [k for k in runs if k != main] + [main]  # untrained above trained
        path = plot_mds({k: list(runs[k]) for k in order}, folder / "mds.png")
        page.heading("Metric MDS of G_M (Figure 2)", anchor="mds")
        page.figure(
            path,
            esc(
                "Each panel: up to 128 channels of a layer placed so that distances "
                "approximate C_ij; shallow to deep, left to right. Colour = node "
                "index: one channel keeps its colour in every panel."
            ),
            "MDS",
        )


def analysis_page(results: Mapping[str, Any], folder: Path | None) -> str:
    """The HTML of an analysis run; figures go to ``folder`` (none when it is None)."""
    main = results["main"]
    run_docs = results["runs"]
    runs = {label: list(doc["layers"]) for label, doc in run_docs.items()}
    cfg = run_docs[main].get("config") or {}
    model = str(cfg.get("model", ""))
    page = Page(f"selfsim analysis: {model}")
    weights = "; ".join(_weights(label, doc.get("config") or {}) for label, doc in run_docs.items())
    items = describe_run(cfg)
    items.insert(1, ("weights", weights))
    versions = results.get("versions") or {}
    items.append(
        (
            "created",
            f"{results.get('created', '?')}, selfsim "
            f"{versions.get('selfsim', '?')} ({versions.get('git_commit', '?')})",
        )
    )
    page.meta(items)
    failed_banner(page, runs)
    page.reading(_reading(model, runs, main, results.get("change")))
    if folder is not None:
        _figures(page, runs, main, model, folder)
    page.heading("Per layer", anchor="layers")
    page.raw(
        "<p>Only measured columns are shown; rows with notes or a reason open below "
        "themselves. All values are also in <code>layers.csv</code> and "
        "<code>results.json</code>.</p>"
    )
    order = [main, *(k for k in runs if k != main)]
    for label in order:
        layer_tables(page, runs[label], label if len(runs) > 1 else "")
    page.heading("Summary over layers", anchor="summary")
    _summary_table(page, run_docs, model)
    page.heading("How to read this", anchor="howto")
    measures = (cfg.get("analysis") or {}).get("measures") or []
    page.raw(f"<div class='howto'>{how_to_read(measures)}</div>")
    page.config({label: doc.get("config") for label, doc in run_docs.items()})
    return page.render()
