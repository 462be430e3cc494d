"""How hard does S2-Con pull on a model? The penalty's gradient against the task's, per layer.

    python scripts/s2con_pull.py RUN_DIR [--initial] [--alpha 1e-2] [--gamma 0.35]
        [--layers released] [--batches 4] [--steps 60]

RUN_DIR is a training run (``selfsim train`` or one run of ``selfsim experiment``): its
config.json gives the model and the data pipeline (the same normalisation and batches as the
training), its checkpoint.pt the trained weights (``--initial``: the run's initial weights,
seeded as the run was). For each hooked layer, on the run's first training batches: the
layer's SS_rate, the L2 norm over all parameters of the gradient of the task loss
(cross-entropy, no label smoothing) and of the penalty 0.5 alpha (SS_rate - gamma)^2 (no
gate), their ratio, and the alpha at which the penalty's gradient would be a tenth of the
task's. Then, from the same weights, a few steps of AdamW on the penalty alone (lr 1e-3) show
whether SS_rate can reach gamma through that layer at all. A penalty whose gradient is 1e-3
of the task's does not move SS_rate in training (docs/results.md, the ResNet's exploratory
arms); this says so before a grid is spent on it. Nothing in RUN_DIR is written.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F


def _setup(run: Path, initial: bool, nbatch: int):
    """(model builder, batches) of a run, through the training code's own model and data."""
    from selfsim.models import create_model
    from selfsim.models.create import load_checkpoint
    from selfsim.train.config import config_from_dict
    from selfsim.train.data import build_loaders
    from selfsim.train.distributed import DistInfo
    from selfsim.train.loop import _probe_input

    cfg_file = run / "config.json"
    if not cfg_file.is_file():
        raise SystemExit(
            f"{run} is not a run folder (no config.json); pass one written by selfsim train."
        )
    cfg = config_from_dict(json.loads(cfg_file.read_text())["config"])
    ckpt = run / "checkpoint.pt"
    if not initial and not ckpt.is_file():
        raise SystemExit(f"{run} has no checkpoint.pt; pass --initial for the initial weights.")
    size, mean, std, chans = _probe_input(cfg)
    loaders = build_loaders(cfg, DistInfo(), size, mean, std, chans)
    random.seed(cfg.seed)  # the augmentation draws from all three generators
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    batches = []
    for x, y in loaders.train:
        batches.append((x, y))
        if len(batches) == nbatch:
            break

    def build() -> torch.nn.Module:
        torch.manual_seed(cfg.seed)  # the run's initial weights
        m = create_model(
            cfg.model.name, model_kwargs=dict(cfg.model.kwargs), num_classes=loaders.num_classes
        )
        if not initial:
            load_checkpoint(m, ckpt)
        return m.train()

    return cfg, build, batches


def _grad_norm(loss: torch.Tensor, params: list[torch.nn.Parameter]) -> float:
    grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
    return math.sqrt(sum(float((g.float() ** 2).sum()) for g in grads if g is not None))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path, help="a run folder (config.json, checkpoint.pt)")
    ap.add_argument("--initial", action="store_true", help="the run's initial weights")
    ap.add_argument("--layers", default="released")
    ap.add_argument("--alpha", type=float, default=1e-2)
    ap.add_argument("--gamma", type=float, default=0.35)
    ap.add_argument("--batches", type=int, default=4)
    ap.add_argument("--steps", type=int, default=60, help="penalty-only steps per layer")
    args = ap.parse_args(argv)

    from selfsim.models import select_layers
    from selfsim.train.constraint import SelfSimilarityConstraint

    cfg, build, data = _setup(args.run, args.initial, args.batches)
    layers = list(select_layers(build(), args.layers))
    print(
        f"{cfg.model.name} on {cfg.data.name}, alpha {args.alpha:g}, gamma {args.gamma:g}, "
        f"{len(data)} training batches of {cfg.batch_size}; "
        f"weights: {'initial' if args.initial else 'trained'}"
    )
    head = (
        f"{'layer':<16} {'SS_rate':>8} {'|g task|':>10} {'|g pen|':>10} {'ratio':>9} "
        f"{'alpha for 0.1':>13}   penalty only: SS_rate after 0, {args.steps // 3}, "
        f"{2 * args.steps // 3}, {args.steps} steps"
    )
    print(head)
    for layer in layers:
        model = build()
        params = [p for p in model.parameters() if p.requires_grad]
        con = SelfSimilarityConstraint(
            model, [layer], alpha=args.alpha, gamma=args.gamma, gate="none", seed=0
        )
        con.start_epoch(0)
        ss, gt, gp = [], [], []
        for x, y in data:
            task = F.cross_entropy(model(x), y)
            pen = con.penalty()
            ss.append(con.last.ss_rate)
            gt.append(_grad_norm(task, params))
            gp.append(_grad_norm(pen, params))
        t, p = sum(gt) / len(gt), sum(gp) / len(gp)
        ratio = p / t if t > 0 else float("nan")
        a10 = 0.1 * args.alpha / ratio if ratio > 0 else float("inf")
        # the penalty alone, from the same weights: can SS_rate reach gamma through this layer?
        opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.0)
        traj = []
        for s in range(args.steps + 1):
            x, _ = data[s % len(data)]
            opt.zero_grad()
            model(x)
            pen = con.penalty()
            traj.append(con.last.ss_rate)
            if s < args.steps:
                (pen / args.alpha).backward()
                opt.step()
        con.close()
        marks = [traj[0], traj[args.steps // 3], traj[2 * args.steps // 3], traj[-1]]
        print(
            f"{layer:<16} {sum(ss) / len(ss):8.3f} {t:10.3e} {p:10.3e} {ratio:9.2e} {a10:13.3g}   "
            + " ".join(f"{v:.3f}" for v in marks)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
