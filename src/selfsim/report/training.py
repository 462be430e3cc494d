"""report.html of a training run, from the files the run already writes.

Reads ``config.json``, ``metrics.jsonl`` and ``status.json`` of a
``selfsim train`` folder (nothing else, so it works on finished, stopped,
failed and running runs alike) and writes ``report.html`` beside them:
test top-1 and loss over epochs, SS_rate per hooked layer over epochs with
the target, the constraint's gate and penalty over steps, and a table of
the epochs. Figures are embedded; no file other than report.html is added.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._core.errors import DataError
from .._core.files import atomic_write_text
from ._mpl import available
from .html import Page, esc
from .plots import finite, plot_layer_epochs, plot_lines
from .reading import HOW_TO_READ, fmt

__all__ = ["write_training_report", "training_page", "REPORT_FILE", "GATE_QUIET", "quiet_gate"]

REPORT_FILE = "report.html"
#: a constrained run whose gate was open on less than this mean z over an epoch (after the
#: first, where the released gate has no reference yet) is flagged: the penalty hardly acts
GATE_QUIET = 0.1


def quiet_gate(epochs: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The first epoch line after epoch 0 whose ``gate_open`` is below :data:`GATE_QUIET`.

    >>> quiet_gate([{"epoch": 0, "gate_open": 0.0}, {"epoch": 1, "gate_open": 0.04}])["epoch"]
    1
    >>> quiet_gate([{"epoch": 1, "gate_open": 0.5}, {"epoch": 2, "gate_open": None}]) is None
    True
    """
    for e in epochs:
        if e.get("epoch", 0) >= 1 and finite(e.get("gate_open")) < GATE_QUIET:
            return e
    return None


_S2CON = """<p><b>S2-Con</b> (Ding et al., arXiv 2507.17785, 2025) adds
z &middot; &alpha; &middot; 0.5 (SS_rate &minus; &gamma;)<sup>2</sup> to the task loss, SS_rate of
one hooked layer drawn at random each step. &gamma; is the target (by the paper's definition the
SS_rate a record-only run of the same model reaches); &alpha; the weight. <b>Record-only</b> runs
compute and log SS_rate with zero weight. <b>The gate z</b> (released code only) is 0 in the first
epoch; then it compares the current SS_rate with a reference r (the mean of epoch 0, refreshed every
5 epochs): z = 1 &minus; min(|SS &minus; r| / r, L) / L with L = 0.05, so the constraint acts only
while SS_rate stays within 5 % of the reference and switches itself off when SS_rate moves away.
A gate that sits at 0 means the constraint did nothing.</p>
<p><b>Which SS_rate.</b> "SS_rate per layer" and its mean are measured after each epoch on a fixed
evaluation batch of test images, with the model in eval mode; "training SS_rate" is the mean over
the epoch's steps of the value the constraint saw (train mode, augmented batches), the quantity
&gamma; targets.</p>"""


