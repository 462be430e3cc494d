"""``selfsim pull RUN_DIR``: how hard S2-Con's penalty pulls on a run's layers.

Example::

    selfsim pull runs/my_run --alpha 1e-2 --gamma 0.35          # trained weights
    selfsim pull runs/my_run --initial                          # the run's initial weights

Prints, per hooked layer, the gradient norms of the task loss and of the penalty, their ratio,
the alpha at which the penalty's gradient would be a tenth of the task's, and SS_rate over a
few penalty-only steps (can the layer reach gamma at all?). Nothing in RUN_DIR is written.
"""

from __future__ import annotations

import argparse

HELP = "measure how hard S2-Con's penalty pulls on a training run's layers (gradient ratio)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", metavar="RUN_DIR", help="a folder of `selfsim train` (or one grid run)")
    p.add_argument("--alpha", type=float, default=1e-2, help="penalty weight (default 1e-2)")
    p.add_argument("--gamma", type=float, default=0.35, help="target SS_rate (default 0.35)")
    p.add_argument("--layers", default=None, help="layer spec (default: the layers the run hooked)")
    p.add_argument("--batches", type=int, default=4, help="training batches averaged over")
    p.add_argument("--steps", type=int, default=60, help="penalty-only steps per layer (0: skip)")
    p.add_argument(
        "--target", type=float, default=0.1, help="gradient ratio that 'alpha for' aims at"
    )
    p.add_argument(
        "--initial", action="store_true", help="the run's initial weights, not its checkpoint"
    )
    p.add_argument("--k", type=float, default=1.0, help="surrogate sharpness ss.k (default 1)")
    p.add_argument(
        "--k-unit",
        default="distance",
        choices=("distance", "max"),
        help="unit of k, ss.k_unit: per pair distance (default) or per largest pair distance",
    )


def run(args: argparse.Namespace) -> int:
    from ..train.pull import penalty_pull, pull_table

    rows = penalty_pull(
        args.run,
        alpha=args.alpha,
        gamma=args.gamma,
        layers=args.layers,
        batches=args.batches,
        steps=args.steps,
        initial=args.initial,
        k=args.k,
        k_unit=args.k_unit,
    )
    print(
        f"{args.run}: alpha {args.alpha:g}, gamma {args.gamma:g}, k {args.k:g} per "
        f"{'pair distance' if args.k_unit == 'distance' else 'largest pair distance'}, no gate, "
        f"{'initial' if args.initial else 'trained'} weights"
    )
    print(pull_table(rows, args.target))
    return 0
