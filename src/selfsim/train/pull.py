"""How hard S2-Con pulls on a model: the penalty's gradient against the task's, per layer.

A penalty whose gradient is a thousandth of the task loss's did not move SS_rate in training
(docs/results.md: the ResNet's exploratory arms at alpha 1e-2; at alpha 1 it did). This
measures the ratio from one run folder (about a minute for a small model on a CPU), before a
grid is spent on an alpha, and whether the penalty alone moves a layer's SS_rate at all.

For each hooked layer, on the run's first training batches (its own data pipeline and
normalisation): the layer's SS_rate; the L2 norms, over all parameters, of the gradient of the
task loss (cross-entropy without label smoothing) and of the penalty
0.5 alpha (SS_rate - gamma)^2 without the gate; their ratio; and the alpha at which the
penalty's gradient would be a given fraction of the task's (:meth:`LayerPull.alpha_for`;
the ratio is linear in alpha). Then,
from the same weights, AdamW (lr 1e-3) on the penalty alone for ``steps`` steps shows whether
SS_rate can reach gamma through that layer at all.
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import DataError
from .._core.progress import Progress
from .._core.validation import check_float, check_int

__all__ = ["LayerPull", "load_run", "penalty_pull", "pull_table"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LayerPull:
    """One layer's measurements (see the module docstring)."""

    layer: str
    ss_rate: float  #: mean over the batches
    task_grad: float  #: mean L2 norm of the task loss's gradient
    penalty_grad: float  #: mean L2 norm of the penalty's gradient at ``alpha``
    alpha: float
    alone: tuple[float, ...]  #: SS_rate after 0, 1, ... ``steps`` penalty-only steps

    @property
    def ratio(self) -> float:
        return self.penalty_grad / self.task_grad if self.task_grad > 0 else math.nan

    def alpha_for(self, target: float) -> float:
        """The alpha at which penalty_grad / task_grad would be ``target`` (linear in alpha)."""
        return target * self.alpha / self.ratio if self.ratio > 0 else math.inf


def load_run(
    run: Path, initial: bool = False, nbatch: int = 8
) -> tuple[dict, Callable[[], Any], list]:
    """A training run's ``config.json``, a builder of its model and its first training batches.

    The model and the data come through the training code, with the run's seed: ``build()``
    returns a fresh model in train mode with the run's initial weights (``initial=True``) or
    its last checkpoint; the batches are the first ``nbatch`` of its training loader, augmented
    as in training. Raises :class:`selfsim.DataError` when ``run`` is not a run folder
    or has no checkpoint.
    """
    import torch

    from ..models import create_model
    from ..models.create import load_checkpoint
    from .config import config_from_dict
    from .data import build_loaders
    from .distributed import DistInfo
    from .loop import _probe_input
    from .rundir import CHECKPOINT

    cfg_file = run / "config.json"
    if not cfg_file.is_file():
        raise DataError(
            f"{run} is not a training run (no config.json); give a folder written by "
            "`selfsim train` or one run of `selfsim experiment`."
        )
    doc = json.loads(cfg_file.read_text())
    cfg = config_from_dict(doc["config"])
    ckpt = run / CHECKPOINT
    if not initial and not ckpt.is_file():
        raise DataError(
            f"{run} has no {CHECKPOINT}; pass initial=True (--initial) for its initial weights."
        )
    size, mean, std, chans = _probe_input(cfg)
    loaders = build_loaders(cfg, DistInfo(), size, mean, std, chans)
    random.seed(cfg.seed)  # the augmentation may draw from all three generators
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    batches = []
    for x, y in loaders.train:
        batches.append((x, y))
        if len(batches) == nbatch:
            break

    def build() -> Any:
        torch.manual_seed(cfg.seed)  # the run's initial weights
        m = create_model(
            cfg.model.name, model_kwargs=dict(cfg.model.kwargs), num_classes=loaders.num_classes
        )
        if not initial:
            load_checkpoint(m, ckpt)
        return m.train()

    return doc, build, batches


def _grad_norm(loss: Any, params: list) -> float:
    import torch

    grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
    return math.sqrt(sum(float((g.float() ** 2).sum()) for g in grads if g is not None))


