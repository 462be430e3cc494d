"""Every figure selfsim draws: analysis, comparison, training, experiments, box covering.

Each function takes plain data (numbers, arrays, or the layer records of
``results.json``), writes one PNG and returns its path. Figures are built
as :class:`matplotlib.figure.Figure` objects (:mod:`selfsim.report._mpl`),
so no pyplot state and no backend choice is touched. Missing values (None,
NaN) are skipped, never drawn as zeros.

A layer record is a mapping with ``layer``, ``num_nodes``, ``ss_rate`` and,
when measured, ``curve`` (``thresholds``, ``counts``, ``chord``),
``box_count`` (``thresholds``, ``counts``), ``d_B``, ``mds``,
``eigenvalues``, ``spectrum_exponent`` and ``spectrum_xmin``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import InvalidInputError
from ._mpl import colormap, new_figure, save_figure

__all__ = [
    "plot_depth",
    "plot_curves",
    "plot_mds",
    "plot_spectra",
    "plot_lines",
    "plot_layer_epochs",
    "plot_bands",
    "plot_depth_panels",
    "plot_boxcover",
    "plot_intervals",
    "safe_name",
    "finite",
]

FULL_WIDTH = 11.0  # inches at 100 dpi: 1100 px, the width of the report's column
_DPI = 100


def safe_name(layer: str) -> str:
    """A file-name-safe version of a module name."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in layer) or "root"


def finite(value: Any) -> float:
    """``value`` as a float, NaN when it is None, not a number or not finite."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


def _array(values: Any) -> np.ndarray:
    return np.asarray([finite(v) for v in values], dtype=np.float64)


def _log_ticks(axis: Any, lo: float, hi: float, n: int = 3) -> None:
    """``n`` labelled ticks spread evenly on a log axis, no minor labels.

    matplotlib labels minor ticks when an axis spans less than a decade, and
    on a narrow range (the stages of a ConvNeXt, say) those labels overlap.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    if not (lo > 0 and hi > lo and math.isfinite(hi)):
        return
    ticks = np.geomspace(lo, hi, n)
    axis.set_major_locator(FixedLocator(ticks.tolist()))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.3g}"))
    axis.set_minor_locator(NullLocator())


def _depth_labels(ax: Any, layers: Sequence[str]) -> None:
    pos = np.arange(len(layers))
    step = max(1, math.ceil(len(layers) / 40))  # at most about 40 labels
    ax.set_xticks(pos[::step])
    ax.set_xticklabels(list(layers)[::step], rotation=45, ha="right", fontsize=8)
    ax.set_xlim(-0.5, len(layers) - 0.5)


