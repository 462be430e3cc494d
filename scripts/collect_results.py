"""Collect the laptop-scale reproduction into markdown tables and figures (docs/results_laptop_scale.md).

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
PAPER_T2 = {
    "resmlp_tiny_32": "ResMLP 0.09 -> 0.40",
    "mixer_tiny_32": "MLP-Mixer 0.13 -> 0.66",
    "vit_tiny_32": "ViT-S 0.13 -> 0.66",
    "resnet_tiny_32": "ResNet34 0.22 -> 0.17; ResNet50 0.22 -> 0.33",
}
PAPER_T3 = {
    "resmlp_tiny_32": "ResMLP 87.35 -> 88.17 (+0.82)",
    "mixer_tiny_32": "MLP-Mixer 86.81 -> 88.27 (+1.46)",
    "vit_tiny_32": "ViT-S 89.99 -> 90.50 (+0.51)",
    "resnet_tiny_32": "ResNet34 93.90 -> 94.00 (+0.10); ResNet50 94.11 -> 94.13 (+0.02)",
}
T2_RUNS = {
    "resmlp_tiny_32": "cifar10_mlp",
    "mixer_tiny_32": "cifar10_mlp",
    "vit_tiny_32": "cifar10_vit_resnet",
    "resnet_tiny_32": "cifar10_vit_resnet",
    "mixer_tiny_32_medium": "medium_cifar10",
}
DATASETS = {"cifar10": "CIFAR-10", "fmnist": "Fashion-MNIST"}


def epochs(run: Path) -> list[dict]:
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x]
    return [e for e in lines if e.get("kind") == "epoch"]


def finished(run: Path) -> bool:
    f = run / "status.json"
    return f.is_file() and json.loads(f.read_text()).get("state") == "finished"


def runs_of(root: Path, data: str, model: str, arm: str) -> list[Path]:
    return sorted(
        p for p in root.glob(f"{data}_*/{model}/{arm}/seed*") if p.is_dir() and finished(p)
    )


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
        out.append(
            f"\n**{title}** (best test top-1 %, final-epoch mean SS_rate on the fixed "
            "evaluation batch; mean ± std over seeds; n = finished seeds per arm)\n"
        )
        out.append(
            "| family | baseline top-1 | S2-Con top-1 | paired diff (S2-Con - base) | "
            "baseline SS_rate | S2-Con SS_rate | gamma (mean) | n | wall s/run | "
            "paper CIFAR-10 |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for m in FAMILIES:
            b = runs_of(root, data, m, "baseline")
            c = runs_of(root, data, m, main_arm.get(m, "constrained")) or runs_of(
                root, data, m, "constrained"
            )
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
                f"{np.mean([wall(p) for p in b + c]):.0f} | {PAPER_T3[m]} |"
            )
    return "\n".join(out)


SWEEP_ARMS = ("a1e-2", "a1e-1", "a1", "a10", "a10-nogate", "t0.4-a10-nogate")


def sweep(root: Path, data: str = "cifar10", arms=SWEEP_ARMS) -> str:
    out = [
        "| family | arm | alpha | gamma | gate | best top-1 | paired diff vs baseline | "
        "final SS_rate (eval batch) | last-epoch train SS_rate | n |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in FAMILIES:
        b = {p.name: p for p in runs_of(root, data, m, "baseline")}
        for arm in ("baseline",) + tuple(arms):
            rs = runs_of(root, data, m, arm)
            if not rs or arm == "baseline" and not any(runs_of(root, data, m, a) for a in arms):
                continue
            top = [epochs(p)[-1]["best_top1"] for p in rs]
            diff = [
                epochs(p)[-1]["best_top1"] - epochs(b[p.name])[-1]["best_top1"]
                for p in rs
                if p.name in b
            ]
            cfg = json.loads((rs[0] / "config.json").read_text())
            ss = cfg["config"]["ss"]
            gam = [json.loads((p / "config.json").read_text()).get("gamma_resolved") for p in rs]
            alpha = "0 (record)" if arm == "baseline" else ss["alpha"]
            gamma = (
                "-"
                if arm == "baseline"
                else "auto " + ms(gam, ".3f")
                if str(ss["gamma"]).startswith("auto")
                else ss["gamma"]
            )
            out.append(
                f"| {m} | {arm} | {alpha} | {gamma} | "
                f"{'-' if arm == 'baseline' else ss['gate']} | {ms(top, '.2f')} | "
                f"{ms(diff, '+.2f') if arm != 'baseline' else '-'} | "
                f"{ms([epochs(p)[-1]['ss_rate_mean'] for p in rs], '.3f')} | "
                f"{ms([epochs(p)[-1]['train_ss_rate_mean'] for p in rs], '.3f')} | "
                f"{len(rs)} |"
            )
    return "\n".join(out)


def gate(root: Path) -> str:
    """How often the released code's gate let the penalty through (epochs >= 1)."""
    out = [
        "| data | family | arm | alpha | steps with gate z > 0 | mean z | runs |",
        "|---|---|---|---|---|---|---|",
    ]
    for data in ("cifar10", "fmnist", "medium"):
        for m in FAMILIES:
            for arm in ("a1e-2", "constrained", "a1", "a10"):
                rs = runs_of(root, data, m, arm)
                if not rs:
                    continue
                open_, z = [], []
                for p in rs:
                    lines = [
                        json.loads(x) for x in (p / "metrics.jsonl").read_text().splitlines() if x
                    ]
                    steps = [e for e in lines if e.get("kind") == "step" and e["epoch"] >= 1]
                    open_.append(np.mean([e["gate"] > 0 for e in steps]))
                    z.append(np.mean([e["gate"] for e in steps]))
                alpha = json.loads((rs[0] / "config.json").read_text())["config"]["ss"]["alpha"]
                out.append(
                    f"| {data} | {m} | {arm} | {alpha} | {100 * np.mean(open_):.0f} % | "
                    f"{np.mean(z):.3f} | {len(rs)} |"
                )
    return "\n".join(out)


