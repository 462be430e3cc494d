"""Experiment grids: models x {baseline (record-only), S2-Con} x seeds.

One configuration file (YAML or JSON) describes the grid::

    out: runs/cifar10_small          # optional; --out on the command line wins
    parallel: 1                      # runs at a time (>1: one process per run)
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

``constrained: []`` trains the baselines alone; without the key the grid has one
constrained arm with the defaults.

Each run's settings are ``base``, then its arm, then its model and seed,
combined by :func:`~selfsim._core.config.deep_merge` (mappings merge key by
key, any other value replaces). ``gamma: auto`` takes the target of each
constrained run from the baseline run of the same model and seed (its
final-epoch mean SS_rate), as the paper defines gamma; baselines therefore run first. Runs land in
``OUT/<model>/<arm>/seed<S>``; finished runs are skipped, stopped, interrupted
and killed ones resumed from their checkpoint, failed ones left untouched.
:func:`summarize` then writes the Table-3-style summary (``summary.md``,
``summary.csv``) and :func:`selfsim.train.experiment_plots.plot_experiment`
the curves.
"""

from __future__ import annotations

import json
import logging
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._core.config import deep_merge
from .._core.errors import InvalidInputError, TrainingError
from .._core.files import atomic_write_text
from .config import gamma_baseline, read_config_file, resolve_config
from .rundir import CHECKPOINT, read_metrics, run_state

__all__ = [
    "RunSpec",
    "plan_grid",
    "select_runs",
    "use_baseline_records",
    "run_grid",
    "summarize",
    "summary_rows",
    "summary_from_records",
    "summary_markdown",
    "run_records",
    "records_csv",
    "read_run_records",
    "paired_rows",
    "grid_runs",
    "write_grid_report",
    "ARMS",
]

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


