"""Small inputs: the automatic thread choice against all threads and one thread.

Graphs under ``SERIAL_BELOW`` nodes (and feature networks with D below it)
run the parallel kernels on one thread. For each input this prints the best
of ``--repeat`` wall times with the automatic choice, with every numba
thread forced, and with one thread, and the ratios auto / one thread (goal:
<= 2) and all threads / auto, measured in this run.
Run: ``python benchmarks/bench_small.py [--repeat 7]``.
"""

from __future__ import annotations

import argparse
import os
import time


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    import numba
    import numpy as np

    from selfsim.covering import _jit
    from selfsim.covering.api import box_counts
    from selfsim.covering.features import box_counts_features
    from selfsim.generators import barabasi_albert, lattice, sierpinski_gasket, uv_flower

    threads = numba.get_num_threads()
    print(f"{threads} numba threads, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    serial_below = _jit.SERIAL_BELOW

    def modes(fn):
        out = {}
        for mode in ("auto", "all", "one"):
            _jit.SERIAL_BELOW = 0 if mode == "all" else serial_below
            if mode == "one":
                numba.set_num_threads(1)
            try:
                fn()  # warm-up (JIT cache load)
                out[mode] = _best(fn, args.repeat)
            finally:
                numba.set_num_threads(threads)
                _jit.SERIAL_BELOW = serial_below
        return out

    graphs = [
        ("(2,2)-flower g=3", uv_flower(2, 2, 3)),
        ("Sierpinski 4", sierpinski_gasket(4)),
        ("BA n=500 m=2", barabasi_albert(500, 2, seed=0)),
        ("(2,2)-flower g=5", uv_flower(2, 2, 5)),
        ("lattice 32x32", lattice((32, 32))),
        ("BA n=1900 m=3", barabasi_albert(1900, 3, seed=0)),
    ]
    print(
        f"{'input':22s} {'method':7s} {'auto ms':>8s} {'all ms':>8s} {'one ms':>8s} {'auto/one':>9s} {'all/auto':>9s}"
    )
    for name, A in graphs:
        n = A.shape[0]
        sizes = [1, 2, 3, 5, 9, 17, 33, 65, 129]  # up to beyond every diameter here
        for method in ("greedy", "memb", "sketch"):
            t = modes(
                lambda A=A, sizes=sizes, method=method: box_counts(A, sizes, method=method, seed=0)
            )
            print(
                f"{name + f' ({n})':22s} {method:7s} {1e3 * t['auto']:8.2f} {1e3 * t['all']:8.2f} "
                f"{1e3 * t['one']:8.2f} {t['auto'] / t['one']:9.2f} {t['all'] / t['auto']:9.2f}"
            )
    rng = np.random.default_rng(0)
    for D in (128, 256, 512):
        F = rng.standard_normal((D, 64))
        thr = np.linspace(0.5, 2.0, 64)
        t = modes(lambda F=F, thr=thr: box_counts_features(F, thr))
        print(
            f"{f'G_M D={D} B=64':22s} {'greedy':7s} {1e3 * t['auto']:8.2f} {1e3 * t['all']:8.2f} "
            f"{1e3 * t['one']:8.2f} {t['auto'] / t['one']:9.2f} {t['all'] / t['auto']:9.2f}"
        )


if __name__ == "__main__":
    main()
