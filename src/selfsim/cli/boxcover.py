"""``selfsim boxcover``: box counts and the fractal dimension of a network."""

from __future__ import annotations

import argparse

HELP = "box-cover a network (file or built-in generator) and fit its fractal dimension"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("file", nargs="?", help="edge list (u v [length], # comments) or .graphml")
    src.add_argument(
        "--network",
        metavar="SPEC",
        help="built-in network, e.g. flower:2,2,5  shm:2,4  sierpinski:6  lattice:32,32  ba:1000,2",
    )
    parser.add_argument(
        "--method", default="greedy", help="greedy (default), cbb, memb, random or sketch (no all-pairs distances; 10^5-node graphs)"
    )
    parser.add_argument(
        "--sizes", nargs="+", type=float, metavar="L",
        help="box sizes l_B (default: about 16 log-spaced sizes from 1 to diameter + 1)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed")
    parser.add_argument("--plot", metavar="PNG", help="write a log-log plot of N_B against l_B")


def _default_sizes(A, weighted: bool):
    import numpy as np
    from scipy.sparse.csgraph import shortest_path

    # two-sweep lower bound of the diameter: cheap and exact on trees
    d0 = shortest_path(A, directed=False, unweighted=not weighted, indices=[0])[0]
    far = int(np.argmax(np.where(np.isfinite(d0), d0, -1)))
    d1 = shortest_path(A, directed=False, unweighted=not weighted, indices=[far])[0]
    diam = float(np.max(d1[np.isfinite(d1)]))
    hi = 2 * diam + 1  # radius methods need r_B up to the radius
    sizes = np.unique(np.round(np.geomspace(1, max(hi, 2), 16)))
    return sizes


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..covering.api import box_counts
    from ..metrics.fractal import fractal_dimension
    from ..network.graph import as_adjacency, is_weighted

    if args.plot:  # before the covering, not after it
        from pathlib import Path

        from .._core.errors import OutputError
        from .._core.files import check_writable

        folder = Path(args.plot).parent
        if not folder.is_dir():
            raise OutputError(f"--plot {args.plot}: the folder {folder} does not exist; create it "
                              "or choose another path.")
        check_writable(folder, "--plot")
    if args.network:
        from ..networks import from_spec

        A = from_spec(args.network, seed=args.seed)
        name = args.network
    else:
        from ..network.io import read_graph

        A = read_graph(args.file)
        name = args.file
    A = as_adjacency(A, "selfsim boxcover")
    weighted = is_weighted(A)
    sizes = np.asarray(args.sizes) if args.sizes else _default_sizes(A, weighted)
    counts = box_counts(A, sizes, method=args.method, seed=args.seed)
    print(f"# {name}: {A.shape[0]} nodes, {A.nnz // 2} edges, method {args.method}")
    print(f"{'l_B':>10} {'N_B':>10}")
    for s, c in zip(sizes, counts):
        print(f"{s:>10g} {c:>10d}")
    fit = fractal_dimension(sizes, counts)
    lo, hi = fit.fit_range
    print(
        f"d_B = {fit.d_B:.4f}  r2 = {fit.r2:.4f}  range = [{lo:g}, {hi:g}] ({fit.num_points} points)  "
        f"r2_exponential = {fit.r2_exponential:.4f}  is_fractal = {fit.is_fractal}"
    )
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(4.5, 3.5))
        ax.loglog(sizes, counts, "o", label="box counts")
        x = np.linspace(np.log(lo), np.log(hi), 20)
        ax.loglog(np.exp(x), np.exp(fit.intercept - fit.d_B * x), "-", label=f"d_B = {fit.d_B:.2f}")
        ax.set_xlabel("box size $l_B$")
        ax.set_ylabel("number of boxes $N_B$")
        ax.set_title(str(name), fontsize=9)
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        plt.close(fig)
        print(f"plot written to {args.plot}")
    return 0
