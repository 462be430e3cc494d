"""Hand-made run folders for the report tests (no model is run)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def layer_record(
    name: str,
    ss: float | None,
    *,
    D: int = 16,
    status: str = "ok",
    boxcount: bool = True,
    mds: bool = False,
    seed: int = 0,
) -> dict:
    """One layer of results.json with a curve N(theta) whose ends are D and 1."""
    rec: dict = {
        "layer": name,
        "shape": [8, D],
        "num_nodes": D,
        "num_samples": 8,
        "status": status,
        "reason": "",
        "notes": "",
        "ss_rate": None,
        "ss_rate_paper": None,
        "ss_rate_true": None,
        "approx_error": None,
        "d_B": None,
        "d_B_r2": None,
        "d_B_ci_low": None,
        "d_B_ci_high": None,
        "fractal_verdict": "",
        "is_fractal": None,
        "spectrum_exponent": None,
        "corr_dim": None,
        "sw_sigma": None,
        "null_d_B_p": None,
    }
    if status != "ok":
        rec["reason"] = "the layer output is constant (all features equal)"
        return rec
    t = np.linspace(0.0, 1.0, 32)
    theta = 0.1 * (11.0**t) - 0.1 + 0.01
    counts = D ** (1 - t) ** 1.5
    rec.update(
        ss_rate=ss,
        ss_rate_paper=0.8 - (ss or 0),
        curve={
            "thresholds": theta.tolist(),
            "counts": counts.tolist(),
            "chord": (1 - t).tolist(),
            "densities": t.tolist(),
        },
    )
    if boxcount:
        rec.update(
            ss_rate_true=(ss or 0) + 0.05,
            approx_error=0.02,
            d_B=1.5,
            d_B_r2=0.97,
            d_B_ci_low=1.3,
            d_B_ci_high=1.7,
            fractal_verdict="undetermined",
            is_fractal=False,
            box_count={"thresholds": theta[::4].tolist(), "counts": np.ceil(counts[::4]).tolist()},
        )
    if mds:
        rec["mds"] = np.random.default_rng(seed).normal(size=(D, 2)).tolist()
    return rec


def write_results(
    folder: Path,
    layers: list[dict],
    *,
    model: str = "resnet_tiny_32",
    label: str = "random",
    measures=("ss", "boxcount"),
) -> Path:
    """A run folder holding only results.json, as ``selfsim analyze`` writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    ok = [r["ss_rate"] for r in layers if r.get("ss_rate") is not None]
    doc = {
        "main": label,
        "versions": {"selfsim": "test"},
        "created": "now",
        "runs": {
            label: {
                "config": {
                    "model": model,
                    "model_kwargs": {},
                    "checkpoint": None,
                    "pretrained": label == "pretrained",
                    "layers": [r["layer"] for r in layers],
                    "data": {"name": "digits", "num_images": 8},
                    "analysis": {"measures": list(measures)},
                },
                "summary": {
                    "mean_ss_rate": float(np.mean(ok)) if ok else None,
                    "mean_ss_rate_layers": len(ok),
                    "layers_total": len(layers),
                },
                "failed_layers": [],
                "layers": layers,
            }
        },
    }
    (folder / "results.json").write_text(json.dumps(doc))
    return folder


def blocks(n: int, *, offset: float = 0.0, **kw) -> list[dict]:
    """blocks.0 .. blocks.{n-1} with SS_rate rising with depth."""
    return [layer_record(f"blocks.{i}", round(0.1 + 0.02 * i + offset, 4), **kw) for i in range(n)]


def training_run(folder: Path, *, epochs: int = 3, gates=(0.0, 0.0, 1.0, 0.5)) -> Path:
    """A training run folder as ``selfsim train`` leaves it (no checkpoint)."""
    folder.mkdir(parents=True, exist_ok=True)
    layers = ["blocks.0", "blocks.1", "blocks.2"]
    cfg = {
        "config": {
            "model": {"name": "resmlp_tiny_32", "kwargs": {}},
            "data": {"name": "synthetic"},
            "epochs": epochs,
            "batch_size": 16,
            "seed": 0,
            "ss": {"mode": "constrain", "alpha": 0.01, "gamma": 0.2, "gate": "code"},
        },
        "selfsim_version": "test",
        "git_commit": None,
        "layers": layers,
        "gamma_resolved": 0.2,
        "lr_resolved": 0.001,
        "img_size": 32,
        "num_classes": 10,
        "world_size": 1,
    }
    (folder / "config.json").write_text(json.dumps(cfg))
    lines = []
    for i, g in enumerate(gates):
        lines.append(
            {
                "kind": "step",
                "epoch": i * epochs // len(gates),
                "step": i,
                "loss": 2.0 - 0.1 * i,
                "task_loss": 2.0 - 0.1 * i,
                "penalty": 0.001 * g,
                "ss_rate": 0.2 + 0.01 * i,
                "layer": layers[i % 3],
                "gate": g,
                "gamma": 0.2,
                "lr": 0.001,
            }
        )
    for e in range(epochs):
        rates = {name: 0.15 + 0.01 * e + 0.02 * k for k, name in enumerate(layers)}
        lines.append(
            {
                "kind": "epoch",
                "epoch": e,
                "step": 4 * (e + 1),
                "top1": 40.0 + 10 * e,
                "top1_ema": None,
                "best_top1": 40.0 + 10 * e,
                "ss_rate_mean": float(np.mean(list(rates.values()))),
                "ss_rate_layers": rates,
                "train_ss_rate_mean": 0.2 + 0.01 * e,
                "train_ss_rate_by_rank": [0.2],
                "train_loss": 2.0 / (e + 1),
                "gate_reference": 0.2,
                "lr": 0.001,
                "epoch_time_s": 1.0,
            }
        )
    (folder / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    (folder / "status.json").write_text(json.dumps({"state": "finished", "epoch": epochs - 1}))
    return folder
