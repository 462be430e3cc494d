"""Curves of an experiment grid: top-1 and SS_rate over epochs, baseline vs S2-Con.

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

__all__ = ["plot_experiment"]

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
    """Write one PNG per model under ``out/plots``; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(out) / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for model in dict.fromkeys(r.model for r in runs):
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
        for ax, key, title in zip(axes, ("top1", "ss_rate_mean"), ("test top-1 (%)", "SS_rate"),
                                  strict=True):
            for arm in arm_names(runs):
                data = _curves([r for r in runs if r.model == model and r.arm == arm], key)
                if data is None:
                    continue
                x = np.arange(data.shape[1])
                mean = np.nanmean(data, axis=0)
                std = np.nanstd(data, axis=0)
                ax.plot(x, mean, marker="o", ms=3, label=_LABELS.get(arm, arm_label(arm)))
                ax.fill_between(x, mean - std, mean + std, alpha=0.2)
            ax.set_xlabel("epoch")
            ax.set_title(title)
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=8)
        fig.suptitle(model)
        fig.tight_layout()
        path = folder / f"{model}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