def penalty_pull(
    run_dir: str | Path,
    *,
    alpha: float = 1e-2,
    gamma: float = 0.35,
    layers: Any = None,
    batches: int = 4,
    steps: int = 60,
    initial: bool = False,
    k: float = 1.0,
    k_unit: str = "distance",
) -> list[LayerPull]:
    """Measure the pull of S2-Con on every hooked layer of a training run (nothing is written).

    Parameters
    ----------
    run_dir : path
        A folder of ``selfsim train`` (or one run of ``selfsim experiment``): config.json for
        the model and data, checkpoint.pt for the weights.
    alpha, gamma : float
        The penalty's weight and target (no gate).
    layers : layer spec, optional
        Any spec of :func:`selfsim.models.select_layers`; default the layers the run hooked
        (its config.json), or the released training set where it does not say.
    batches : int
        Training batches the gradient norms are averaged over.
    steps : int
        Penalty-only AdamW steps per layer (0: skip that part).
    initial : bool
        The run's initial weights (seeded as the run was) instead of its checkpoint.
    k, k_unit
        The surrogate's sharpness and its unit (``ss.k``, ``ss.k_unit``; see
        :func:`selfsim.ss_rate` and docs/training.md on their direction).

    Returns
    -------
    list of LayerPull, one per layer.
    """
    import torch
    import torch.nn.functional as F

    from ..models import select_layers
    from .constraint import SelfSimilarityConstraint

    caller = "penalty_pull"
    alpha = check_float(alpha, "alpha", caller, low=0.0, closed="right")
    gamma = check_float(gamma, "gamma", caller, low=0.0, high=1.0)
    k = check_float(k, "k", caller, low=0.0, closed="right")
    batches = check_int(batches, "batches", caller, low=1)
    steps = check_int(steps, "steps", caller, low=0)
    doc, build, data = load_run(Path(run_dir), initial, batches)
    if layers is None:
        layers = list(doc.get("layers") or []) or "released"
    names = list(select_layers(build(), layers))
    progress = Progress(log, "pull", total=len(names), unit="layers")
    out = []
    for layer in names:
        model = build()
        params = [p for p in model.parameters() if p.requires_grad]
        with SelfSimilarityConstraint(
            model, [layer], alpha=alpha, gamma=gamma, gate="none", seed=0, k=k, k_unit=k_unit
        ) as con:
            con.start_epoch(0)
            ss, gt, gp = [], [], []
            for x, y in data:
                task = F.cross_entropy(model(x), y)
                pen = con.penalty()
                ss.append(con.last.ss_rate)
                gt.append(_grad_norm(task, params))
                gp.append(_grad_norm(pen, params))
            t, p = float(np.mean(gt)), float(np.mean(gp))
            # the penalty alone, from the same weights: can SS_rate reach gamma through here?
            opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.0)
            alone = []
            for s in range(steps + 1):
                x, _ = data[s % len(data)]
                opt.zero_grad()
                model(x)
                pen = con.penalty()
                alone.append(con.last.ss_rate)
                if s < steps:
                    (pen / alpha).backward()
                    opt.step()
        out.append(
            LayerPull(
                layer=layer,
                ss_rate=float(np.mean(ss)),
                task_grad=t,
                penalty_grad=p,
                alpha=alpha,
                alone=tuple(alone),
            )
        )
        progress.update(1, note=f"{layer}: ratio {out[-1].ratio:.2e}")
    progress.close()
    return out


def pull_table(rows: list[LayerPull], target: float = 0.1) -> str:
    """A plain-text table of :func:`penalty_pull`'s rows (the CLI prints it).

    >>> r = LayerPull("blocks.0", 0.1, 2.0, 0.02, 1e-2, (0.1, 0.2, 0.3, 0.35))
    >>> print(pull_table([r]))  # doctest: +NORMALIZE_WHITESPACE
    layer     SS_rate  |g task|  |g pen|  ratio  alpha for 0.1  penalty alone: SS_rate after 0, 1, 2, 3 steps
    blocks.0  0.100    2.00e+00  2.00e-02 1.00e-02 0.1          0.100 0.200 0.300 0.350
    """
    if not rows:
        return "(no layers)"
    n = len(rows[0].alone) - 1
    marks = sorted({0, n // 3, 2 * n // 3, n})
    head = [
        "layer",
        "SS_rate",
        "|g task|",
        "|g pen|",
        "ratio",
        f"alpha for {target:g}",
        "penalty alone: SS_rate after " + ", ".join(map(str, marks)) + " steps",
    ]
    body = [
        [
            r.layer,
            f"{r.ss_rate:.3f}",
            f"{r.task_grad:.2e}",
            f"{r.penalty_grad:.2e}",
            f"{r.ratio:.2e}",
            f"{r.alpha_for(target):.3g}",
            " ".join(f"{r.alone[i]:.3f}" for i in marks),
        ]
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head) - 1)]
    lines = []
    for cells in [head, *body]:
        lines.append(
            "  ".join(c.ljust(w) for c, w in zip(cells[:-1], widths, strict=True))
            + "  "
            + cells[-1]
        )
    return "\n".join(line.rstrip() for line in lines)