def table2(root: Path, figures: Path) -> str:
    from selfsim.report.plots import plot_depth_panels

    out = [
        "| family (weights) | final test top-1 of the trained weights (%) | SS_rate untrained | "
        "SS_rate trained (ours) | direction | layers | paper (ImageNet checkpoints) |",
        "|---|---|---|---|---|---|---|",
    ]
    panels: dict[str, dict[str, tuple[list[str], list[float]]]] = {m: {} for m in FAMILIES}
    for key in FAMILIES + ["mixer_tiny_32_medium"]:
        m = key.removesuffix("_medium")
        d = root / "table2" / key
        if not (d / "table2.csv").is_file():
            continue
        rows = {r["weights"]: r for r in csv.DictReader((d / "table2.csv").open())}
        u, t = float(rows["untrained"]["mean_ss_rate"]), float(rows["trained"]["mean_ss_rate"])
        run = root / T2_RUNS[key] / m / "baseline" / "seed0"
        out.append(
            f"| {key} | {epochs(run)[-1]['top1']:.1f} | {u:.3f} | {t:.3f} | {'up' if t > u else 'down'} | "
            f"{rows['trained']['layers_ok'].split('.')[0]} | {PAPER_T2[m]} |"
        )
        files = (
            (("layers.csv", "trained (medium run)"),)
            if key != m
            else (("layers_untrained.csv", "untrained"), ("layers.csv", "trained"))
        )
        for name, label in files:
            layers = list(csv.DictReader((d / name).open()))
            panels[m][label] = ([r["layer"] for r in layers], [float(r["ss_rate"]) for r in layers])
    figures.mkdir(parents=True, exist_ok=True)
    plot_depth_panels(
        list(panels.items()),
        figures / "table2_layers.png",
        ylabel="SS_rate (512 CIFAR-10 test images)",
    )
    return "\n".join(out)


def curves(root: Path, figures: Path, main_arm: dict[str, str]) -> None:
    from selfsim.report.plots import plot_bands

    titles = dict(DATASETS, medium="CIFAR-10, medium scale (5000 images, 6 epochs, alpha 1)")
    for data, title in titles.items():
        fams = [m for m in FAMILIES if runs_of(root, data, m, "baseline")]
        if not fams:
            continue
        s2 = "S2-Con alpha 1" if data == "medium" else "S2-Con alpha 0.01"
        rows: dict[str, list] = {"top1": [], "ss_rate_mean": []}  # one panel per family each
        for m in fams:
            series: dict[str, dict[str, np.ndarray]] = {key: {} for key in rows}
            for arm, label in (
                ("baseline", "baseline (record-only)"),
                (main_arm.get(m, "constrained"), s2),
            ):
                rs = runs_of(root, data, m, arm) or runs_of(root, data, m, "constrained")
                for key in rows if rs else ():
                    series[key][label] = np.asarray(
                        [[e[key] for e in epochs(p)] for p in rs], dtype=float
                    )
            rows["top1"].append((m, series["top1"]))
            rows["ss_rate_mean"].append(("", series["ss_rate_mean"]))
        plot_bands(
            rows["top1"] + rows["ss_rate_mean"],
            figures / f"table3_curves_{data}.png",
            title=f"{title}: mean ± std over seeds",
            nrows=2,
            ylabels=("test top-1 (%)", "SS_rate (eval batch)"),
            panel_size=(3.3, 2.5),
            dpi=80,
        )


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
    print("\n## Gate\n")
    print(gate(root))
    print("\n## Medium scale (CIFAR-10, 5000 images, 6 epochs)\n")
    print(sweep(root, "medium", arms=("constrained", "a1-nogate")))
    curves(root, figures, main_arm)


if __name__ == "__main__":
    main()
