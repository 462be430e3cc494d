"""Cold start: the first covering call in a fresh process, beyond ``import selfsim``.

For each method, starts ``--runs`` fresh interpreters that import selfsim,
then time one ``box_counts`` call on a 684-node flower (all sizes), then a
second identical call. Printed: median import time, median first call,
median second call, and first - second (the one-off cost: importing numba
and loading the kernels from numba's on-disk cache). ``--cold`` also runs
each method once with an empty ``NUMBA_CACHE_DIR`` (compilation from scratch).
Goal: first call within 0.5 s beyond the import.
Run: ``python benchmarks/bench_cold_start.py [--runs 5] [--cold]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

CHILD = r"""
import json, time
t0 = time.perf_counter()
import selfsim
t1 = time.perf_counter()
from selfsim.generators import uv_flower
A = uv_flower(2, 2, 5)
sizes = list(range(1, 66, 4))
t2 = time.perf_counter()
selfsim.box_counts(A, sizes, method=METHOD, seed=0)
t3 = time.perf_counter()
selfsim.box_counts(A, sizes, method=METHOD, seed=0)
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first": t3 - t2, "second": t4 - t3}))
"""


def _run(method: str, env: dict) -> dict:
    code = CHILD.replace("METHOD", repr(method))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cold", action="store_true", help="also compile from an empty cache once")
    ap.add_argument("--methods", default="greedy,memb,sketch,random")
    args = ap.parse_args()
    env = dict(os.environ)
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, {args.runs} fresh processes per method"
    )
    print(f"{'method':8s} {'import s':>9s} {'first s':>8s} {'second s':>9s} {'first-second':>13s}")
    for m in args.methods.split(","):
        _run(m, env)  # make sure the on-disk cache holds this method's kernels
        rows = [_run(m, env) for _ in range(args.runs)]
        med = {
            key: statistics.median(r[key] for r in rows) for key in ("import", "first", "second")
        }
        print(
            f"{m:8s} {med['import']:9.3f} {med['first']:8.3f} {med['second']:9.3f} {med['first'] - med['second']:13.3f}"
        )
        if args.cold:
            with tempfile.TemporaryDirectory() as cache:
                r = _run(m, {**env, "NUMBA_CACHE_DIR": cache})
            print(
                f"{'  cold':8s} {r['import']:9.3f} {r['first']:8.3f} {r['second']:9.3f}  (empty cache)"
            )


if __name__ == "__main__":
    main()
