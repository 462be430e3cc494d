"""PNG plots of an analysis: N(theta) curves, SS_rate against depth, MDS panels, spectra.

matplotlib is imported lazily with the non-interactive Agg backend; every
function writes one file and returns its path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["plot_curve", "plot_depth", "plot_mds", "plot_spectra", "safe_name"]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def safe_name(layer: str) -> str:
    """A file-name-safe version of a module name."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in layer) or "root"


def plot_curve(result, path: Path) -> Path:
    """N(theta) against 1 + theta on log-log axes, with the chord and the true box counts."""
    plt = _plt()
    c = result.curve
    fig, ax = plt.subplots(figsize=(4.2, 3.4), dpi=110)
    x = 1.0 + c.thresholds
    ax.loglog(x, c.counts, lw=1.6, label=f"closed form (SS_rate {c.value:.3f})")
    chord_counts = np.exp(c.chord * math.log(c.num_nodes))
    ax.loglog(x, chord_counts, "--", color="grey", lw=1, label="chord")
    if result.box_counts is not None:
        ax.loglog(1.0 + result.box_thresholds, result.box_counts, "o", ms=3, color="C3",
                  label=f"greedy box count (d_B {result.d_B:.2f})")
    ax.set_xlabel("1 + theta")
    ax.set_ylabel("N(theta)")
    ax.set_title(result.layer, fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_depth(series: Mapping[str, Sequence[float]], layers: Sequence[str], path: Path,
               ylabel: str = "SS_rate") -> Path:
    """One line per series (e.g. code / paper / true-count SS_rate, or runs) against depth."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(4.5, 0.35 * len(layers) + 2), 3.4), dpi=110)
    pos = np.arange(len(layers))
    for label, values in series.items():
        ax.plot(pos, np.asarray(values, dtype=float), "o-", ms=4, label=label)
    ax.set_xticks(pos)
    ax.set_xticklabels(layers, rotation=60, ha="right", fontsize=7)
    ax.set_xlabel("hooked layer (shallow to deep)")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_mds(rows: dict[str, Sequence], path: Path) -> Path:
    """Figure 2: one row of MDS panels per run (e.g. untrained, trained), shallow to deep."""
    plt = _plt()
    names = list(rows)
    ncol = max(len(v) for v in rows.values())
    fig, axes = plt.subplots(len(names), ncol, figsize=(2.0 * ncol, 2.1 * len(names)), dpi=100,
                             squeeze=False)
    for i, run in enumerate(names):
        for j in range(ncol):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(rows[run]):
                ax.axis("off")
                continue
            result = rows[run][j]
            if result.mds is not None:
                ax.scatter(result.mds[:, 0], result.mds[:, 1], s=5, c=np.arange(len(result.mds)),
                           cmap="viridis")
            ax.set_title(f"{run}: {result.layer}" if j == 0 else result.layer, fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_spectra(results: Sequence, path: Path) -> Path:
    """Rank-ordered covariance eigenvalues per layer (log-log), with each fit's lambda_min."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.8, 3.6), dpi=110)
    cmap = plt.get_cmap("viridis")
    n = max(1, len(results) - 1)
    for k, r in enumerate(results):
        if r.eigenvalues is None:
            continue
        ev = np.asarray(r.eigenvalues)
        color = cmap(k / n)
        ax.loglog(np.arange(1, len(ev) + 1), ev, lw=1, color=color,
                  label=f"{r.layer} (g {r.spectrum_exponent:.2f})")
        if np.isfinite(r.spectrum_xmin):
            ax.axhline(r.spectrum_xmin, color=color, lw=0.5, ls=":")
    ax.set_xlabel("rank")
    ax.set_ylabel("eigenvalue (dotted: lambda_min)")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
