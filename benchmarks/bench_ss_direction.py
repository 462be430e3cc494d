"""Does a step along SS_rate's surrogate gradient move the true SS_rate? Measured per width D.

SS_rate counts pairs under thresholds, so it is piecewise constant in the features and its
trainable gradient is a surrogate (a sigmoid in place of each step; Ding et al., arXiv
2507.17785, and METHOD.md). The tests check that surrogate against a dense implementation of
the same formula; this checks what S2-Con relies on: that the surrogate points where the
true SS_rate rises.

For ``--seeds`` Gaussian feature matrices F (D x B) per width, and each relative step
``eta``: the true SS_rate after a step of length eta ||F|| along +g and along -g (g the
surrogate gradient, normalised), and, as a null, along a random direction orthogonal to F
(a change of shape, not of overall scale; SS_rate does depend on the scale, through its
thresholds spaced in log(1 + theta)). Printed: how often
+g raised and -g lowered SS_rate, an exact two-sided sign test of those against chance,
the mean change along +g and -g, and the mean absolute change along the random directions.
A useful surrogate raises along +g far more often than not and moves SS_rate more than a
random step of the same length. Two columns show when it cannot: TV - TZ, the
spread of the pair distances, and |cos| between g and the gradient of the sum of all pair
distances. Where the sigmoid is nearly straight over the whole spread (k (TV - TZ) of order
1 or less), g is about +-1 times that gradient (|cos| near 1): it can only spread every pair
apart or pull every pair together, and whether that raises SS_rate depends on the layer.
"extremes" is the share of ||g||^2 on the four channels of the closest and the farthest pair;
"frozen +g" the mean change along +g of SS_rate computed with the thresholds of the starting
point, which is what the surrogate differentiates.
``--thresholds moving`` takes g from the dense reference differentiated also through the
thresholds' dependence on TZ and TV, which the trained surrogate holds fixed.

    python benchmarks/bench_ss_direction.py                       # D = 16 .. 512, B = 64
    python benchmarks/bench_ss_direction.py --dims 16 128 --eta 0.03 0.1 --seeds 40
    python benchmarks/bench_ss_direction.py --run RUN_DIR         # a run's layers, real batches
    python benchmarks/bench_ss_direction.py --run RUN_DIR --initial   # ... at its initial weights

``--run``: instead of Gaussian matrices, the hooked layers' outputs of a training run (its
checkpoint, on its first ``--seeds`` training batches, through the training code's own data
pipeline: :mod:`selfsim.train.pull`), one row per layer.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.stats import binomtest

from selfsim import ss_rate
from selfsim.metrics._ss_formulas import hard_curve, thresholds
from selfsim.metrics.ss_dense import ss_rate_dense


def probe(
    F: torch.Tensor,
    eta: float,
    gen: torch.Generator,
    k: float = 1.0,
    k_unit: str = "distance",
    thresholds: str = "fixed",
) -> tuple[float, float, float, float, float, float, float]:
    """Change of the true SS_rate along +g, -g and one random direction (steps eta ||F||),
    then the spread TV - TZ of the pair distances, |cos(g, grad of their sum)| and the share
    of ||g||^2 on the rows of the closest and the farthest pair, and the change along +g of
    SS_rate with the thresholds frozen at those of F; ``k``: the surrogate's
    sharpness (the value does not depend on it); ``thresholds="moving"``: g also through the
    thresholds' dependence on TZ and TV (the dense reference, ``ss_rate_dense``)."""
    x = F.clone().requires_grad_(True)
    if thresholds == "fixed":
        value = ss_rate(x, k=k, k_unit=k_unit)
    else:
        value = ss_rate_dense(x, k=k, k_unit=k_unit, thresholds=thresholds)
    value.backward()
    assert x.grad is not None
    g = x.grad / x.grad.norm()
    # the distances C_ij = ||F_i - F_j|| / sqrt(B); where the sigmoid is nearly straight over
    # their whole spread, g is a multiple of the gradient of their sum
    x = F.clone().requires_grad_(True)
    dist = torch.nn.functional.pdist(x) / F.shape[1] ** 0.5
    dist.sum().backward()
    assert x.grad is not None
    spread = float(dist.detach().max() - dist.detach().min())
    cos = abs(float((g * x.grad).sum() / x.grad.norm()))
    pairs = torch.triu_indices(F.shape[0], F.shape[0], 1)
    rows = {int(pairs[r, int(i)]) for i in (dist.argmin(), dist.argmax()) for r in (0, 1)}
    share = float((g[sorted(rows)] ** 2).sum())
    s0 = float(value.detach())
    step = eta * float(F.norm())
    frozen = _frozen_value(F + step * g, F) - s0  # at F itself it is SS_rate (tested)
    r = torch.randn(F.shape, generator=gen, dtype=F.dtype)
    r = r - (r * F).sum() / (F * F).sum() * F  # orthogonal to F: a change of shape
    r = r / r.norm()
    return (
        float(ss_rate(F + step * g)) - s0,
        float(ss_rate(F - step * g)) - s0,
        float(ss_rate(F + step * r)) - s0,
        spread,
        cos,
        share,
        frozen,
    )


