"""``selfsim boxcover``: box counts and the fractal dimension of a network."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)

#: above this many nodes the all-pairs methods take minutes or more (a 10^5-node BA graph took
#: 13 minutes with greedy, 25 s with sketch); the command says so before it starts
LARGE_GRAPH = 20_000
#: sizes chosen when --sizes is not given
NUM_DEFAULT_SIZES = 16

HELP = "box-cover a network (file or built-in generator) and fit its fractal dimension"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "file",
        nargs="?",
        help="network file: edge list (u v [weight]; comma, tab or space separated; # or %% "
        "comments), MatrixMarket .mtx, .gml, .graphml or Pajek .net",
    )
    src.add_argument(
        "--network",
        metavar="SPEC",
        help="built-in network, e.g. flower:2,2,5  shm:2,4  sierpinski:6  lattice:32,32  ba:1000,2",
    )
    parser.add_argument(
        "--method",
        default="greedy",
        choices=["greedy", "cbb", "memb", "random", "sketch"],
        help="greedy (default), cbb, memb, random or sketch (no all-pairs distances: for "
        f"graphs above {LARGE_GRAPH:,} nodes)",
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=float,
        metavar="L",
        help=f"box sizes l_B (default: {NUM_DEFAULT_SIZES} log-spaced integer sizes, or every "
        "size where there are fewer, from 1 up to a size that surely gives one box: 2 e + 1 for "
        "greedy, cbb and memb, 4 e + 1 for random and sketch, with e the largest eccentricity a "
        "two-sweep search finds (diameter <= 2 e); odd sizes only for the radius methods memb, "
        "random and sketch on unweighted graphs)",
    )
    parser.add_argument("--seed", type=int, default=None, metavar="S", help="random seed")
    parser.add_argument("--plot", metavar="PNG", help="write a log-log plot of N_B against l_B")
    parser.add_argument(
        "--format",
        default="auto",
        choices=["auto", "edgelist", "mtx", "gml", "graphml", "pajek"],
        help="file format (default: from the first bytes, then the suffix)",
    )
    parser.add_argument(
        "--weights",
        default="auto",
        choices=["auto", "length", "strength", "ignore"],
        help="what edge weights mean: lengths, strengths (length = max(w) / w) or nothing; "
        "auto (default) uses what the file declares and ignores undeclared weights",
    )
    parser.add_argument(
        "--directed",
        default="convert",
        choices=["convert", "refuse"],
        help="a directed file is made undirected (default) or refused",
    )
    parser.add_argument(
        "--header",
        default="auto",
        choices=["auto", "yes", "no"],
        help="edge lists: is the first line a header? (auto: when it is not an edge; reported)",
    )
    parser.add_argument(
        "--components",
        default="largest",
        choices=["largest", "all"],
        help="cover the largest connected component (default, as in the literature) or every "
        "component separately (N_B >= number of components)",
    )
    parser.add_argument(
        "--boxes",
        metavar="CSV",
        help="write the box of every node at every size (node labels as in the file)",
    )
    parser.add_argument(
        "--certify",
        action="store_true",
        help="also print a lower bound on the optimal N_B (packing) and iterated-greedy counts "
        "(all-pairs distances: graphs up to about 16,000 nodes)",
    )


def _eccentricity_bound(A, weighted: bool) -> float:
    """Largest eccentricity found by a two-sweep search in every component.

    Each value e satisfies radius <= e <= diameter <= 2 e (exact diameter on trees).
    """
    import numpy as np
    from scipy.sparse.csgraph import dijkstra

    from ..network.graph import components

    _, comp = components(A)
    starts = np.unique(comp, return_index=True)[1]
    d0 = dijkstra(A, directed=False, unweighted=not weighted, indices=starts, min_only=True)
    order = np.lexsort((-d0, comp))  # per component, farthest node first
    far = order[np.unique(comp[order], return_index=True)[1]]
    d1 = dijkstra(A, directed=False, unweighted=not weighted, indices=far, min_only=True)
    return float(d1.max())


def _default_sizes(A, weighted: bool, method: str, count: int = NUM_DEFAULT_SIZES):
    """``count`` log-spaced integer sizes (every size if there are fewer) from 1 to one box.

    Diameter methods and memb reach one box by 2 e + 1 (e >= radius, 2 e >= diameter);
    random and sketch only once r_B >= diameter, so by 4 e + 1. Radius methods on an
    unweighted graph get odd sizes only (an even l_B gives the boxes of l_B - 1).
    """
    import numpy as np

    from ..covering.registry import METHODS

    m = METHODS.get(method)
    e = _eccentricity_bound(A, weighted)
    top = int(
        np.ceil(4 * e + 1 if m is not None and m.kind == "radius" and m.random else 2 * e + 1)
    )
    top = max(top, 2)
    odd = m is not None and m.kind == "radius" and not weighted
    if odd:
        top += 1 - top % 2

    def spaced(k: int):
        sizes = np.geomspace(1, top, k)
        return np.unique(2 * np.round((sizes - 1) / 2) + 1 if odd else np.round(sizes))

    every = np.arange(1, top + 1, 2 if odd else 1, dtype=np.float64)
    if every.size <= count:
        return every
    k = count  # rounding merges small sizes: add points until there are count distinct ones
    while spaced(k).size < count:
        k += 1
    return spaced(k)


def _load(args: argparse.Namespace):
    """The graph to cover, with what was read and which component is covered."""
    from ..network.io import GraphData, load_graph

    if args.network:
        from ..generators import from_spec
        from ..network.graph import as_adjacency, is_weighted

        A = as_adjacency(from_spec(args.network, seed=args.seed), "selfsim boxcover")
        data = GraphData(
            A,
            tuple(str(i) for i in range(A.shape[0])),
            args.network,
            "built-in generator",
            "none",
            is_weighted(A),
        )
    else:
        header = {"auto": None, "yes": True, "no": False}[args.header]
        data = load_graph(
            args.file,
            format=args.format,
            weights=args.weights,
            directed=args.directed,
            header=header,
        )
    for i, line in enumerate(data.summary()):
        print(("# read: " if i == 0 else "#   ") + line)
    if args.components == "largest":
        part = data.largest_component()
        if part is not data:
            print(f"# {part.notes[-1]}; covering it (--components all covers every component)")
        return part
    from ..network.graph import components

    k, _ = components(data.adjacency)
    if k > 1:
        print(f"# covering all {k} components separately: N_B >= {k} at every size")
    return data


def _write_boxes(path: str, labels, sizes, node_labels) -> None:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["node", *(f"l_B={s:g}" for s in sizes)])
        for i, name in enumerate(node_labels):
            out.writerow([name, *labels[:, i].tolist()])


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..covering.api import box_counts, cover_labels
    from ..metrics.fractal import fractal_dimension

    for path, option in ((args.plot, "--plot"), (args.boxes, "--boxes")):
        if path:  # before the covering, not after it
            from pathlib import Path

            from .._core.errors import OutputError
            from .._core.files import check_writable

            folder = Path(path).parent
            if not folder.is_dir():
                raise OutputError(
                    f"{option} {path}: the folder {folder} does not exist; create "
                    "it or choose another path."
                )
            check_writable(folder, option)
    data = _load(args)
    A, weighted, name = data.adjacency, data.weighted, data.source
    sizes = np.asarray(args.sizes) if args.sizes else _default_sizes(A, weighted, args.method)
    if A.shape[0] > LARGE_GRAPH and args.method != "sketch" and args.method != "random":
        log.warning(
            "%s on %s nodes may take many minutes or more (its work grows like n^2 on "
            "small-world graphs; greedy took 13 min on a 10^5-node BA graph). "
            "--method sketch is made for graphs above %s nodes (25 s there); progress "
            "lines follow.",
            args.method,
            f"{A.shape[0]:,}",
            f"{LARGE_GRAPH:,}",
        )
    log.info(
        "covering %s nodes with %s at %d sizes (%s)",
        f"{A.shape[0]:,}",
        args.method,
        len(sizes),
        " ".join(f"{s:g}" for s in sizes),
    )
    if args.boxes:
        labels = cover_labels(
            A, sizes, method=args.method, seed=args.seed, caller="selfsim boxcover"
        )
        counts = labels.max(axis=1) + 1
        _write_boxes(args.boxes, labels, sizes, data.labels)
        print(f"# boxes of every node written to {args.boxes}")
    else:
        counts = box_counts(A, sizes, method=args.method, seed=args.seed)
    print(
        f"# {name}: {A.shape[0]} nodes, {A.nnz // 2} edges, method {args.method}, "
        + ("weighted" if weighted else "unweighted")
    )
    if args.certify:
        from ..covering.bounds import packing_bound
        from ..covering.improve import improved_counts

        bound = packing_bound(A, sizes)
        better = improved_counts(A, sizes, seed=args.seed)
        print(f"{'l_B':>10} {'N_B':>10} {'improved':>10} {'bound':>10} {'gap':>8}")
        for s, c, b, lb in zip(sizes, counts, better, bound, strict=True):
            print(f"{s:>10g} {c:>10d} {b:>10d} {lb:>10d} {(b - lb) / lb:>8.1%}")
        print(
            "# bound: nodes pairwise >= l_B apart (no cover has fewer boxes); gap: improved vs bound"
        )
    else:
        print(f"{'l_B':>10} {'N_B':>10}")
        for s, c in zip(sizes, counts, strict=True):
            print(f"{s:>10g} {c:>10d}")
    from ..network.graph import components

    fit = fractal_dimension(sizes, counts, num_components=components(A)[0])
    lo, hi = fit.fit_range
    print(
        f"d_B = {fit.d_B:.4f}  {fit.ci_level:.0%} CI [{fit.d_B_ci[0]:.4f}, {fit.d_B_ci[1]:.4f}] "
        f"({fit.ci_method})\n"
        f"range = [{lo:g}, {hi:g}] ({fit.num_points} points; {fit.range_rule})\n"
        f"verdict: {fit.verdict} ({fit.reason})  r2 = {fit.r2:.4f}  "
        f"r2_exponential = {fit.r2_exponential:.4f}  is_fractal = {fit.is_fractal}"
    )
    if args.plot:
        from ..report.plots import plot_boxcover

        plot_boxcover(
            sizes,
            counts,
            args.plot,
            d_B=fit.d_B,
            intercept=fit.intercept,
            fit_range=(lo, hi),
            title=str(name),
        )
        print(f"plot written to {args.plot}")

    return 0
