"""Sketch covering at scale: CPU time, peak memory and passes, optionally against an older commit.

For each graph, covers all the listed sizes with ``sketch_labels`` (k = SKETCH_K)
and prints the CPU time of the process (all threads), the wall time, the peak
resident memory above the level before the call (sampled every 5 ms by a
thread), N_B and the sketch passes per size. ``--before REV`` also runs
``src/selfsim/covering/sketch.py`` as it was at git revision REV, in the same
process and right before the current code, so both see the same load
(graphs up to ``--before-max-nodes`` nodes only). ``--plain-order`` also runs the
current code without relabelling the nodes (``relabel=False``; same partition), and
``--one-by-one`` the current code with every exact count a search of its own (``batch=False``;
same partition).
Growth: CPU time of the 10^6-node BA graph over the 10^5-node one, and beside it the growth of
the nodes visited by the searches that mark the centres' balls covered and by the exact counts
of contenders (per size). Those sums grow with how much the balls overlap (on BA far faster
than n), but they are not what sets the time: see docs/covering.md.
``--builds`` also times one sketch build over all nodes per size (one thread, the compiled
builder on its own), the cost that a pass adds; with the passes printed per size, it shows how
much of the time the builds take.
Run: ``python benchmarks/bench_sketch_scale.py [--graphs ba5,ba6,g9,g10] [--before REV]
[--plain-order] [--one-by-one] [--builds]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np


def _rss() -> int:
    """Resident set size of this process in bytes (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _PeakRSS:
    """Peak RSS above the level at entry, sampled by a thread."""

    def __enter__(self) -> _PeakRSS:
        self.base = _rss()
        self.peak = self.base
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._poll, daemon=True)
        self._t.start()
        return self

    def _poll(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, _rss())