def _frozen_value(X: torch.Tensor, F: torch.Tensor) -> float:
    """SS_rate of X with the thresholds (and chord) of F: what the surrogate differentiates
    (ss_rate's defaults, as probe uses them: 256 thresholds, the released box-count formula)."""
    D, B = F.shape
    base = torch.nn.functional.pdist(F).double() / B**0.5
    tz, tv = float(base.min()), float(base.max())
    theta = thresholds(tz, tv, 256)
    C = np.sort((torch.nn.functional.pdist(X.detach()).double() / B**0.5).numpy())
    counts = np.searchsorted(C, theta, side="left")  # #{C_ij < theta_s}
    return hard_curve(counts, C.size, D, B, theta, tz, tv, "code").value


def _row(label: str, res: np.ndarray, n: int) -> str:
    rose, fell = int((res[:, 0] > 0).sum()), int((res[:, 1] < 0).sum())
    wrong = int((res[:, 0] < 0).sum()) + int((res[:, 1] > 0).sum())
    p = binomtest(rose + fell, rose + fell + wrong).pvalue if rose + fell + wrong else 1.0
    rnd, up = float(np.abs(res[:, 2]).mean()), float(res[:, 0].mean())
    return (
        f"{label}  {rose:>5}/{n:<2} {fell:>5}/{n:<2} {p:>8.2g}  {up:>+8.4f} "
        f"{res[:, 1].mean():>+8.4f} {rnd:>8.4f}  {up / rnd if rnd > 0 else float('nan'):>13.2f}"
        f"  {res[:, 3].mean():>7.3g} {res[:, 4].mean():>10.3f} {res[:, 5].mean():>8.3f}"
        f" {res[:, 6].mean():>+10.4f}"
    )


HEADER = (
    f"{'+g rose':>8} {'-g fell':>8} {'sign p':>8}  {'mean +g':>8} {'mean -g':>8} {'|random|':>8}"
    f"  {'+g / |random|':>13}  {'TV - TZ':>7} {'|cos sumC|':>10} {'extremes':>8} {'frozen +g':>10}"
)


def _real(args: argparse.Namespace) -> None:
    from pathlib import Path

    from selfsim.activations.hooks import hook_outputs
    from selfsim.activations.reduce import feature_matrix
    from selfsim.train.pull import load_run

    doc, build, data = load_run(Path(args.run), initial=args.initial, nbatch=args.seeds)
    model = build()
    names = list(doc.get("layers") or [])
    outs: dict[str, list[torch.Tensor]] = {n: [] for n in names}
    hook_outputs(model, names, lambda n, o: outs[n].append(o), keep_graph=False)
    with torch.no_grad():
        for x, _ in data:
            model(x)
    print(
        f"{args.run}: {len(data)} training batches, {'initial' if args.initial else 'trained'} weights"
    )
    print(f"{'layer':>12} {'D':>5} {'k':>5} {'eta':>5}  {HEADER}")
    gen = torch.Generator().manual_seed(7)
    for n in names:
        mats = [feature_matrix(h).double() for h in outs[n]]
        for k in args.k:
            for eta in args.eta:
                res = np.array([probe(F, eta, gen, k, args.k_unit, args.thresholds) for F in mats])
                label = f"{n:>12} {mats[0].shape[0]:>5} {k:>5g} {eta:>5g}"
                print(_row(label, res, len(mats)), flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[16, 32, 64, 128, 256, 512])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--eta", type=float, nargs="+", default=[0.01, 0.03, 0.1])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--run", help="a training run: probe its hooked layers on real batches")
    ap.add_argument("--initial", action="store_true", help="with --run: the run's initial weights")
    ap.add_argument(
        "--k", type=float, nargs="+", default=[1.0], help="surrogate sharpness (default 1)"
    )
    ap.add_argument(
        "--k-unit", default="distance", choices=("distance", "max"), help="unit of k (ss.k_unit)"
    )
    ap.add_argument(
        "--thresholds",
        default="fixed",
        choices=("fixed", "moving"),
        help="g with the thresholds held (the surrogate S2-Con trains with) or also through "
        "their dependence on TZ and TV (dense, slow)",
    )
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    if args.run:
        _real(args)
        print(f"({time.perf_counter() - t0:.0f} s)")
        return 0
    print(f"Gaussian features, B = {args.batch}, {args.seeds} matrices per row; steps of eta ||F||")
    print(f"{'D':>5} {'k':>5} {'eta':>5}  {HEADER}")
    for D in args.dims:
        for k in args.k:
            for eta in args.eta:
                gen = torch.Generator().manual_seed(1000 * D + 7)  # the same matrices for each k
                mats = [
                    torch.randn(D, args.batch, generator=gen, dtype=torch.float64)
                    for _ in range(args.seeds)
                ]
                res = np.array([probe(F, eta, gen, k, args.k_unit, args.thresholds) for F in mats])
                print(_row(f"{D:>5} {k:>5g} {eta:>5g}", res, args.seeds), flush=True)
    print(f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