def _model_entry(entry: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(entry, str):
        return entry, {"name": entry}
    if isinstance(entry, dict) and "name" in entry:
        label = entry["label"] if "label" in entry else entry["name"]
        return label, {k: v for k, v in entry.items() if k != "label"}
    raise InvalidInputError(
        f"A model entry must be a name or a mapping with 'name'; got {entry!r}."
    )


def _arms(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(arm name, override) pairs: the baseline, then the constrained arms (none for ``[]``)."""
    arms = [("baseline", doc.get("baseline") or {})]
    if "constrained" not in doc:  # the default S2-Con arm
        return arms + [("constrained", {})]
    con = doc["constrained"]
    if con is None:
        raise InvalidInputError(
            "'constrained' is empty (null): leave it out for the default S2-Con arm, or write "
            "'constrained: []' to train the baselines only."
        )
    if isinstance(con, dict):
        return arms + [("constrained", con)]
    if not isinstance(con, list):
        raise InvalidInputError("'constrained' must be a mapping or a list of arms.")
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
                cfg = deep_merge(
                    doc.get("base") or {}, override, {"model": model_cfg, "seed": int(seed)}
                )
                cfg.setdefault("ss", {}).setdefault(
                    "mode", "record" if arm == "baseline" else "constrain"
                )
                if arm != "baseline" and cfg["ss"].get("gamma") == "auto":
                    base_dir = root / label / "baseline" / f"seed{seed}"
                    cfg["ss"]["gamma"] = f"auto:{base_dir}"
                resolve_config(file=cfg)  # fail early on a bad key
                runs.append(RunSpec(label, arm, int(seed), root / label / arm / f"seed{seed}", cfg))
    return runs


def _needs(run: RunSpec) -> str | None:
    """The baseline folder a run takes its gamma from (``gamma: auto``), else None."""
    return gamma_baseline(run.config.get("ss", {}).get("gamma"))


def select_runs(
    runs: list[RunSpec], *, arms: Sequence[str] | None = None, seeds: Sequence[int] | None = None
) -> list[RunSpec]:
    """The runs of the given arms and seeds (None: all of them), checked before any training.

    For a baseline check (``arms=["baseline"], seeds=[0]``) or a first pass over part of a
    grid; the rest of the grid is left as it is. A constrained run whose ``gamma: auto`` reads a
    baseline that is neither selected nor finished is refused here, not after the others
    have trained.
    """
    names = arm_names(runs)
    if arms is not None and (bad := [a for a in arms if a not in names]):
        raise InvalidInputError(
            f"Unknown arm(s) {', '.join(map(repr, bad))}; this grid has {', '.join(names)}."
        )
    grid_seeds = sorted({r.seed for r in runs})
    if seeds is not None and (missing := [s for s in seeds if s not in grid_seeds]):
        raise InvalidInputError(
            f"Seed(s) {missing} are not in this grid; its seeds are {grid_seeds}."
        )
    chosen = [
        r for r in runs if (arms is None or r.arm in arms) and (seeds is None or r.seed in seeds)
    ]
    picked = {str(r.out) for r in chosen if r.arm == "baseline"}
    for r in chosen:
        base = _needs(r)
        if base is not None and base not in picked and run_state(Path(base)) != "finished":
            raise InvalidInputError(
                f"{r.model}/{r.arm}/seed{r.seed} takes its gamma from the baseline in {base}, "
                "which has not finished: select the baseline too (add 'baseline' to the arms)."
            )
    return chosen


def use_baseline_records(runs: list[RunSpec], records: list[dict[str, Any]]) -> list[RunSpec]:
    """The runs to train when some baselines are known only by their records.

    ``records``: run records of this grid (:func:`read_run_records`, e.g. a committed
    ``runs.csv``). A constrained run whose ``gamma: auto`` baseline folder has not finished,
    and whose baseline has a record, gets that record's ``train_ss_rate`` as its gamma: the
    number ``gamma: auto`` reads from the folder (:func:`~selfsim.train.rundir.auto_gamma`),
    to the last bit. That baseline is then not trained again. Everything else is unchanged.

    A run trained this way equals the one trained after its baseline's folder (tested). The
    record is what the baseline gives again only where it was trained (CPU trainings are
    bit-identical on one machine and installation, not necessarily elsewhere); otherwise the
    pair shares seed, data order and gamma, not numerics. ``scripts/collect_s2con.py``
    reports whether a baseline trained again reproduces its record.
    """
    import copy

    known = {
        (rec["model"], rec["seed"]): float(rec["train_ss_rate"])
        for rec in records
        if rec["arm"] == "baseline" and rec.get("train_ss_rate") is not None
    }
    replaced: set[str] = set()
    out: list[RunSpec] = []
    for r in runs:
        base = _needs(r)
        gamma = known.get((r.model, r.seed))
        if base is None or gamma is None or run_state(Path(base)) == "finished":
            out.append(r)
            continue
        cfg = copy.deepcopy(r.config)
        cfg["ss"]["gamma"] = gamma
        out.append(RunSpec(r.model, r.arm, r.seed, r.out, cfg))
        replaced.add(base)
    return [r for r in out if not (r.arm == "baseline" and str(r.out) in replaced)]


def _settled(run: RunSpec) -> str | None:
    """What a run needs: "skipped" (finished), "failed" (failed earlier) or None (training)."""
    state = run_state(run.out)
    if state == "finished":
        return "skipped"
    if state == "failed":  # keep it (and its checkpoint) for the user to look at
        log.warning(
            "%s failed earlier and is left as it is; see its status.json, then resume it "
            "with selfsim train --resume or delete it to run it again.",
            run.out,
        )
        return "failed"
    return None


def _run_one(run: RunSpec) -> str:
    """Train one run of the grid in this process, unless it is finished or failed earlier."""
    from .loop import train

    settled = _settled(run)
    if settled is not None:
        return settled
    state = run_state(run.out)
    log.info("start %s/%s/seed%d", run.model, run.arm, run.seed)
    has_checkpoint = (run.out / CHECKPOINT).is_file()
    resume = has_checkpoint and state is not None
    # a selfsim run killed before its first checkpoint holds nothing worth keeping; whether it
    # may be replaced is decided, as for every run folder, by _core.files.plan_output
    overwrite = not resume and state is not None
    train(resolve_config(file=run.config), run.out, resume=resume, overwrite=overwrite)
    return "resumed" if resume else "trained"


def _run_in_worker(run: RunSpec) -> str:
    """:func:`_run_one` in a spawned worker process (``parallel`` > 1)."""
    import torch

    threads = os.environ.get("OMP_NUM_THREADS", "1")
    torch.set_num_threads(int(threads) if threads.isdigit() and int(threads) > 0 else 1)
    return _run_one(run)


def _worker_init(level: int, tag: str) -> None:
    """Set up a spawned worker: one core per run, and the parent's progress logging.

    A spawned process starts with logging unconfigured, so a run's per-epoch lines would
    be lost. When the parent logs selfsim's progress (``level`` > 0: the command line, or
    any handler the user set up), the worker writes its lines to stderr too, each tagged
    with its run, so that runs side by side can be told apart.
    """
    # one core per run unless the user chose otherwise: parallel runs do not fight for cores
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if level > 0:
        handler = logging.StreamHandler()  # stderr, shared with the parent
        handler.setFormatter(logging.Formatter(f"%(asctime)s [{tag}] %(message)s", "%H:%M:%S"))
        logger = logging.getLogger("selfsim")
        logger.addHandler(handler)
        logger.setLevel(level)


def _parent_log_level() -> int:
    """The level at which this process shows selfsim's records, or 0 when it shows none."""
    logger: logging.Logger | None = log
    while logger is not None:  # the handlers a record of ours would reach
        if logger.handlers:
            return log.getEffectiveLevel()
        logger = logger.parent if logger.propagate else None
    return 0


def _failed(run: RunSpec, why: str) -> str:
    log.error("run %s failed: %s", run.out, (why.strip().splitlines() or [""])[-1])
    return "failed"


def _attempt(run: RunSpec) -> str:
    """:func:`_run_one` here; a :class:`~selfsim.TrainingError` (a divergence) is a result."""
    try:
        return _run_one(run)
    except TrainingError as exc:
        return _failed(run, str(exc))


def _attempt_isolated(run: RunSpec) -> str:
    """:func:`_run_one` in a process of its own; a TrainingError or a dead worker is a result.

    Why a process: torch's thread pool and memory allocator are per process, so
    runs side by side in one process would share (and fight over) one pool of
    threads and one allocator's cache, and a run killed by the system (out of
    memory) would take the whole grid with it. Each run gets its own executor,
    so a worker that dies fails only its own run.
    """
    settled = _settled(run)  # no worker for a run that has nothing to do
    if settled is not None:
        return settled
    ctx = multiprocessing.get_context("spawn")  # no fork of a process that holds torch threads
    tag = f"{run.model}/{run.arm}/seed{run.seed}"
    with ProcessPoolExecutor(
        max_workers=1,
        mp_context=ctx,
        initializer=_worker_init,
        initargs=(_parent_log_level(), tag),
    ) as pool:
        try:
            return pool.submit(_run_in_worker, run).result()
        except TrainingError as exc:
            return _failed(run, str(exc))
        except BrokenProcessPool:
            return _failed(run, "its worker process died (killed, or out of memory)")


def time_left(took: Sequence[float], left: int, parallel: int = 1) -> str:
    """``"; about N min left"`` from the mean wall time of the runs trained so far, or "".

    Each of the ``left`` runs is assumed to take the mean of ``took``, ``parallel`` at a time
    (runs differ, baselines from constrained ones: an estimate, said as one).

    >>> time_left([600.0, 780.0], 3, parallel=2)
    '; about 17 min left'
    >>> time_left([], 3), time_left([600.0], 0)
    ('', '')
    """
    if not took or left <= 0:
        return ""
    minutes = sum(took) / len(took) * left / max(1, parallel) / 60
    return (
        f"; about {minutes:.0f} min left" if minutes < 120 else f"; about {minutes / 60:.1f} h left"
    )


def run_grid(runs: list[RunSpec], *, parallel: int = 1) -> dict[str, str]:
    """Run the grid (baselines before constrained runs); return out dir -> what happened.

    With ``parallel`` 1 every run trains in this process, one after the other;
    with more, ``parallel`` runs at a time, each in a worker process of its own
    (see :func:`_attempt_isolated` for why). Runs start in the grid's order,
    baselines first; a constrained run waits only for the baseline of its own
    model and seed when ``gamma: auto`` reads it (else for none), not for every baseline, so no
    worker idles while the last baselines train. A run that fails with a
    :class:`~selfsim.TrainingError` (or whose worker dies) is recorded as
    "failed" and the grid goes on; any other error (a bad setting, missing
    data) stops the grid, since it would stop every run.
    """
    done: dict[str, str] = {}
    # baselines first (auto gamma reads them)
    baselines = [r for r in runs if r.arm == "baseline"]
    others = [r for r in runs if r.arm != "baseline"]
    total, t0 = len(runs), time.perf_counter()
    took: list[float] = []  # wall seconds of each run trained (or resumed) in this call

    def report(r: RunSpec, what: str, seconds: float) -> None:
        done[str(r.out)] = what
        if what in ("trained", "resumed"):
            took.append(seconds)
        log.info(
            "%s %s (%d/%d runs, %.0f s%s)",
            what,
            r.out,
            len(done),
            total,
            time.perf_counter() - t0,
            time_left(took, total - len(done), parallel),
        )

    def timed(attempt: Callable[[RunSpec], str], r: RunSpec) -> tuple[str, float]:
        start = time.perf_counter()
        return attempt(r), time.perf_counter() - start

    if parallel <= 1:
        for r in baselines + others:
            report(r, *timed(_attempt, r))
        return done
    threads = ThreadPoolExecutor(max_workers=parallel)  # each waits on one worker process
    try:
        # submitted in order, so a baseline that a constrained run waits for has already
        # been taken by a thread: the wait cannot deadlock
        futures = {threads.submit(timed, _attempt_isolated, r): r for r in baselines}
        first = {str(r.out): f for f, r in futures.items()}

        def after_baseline(r: RunSpec) -> tuple[str, float]:
            own = first.get(_needs(r) or "")
            if own is not None:
                wait([own])
            return timed(_attempt_isolated, r)

        futures.update({threads.submit(after_baseline, r): r for r in others})
        for f in as_completed(futures):
            report(futures[f], *f.result())
    finally:
        threads.shutdown(wait=True, cancel_futures=True)
    return {str(r.out): done[str(r.out)] for r in baselines + others}


def _mean_std(values: Sequence[float | None]) -> tuple[float, float]:
    a = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if a.size == 0:
        return float("nan"), float("nan")
    return float(a.mean()), float(a.std(ddof=1)) if a.size > 1 else 0.0


RUN_KEYS = [
    "model",
    "arm",
    "seed",
    "epochs",
    "final_top1",
    "best_top1",
    "ss_rate",
    "train_ss_rate",
    "gamma",
    "gate_mean",
    "penalty_mean",
    "time_s",
    "installation",
]


def run_records(runs: list[RunSpec]) -> list[dict[str, Any]]:
    """One record per finished run: final and best top-1, SS_rate, gate, penalty, time.

    ``ss_rate`` is the final epoch's mean over the hooked layers on the fixed
    evaluation batch; ``train_ss_rate`` the mean over the last epoch's training
    steps; ``gate_mean`` and ``penalty_mean`` average the logged step lines
    after the first epoch (the gate is closed during epoch 0 by design).
    """
    records = []
    for r in runs:
        if run_state(r.out) != "finished":
            continue
        lines = read_metrics(r.out)
        epochs = [m for m in lines if m.get("kind") == "epoch"]
        steps = [m for m in lines if m.get("kind") == "step" and m.get("epoch", 0) >= 1]
        cfg_path = r.out / "config.json"
        doc = json.loads(cfg_path.read_text()) if cfg_path.is_file() else {}
        gamma = doc.get("gamma_resolved")
        # every installation that trained part of the run ("a+b" when resumed in another)
        where = "+".join(doc.get("installations") or []) or None  # None: before the ids
        last = epochs[-1]
        records.append(
            {
                "model": r.model,
                "arm": r.arm,
                "seed": r.seed,
                "epochs": len(epochs),
                "final_top1": last["top1"],
                "best_top1": last["best_top1"],
                "ss_rate": last["ss_rate_mean"],
                "train_ss_rate": last.get("train_ss_rate_mean"),
                "gamma": gamma if r.arm != "baseline" else None,
                "gate_mean": _mean_std([m.get("gate") for m in steps])[0],
                "penalty_mean": _mean_std([m.get("penalty") for m in steps])[0],
                "time_s": float(sum(e.get("epoch_time_s", 0.0) for e in epochs)),
                "installation": where,
            }
        )
    return records


def paired_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each non-baseline arm against the baseline of the same model, paired by seed."""
    from .paired import paired_difference

    rows = []
    for model in dict.fromkeys(rec["model"] for rec in records):
        base = {
            rec["seed"]: rec
            for rec in records
            if rec["model"] == model and rec["arm"] == "baseline"
        }
        for arm in dict.fromkeys(rec["arm"] for rec in records if rec["model"] == model):
            if arm == "baseline":
                continue
            pairs = [
                (base[rec["seed"]], rec)
                for rec in records
                if rec["model"] == model and rec["arm"] == arm and rec["seed"] in base
            ]
            if not pairs:
                continue
            row: dict[str, Any] = {"model": model, "arm": arm, "n": len(pairs)}
            for key in ("final_top1", "best_top1", "ss_rate", "train_ss_rate"):
                res = paired_difference(
                    [float(b[key]) for b, _ in pairs], [float(t[key]) for _, t in pairs]
                )
                row[key] = res
            row["gate_mean"] = _mean_std([t["gate_mean"] for _, t in pairs])[0]
            row["across"] = sum(_across(b, t) for b, t in pairs)
            # median: one pair run while the machine was busier should not decide it; pairs
            # trained in different installations (other processors) say nothing about the cost
            ratios = [
                t["time_s"] / b["time_s"] for b, t in pairs if b["time_s"] > 0 and not _across(b, t)
            ]
            row["time_ratio"] = float(np.median(ratios)) if ratios else float("nan")
            rows.append(row)
    return rows


def _across(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two run records were trained in different installations (both ids known;
    a run resumed elsewhere has two and pairs with neither)."""
    ia, ib = a.get("installation"), b.get("installation")
    if not ia or not ib or "unknown" in f"{ia}+{ib}".split("+"):
        return False  # records older than the id, or part of a run trained before it
    return ia != ib or "+" in ia


def cell(value: float, spec: str) -> str:
    """A number for a markdown table, formatted by ``spec``; "-" where it is undefined (NaN).

    >>> cell(0.0412, ".2g"), cell(float("nan"), ".2f")
    ('0.041', '-')
    """
    return "-" if math.isnan(value) else format(value, spec)


def _paired_markdown(rows: list[dict[str, Any]]) -> str:
    head = (
        "| model | arm | n | Δ final top-1 (pp) [95 % CI] | t p | wins/losses | sign p | MDE (pp) "
        "| Δ SS_rate (eval) [95 % CI] | Δ SS_rate (train) | gate open | time × |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )

    body = []
    for r in rows:
        t = r["final_top1"]
        body.append(
            f"| {r['model']} | {arm_label(r['arm'])} | {r['n']} | {t.interval(2)} | "
            f"{cell(t.t_p, '.2g')} | {t.wins}/{t.losses} | {t.sign_p:.2g} | {cell(t.mde, '.2f')} | "
            f"{r['ss_rate'].interval(3)} | "
            f"{r['train_ss_rate'].mean:+.3f} | {r['gate_mean']:.2f} | {cell(r['time_ratio'], '.2f')} |"
        )
    note = (
        "\nΔ = arm minus baseline, paired by seed (same initial weights and data order). "
        "CI: two-sided 95 % t interval of the mean difference; t p: two-sided paired t-test "
        "(below 0.05 exactly when the CI excludes 0); sign p: exact two-sided "
        "binomial test of wins against losses; MDE: smallest true mean difference a paired "
        "t-test at the 5 % level would detect with 80 % power given the observed spread. "
        "Δ SS_rate: final-epoch mean over the hooked layers (eval: fixed test batch; train: "
        "mean over the last epoch's steps). Gate open: mean z over logged steps after "
        "epoch 0 (1 = penalty fully on). Time ×: median over seeds of the training time "
        "relative to the baseline, over the pairs trained in one installation ('-' when there is "
        "none; wall clock of a shared machine: indicative only).\n"
    )
    if across := [r for r in rows if r["across"]]:
        note += (
            "\n**Pairs across installations:** "
            + "; ".join(
                f"{r['model']} {arm_label(r['arm'])}: {r['across']} of {r['n']}" for r in across
            )
            + ". Such a pair shares seed, data order and gamma, not numerics: trainings are "
            "bit-identical within one installation only (the `installation` column of the "
            "run records).\n"
        )
    return head + "\n".join(body) + "\n" + note


def summary_rows(runs: list[RunSpec]) -> list[dict[str, Any]]:
    """One row per model and arm with finished runs: mean and std over seeds of the best and
    final top-1 and of the final SS_rate (the rows of ``summary.csv``)."""
    return summary_from_records(run_records(runs))


def summary_from_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`summary_rows` from run records (:func:`run_records`, :func:`read_run_records`):
    models and arms in the order they first occur, baselines first within a model."""
    rows: list[dict[str, Any]] = []
    for model in dict.fromkeys(rec["model"] for rec in records):
        mine = [rec for rec in records if rec["model"] == model]
        for arm in dict.fromkeys(
            r["arm"] for r in sorted(mine, key=lambda r: r["arm"] != "baseline")
        ):
            sel = [rec for rec in mine if rec["arm"] == arm]
            (bm, bs), (fm, fs), (sm, sd) = (
                _mean_std([rec[key] for rec in sel])
                for key in ("best_top1", "final_top1", "ss_rate")
            )
            rows.append(
                {
                    "model": model,
                    "arm": arm,
                    "n": len(sel),
                    "best_top1_mean": bm,
                    "best_top1_std": bs,
                    "final_top1_mean": fm,
                    "final_top1_std": fs,
                    "ss_rate_mean": sm,
                    "ss_rate_std": sd,
                }
            )
    return rows


SUMMARY_KEYS = [
    "model",
    "arm",
    "n",
    "best_top1_mean",
    "best_top1_std",
    "final_top1_mean",
    "final_top1_std",
    "ss_rate_mean",
    "ss_rate_std",
]


def summarize(runs: list[RunSpec], out: str | Path) -> list[dict[str, Any]]:
    """Table-3-style summary: mean +- std over seeds of best top-1 and final SS_rate.

    Writes ``summary.csv`` (one row per model and arm, :func:`summary_rows`), ``summary.md``
    (one row per model and arm, then the paired comparison of every arm with the baseline)
    and ``runs.csv`` (one row per finished run) under ``out``.
    """
    out = Path(out)
    records = run_records(runs)  # each run's metrics read once
    rows = summary_from_records(records)
    out.mkdir(parents=True, exist_ok=True)
    lines = [",".join(SUMMARY_KEYS)] + [",".join(str(row[k]) for k in SUMMARY_KEYS) for row in rows]
    atomic_write_text(out / "summary.csv", "\n".join(lines) + "\n")
    atomic_write_text(out / "runs.csv", records_csv(records))
    atomic_write_text(out / "summary.md", summary_markdown(records))
    return rows


def summary_markdown(records: list[dict[str, Any]]) -> str:
    """The text of ``summary.md`` from run records: the runs per model and arm (mean ± std over
    seeds), then every arm against the baseline, paired by seed."""
    text = _markdown(summary_from_records(records))
    paired = paired_rows(records)
    if paired:
        text += "\n" + _paired_markdown(paired)
    return text


def records_csv(records: list[dict[str, Any]]) -> str:
    """The text of ``runs.csv``: one line per run record, the columns of ``RUN_KEYS``."""
    lines = [",".join(RUN_KEYS)] + [
        ",".join("" if rec.get(k) is None else str(rec[k]) for k in RUN_KEYS) for rec in records
    ]
    return "\n".join(lines) + "\n"


def read_run_records(path: str | Path) -> list[dict[str, Any]]:
    """The records of a ``runs.csv`` (:func:`records_csv`), typed as :func:`run_records` gives
    them (empty cells: None).

    The per-run results outlive the run folders: ``scripts/collect_s2con.py`` keeps the
    committed records of runs whose folders it no longer finds.

    >>> import tempfile
    >>> rec = dict(model="fc", arm="paper", seed=3, epochs=15, final_top1=90.1, best_top1=90.3,
    ...            ss_rate=0.17, train_ss_rate=0.16, gamma=0.165, gate_mean=0.07,
    ...            penalty_mean=1e-07, time_s=250.0, installation="7b2b98355718")
    >>> path = Path(tempfile.mkdtemp()) / "runs.csv"
    >>> both = [rec, dict(rec, arm="baseline", gamma=None)]
    >>> _ = path.write_text(records_csv(both))
    >>> read_run_records(path) == both
    True
    """
    import csv

    from .._core.errors import DataError

    path = Path(path)
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames not in (RUN_KEYS, RUN_KEYS[:-1]):  # older files: no installation
            raise DataError(
                f"{path} does not hold run records: its columns are {reader.fieldnames}, "
                f"expected {RUN_KEYS}, or the same without 'installation' (a runs.csv "
                "written by `selfsim experiment`)."
            )
        rows = list(reader)

    def typed(key: str, text: str) -> Any:
        if key in ("model", "arm"):
            return text
        if text == "":
            return None
        if key == "installation":
            return text
        return int(text) if key in ("seed", "epochs") else float(text)

    return [{k: typed(k, row.get(k, "")) for k in RUN_KEYS} for row in rows]


def grid_runs(out: str | Path) -> list[RunSpec]:
    """The runs of an existing grid folder, read from its ``<model>/<arm>/seed<S>`` folders.

    For a grid whose experiment file is not at hand (``selfsim report``): every training run
    at that depth, models and arms in the order of ``summary.csv`` when there is one
    (baseline first otherwise), seeds in numeric order. ``config`` is the run's resolved
    configuration from its ``config.json``.
    """
    from .._core.files import run_kind

    out = Path(out)
    found = []
    for path in out.glob("*/*/seed*"):
        seed = path.name.removeprefix("seed")
        if seed.isdigit() and run_kind(path) == "train":
            cfg = json.loads((path / "config.json").read_text())["config"]
            found.append(RunSpec(path.parent.parent.name, path.parent.name, int(seed), path, cfg))
    order: dict[tuple[str, str], int] = {}
    summary = out / "summary.csv"
    if summary.is_file():
        for line in summary.read_text().splitlines()[1:]:
            model, arm = (line.split(",") + [""])[:2]
            order.setdefault((model, arm), len(order))
    models = {m: i for i, (m, _) in enumerate(sorted(order, key=order.__getitem__))}

    def key(r: RunSpec) -> tuple:
        known = order.get((r.model, r.arm))
        return (
            models.get(r.model, len(models)),
            r.model,
            known if known is not None else len(order),
            r.arm != "baseline",
            r.arm,
            r.seed,
        )

    return sorted(found, key=key)


def write_grid_report(
    out: str | Path, runs: list[RunSpec] | None = None, *, plots: bool = True
) -> tuple[Path, list[Path]]:
    """Write ``report.html`` of a grid (and its curves, ``plots/<model>.png``).

    The page holds the tables of ``summary.md`` (computed again from the runs, the files
    are not rewritten), the curves and a table of the finished runs linking to their own
    reports, and a forest plot of the paired differences (``plots/paired.png``). ``runs``
    default to :func:`grid_runs`. Returns the page and the curves written.
    """
    from .._core.errors import DataError
    from ..report._mpl import available
    from ..report.experiment import experiment_page

    out = Path(out)
    runs = grid_runs(out) if runs is None else runs
    if not runs:
        raise DataError(f"{out} holds no run of an experiment grid (<model>/<arm>/seed<S>).")
    figures: list[Path] = []
    records = run_records(runs)
    paired = paired_rows(records)
    forest = None
    if plots and available():
        from .experiment_plots import plot_experiment, plot_paired

        figures = plot_experiment(runs, out)
        many = len({r["model"] for r in paired}) > 1
        forest = plot_paired(
            [
                ((f"{r['model']}: " if many else "") + f"{r['arm']} (n = {r['n']})", r)
                for r in paired
            ],
            out / "plots" / "paired.png",
        )
    where = {(r.model, r.arm, r.seed): r.out for r in runs}
    for rec in records:
        path = where[(rec["model"], rec["arm"], rec["seed"])]
        rec["path"] = path.relative_to(out).as_posix() if path.is_relative_to(out) else str(path)
    models = list(dict.fromkeys(r.model for r in runs))
    text = experiment_page(
        out.resolve().name,
        labels={arm: arm_label(arm) for arm in arm_names(runs)},
        summary=summary_rows(runs),
        paired=paired,
        runs=records,
        planned=len(runs),
        figures=list(zip(models, figures, strict=False)),
        paired_figure=forest,
    )
    path = out / "report.html"
    atomic_write_text(path, text)
    return path, figures


def arm_label(arm: str) -> str:
    """Display name of an arm: 'baseline', 'S2-Con' or 'S2-Con (NAME)'."""
    return {"baseline": "baseline", "constrained": "S2-Con"}.get(arm, f"S2-Con ({arm})")


def _markdown(rows: list[dict[str, Any]]) -> str:
    """One row per model and arm (arms in grid order): runs, top-1 and SS_rate, mean ± std."""
    head = (
        "| model | arm | runs | best top-1 (%) | final top-1 (%) | SS_rate |\n"
        "|---|---|---|---|---|---|\n"
    )
    body = []
    for r in rows:  # summarize() lists them by model, then in grid order of the arms
        body.append(
            f"| {r['model']} | {arm_label(r['arm'])} | {r['n']} | "
            f"{r['best_top1_mean']:.2f} ± {r['best_top1_std']:.2f} | "
            f"{r['final_top1_mean']:.2f} ± {r['final_top1_std']:.2f} | "
            f"{r['ss_rate_mean']:.3f} ± {r['ss_rate_std']:.3f} |"
        )
    note = (
        "\nBest (over epochs) and final-epoch test top-1; SS_rate: final-epoch mean over the "
        "hooked layers on the fixed evaluation batch; mean ± std over seeds.\n"
    )
    return head + "\n".join(body) + "\n" + note
