"""Experiment grids: models x {baseline (record-only), S2-Con} x seeds.

One configuration file (YAML or JSON) describes the grid::

    out: runs/cifar10_small          # optional; --out on the command line wins
    parallel: 1                      # runs at a time (>1: separate processes)
    models: [resmlp_tiny_32, {name: vit_tiny_32, kwargs: {depth: 2}}]
    seeds: [0, 1, 2]
    base: {preset: small, data: {name: cifar10}, epochs: 10}
    baseline: {ss: {mode: record}}
    constrained: {ss: {mode: constrain, alpha: 0.01, gamma: auto, gate: code}}

``constrained`` may also be a list of named arms (an alpha sweep), each an
override of ``base`` like the single form, all linked to the same baselines::

    constrained:
      - {name: a1e-2, ss: {mode: constrain, alpha: 0.01, gamma: auto}}
      - {name: a1e-3, ss: {mode: constrain, alpha: 0.001, gamma: auto}}

``gamma: auto`` takes the target of each constrained run from the baseline
run of the same model and seed (its final-epoch mean SS_rate), as the paper
defines gamma; baselines therefore run first. Runs land in
``OUT/<model>/<arm>/seed<S>``; finished runs are skipped, stopped, interrupted
and killed ones resumed from their checkpoint, failed ones left untouched.
:func:`summarize` then writes the Table-3-style summary (``summary.md``,
``summary.csv``) and :func:`selfsim.train.experiment_plots.plot_experiment`
the curves.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import InvalidInputError, TrainingError
from .._core.files import atomic_write_text
from .config import read_config_file, resolve_config
from .rundir import CHECKPOINT, epoch_lines, run_state

__all__ = ["RunSpec", "plan_grid", "run_grid", "summarize", "ARMS"]

ARMS = ("baseline", "constrained")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSpec:
    """One run of the grid: where it goes and its configuration as nested dicts."""

    model: str
    arm: str
    seed: int
    out: Path
    config: dict[str, Any]


def _merge(dst: dict[str, Any], src: dict[str, Any]) -> dict[str, Any]:
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _merge(dst[k], v)
        else:
            dst[k] = copy.deepcopy(v)
    return dst


def _model_entry(entry: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(entry, str):
        return entry, {"name": entry}
    if isinstance(entry, dict) and "name" in entry:
        label = entry.get("label", entry["name"])
        return label, {k: v for k, v in entry.items() if k != "label"}
    raise InvalidInputError(f"A model entry must be a name or a mapping with 'name'; got {entry!r}.")


def _arms(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(arm name, override) pairs: the baseline, then one or more constrained arms."""
    arms = [("baseline", doc.get("baseline") or {})]
    con = doc.get("constrained")
    if con is None:
        con = {}
    if isinstance(con, dict):
        return arms + [("constrained", con)]
    if not isinstance(con, list) or not con:
        raise InvalidInputError("'constrained' must be a mapping or a non-empty list of arms.")
    for entry in con:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise InvalidInputError(f"A constrained arm needs a 'name'; got {entry!r}.")
        name = entry["name"]
        if name == "baseline" or not name or "/" in name or name in dict(arms):
            raise InvalidInputError(f"Bad or repeated arm name {name!r}.")
        arms.append((name, {k: v for k, v in entry.items() if k != "name"}))
    return arms


def arm_names(runs: list[RunSpec]) -> list[str]:
    """The arms of a planned grid in order (baseline first)."""
    return list(dict.fromkeys(r.arm for r in runs))


def plan_grid(spec: dict[str, Any] | str | Path, out: str | Path | None = None) -> list[RunSpec]:
    """The runs of an experiment file (baselines first), without running anything."""
    doc = read_config_file(spec) if isinstance(spec, (str, Path)) else dict(spec)
    root = Path(out or doc.get("out") or "runs/experiment")
    models = doc.get("models")
    if not models:
        raise InvalidInputError("The experiment needs a non-empty 'models' list.")
    seeds = doc.get("seeds", [0])
    runs: list[RunSpec] = []
    for arm, override in _arms(doc):
        for entry in models:
            label, model_cfg = _model_entry(entry)
            for seed in seeds:
                cfg = _merge(copy.deepcopy(doc.get("base", {})), override)
                cfg = _merge(cfg, {"model": model_cfg, "seed": int(seed)})
                cfg.setdefault("ss", {}).setdefault("mode", "record" if arm == "baseline"
                                                    else "constrain")
                if arm != "baseline" and cfg["ss"].get("gamma") == "auto":
                    base_dir = root / label / "baseline" / f"seed{seed}"
                    cfg["ss"]["gamma"] = f"auto:{base_dir}"
                resolve_config(file=cfg)  # fail early on a bad key
                runs.append(RunSpec(label, arm, int(seed), root / label / arm / f"seed{seed}",
                                    cfg))
    return runs


