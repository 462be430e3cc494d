"""Sketch covering against exact MEMB (and the published C++ code when given).

For each network, prints N_B of ``memb`` (exact), of ``sketch`` (two seeds),
their ratio, the sketch passes per radius, the work per radius (exact counts of
contenders and the nodes they walked) and wall / CPU times measured in this run.
With ``--cpp BINARY`` (``bin/box_cover`` of
github.com/kenkoooo/graph-sketch-fractality, built with g++ -O3), or
``--cpp-src DIR`` (a checkout of that repository: the binary is built here with
g++ -O3 when g++ is on the PATH; its own waf script needs Python 2), the same
graph is written as an edge list and covered by its ``sketch`` method with
the same k at the same radii. Without either, selfsim alone is reported.
Run: ``python benchmarks/bench_sketch.py [--big] [--cpp PATH | --cpp-src DIR] [--k 16]``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
import time

import numpy as np


def _build_cpp(src: str) -> str | None:
    """``bin/box_cover`` of graph-sketch-fractality built with g++ -O3, or None (no g++)."""
    import shutil

    if shutil.which("g++") is None:
        print("g++ not found: the C++ code is not run")
        return None
    units = [
        "src/box_cover/box_cover.cc",
        "src/box_cover/box_cover_main.cc",
        *(f"src/base/{f}.cc" for f in ("functions", "jlog", "random", "type")),
        *(f"src/graph/{f}.cc" for f in ("generator", "io")),
        *(f"3rd_party/gflags/{f}.cc" for f in ("gflags", "gflags_completions", "gflags_reporting")),
    ]
    out = os.path.join(tempfile.mkdtemp(), "box_cover")
    cmd = ["g++", "-O3", "-std=c++11", "-w", "-Isrc", "-I3rd_party", "-I3rd_party/gflags"]
    subprocess.run([*cmd, *units, "-o", out, "-lpthread"], cwd=src, check=True)
    return out


def _cpp_counts(binary: str, A, radii, k: int, seed: int) -> list[int]:
    """N_B of the C++ sketch method for each radius (one process per radius)."""
    import scipy.sparse as sp

    c = sp.triu(A, 1).tocoo()
    out = []
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        np.savetxt(f, np.c_[c.row, c.col], fmt="%d")
        path = f.name
    try:
        for r in radii:
            cmd = [
                binary,
                "-type=tsv",
                f"-graph={path}",
                "-method=sketch",
                f"-sketch_k={k}",
                f"-rad_min={r}",
                f"-rad_max={r}",
                f"-random_seed={seed}",
            ]
            text = subprocess.run(  # in the temporary directory: the binary writes a jlog/ folder
                cmd, capture_output=True, text=True, check=True, cwd=os.path.dirname(path)
            ).stderr
            sizes = re.findall(r"size = (\d+)", text)
            out.append(int(sizes[-1]) if sizes else -1)
    finally:
        os.unlink(path)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", action="store_true", help="also 10^5-node graphs (sketch only)")
    ap.add_argument("--cpp", default=None, help="path of the C++ box_cover binary")
    ap.add_argument("--cpp-src", default=None, help="checkout of graph-sketch-fractality to build")
    ap.add_argument("--k", type=int, default=None, help="sketch size (default SKETCH_K)")
    args = ap.parse_args()
    if args.cpp_src and not args.cpp:
        args.cpp = _build_cpp(args.cpp_src)

    from selfsim.covering import sketch
    from selfsim.covering.api import box_counts
    from selfsim.covering.registry import _csr, radius_limit
    from selfsim.generators import barabasi_albert, shm_model, sierpinski_gasket, uv_flower

    if args.k:
        sketch.SKETCH_K = args.k
    k = sketch.SKETCH_K
    box_counts(uv_flower(2, 2, 3), [1, 3], method="sketch", seed=0)  # JIT warm-up
    box_counts(uv_flower(2, 2, 3), [1, 3], method="memb")
    print(f"k = {k}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    nets = [
        ("BA n=20000 m=3", barabasi_albert(20000, 3, seed=1), [3, 5, 7, 9], True),
        ("(2,2)-flower g=7", uv_flower(2, 2, 7), [3, 5, 9, 17, 33, 65, 129], True),
        ("(2,2)-flower g=8", uv_flower(2, 2, 8), [3, 5, 9, 17, 33, 65, 129, 257], True),
        ("SHM (2,5)", shm_model(2, 5), [3, 5, 9, 17, 33, 65, 129], True),
        ("Sierpinski 8", sierpinski_gasket(8), [3, 5, 9, 17, 33, 65, 129, 257], True),
    ]
    if args.big:
        nets += [
            ("BA n=100000 m=3", barabasi_albert(100000, 3, seed=1), [3, 5, 7, 9], False),
            ("(2,2)-flower g=9", uv_flower(2, 2, 9), [3, 5, 9, 17, 33, 65, 129, 257, 513], False),
        ]
    for name, A, sizes, with_memb in nets:
        print(f"\n{name}: {A.shape[0]} nodes, l_B = {sizes}")
        if with_memb:
            t, c = time.perf_counter(), time.process_time()
            memb = box_counts(A, sizes, method="memb")
            print(
                f"  memb      {memb.tolist()}  ({time.perf_counter() - t:.2f} s, cpu {time.process_time() - c:.2f} s)"
            )
        for seed in (0, 1):
            t, c = time.perf_counter(), time.process_time()
            sk = box_counts(A, sizes, method="sketch", seed=seed)
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            line = f"  sketch s={seed} {sk.tolist()}  ({wall:.2f} s, cpu {cpu:.2f} s)"
            if with_memb:
                line += f"  ratio to memb {np.round(sk / memb, 3).tolist()}"
            print(line)
        stats: dict = {}
        ip, ix, w = _csr(A.tocsr())
        lims = np.array([radius_limit(float(s)) for s in sizes])
        sketch.sketch_labels(
            ip, ix, w, False, lims, np.random.default_rng(0).permutation(A.shape[0]), stats=stats
        )
        print(f"  passes per radius {stats['passes'].tolist()}")
        w = stats["work"]
        print(
            f"  per radius: exact counts {w[:, 1].tolist()}, nodes they walked "
            f"{w[:, 2].tolist()}, nodes the centres' balls walked {w[:, 3].tolist()}"
        )
        print(f"  covered by exact MEMB (lazy_memb) {w[:, 5].tolist()}")
        if args.cpp:
            radii = [(s - 1) // 2 for s in sizes]
            t = time.perf_counter()
            cc = _cpp_counts(args.cpp, A, radii, k, 1)
            line = f"  C++ sketch {cc}  ({time.perf_counter() - t:.2f} s incl. graph loading per radius)"
            if with_memb:
                line += f"  ratio to memb {np.round(np.array(cc) / memb, 3).tolist()}"
            print(line)


if __name__ == "__main__":
    main()