def _read(run_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    path = run_dir / "metrics.jsonl"
    if not path.is_file():
        raise DataError(f"{run_dir} is not a training run: {path} is missing.")
    lines = []
    for text in path.read_text().splitlines():
        if text.strip():
            try:
                lines.append(json.loads(text))
            except ValueError:  # a line cut by a crash: the others still tell the story
                continue
    docs = []
    for name in ("config.json", "status.json"):
        try:
            docs.append(json.loads((run_dir / name).read_text()))
        except (OSError, ValueError):
            docs.append({})
    return docs[0], lines, docs[1]


def _get(doc: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    cur: Any = doc
    for part in dotted.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return default
        cur = cur[part]
    return cur


def _reading(
    cfg: Mapping[str, Any],
    info: Mapping[str, Any],
    epochs: Sequence[Mapping],
    steps: Sequence[Mapping],
    status: Mapping[str, Any],
) -> str:
    if not epochs:
        return "No epoch has finished yet; the figures appear after the first one."
    top = [(finite(e.get("top1")), e["epoch"]) for e in epochs]
    best, at = max(top, key=lambda t: -math.inf if math.isnan(t[0]) else t[0])
    last = epochs[-1]
    text = [
        f"Best test top-1 <b>{fmt(best, 2)} %</b> at epoch {at}; after epoch "
        f"{last['epoch']} {fmt(last.get('top1'), 2)} %."
    ]
    first_ss, last_ss = finite(epochs[0].get("ss_rate_mean")), finite(last.get("ss_rate_mean"))
    if math.isfinite(first_ss) and math.isfinite(last_ss):
        text.append(
            f"Mean SS_rate of the hooked layers on the evaluation batch went from "
            f"{first_ss:.3f} after epoch {epochs[0]['epoch']} to <b>{last_ss:.3f}</b> "
            f"({'up' if last_ss > first_ss else 'down'} {abs(last_ss - first_ss):.3f}; "
            "lower is more self-similar)."
        )
    mode = _get(cfg, "ss.mode", "?")
    gamma = finite(info.get("gamma_resolved"))
    if mode == "constrain":
        gates = [finite(s.get("gate")) for s in steps]
        gates = [g for g in gates if math.isfinite(g)]
        target = (
            f"target &gamma; = {gamma:.3f}"
            if math.isfinite(gamma)
            else f"target {esc(_get(cfg, 'ss.gamma'))}"
        )
        gate = ""
        if gates and _get(cfg, "ss.gate") == "code":
            on = sum(g > 0 for g in gates) / len(gates)
            gate = (
                f" The gate was open (z &gt; 0) at {on:.0%} of the logged steps, mean z "
                f"{sum(gates) / len(gates):.2f}."
            )
        text.append(
            f"S2-Con was on: weight &alpha; = {esc(_get(cfg, 'ss.alpha'))}, {target}." + gate
        )
    elif mode == "record":
        text.append(
            "Record-only run: SS_rate was computed every step with zero weight; its final "
            "training mean can serve as the target &gamma; of a constrained run "
            "(<code>--ss-target auto:RUN_DIR</code>)."
        )
    else:
        text.append("The constraint was off.")
    state = status.get("state")
    if state and state != "finished":
        text.append(
            f"The run is <b>{esc(state)}</b>"
            + (f": {esc(status['reason'])}" if status.get("reason") else "")
            + "."
        )
    return " ".join(text)


def _epoch_table(page: Page, epochs: Sequence[Mapping[str, Any]]) -> None:
    cols = [
        ("top1", "top-1 %", 2),
        ("top1_ema", "top-1 EMA %", 2),
        ("train_loss", "train loss", 4),
        ("ss_rate_mean", "SS_rate (eval)", 4),
        ("train_ss_rate_mean", "SS_rate (train)", 4),
        ("gate_open", "gate open (mean z)", 2),
        ("gate_reference", "gate reference", 4),
        ("lr", "lr", 3),
        ("epoch_time_s", "time s", 1),
    ]
    cols = [c for c in cols if any(math.isfinite(finite(e.get(c[0]))) for e in epochs)]
    rows = [[str(e.get("epoch")), *(fmt(e.get(k), d) for k, _, d in cols)] for e in epochs]
    page.table(["epoch", *(h for _, h, _ in cols)], rows)
    lines = [
        f"epoch {e.get('epoch')}: "
        + ", ".join(f"{k} {fmt(v, 4)}" for k, v in (e.get("ss_rate_layers") or {}).items())
        for e in epochs
        if e.get("ss_rate_layers")
    ]
    if lines:
        page.raw(
            "<details><summary>SS_rate per layer and epoch (evaluation batch)</summary><p>"
            + "<br>".join(esc(line) for line in lines)
            + "</p></details>"
        )


def training_page(run_dir: str | Path, folder: Path | None) -> str:
    """The HTML of a training run; figures are drawn into ``folder`` (None: no figures)."""
    run_dir = Path(run_dir)
    doc, lines, status = _read(run_dir)
    cfg = doc.get("config") or {}
    epochs = [m for m in lines if m.get("kind") == "epoch"]
    steps = [m for m in lines if m.get("kind") == "step"]
    model = _get(cfg, "model.name", "?")
    data = _get(cfg, "data.name", "?")
    page = Page(f"selfsim training: {model} on {data}")
    layers = list(doc.get("layers") or [])
    span = f"{len(layers)}: {layers[0]} ... {layers[-1]}" if len(layers) > 2 else ", ".join(layers)
    gamma = finite(doc.get("gamma_resolved"))
    mode = _get(cfg, "ss.mode", "?")
    ss = f"{mode}" + (
        f", alpha {_get(cfg, 'ss.alpha')}, gamma "
        + (f"{gamma:.4f}" if math.isfinite(gamma) else str(_get(cfg, "ss.gamma")))
        + f", gate {_get(cfg, 'ss.gate')}"
        if mode == "constrain"
        else ""
    )
    kwargs = _get(cfg, "model.kwargs") or {}
    page.meta(
        [
            ("model", f"{model}" + (f" {kwargs}" if kwargs else "")),
            (
                "data",
                f"{data}, image size {doc.get('img_size', '?')}, "
                f"{doc.get('num_classes', '?')} classes",
            ),
            ("epochs", f"{len(epochs)} of {cfg.get('epochs', '?')} finished"),
            (
                "batch",
                f"{cfg.get('batch_size', '?')} per process x "
                f"{doc.get('world_size', 1)} processes, lr {fmt(doc.get('lr_resolved'))}",
            ),
            ("S2-Con", ss),
            ("hooked layers", span or "?"),
            ("seed", cfg.get("seed", "?")),
            ("state", status.get("state", "?")),
            ("selfsim", f"{doc.get('selfsim_version', '?')} ({doc.get('git_commit') or '?'})"),
        ]
    )
    state = status.get("state")
    if state in ("failed", "interrupted"):
        page.banner(f"<b>The run {esc(state)}:</b> {esc(status.get('reason') or '')}", "bad")
    if epochs and not any(math.isfinite(finite(e.get("ss_rate_mean"))) for e in epochs):
        page.banner(
            "<b>No epoch has a defined SS_rate</b> on the evaluation batch: every hooked "
            "layer was degenerate (constant or non-finite output).",
            "bad",
        )
    quiet = quiet_gate(epochs) if mode == "constrain" else None
    if quiet is not None:
        page.banner(
            f"<b>S2-Con hardly acted:</b> the gate was open on {finite(quiet['gate_open']):.0%} "
            f"of epoch {quiet['epoch']}'s steps (mean z), so the penalty was off most of the "
            "time. With the paper's gate the penalty changed neither accuracy nor SS_rate in "
            "the project's experiments; to steer SS_rate, train with <code>ss.gate=none</code> "
            "and size &alpha; with <code>selfsim pull</code>."
        )
    page.reading(_reading(cfg, doc, epochs, steps, status))
    if folder is not None and epochs:
        x = [e["epoch"] for e in epochs]
        panels = [
            (
                "test top-1 (%)",
                "top-1 %",
                {
                    "model": [e.get("top1") for e in epochs],
                    "EMA": [e.get("top1_ema") for e in epochs],
                },
            ),
            (
                "training loss (epoch mean)",
                "loss",
                {"train loss": [e.get("train_loss") for e in epochs]},
            ),
            ("learning rate", "lr", {"lr": [e.get("lr") for e in epochs]}),
        ]
        page.heading("Accuracy and loss", anchor="accuracy")
        page.figure(
            plot_lines(x, panels, folder / "accuracy.png"),
            esc(
                "Test top-1 after each epoch (and of the EMA weights when enabled), the "
                "mean training loss (task loss plus penalty) and the learning rate."
            ),
            "accuracy and loss",
        )
        names = list(dict.fromkeys(k for e in epochs for k in (e.get("ss_rate_layers") or {})))
        per_layer = {n: [(e.get("ss_rate_layers") or {}).get(n) for e in epochs] for n in names}
        target = gamma if mode == "constrain" and math.isfinite(gamma) else None
        path = plot_layer_epochs(
            x,
            per_layer,
            folder / "ss_layers.png",
            mean=[e.get("ss_rate_mean") for e in epochs],
            extra={
                "training SS_rate (mean of the steps)": [
                    e.get("train_ss_rate_mean") for e in epochs
                ]
            },
            target=target,
        )
        page.heading("SS_rate per layer over epochs", anchor="ss")
        page.figure(
            path,
            esc(
                "SS_rate of every hooked layer on the fixed evaluation batch after "
                "each epoch, coloured shallow (dark) to deep (yellow); black: their "
                "mean; dashed: the mean over the epoch's training steps."
            ),
            "SS_rate per layer",
        )
        if steps:
            sx = [s.get("step") for s in steps]
            step_panels = [
                (
                    "SS_rate of the drawn layer",
                    "SS_rate",
                    {
                        "SS_rate": [s.get("ss_rate") for s in steps],
                        "target gamma": [s.get("gamma") for s in steps],
                    },
                ),
                ("gate z", "z", {"z": [s.get("gate") for s in steps]}),
                ("penalty", "penalty", {"penalty": [s.get("penalty") for s in steps]}),
            ]
            page.heading("The constraint, step by step", anchor="gate")
            page.figure(
                plot_lines(sx, step_panels, folder / "steps.png", xlabel="step", marker=None),
                esc(
                    "Every logged step: SS_rate of the layer drawn that step and the "
                    "target, the gate z (0 = constraint off) and the penalty added to the "
                    "loss."
                ),
                "gate and penalty",
            )
    elif folder is None:
        page.raw("<p>Figures need matplotlib (<code>pip install 'selfsim[analysis]'</code>).</p>")
    if epochs:
        page.heading("Epochs", anchor="epochs")
        _epoch_table(page, epochs)
    page.heading("How to read this", anchor="howto")
    page.raw(f"<div class='howto'>{_S2CON}{HOW_TO_READ['ss']}</div>")
    page.config(doc, "config.json")
    return page.render()


def write_training_report(run_dir: str | Path, *, plots: bool = True) -> Path:
    """Write ``report.html`` into a training run folder (atomically) and return its path."""
    run_dir = Path(run_dir)
    with tempfile.TemporaryDirectory(prefix="selfsim-report-") as tmp:
        folder = Path(tmp) if plots and available() else None
        text = training_page(run_dir, folder)
    path = run_dir / REPORT_FILE
    atomic_write_text(path, text)
    return path
