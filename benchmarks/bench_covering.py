"""Box-covering speed: fast numba kernels against the straightforward reference.

Prints wall-clock times (JIT compile time separately, measured by a warm-up
call) and speed-up ratios. Run: ``python benchmarks/bench_covering.py [--big]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _t(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--generation", type=int, default=7, help="(2,2)-flower generation")
    ap.add_argument("--big", action="store_true", help="also cover a ~10^5-node network")
    ap.add_argument("--reference", action="store_true", help="also time the reference at full size")
    args = ap.parse_args()

    import numba

    from selfsim.covering.api import box_counts
    from selfsim.covering.features import box_counts_features
    from selfsim.networks import sierpinski_gasket, uv_flower

    print(f"numba {numba.__version__}, {numba.get_num_threads()} threads")
    small = uv_flower(2, 2, 3)
    for m in ("greedy", "memb", "cbb", "random"):
        tc, _ = _t(lambda: box_counts(small, [1, 2, 3], method=m, engine="numba"))
        print(f"JIT warm-up (compile or cache load) {m:7s}: {tc:6.2f} s")

    g = args.generation
    A = uv_flower(2, 2, g)
    diam = 2**g
    sizes = np.unique(np.round(np.geomspace(2, diam + 1, 13))).astype(int)
    print(f"\n(2,2)-flower g={g}: n={A.shape[0]}, diameter {diam}, {sizes.size} sizes {sizes.tolist()}")
    for m in ("greedy", "memb", "random", "cbb"):
        t, c = _t(lambda: box_counts(A, sizes, method=m, seed=0))
        print(f"  {m:7s} fast {t:7.2f} s   N_B = {c.tolist()}")

    # fast vs reference in one process on a size the reference handles quickly
    B = uv_flower(2, 2, min(g, 5))
    sb = np.unique(np.round(np.geomspace(2, 2 ** min(g, 5) + 1, 13))).astype(int)
    print(f"\nfast vs reference on (2,2)-flower g={min(g, 5)} (n={B.shape[0]}):")
    for m in ("greedy", "memb", "random", "cbb"):
        tf, cf = _t(lambda: box_counts(B, sb, method=m, seed=0, engine="numba"))
        tr, cr = _t(lambda: box_counts(B, sb, method=m, seed=0, engine="python"))
        print(f"  {m:7s} fast {tf:7.3f} s  reference {tr:7.3f} s  ratio {tr / tf:7.1f}x  equal={np.array_equal(cf, cr)}")
    if args.reference:
        t, _ = _t(lambda: box_counts(A, sizes, method="greedy", engine="python"))
        print(f"  greedy reference at g={g}: {t:.1f} s")

    rng = np.random.default_rng(0)
    for D in (768, 2048):
        F = rng.normal(size=(D, 64)).astype(np.float32)
        thr = np.geomspace(0.5, 2.5, 256) - 0.4
        t, _ = _t(lambda: box_counts_features(F, thr))
        print(f"\nbox_counts_features D={D}, 256 thresholds: {t:.2f} s")
        if D == 768:
            tr, _ = _t(lambda: box_counts_features(F, thr, engine="python"))
            print(f"  reference {tr:.2f} s  ratio {tr / t:.1f}x")

    if args.big:
        S = sierpinski_gasket(10)
        sz = np.array([1, 3, 5, 9, 17, 33, 65])
        print(f"\nSierpinski gasket level 10: n={S.shape[0]}, sizes {sz.tolist()}")
        for m in ("random", "memb"):
            t, c = _t(lambda: box_counts(S, sz, method=m, seed=0))
            print(f"  {m:7s} {t:7.2f} s   N_B = {c.tolist()}")


if __name__ == "__main__":
    main()
