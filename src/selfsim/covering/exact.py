"""Optimal box covers of small graphs by integer programming (scipy's HiGHS).

The minimum number of boxes of size l_B is the chromatic number of the dual
graph (nodes joined when their distance is >= l_B; Song et al. 2007).
The integer program is the *representatives* formulation of graph colouring
(Campelo, Campos, Correa 2008), which has no symmetry between colours: with
nodes in a fixed order, ``x[u, v] = 1`` when node u (u <= v, at distance
< l_B from v) represents the box of v, and

* every node has one representative: ``sum_u x[u, v] = 1``;
* a representative heads its box: ``x[u, v] <= x[u, u]``;
* nodes of one box are pairwise close: ``x[u, v] + x[u, w] <= x[u, u]``
  whenever d(v, w) >= l_B;
* minimise the number of representatives ``sum_u x[u, u]``.

``scipy.optimize.milp`` solves it; within the time limit the result is
proved optimal, otherwise the best cover found comes with the solver's
lower bound. Practical up to a few hundred nodes (fewer for mid sizes,
where the close pairs are many and the far pairs among them too).

References
----------
M. Campelo, V. A. Campos, R. C. Correa, On the asymmetric representatives
formulation for the vertex coloring problem, Discrete Appl. Math. 156, 1097 (2008).
C. M. Schneider, T. A. Kesselring, J. S. Andrade Jr., H. J. Herrmann,
Phys. Rev. E 86, 016707 (2012) (optimal box covering by integer programming).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.validation import check_float, check_int
from ..network.graph import as_adjacency, is_weighted
from .api import _canonical, _sizes
from .bounds import _packing, all_distances
from .improve import improved_cover

__all__ = ["ExactCover", "exact_cover", "MAX_EXACT_NODES"]

#: largest graph exact_cover accepts (the program grows like n^3 at mid sizes)
MAX_EXACT_NODES = 600


@dataclass(frozen=True)
class ExactCover:
    """Result of :func:`exact_cover`.

    Attributes
    ----------
    labels : array of shape (n,), int64
        Best cover found (boxes numbered by their smallest node).
    num_boxes : int
    lower_bound : int
        Proven lower bound on the optimum (the solver's bound, at least the
        packing bound).
    optimal : bool
        ``num_boxes == lower_bound``: the cover is a proven optimum.
    """

    labels: np.ndarray
    num_boxes: int
    lower_bound: int
    optimal: bool


def _program(Dm: np.ndarray, size: float):
    """Variables (pairs u <= v with d(u, v) < l_B), objective and constraint matrix."""
    n = Dm.shape[0]
    close = Dm < size
    us, vs = np.nonzero(np.triu(close))  # includes u == v
    var = -np.ones((n, n), dtype=np.int64)
    var[us, vs] = np.arange(us.size)
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0
    for v in range(n):  # one representative per node
        reps = np.flatnonzero(close[: v + 1, v])
        rows += [r] * reps.size
        cols += var[reps, v].tolist()
        vals += [1.0] * reps.size
        lo.append(1.0)
        hi.append(1.0)
        r += 1
    for u in range(n):
        members = np.flatnonzero(close[u, u + 1 :]) + u + 1
        head = int(var[u, u])
        for j in members:  # x[u, j] <= x[u, u]
            rows += [r, r]
            cols += [var[u, j], head]
            vals += [1.0, -1.0]
            lo.append(-np.inf)
            hi.append(0.0)
            r += 1
        sub = ~close[np.ix_(members, members)]
        a, b = np.nonzero(np.triu(sub, 1))
        for v, w in zip(members[a], members[b], strict=True):  # far pair: not both in u's box
            rows += [r, r, r]
            cols += [var[u, v], var[u, w], head]
            vals += [1.0, 1.0, -1.0]
            lo.append(-np.inf)
            hi.append(0.0)
            r += 1
    M = sp.csr_matrix((vals, (rows, cols)), shape=(r, us.size))
    c = (us == vs).astype(np.float64)
    return us, vs, c, M, np.array(lo), np.array(hi)


def exact_cover(graph: Any, size: float, *, time_limit: float = 60.0) -> ExactCover:
    """Minimum box cover of size l_B by integer programming (small graphs).

    Parameters
    ----------
    graph : scipy sparse matrix, (n, n) numpy array or networkx.Graph
        At most :data:`MAX_EXACT_NODES` nodes.
    size : float
        Box size l_B >= 1.
    time_limit : float
        Seconds for the solver; past it the best cover so far (the solver's
        or the iterated-greedy cover it starts below) is returned with
        ``optimal=False`` and the solver's lower bound.

    Returns
    -------
    ExactCover

    Examples
    --------
    >>> from selfsim.generators import lattice
    >>> res = exact_cover(lattice((10,)), 3)
    >>> res.num_boxes, res.optimal
    (4, True)
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    A = as_adjacency(graph, "exact_cover")
    s = float(_sizes([size], is_weighted(A), "exact_cover")[0])
    time_limit = check_float(time_limit, "time_limit", "exact_cover", low=0.0, closed="neither")
    n = check_int(
        A.shape[0],
        "number of nodes",
        "exact_cover",
        low=1,
        high=MAX_EXACT_NODES,
        hint="Use improved_counts / packing_bound for larger graphs.",
    )
    Dm, _ = all_distances(A, s, "exact_cover")
    packing = _packing(Dm, s).size
    # the heuristic cover bounds the program from above (and is kept if the solver stops early)
    heur = improved_cover(A, s, seed=0)
    us, vs, c, M, lo, hi = _program(Dm, s)
    box_rows = LinearConstraint(c[None, :], packing, int(heur.max()) + 1)
    res = milp(
        c,
        integrality=np.ones(c.size),
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(M, lo, hi), box_rows],
        options={"time_limit": time_limit},
    )
    labels = heur
    if res.x is not None:
        x = np.round(res.x).astype(bool)
        found = np.empty(n, dtype=np.int64)
        found[vs[x]] = us[x]
        if found.max() < heur.max() or res.status == 0:
            labels = _canonical(found)
    num = int(labels.max()) + 1
    bound = getattr(res, "mip_dual_bound", None)
    solver_lb = math.ceil(bound - 1e-6) if bound is not None and np.isfinite(bound) else 0
    lb = max(packing, num if res.status == 0 else solver_lb)
    return ExactCover(
        labels=labels, num_boxes=num, lower_bound=int(min(lb, num)), optimal=lb >= num
    )
