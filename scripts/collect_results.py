"""Collect the laptop-scale reproduction into markdown tables and figures (docs/results.md).

    python scripts/collect_results.py [RUNS=runs/repro] [FIGURES=docs/figures]

Reads the finished runs under RUNS (experiment grids of configs/repro/*.yaml) and the Table-2
analyses under RUNS/table2/<model> (scripts/repro_table2.sh); prints the tables as markdown and
writes docs/figures/table2_layers.png, docs/figures/table3_curves_<data>.png.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

FAMILIES = ["resmlp_tiny_32", "mixer_tiny_32", "vit_tiny_32", "resnet_tiny_32"]
PAPER_T2 = {"resmlp_tiny_32": "ResMLP 0.09 -> 0.40", "mixer_tiny_32": "MLP-Mixer 0.13 -> 0.66",
            "vit_tiny_32": "ViT-S 0.13 -> 0.66",
            "resnet_tiny_32": "ResNet34 0.22 -> 0.17; ResNet50 0.22 -> 0.33"}
PAPER_T3 = {"resmlp_tiny_32": "ResMLP 87.35 -> 88.17 (+0.82)",
            "mixer_tiny_32": "MLP-Mixer 86.81 -> 88.27 (+1.46)",
            "vit_tiny_32": "ViT-S 89.99 -> 90.50 (+0.51)",
            "resnet_tiny_32": "ResNet34 93.90 -> 94.00 (+0.10); ResNet50 94.11 -> 94.13 (+0.02)"}
DATASETS = {"cifar10": "CIFAR-10", "fmnist": "Fashion-MNIST"}


def epochs(run: Path) -> list[dict]:
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x]
    return [e for e in lines if e.get("kind") == "epoch"]


def finished(run: Path) -> bool:
    f = run / "status.json"
    return f.is_file() and json.loads(f.read_text()).get("state") == "finished"


def runs_of(root: Path, data: str, model: str, arm: str) -> list[Path]:
    return sorted(p for p in root.glob(f"{data}_*/{model}/{arm}/seed*") if p.is_dir()
                  and finished(p))


def ms(vals: list[float], fmt: str) -> str:
    a = np.asarray(vals, dtype=float)
    if a.size == 0:
        return "-"
    sd = a.std(ddof=1) if a.size > 1 else 0.0
    return f"{a.mean():{fmt}} ± {sd:{fmt}}"


def wall(run: Path) -> float:
    return (run / "status.json").stat().st_mtime - (run / "config.json").stat().st_mtime


def table3(root: Path, main_arm: dict[str, str]) -> str:
    out = []
    for data, title in DATASETS.items():
        out.append(f"\n**{title}** (best test top-1 %, final-epoch mean SS_rate on the fixed "
                   "evaluation batch; mean ± std over seeds; n = finished seeds per arm)\n")
        out.append("| family | baseline top-1 | S2-Con top-1 | paired diff (S2-Con - base) | "
                   "baseline SS_rate | S2-Con SS_rate | gamma (mean) | n | wall s/run | "
                   "paper CIFAR-10 |")
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for m in FAMILIES:
            arm = main_arm.get(m, "constrained")
            b, c = runs_of(root, data, m, "baseline"), runs_of(root, data, m, arm)
            if not b:
                continue
            bt = {p.name: epochs(p)[-1]["best_top1"] for p in b}
            ct = {p.name: epochs(p)[-1]["best_top1"] for p in c}
            diff = [ct[s] - bt[s] for s in ct if s in bt]
            gam = [json.loads((p / "config.json").read_text()).get("gamma_resolved") for p in c]
            out.append(
                f"| {m} | {ms(list(bt.values()), '.2f')} | {ms(list(ct.values()), '.2f')} | "
                f"{ms(diff, '+.2f')} | {ms([epochs(p)[-1]['ss_rate_mean'] for p in b], '.3f')} | "
                f"{ms([epochs(p)[-1]['ss_rate_mean'] for p in c], '.3f')} | "
                f"{ms([g for g in gam if g is not None], '.3f')} | {len(b)}/{len(c)} | "
                f"{np.mean([wall(p) for p in b + c]):.0f} | {PAPER_T3[m]} |")
    return "\n".join(out)


def sweep(root: Path, data: str = "cifar10", arms=("a1e-2", "a1e-1", "a1")) -> str:
    out = ["| family | alpha | top-1 | paired diff vs baseline | final SS_rate | "
           "mean abs(train SS - gamma), last epoch | n |", "|---|---|---|---|---|---|---|"]
    for m in FAMILIES:
        b = {p.name: p for p in runs_of(root, data, m, "baseline")}
        for arm in ("baseline",) + tuple(arms):
            rs = runs_of(root, data, m, arm)
            if not rs or arm == "baseline" and not any(
                    runs_of(root, data, m, a) for a in arms):
                continue
            top = [epochs(p)[-1]["best_top1"] for p in rs]
            diff = [epochs(p)[-1]["best_top1"] - epochs(b[p.name])[-1]["best_top1"]
                    for p in rs if p.name in b]
            dev = []
            for p in rs:
                cfg = json.loads((p / "config.json").read_text())
                g = cfg.get("gamma_resolved")
                if g is not None and arm != "baseline":
                    dev.append(abs(epochs(p)[-1]["train_ss_rate_mean"] - g))
            alpha = ("0 (record)" if arm == "baseline" else
                     json.loads((rs[0] / "config.json").read_text())["config"]["ss"]["alpha"])
            out.append(f"| {m} | {alpha} | {ms(top, '.2f')} | "
                       f"{ms(diff, '+.2f') if arm != 'baseline' else '-'} | "
                       f"{ms([epochs(p)[-1]['ss_rate_mean'] for p in rs], '.3f')} | "
                       f"{ms(dev, '.4f') if dev else '-'} | {len(rs)} |")
    return "\n".join(out)


def table2(root: Path, figures: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = ["| family | SS_rate untrained | SS_rate trained (ours) | direction | layers | "
           "paper (ImageNet checkpoints) |", "|---|---|---|---|---|---|"]
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.0))
    for ax, m in zip(axes, FAMILIES, strict=True):
        d = root / "table2" / m
        if not (d / "table2.csv").is_file():
            continue
        rows = {r["weights"]: r for r in csv.DictReader((d / "table2.csv").open())}
        u, t = float(rows["untrained"]["mean_ss_rate"]), float(rows["trained"]["mean_ss_rate"])
        out.append(f"| {m} | {u:.3f} | {t:.3f} | {'up' if t > u else 'down'} | "
                   f"{rows['trained']['layers_ok'].split('.')[0]} | {PAPER_T2[m]} |")
        for name, label in (("layers_untrained.csv", "untrained"), ("layers.csv", "trained")):
            layers = list(csv.DictReader((d / name).open()))
            ax.plot([r["layer"] for r in layers], [float(r["ss_rate"]) for r in layers],
                    marker="o", label=label)
        ax.set_title(m, fontsize=9)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("SS_rate (512 CIFAR-10 test images)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    figures.mkdir(parents=True, exist_ok=True)
    fig.savefig(figures / "table2_layers.png", dpi=90)
    plt.close(fig)
    return "\n".join(out)


def curves(root: Path, figures: Path, main_arm: dict[str, str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for data in DATASETS:
        fig, axes = plt.subplots(2, 4, figsize=(13, 5.0), sharex=True)
        for j, m in enumerate(FAMILIES):
            for arm, label in (("baseline", "baseline (record-only)"),
                               (main_arm.get(m, "constrained"), "S2-Con alpha 0.01")):
                rs = runs_of(root, data, m, arm)
                if not rs:
                    continue
                for i, key in enumerate(("top1", "ss_rate_mean")):
                    a = np.asarray([[e[key] for e in epochs(p)] for p in rs], dtype=float)
                    x = np.arange(a.shape[1])
                    axes[i, j].plot(x, a.mean(0), marker="o", ms=3, label=label)
                    axes[i, j].fill_between(x, a.mean(0) - a.std(0), a.mean(0) + a.std(0),
                                            alpha=0.2)
            axes[0, j].set_title(m, fontsize=9)
            axes[1, j].set_xlabel("epoch")
        axes[0, 0].set_ylabel("test top-1 (%)")
        axes[1, 0].set_ylabel("SS_rate (eval batch)")
        axes[0, 0].legend(fontsize=7)
        fig.suptitle(f"{DATASETS[data]}: mean ± std over seeds", fontsize=10)
        fig.tight_layout()
        fig.savefig(figures / f"table3_curves_{data}.png", dpi=80)
        plt.close(fig)


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/repro")
    figures = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/figures")
    main_arm = {"resmlp_tiny_32": "a1e-2", "mixer_tiny_32": "a1e-2"}
    print("## Table 2\n")
    print(table2(root, figures))
    print("\n## Table 3")
    print(table3(root, main_arm))
    print("\n## Alpha sweep (CIFAR-10)\n")
    print(sweep(root))
    curves(root, figures, main_arm)


if __name__ == "__main__":
    main()
