"""SS_rate's backward where activations spread out: before and now, in one process.

When the distances span many multiples of 1/k, the linear interpolation grid
of the fast backward would need more points than a quarter of the pairs.
Before, dSS/dC_ij was then evaluated at every pair against all S thresholds
(P x S sigmoids). Now a cubic Hermite grid 25x coarser is used while it has
fewer than P/2 points, and beyond that every pair against only the thresholds
within 40/k of C_ij. Both are timed on the same input; the ratio and the
largest difference (relative to the largest |gradient|) are printed.
Run: ``python benchmarks/bench_ss_backward.py [--dims 256 768] [--k 1] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
import torch


def every_threshold(C, theta, g, k: float, fac: float):
    """The previous fall-back: sum over all S thresholds, in blocks of 2^21 elements."""
    P = C.numel()
    v = C.double()
    out = torch.empty_like(v)
    rows = max(1, (1 << 21) // theta.numel())
    for start in range(0, P, rows):
        s = torch.sigmoid(k * (theta[None, :] - v[start : start + rows, None]))
        out[start : start + rows] = (s * (1.0 - s)) @ g
    return (-fac * k / P * out).to(C.dtype)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[256, 768])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--k", type=float, default=1.0)
    ap.add_argument(
        "--spread",
        type=float,
        default=6.0,
        help="channel scales exp(U(0, spread)): how far activations spread",
    )
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from selfsim.metrics import ss_rate as mod

    torch.set_num_threads(1)
    print(
        f"1 torch thread, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
        f"k = {args.k}"
    )
    for D in args.dims:
        rng = np.random.default_rng(D)
        F = rng.normal(size=(D, args.batch)) * np.exp(rng.uniform(0, args.spread, size=(D, 1)))
        x, C = mod._torch_distances(torch.tensor(F, dtype=torch.float32))
        curve, theta = mod._torch_curve(C, D, args.batch, 256, "code", "bench")
        fac = 1.0  # a constant factor of the gradient: no effect on the time
        P = C.numel()
        span = (curve.tv - curve.tz) * args.k
        num_grid = int(math.ceil(span / mod._GRID_STEP)) + 1
        num_cubic = int(math.ceil(span / mod._CUBIC_STEP)) + 1
        if num_grid < P // 4:
            path = f"linear grid of {num_grid}"
        elif num_cubic < P // 2:
            path = f"cubic grid of {num_cubic}"
        else:
            path = "every pair, windowed thresholds"
        g = torch.as_tensor(curve.grad_density, dtype=torch.float64)
        calls = {
            "every threshold": (every_threshold, (C, theta, g, args.k, fac)),
            "now": (
                mod._pair_gradient,
                (C, theta, curve.grad_density, args.k, fac, curve.tz, curve.tv),
            ),
        }
        times = {}
        res = {}
        for name, (fn, fargs) in calls.items():
            best = math.inf
            for _ in range(args.repeats):
                t = time.process_time()
                res[name] = fn(*fargs)
                best = min(best, time.process_time() - t)
            times[name] = best
        a, b = res["every threshold"].double(), res["now"].double()
        err = float((a - b).abs().max() / a.abs().max())
        print(
            f"D = {D} (P = {P}, spread of C {curve.tz:.3g}..{curve.tv:.3g}, path: {path}): "
            f"every threshold {times['every threshold'] * 1e3:.1f} ms, "
            f"now {times['now'] * 1e3:.1f} ms (CPU, best of {args.repeats}), "
            f"ratio {times['every threshold'] / times['now']:.1f}x, "
            f"max difference {err:.1e} of max |dC|"
        )


if __name__ == "__main__":
    main()