def _run_one(run: RunSpec, in_process: bool) -> str:
    state = run_state(run.out)
    if state == "finished":
        return "skipped"
    if state == "failed":  # keep it (and its checkpoint) for the user to look at
        log.warning("%s failed earlier and is left as it is; see its status.json, then resume it "
                    "with selfsim train --resume or delete it to run it again.", run.out)
        return "failed"
    has_checkpoint = (run.out / CHECKPOINT).is_file()
    resume = has_checkpoint and state is not None
    # a selfsim run killed before its first checkpoint holds nothing worth keeping
    overwrite = not resume and state is not None
    if in_process:
        from .loop import train

        train(resolve_config(file=run.config), run.out, resume=resume, overwrite=overwrite)
        return "resumed" if resume else "trained"
    run.out.parent.mkdir(parents=True, exist_ok=True)
    cfg_path = run.out.parent / f"{run.out.name}.config.json"
    cfg_path.write_text(json.dumps(run.config, indent=2))
    cmd = [sys.executable, "-m", "selfsim", "train", "--config", str(cfg_path), "--out",
           str(run.out)]
    cmd += ["--resume"] if resume else (["--overwrite"] if overwrite else [])
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")  # one core per run: parallel runs do not fight
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise TrainingError(f"Run {run.out} failed:\n{proc.stderr[-2000:]}")
    return "resumed" if resume else "trained"


def run_grid(runs: list[RunSpec], *, parallel: int = 1) -> dict[str, str]:
    """Run the grid (baselines before constrained runs); return out dir -> what happened."""
    done: dict[str, str] = {}
    # baselines first (auto gamma reads them); all constrained arms together afterwards
    stages = [[r for r in runs if r.arm == "baseline"], [r for r in runs if r.arm != "baseline"]]
    for batch in stages:
        if parallel <= 1:
            for r in batch:
                done[str(r.out)] = _run_one(r, in_process=True)
        else:
            with ThreadPoolExecutor(max_workers=parallel) as pool:
                for r, res in zip(batch, pool.map(lambda r: _run_one(r, False), batch)):
                    done[str(r.out)] = res
    return done


def _mean_std(values: list[float]) -> tuple[float, float]:
    a = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if a.size == 0:
        return float("nan"), float("nan")
    return float(a.mean()), float(a.std(ddof=1)) if a.size > 1 else 0.0


def summarize(runs: list[RunSpec], out: str | Path) -> list[dict[str, Any]]:
    """Table-3-style summary: mean +- std over seeds of best top-1 and final SS_rate.

    Writes ``summary.csv`` (one row per model and arm) and ``summary.md``
    (one row per model, baseline against S2-Con) under ``out``.
    """
    out = Path(out)
    rows: list[dict[str, Any]] = []
    for model in dict.fromkeys(r.model for r in runs):
        for arm in arm_names(runs):
            best, final, ss = [], [], []
            for r in runs:
                if r.model != model or r.arm != arm or run_state(r.out) != "finished":
                    continue
                last = epoch_lines(r.out)[-1]
                best.append(last["best_top1"])
                final.append(last["top1"])
                ss.append(last["ss_rate_mean"])
            if not best:
                continue
            (bm, bs), (fm, fs), (sm, sd) = _mean_std(best), _mean_std(final), _mean_std(ss)
            rows.append({"model": model, "arm": arm, "n": len(best), "best_top1_mean": bm,
                         "best_top1_std": bs, "final_top1_mean": fm, "final_top1_std": fs,
                         "ss_rate_mean": sm, "ss_rate_std": sd})
    out.mkdir(parents=True, exist_ok=True)
    keys = ["model", "arm", "n", "best_top1_mean", "best_top1_std", "final_top1_mean",
            "final_top1_std", "ss_rate_mean", "ss_rate_std"]
    lines = [",".join(keys)] + [",".join(str(row[k]) for k in keys) for row in rows]
    atomic_write_text(out / "summary.csv", "\n".join(lines) + "\n")
    atomic_write_text(out / "summary.md", _markdown(rows, arm_names(runs)))
    return rows


def arm_label(arm: str) -> str:
    """Display name of an arm: 'baseline', 'S2-Con' or 'S2-Con (NAME)'."""
    return {"baseline": "baseline", "constrained": "S2-Con"}.get(arm, f"S2-Con ({arm})")


def _markdown(rows: list[dict[str, Any]], arms: list[str] | tuple[str, ...] = ARMS) -> str:
    cols = [f"{arm_label(a)} top-1 (%)" for a in arms] + [f"{arm_label(a)} SS_rate" for a in arms]
    head = ("| model | " + " | ".join(cols) + " | runs |\n|" + "---|" * (len(cols) + 2) + "\n")
    body = []
    for model in dict.fromkeys(r["model"] for r in rows):
        by_arm = {r["arm"]: r for r in rows if r["model"] == model}

        def cell(arm: str, key: str, fmt: str) -> str:
            r = by_arm.get(arm)
            if r is None:
                return "-"
            return f"{r[key + '_mean']:{fmt}} ± {r[key + '_std']:{fmt}}"

        n = "/".join(str(by_arm[a]["n"]) if a in by_arm else "0" for a in arms)
        cells = [cell(a, "best_top1", ".2f") for a in arms] + [cell(a, "ss_rate", ".3f")
                                                                for a in arms]
        body.append(f"| {model} | " + " | ".join(cells) + f" | {n} |")
    note = ("\nBest test top-1 and final-epoch mean SS_rate over the hooked layers (fixed "
            "evaluation batch); mean ± std over seeds.\n")
    return head + "\n".join(body) + "\n" + note