def _module_at(rev: str):
    """The sketch module as it was at git revision ``rev``, loaded inside selfsim.covering."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    text = subprocess.run(
        ["git", "show", f"{rev}:src/selfsim/covering/sketch.py"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = os.path.join(tempfile.mkdtemp(), "sketch_before.py")
    with open(path, "w") as f:
        f.write(text)
    spec = importlib.util.spec_from_file_location("selfsim.covering._sketch_before", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _graphs(names: list[str]):
    from selfsim.generators import barabasi_albert, uv_flower

    flower = [3, 5, 9, 17, 33, 65, 129, 257, 513]
    for name in names:
        if name == "ba5":
            yield "BA m=3, 10^5", barabasi_albert(100_000, 3, seed=1), [3, 5, 7, 9]
        elif name == "ba6":
            yield "BA m=3, 10^6", barabasi_albert(1_000_000, 3, seed=1), [3, 5, 7, 9]
        elif name == "g9":
            yield "(2,2)-flower g=9", uv_flower(2, 2, 9), flower
        elif name == "g10":
            yield "(2,2)-flower g=10", uv_flower(2, 2, 10), flower + [1025]
        else:
            raise SystemExit(f"unknown graph {name}")


def _build_seconds(ip, ix, lims, sketch) -> list[float]:
    """CPU seconds of one unweighted sketch build over all nodes per radius, on one thread.

    Calls the compiled builder (compiled with the kernel on its first call) on the nodes in
    locality order, as the kernel does; every node in U, ranks at random. The workspace
    mirrors the one ``sketch_centres`` allocates per radius (unweighted: one-row ``kth``
    and heap); a change of ``ball_sketches``' arguments must be made in both.
    """
    import numba

    n = ip.size - 1
    perm = sketch.locality_order(ip, ix)
    pip, pix, pw = sketch.permute_csr(ip, ix, np.ones(ix.size), perm)
    k = sketch.SKETCH_K
    order = np.random.default_rng(0).permutation(n).astype(np.int64)
    cap = max(k, sketch.EXACT_PER_NODE) * n
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    out = []
    try:
        for r in lims:
            ws = (
                np.empty(n, np.int64),
                np.empty(cap, np.int32),
                np.empty(n + 1, np.int64),
                np.empty(n, np.int64),
                np.empty((1, k)),
                np.full(n, np.inf),
                np.empty(n, np.int64),
                np.empty(1),
                np.empty(1, np.int64),
                np.empty(n * k, np.int32),
                np.empty(n, np.int64),
                np.empty(n, np.int64),
                np.zeros(n, np.bool_),
                np.zeros(n, np.bool_),
                sketch.BFS_FROM_HOPS,
            )
            c0 = time.process_time()
            sketch.ball_sketches(pip, pix, pw, False, float(r), order, n, k, False, *ws)
            out.append(round(time.process_time() - c0, 2))
    finally:
        numba.set_num_threads(before)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--graphs", default="ba5,ba6,g9")
    ap.add_argument("--before", default=None, help="git revision to compare with")
    ap.add_argument(
        "--before-max-nodes", type=int, default=200_000, help="run REV only up to this size"
    )
    ap.add_argument(
        "--plain-order", action="store_true", help="also run without relabelling the nodes"
    )
    ap.add_argument(
        "--one-by-one", action="store_true", help="also run without batched exact counts"
    )
    ap.add_argument(
        "--builds", action="store_true", help="also time one sketch build per size (one thread)"
    )
    args = ap.parse_args()

    from selfsim.covering import sketch
    from selfsim.covering.registry import _csr, radius_limit
    from selfsim.generators import uv_flower

    mods = [("now", sketch)]
    if args.before:
        mods.insert(0, (args.before, _module_at(args.before)))
    if args.plain_order:
        mods.append(("plain", sketch))
    if args.one_by_one:
        mods.insert([t for t, _ in mods].index("now"), ("1by1", sketch))
    a, b, c = _csr(uv_flower(2, 2, 4).tocsr())
    for _, mod in mods:  # compile or load the kernels
        mod.sketch_labels(a, b, c, False, np.array([1.0, 4.0]), np.arange(a.size - 1))
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, k = {sketch.SKETCH_K}")
    cpu_ba = {}
    work = {}
    for name, A, sizes in _graphs(args.graphs.split(",")):
        ip, ix, w = _csr(A.tocsr())
        n = A.shape[0]
        lims = np.array([radius_limit(float(s)) for s in sizes])
        rank = np.random.default_rng(0).permutation(n)
        print(f"\n{name}: {n} nodes, l_B = {sizes}, load {os.getloadavg()[0]:.2f}")
        for tag, mod in mods:
            if mod is not sketch and n > args.before_max_nodes:
                continue
            stats: dict = {}
            kw = {"relabel": False} if tag == "plain" else {}
            if tag == "1by1":
                kw = {"batch": False}
            t, c0 = time.perf_counter(), time.process_time()
            with _PeakRSS() as mem:
                lab = mod.sketch_labels(ip, ix, w, False, lims, rank, stats=stats, **kw)
            wall, cpu = time.perf_counter() - t, time.process_time() - c0
            print(
                f"  {tag:>8s}: cpu {cpu:7.1f} s, wall {wall:7.1f} s, "
                f"peak +{(mem.peak - mem.base) / 1e9:.2f} GB (process {mem.peak / 1e9:.2f} GB)"
            )
            print(f"            N_B {(lab.max(axis=1) + 1).tolist()}")
            print(f"            passes {stats['passes'].tolist()}")
            wk = stats["work"]
            if wk.shape[1] > 4:
                print(f"            exact counts {wk[:, 1].tolist()}, batches {wk[:, 4].tolist()}")
            if wk.shape[1] > 5:
                print(f"            exact MEMB (lazy_memb) {wk[:, 5].tolist()}")
            if args.builds and tag == "now":
                builds = _build_seconds(ip, ix, lims, sketch)
                print(f"            one build, 1 thread (CPU s) {builds}")
            cpu_ba[(name, tag)] = cpu
            work[(name, tag)] = wk.astype(float)
            del lab
    for tag, _ in mods:
        small, big = cpu_ba.get(("BA m=3, 10^5", tag)), cpu_ba.get(("BA m=3, 10^6", tag))
        if small and big:
            print(f"\n{tag}: BA 10^6 / 10^5 CPU time {big / small:.1f}x")
            for what, col in (("the centres' balls", 3), ("the counts", 2)):
                m5, m6 = work[("BA m=3, 10^5", tag)][:, col], work[("BA m=3, 10^6", tag)][:, col]
                per = ", ".join(f"{b / a:.1f}x" if a else "-" for a, b in zip(m5, m6, strict=True))
                tot = f"{m6.sum() / m5.sum():.1f}x" if m5.sum() else "-"
                print(
                    f"{tag}: BA 10^6 / 10^5 nodes visited by {what} {tot} "
                    f"(per size: {per}; 10x the nodes)"
                )


if __name__ == "__main__":
    main()