def plot_depth(
    series: Mapping[str, Sequence],
    layers: Sequence[str],
    path: str | Path,
    *,
    ylabel: str = "SS_rate",
    styles: Mapping[str, Mapping[str, Any]] | None = None,
    references: Mapping[str, float] | None = None,
    title: str | None = None,
) -> Path:
    """One line per series against depth (layers in hook order, shallow to deep).

    ``styles`` gives matplotlib keyword arguments per series; ``references``
    draws labelled horizontal lines (e.g. the paper's mean SS_rate).
    """
    fig = new_figure(FULL_WIDTH, 3.9, _DPI)
    ax = fig.subplots()
    pos = np.arange(len(layers))
    for label, values in series.items():
        y = _array(values)
        kw = {"marker": "o", "ms": 4, "lw": 1.5, **dict((styles or {}).get(label, {}))}
        ax.plot(pos, y, label=label, **kw)
    for k, (label, value) in enumerate((references or {}).items()):
        if math.isfinite(finite(value)):
            ax.axhline(float(value), color="0.35", lw=1, ls=(0, (1 + k, 2)), label=label)
    _depth_labels(ax, layers)
    ax.set_xlabel("hooked layer, shallow to deep (hook order)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    return save_figure(fig, path)


def _curve_xy(rec: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    curve = rec.get("curve")
    if not curve:
        return None
    x = 1.0 + _array(curve["thresholds"])
    counts = _array(curve["counts"])
    D = finite(rec.get("num_nodes"))
    chord = D ** _array(curve["chord"]) if D > 1 else np.full_like(x, np.nan)
    return x, counts, chord


def plot_curves(
    runs: Mapping[str, Sequence[Mapping[str, Any]]],
    layers: Sequence[str],
    path: str | Path,
    *,
    ncol: int = 4,
) -> Path:
    """N(theta) against 1 + theta on log-log axes, one small panel per layer.

    Each panel shows the closed-form box count (the SS_rate curve), the
    chord from its first to its last point (SS_rate measures the area
    between the two) and the greedy box counts, when measured. With several
    runs, each has its colour and the panels overlay them.
    """
    ncol = max(1, min(ncol, len(layers)))
    nrow = max(1, math.ceil(len(layers) / ncol))
    fig = new_figure(FULL_WIDTH, 0.6 + 2.35 * nrow, _DPI)
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    by_name = {label: {r["layer"]: r for r in recs} for label, recs in runs.items()}
    single = len(runs) == 1
    handles: dict[str, Any] = {}
    for ax, layer in zip(axes, layers, strict=False):  # more axes than layers
        lo, hi, nmax = math.inf, 0.0, 1.0
        values = []
        for k, (label, recs) in enumerate(by_name.items()):
            rec = recs.get(layer)
            if rec is None:
                continue
            got = _curve_xy(rec)
            if got is None:
                continue
            x, counts, chord = got
            color = "C0" if single else f"C{k}"
            (line,) = ax.loglog(x, counts, lw=1.5, color=color)
            (chord_line,) = ax.loglog(
                x, chord, ls="--", lw=0.9, color="0.45" if single else color, alpha=0.8
            )
            handles.setdefault("closed form N(theta)" if single else label, line)
            handles.setdefault("chord", chord_line)
            box = rec.get("box_count")
            if box:
                bx, bc = 1.0 + _array(box["thresholds"]), _array(box["counts"])
                (pts,) = ax.loglog(
                    bx,
                    bc,
                    "o",
                    ms=2.5,
                    color="C3" if single else color,
                    mfc="none" if not single else None,
                )
                handles.setdefault("greedy box count", pts)
            lo, hi = min(lo, np.nanmin(x)), max(hi, np.nanmax(x))
            nmax = max(nmax, finite(rec.get("num_nodes")))
            values.append(finite(rec.get("ss_rate")))
        if not values:
            ax.text(
                0.5,
                0.5,
                "no curve\n(no measurement)",
                ha="center",
                va="center",
                transform=ax.transAxes,
                fontsize=8,
                color="0.4",
            )
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            _log_ticks(ax.xaxis, lo, hi)
            _log_ticks(ax.yaxis, 1.0, nmax)
            ax.tick_params(labelsize=7)
        text = ", ".join("-" if math.isnan(v) else f"{v:.3f}" for v in values)
        ax.set_title(f"{layer}  (SS {text})" if values else layer, fontsize=8)
    for ax in axes[len(layers) :]:
        ax.axis("off")
    if handles:
        keys = [*(k for k in runs if k in handles), *(k for k in handles if k not in runs)]
        fig.legend(
            [handles[k] for k in keys],
            keys,
            loc="upper center",
            ncol=min(len(handles), 5),
            fontsize=8,
            frameon=False,
        )
    fig.supxlabel("1 + theta (distance threshold)", fontsize=9)
    fig.supylabel("N(theta) (boxes)", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / (0.6 + 2.35 * nrow)))
    return save_figure(fig, path)


def plot_mds(
    rows: Mapping[str, Sequence[Mapping[str, Any]]], path: str | Path, *, ncol: int = 6
) -> Path:
    """Metric MDS of the nodes of G_M (the paper's Figure 2), shallow to deep, one block per run.

    A node keeps its colour in every panel (the same nodes are drawn for the
    same layer width and seed), so a colour follows one channel through
    training; the colour bar says so.
    """
    names = list(rows)
    counts = {run: len(rows[run]) for run in names}
    ncol = max(1, min(ncol, max(counts.values(), default=1)))
    blocks = {run: max(1, math.ceil(counts[run] / ncol)) for run in names}
    nrow = sum(blocks.values())
    fig = new_figure(FULL_WIDTH, 0.4 + 1.9 * nrow, _DPI)
    axes = fig.subplots(
        nrow, ncol + 1, squeeze=False, gridspec_kw={"width_ratios": [1] * ncol + [0.08]}
    )
    cmap = colormap("viridis")
    scatter = None
    row0 = 0
    for run in names:
        for j in range(blocks[run] * ncol):
            ax = axes[row0 + j // ncol][j % ncol]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= counts[run]:
                ax.axis("off")
                continue
            rec = rows[run][j]
            mds = rec.get("mds")
            if mds is not None and len(mds):
                xy = np.asarray(mds, dtype=np.float64)
                scatter = ax.scatter(
                    xy[:, 0],
                    xy[:, 1],
                    s=5,
                    c=np.arange(len(xy)),
                    cmap=cmap,
                    vmin=0,
                    vmax=max(len(xy) - 1, 1),
                )
            else:
                ax.text(
                    0.5,
                    0.5,
                    "not measured",
                    ha="center",
                    va="center",
                    fontsize=7,
                    transform=ax.transAxes,
                    color="0.4",
                )
            ax.set_title(f"{run}: {rec['layer']}" if len(names) > 1 else rec["layer"], fontsize=7)
        row0 += blocks[run]
    cax = axes[0][ncol]
    for r in range(1, nrow):
        axes[r][ncol].axis("off")
    if scatter is not None:
        bar = fig.colorbar(scatter, cax=cax)
        bar.set_label("node index (same node, same colour)", fontsize=7)
        bar.ax.tick_params(labelsize=6)
    else:
        cax.axis("off")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_spectra(layers: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """Rank-ordered covariance eigenvalues per layer (log-log) with each fit's lambda_min."""
    fig = new_figure(FULL_WIDTH, 4.0, _DPI)
    ax = fig.subplots()
    cmap = colormap("viridis")
    n = max(1, len(layers) - 1)
    for k, rec in enumerate(layers):
        ev = rec.get("eigenvalues")
        if ev is None:
            continue
        ev = _array(ev)
        ev = ev[np.isfinite(ev) & (ev > 0)]
        if not len(ev):
            continue
        color = cmap(k / n)
        g = finite(rec.get("spectrum_exponent"))
        ax.loglog(
            np.arange(1, len(ev) + 1),
            ev,
            lw=1,
            color=color,
            label=f"{rec['layer']} (g {g:.2f})" if math.isfinite(g) else rec["layer"],
        )
        xmin = finite(rec.get("spectrum_xmin"))
        if math.isfinite(xmin) and xmin > 0:
            ax.axhline(xmin, color=color, lw=0.5, ls=":")
    ax.set_xlabel("rank")
    ax.set_ylabel("eigenvalue (dotted: lambda_min of the fit)")
    ax.grid(alpha=0.3)
    ncol = 1 if len(layers) <= 14 else 2
    ax.legend(
        fontsize=7,
        ncol=ncol,
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        frameon=False,
        title="shallow to deep",
        title_fontsize=7,
    )
    fig.tight_layout()
    return save_figure(fig, path)


def plot_lines(
    x: Sequence,
    panels: Sequence[tuple[str, str, Mapping[str, Sequence]]],
    path: str | Path,
    *,
    xlabel: str = "epoch",
    marker: str | None = "o",
) -> Path:
    """Side-by-side panels of lines against a shared x: ``(title, ylabel, {label: values})``."""
    n = max(1, len(panels))
    fig = new_figure(FULL_WIDTH, 3.4, _DPI)
    axes = np.atleast_1d(fig.subplots(1, n, squeeze=False)).ravel()
    xs = _array(x)
    for ax, (title, ylabel, series) in zip(axes, panels, strict=False):
        for label, values in series.items():
            y = _array(values)
            if np.isfinite(y).any():
                ax.plot(xs[: len(y)], y, marker=marker, ms=3, lw=1.3, label=label)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        if len(series) > 1:
            ax.legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_layer_epochs(
    x: Sequence,
    layers: Mapping[str, Sequence],
    path: str | Path,
    *,
    mean: Sequence | None = None,
    extra: Mapping[str, Sequence] | None = None,
    target: float | None = None,
    ylabel: str = "SS_rate",
) -> Path:
    """One line per layer over epochs, coloured shallow (dark) to deep (yellow), with the mean."""
    fig = new_figure(FULL_WIDTH, 3.9, _DPI)
    ax = fig.subplots()
    xs = _array(x)
    cmap = colormap("viridis")
    n = max(1, len(layers) - 1)
    for k, (layer, values) in enumerate(layers.items()):
        y = _array(values)
        ax.plot(xs[: len(y)], y, lw=1, marker="o", ms=2.5, color=cmap(k / n), label=layer)
    if mean is not None:
        y = _array(mean)
        ax.plot(xs[: len(y)], y, lw=2.5, color="black", label="mean over layers")
    for k, (label, values) in enumerate((extra or {}).items()):
        y = _array(values)
        ax.plot(xs[: len(y)], y, lw=1.8, ls="--", color=f"C{3 + k}", label=label)
    if target is not None and math.isfinite(finite(target)):
        ax.axhline(float(target), color="C3", lw=1, ls=":", label=f"target gamma {target:.3g}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ncol = 1 if len(layers) + 3 <= 16 else 2
    ax.legend(fontsize=7, ncol=ncol, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_bands(
    panels: Sequence[tuple[str, Mapping[str, np.ndarray]]],
    path: str | Path,
    *,
    title: str = "",
    xlabel: str = "epoch",
    nrows: int = 1,
    ylabels: Sequence[str] = (),
    panel_size: tuple[float, float] | None = None,
    dpi: int = 110,
    skip_first: Sequence[bool] = (),
) -> Path:
    """Mean +- one standard deviation over repeats: ``(title, {label: array (repeats, x)})``.

    Panels fill ``nrows`` rows left to right, row by row; ``ylabels`` name the rows (on
    the first column); ``panel_size`` (inches) sizes each panel (default: one 9 x 3.4 row).
    ``skip_first[i]`` true: panel i's y range is set by the points after the first, which
    is drawn but may fall outside (a warm-up epoch far below the rest would flatten them).
    """
    nrows = max(1, nrows)
    ncols = max(1, -(-len(panels) // nrows))
    if panel_size is None:
        size = (9.0, 3.4 * nrows)
    else:
        size = (panel_size[0] * ncols, panel_size[1] * nrows)
    fig = new_figure(*size, dpi)
    small = {"fontsize": 9} if nrows > 1 else {}
    grid = fig.subplots(nrows, ncols, squeeze=False)
    axes = np.atleast_1d(grid).ravel()
    for i, (ax, (panel_title, series)) in enumerate(zip(axes, panels, strict=False)):
        lows, highs = [], []
        for k, (label, data) in enumerate(series.items()):
            data = np.asarray(data, dtype=np.float64)
            if data.ndim != 2 or data.size == 0:
                continue
            x = np.arange(data.shape[1])
            with np.errstate(all="ignore"):
                mean = np.nanmean(data, axis=0)
                std = np.nanstd(data, axis=0)
            # past ten series the colour cycle repeats: the marker tells them apart
            color, marker = f"C{k % 10}", "os^Dv"[(k // 10) % 5]
            ax.plot(x, mean, marker=marker, ms=3, color=color, label=label)
            ax.fill_between(x, mean - std, mean + std, alpha=0.2, color=color)
            rest = slice(1, None) if data.shape[1] > 2 else slice(None)
            with np.errstate(all="ignore"):
                lows.append(np.nanmin((mean - std)[rest]))
                highs.append(np.nanmax((mean + std)[rest]))
        if i < len(skip_first) and skip_first[i] and np.isfinite(lows + highs).all() and lows:
            lo, hi = min(lows), max(highs)
            pad = 0.08 * (hi - lo) if hi > lo else 1.0
            ax.set_ylim(lo - pad, hi + pad)
        ax.set_xlabel(xlabel)
        ax.set_title(panel_title, **small)
        ax.grid(alpha=0.3)
    for row, ylabel in zip(grid[:, 0], ylabels, strict=False):
        row.set_ylabel(ylabel)
    axes[0].legend(fontsize=8 if nrows == 1 else 7)
    if title:
        fig.suptitle(title, **({"fontsize": 10} if nrows > 1 else {}))
    fig.tight_layout()
    return save_figure(fig, path)


def plot_depth_panels(
    panels: Sequence[tuple[str, Mapping[str, tuple[Sequence[str], Sequence]]]],
    path: str | Path,
    *,
    ylabel: str = "SS_rate",
    panel_size: tuple[float, float] = (3.25, 3.0),
    dpi: int = 90,
) -> Path:
    """Small multiples of a per-layer value against depth, one panel per model.

    ``panels``: ``(title, {label: (layer names, values)})``; layers are categories in the
    order given (hook order), values may be None or NaN. Used for the Table 2 view of several
    models (untrained against trained) side by side.
    """
    n = max(1, len(panels))
    fig = new_figure(panel_size[0] * n, panel_size[1], dpi)
    axes = np.atleast_1d(fig.subplots(1, n, squeeze=False)).ravel()
    for ax, (panel_title, series) in zip(axes, panels, strict=False):
        for label, (layers, values) in series.items():
            ax.plot([str(name) for name in layers], _array(values), marker="o", label=label)
        ax.set_title(panel_title, fontsize=9)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        if series:
            ax.legend(fontsize=7)
    axes[0].set_ylabel(ylabel)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_boxcover(
    sizes: Sequence | np.ndarray,
    counts: Sequence | np.ndarray,
    path: str | Path,
    *,
    d_B: float,
    intercept: float,
    fit_range: tuple[float, float],
    title: str = "",
) -> Path:
    """Box counts N_B against l_B (log-log) with the fitted power law over its fit range."""
    fig = new_figure(4.5, 3.5, 120)
    ax = fig.subplots()
    ax.loglog(
        np.asarray(sizes, dtype=float), np.asarray(counts, dtype=float), "o", label="box counts"
    )
    lo, hi = fit_range
    if lo > 0 and hi > lo and math.isfinite(d_B):
        x = np.linspace(math.log(lo), math.log(hi), 20)
        ax.loglog(np.exp(x), np.exp(intercept - d_B * x), "-", label=f"d_B = {d_B:.2f}")
    ax.set_xlabel("box size $l_B$")
    ax.set_ylabel("number of boxes $N_B$")
    ax.set_title(title, fontsize=9)
    ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)


def plot_intervals(
    rows: Sequence[tuple[Any, ...]],
    path: str | Path,
    *,
    xlabel: str | Sequence[str],
    band: tuple[float, float, str] | None = None,
    dpi: int = _DPI,
) -> Path:
    """A forest plot: one row per ``(label, estimate, low, high)``, top to bottom.

    Each estimate is a dot with its interval as a horizontal bar; a row whose
    interval is NaN shows the dot alone, a NaN estimate an empty row. A vertical
    line marks 0; ``band = (low, high, label)`` shades a reference range (for
    instance the effects a paper reports) in the first panel.

    Several panels side by side, sharing the rows: give one ``xlabel`` per panel
    and rows ``(label, est_1, low_1, high_1, est_2, low_2, high_2, ...)``.
    """
    labels = [xlabel] if isinstance(xlabel, str) else list(xlabel)
    k = len(labels)
    bad = [r[0] for r in rows if len(r) != 1 + 3 * k]
    if bad:
        raise InvalidInputError(
            f"plot_intervals: {k} panel(s) need rows of 1 + {3 * k} values (label, then "
            f"estimate, low, high per panel); rows {bad[:3]} differ."
        )
    n = max(1, len(rows))
    width = FULL_WIDTH * 0.8 if k == 1 else FULL_WIDTH * (0.25 + 0.45 * k)
    fig = new_figure(width, 1.2 + 0.32 * n, dpi)
    axes = fig.subplots(1, k, sharey=True, squeeze=False)[0]
    for p, ax in enumerate(axes):
        if band is not None and p == 0:
            ax.axvspan(band[0], band[1], color="C2", alpha=0.15, label=band[2])
        ax.axvline(0.0, color="0.3", lw=1)
        for i, row in enumerate(rows):
            est, lo, hi = row[1 + 3 * p : 4 + 3 * p]
            y = n - 1 - i
            if math.isfinite(finite(lo)) and math.isfinite(finite(hi)):
                ax.plot([lo, hi], [y, y], color="C0", lw=2)
            if math.isfinite(finite(est)):
                ax.plot([est], [y], "o", color="C0", ms=5)
        ax.set_xlabel(labels[p])
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(n), [r[0] for r in reversed(rows)] or [""], fontsize=8)
    axes[0].set_ylim(-0.7, n - 0.3)
    if band is not None:
        # above the axes, where it cannot cover an interval
        axes[0].legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    fig.tight_layout()
    return save_figure(fig, path)
