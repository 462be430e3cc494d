"""Box-covering speed: fast numba kernels against the straightforward reference.

Prints wall-clock times (best of ``--repeat``; JIT compile time separately,
measured by a warm-up call), the CPU time of the best run, the machine load
(1-minute load average before each line) and speed-up ratios.
Run: ``python benchmarks/bench_covering.py [--big] [--reference]``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def _t(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def _best(fn, repeat):
    """(best wall s, cpu s of that run, load before, result) over ``repeat`` runs."""
    best = None
    load = os.getloadavg()[0]
    for _ in range(repeat):
        c = time.process_time()
        t, out = _t(fn)
        c = time.process_time() - c
        if best is None or t < best[0]:
            best = (t, c, out)
    return best[0], best[1], load, best[2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--generation", type=int, default=7, help="(2,2)-flower generation")
    ap.add_argument("--big", action="store_true", help="also cover a ~10^5-node network")
    ap.add_argument("--reference", action="store_true", help="also time the reference at full size")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = ap.parse_args()

    import numba

    from selfsim.covering.api import box_counts
    from selfsim.covering.features import box_counts_features
    from selfsim.generators import sierpinski_gasket, uv_flower

    print(
        f"numba {numba.__version__}, {numba.get_num_threads()} threads "
        f"(NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}), {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    small = uv_flower(2, 2, 3)
    for m in ("greedy", "memb", "cbb", "random", "sketch"):
        tc, _ = _t(lambda m=m: box_counts(small, [1, 2, 3], method=m, engine="numba"))
        print(f"JIT warm-up (compile or cache load) {m:7s}: {tc:6.2f} s")

    g = args.generation
    A = uv_flower(2, 2, g)
    diam = 2**g
    sizes = np.unique(np.round(np.geomspace(2, diam + 1, 13))).astype(int)
    print(
        f"\n(2,2)-flower g={g}: n={A.shape[0]}, diameter {diam}, {sizes.size} sizes {sizes.tolist()}"
    )
    for m in ("greedy", "memb", "random", "sketch", "cbb"):
        rep = 1 if m == "cbb" else args.repeat
        t, cpu, load, c = _best(lambda m=m: box_counts(A, sizes, method=m, seed=0), rep)
        print(
            f"  {m:7s} fast {t:7.2f} s (cpu {cpu:5.2f} s, load {load:4.2f}, best of {rep})  N_B = {c.tolist()}"
        )

    # fast vs reference in one process on a size the reference handles quickly
    B = uv_flower(2, 2, min(g, 5))
    sb = np.unique(np.round(np.geomspace(2, 2 ** min(g, 5) + 1, 13))).astype(int)
    print(f"\nfast vs reference on (2,2)-flower g={min(g, 5)} (n={B.shape[0]}):")
    for m in ("greedy", "memb", "random", "cbb", "sketch"):
        tf, _, _, cf = _best(
            lambda m=m: box_counts(B, sb, method=m, seed=0, engine="numba"), args.repeat
        )
        tr, cr = _t(lambda m=m: box_counts(B, sb, method=m, seed=0, engine="python"))
        print(
            f"  {m:7s} fast {tf:7.3f} s  reference {tr:7.3f} s  ratio {tr / tf:7.1f}x  equal={np.array_equal(cf, cr)}"
        )
    if args.reference:  # greedy reference at full size (about a minute; memb's would take hours)
        from selfsim.covering.reference import distance_matrix

        t, _ = _t(lambda: distance_matrix(A.tocsr(), False))
        print(f"  scipy all-pairs shortest_path alone at g={g}: {t:.1f} s")
        for m in ("greedy",):
            tf, _, _, cf = _best(lambda m=m: box_counts(A, sizes, method=m, seed=0), 1)
            tr, cr = _t(lambda m=m: box_counts(A, sizes, method=m, seed=0, engine="python"))
            print(
                f"  {m:7s} g={g}: fast {tf:6.2f} s  reference {tr:6.1f} s  ratio {tr / tf:5.1f}x  "
                f"equal={np.array_equal(cf, cr)}"
            )

    rng = np.random.default_rng(0)
    thr = np.geomspace(0.5, 2.5, 256) - 0.4
    tc, _ = _t(lambda: box_counts_features(rng.normal(size=(16, 8)), thr))
    print(f"\nJIT warm-up (compile or cache load) box_counts_features: {tc:.2f} s")
    for D in (768, 2048):
        F = rng.normal(size=(D, 64)).astype(np.float32)
        t, _ = _t(lambda F=F: box_counts_features(F, thr))
        tr, _ = _t(lambda F=F: box_counts_features(F, thr, engine="python"))
        print(
            f"box_counts_features D={D}, 256 thresholds: fast {t:.2f} s  reference {tr:.2f} s  "
            f"ratio {tr / t:.1f}x"
        )

    if args.big:
        S = sierpinski_gasket(10)
        diam = 2**10
        sz = np.unique(np.round(np.geomspace(2, diam + 1, 16))).astype(int)
        print(f"\nSierpinski gasket level 10: n={S.shape[0]}, diameter {diam}, sizes {sz.tolist()}")
        for m in ("random", "sketch"):
            t, cpu, load, c = _best(lambda m=m: box_counts(S, sz, method=m, seed=0), 1)
            print(f"  {m:7s} {t:7.2f} s (cpu {cpu:5.2f} s, load {load:4.2f})  N_B = {c.tolist()}")
        small_sz = sz[sz <= 65]
        t, cpu, load, c = _best(lambda: box_counts(S, small_sz, method="memb"), 1)
        print(
            f"  memb    {t:7.2f} s (cpu {cpu:5.2f} s, load {load:4.2f}) sizes <= 65 only  N_B = {c.tolist()}"
        )
        F9 = uv_flower(2, 2, 9)
        sz9 = np.unique(np.round(np.geomspace(2, 2**9 + 1, 16))).astype(int)
        print(f"\n(2,2)-flower g=9: n={F9.shape[0]}, diameter 512, sizes {sz9.tolist()}")
        t, cpu, load, c = _best(lambda: box_counts(F9, sz9, method="sketch", seed=0), 1)
        print(f"  sketch  {t:7.2f} s (cpu {cpu:5.2f} s, load {load:4.2f})  N_B = {c.tolist()}")


if __name__ == "__main__":
    main()
