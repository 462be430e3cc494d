"""Certified box counts: how far greedy / MEMB are from optimal, and what iterated greedy gains.

For each network and box size prints N_B of greedy colouring, MEMB, the
iterated-greedy improvement (200 passes from the better of the two), the
packing lower bound and, for small graphs, the exact optimum by integer
programming (proved or not within the time limit), plus the total boxes
over all sizes and the time of the improvement. Networks: the karate club
and Les Miserables from networkx (unweighted), a (2,2)-flower, a
Sierpinski gasket, a Barabasi-Albert graph.
Run: ``python benchmarks/bench_certify.py [--exact-limit SECONDS]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np


def _networks():
    import networkx as nx

    from selfsim.generators import barabasi_albert, sierpinski_gasket, uv_flower
    from selfsim.network.graph import as_adjacency

    out = {}
    for name, G in (
        ("karate", nx.karate_club_graph()),
        ("les miserables", nx.les_miserables_graph()),
    ):
        G = nx.convert_node_labels_to_integers(G)
        out[name] = as_adjacency(G, "bench", weight=None)
    out["(2,2)-flower g=5"] = uv_flower(2, 2, 5)
    out["Sierpinski gasket 5"] = sierpinski_gasket(5)
    out["Barabasi-Albert n=500 m=2"] = barabasi_albert(500, 2, seed=0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--exact-limit", type=float, default=20.0, help="seconds per ILP (graphs <= 200 nodes)"
    )
    args = ap.parse_args()
    from scipy.sparse.csgraph import shortest_path

    from selfsim.covering.api import box_counts
    from selfsim.covering.bounds import packing_bound
    from selfsim.covering.exact import exact_cover
    from selfsim.covering.improve import improved_counts

    warnings.simplefilter("ignore")
    for name, A in _networks().items():
        diam = int(shortest_path(A, directed=False, unweighted=True).max())
        sizes = np.arange(2, min(diam, 12) + 1)
        g = box_counts(A, sizes)
        m = box_counts(A, sizes, method="memb")
        t = time.perf_counter()
        imp = improved_counts(A, sizes, seed=0)
        t_imp = time.perf_counter() - t
        lb = packing_bound(A, sizes)
        print(f"\n{name}: {A.shape[0]} nodes, diameter {diam}; improvement {t_imp:.1f} s")
        print(f"{'l_B':>4} {'greedy':>7} {'memb':>6} {'improved':>8} {'bound':>6} {'exact':>10}")
        ex_total = 0
        for i, s in enumerate(sizes):
            ex = ""
            if A.shape[0] <= 200:
                r = exact_cover(A, int(s), time_limit=args.exact_limit)
                ex = f"{r.num_boxes}{'' if r.optimal else '*'}"
                ex_total += r.num_boxes
            print(f"{s:>4} {g[i]:>7} {m[i]:>6} {imp[i]:>8} {lb[i]:>6} {ex:>10}")
        best = np.minimum(g, m)
        print(
            f"total {g.sum():>6} {m.sum():>6} {imp.sum():>8} {lb.sum():>6} {ex_total or '':>10}   "
            f"improved vs best of greedy/MEMB: {100 * (imp.sum() / best.sum() - 1):+.1f} %"
        )
    print("\n* = not proved optimal within the time limit (best cover found)")


if __name__ == "__main__":
    main()
