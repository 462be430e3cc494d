"""Registry of box-covering methods.

Every method maps (connected graph, ascending box sizes, random order) to box
labels of shape (len(sizes), n), once through the fast numba kernels and
once through the numpy/scipy reference. Registering a method here puts it
under the contract tests of ``tests/covering``.

``kind`` says how a method meets the box-size contract (every pair of nodes
of a box at distance < l_B):

* ``"diameter"`` boxes are built directly from pairwise distances < l_B;
* ``"radius"`` boxes are balls of radius ``r_B`` around a centre, with
  ``r_B`` the largest radius such that ``2 r_B < l_B`` (for integer distances
  ``r_B = floor((l_B - 1) / 2)``, i.e. ``l_B = 2 r_B + 1`` for odd sizes).
  Pairwise distances are <= 2 r_B < l_B. MEMB gives one box once ``r_B``
  reaches the graph radius (``l_B = 2 * radius + 1``); random and sketch
  only once ``r_B`` reaches the diameter (``l_B = 2 * diameter + 1``), as
  their first centre need not be central (the diameter methods need only
  ``l_B = diameter + 1``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._core.progress import Progress
from . import reference as ref

log = logging.getLogger(__name__)

__all__ = ["CoverMethod", "METHODS", "radius_limit", "size_limit"]


def size_limit(size: float) -> float:
    """Largest distance allowed inside a box of size l_B (d <= limit  <=>  d < l_B)."""
    return float(np.nextafter(size, -np.inf))


def radius_limit(size: float) -> float:
    """Largest radius r_B with 2 r_B < l_B, as an inclusive distance limit."""
    return float(np.nextafter(size / 2.0, -np.inf))


def _csr(A: sp.csr_matrix):
    return A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data.astype(np.float64)


def _greedy_fast(A, weighted, sizes, rank):
    from .greedy import greedy_colouring_graph

    return greedy_colouring_graph(A, weighted, sizes, np.argsort(rank, kind="stable"))


def _greedy_ref(Dm, sizes, rank, graph=None):
    return ref.greedy_reference(Dm, sizes, np.argsort(rank, kind="stable"))


def _per_limit(kernel_call, sizes, to_limit, what: str = "covering"):
    """Run a one-size kernel once per distinct limit (a progress line now and then)."""
    out, cache = [], {}
    progress = Progress(log, what, total=len(sizes), unit="sizes")
    for s in sizes:
        lim = to_limit(float(s))
        if lim not in cache:
            cache[lim] = kernel_call(lim)
        out.append(cache[lim])
        progress.update(1, note=f"l_B = {float(s):g} gave {int(cache[lim].max()) + 1} boxes")
    progress.close()
    return np.stack(out)


def _memb_fast(A, weighted, sizes, rank):
    from .burning import memb_labels

    ip, ix, w = _csr(A)
    if not weighted:
        from ._dense import dense_hops, memb_dense

        lims = np.array([radius_limit(float(s)) for s in sizes])
        uniq, inv = np.unique(lims, return_inverse=True)
        radii = np.maximum(np.floor(uniq), 0).astype(np.int64)
        dense = dense_hops(ip, ix, int(min(radii.max(), A.shape[0])))
        if dense is not None:  # all radii at once on the dense hop matrix
            D, cum = dense.D, dense.cum
            radii = np.minimum(radii, cum.shape[1] - 1).astype(D.dtype)
            lab = np.empty((uniq.size, A.shape[0]), dtype=np.int64)
            memb_dense(D, cum, radii, dense.perm, lab)
            out = np.empty_like(lab)
            out[:, dense.perm] = lab
            return out[inv]
    return _per_limit(
        lambda lim: memb_labels(ip, ix, w, weighted, lim), sizes, radius_limit, "memb"
    )


def _memb_ref(Dm, sizes, rank, graph=None):
    return _per_limit(lambda lim: ref.memb_reference(Dm, lim), sizes, radius_limit)


def _cbb_fast(A, weighted, sizes, rank):
    from .burning import cbb_labels

    ip, ix, w = _csr(A)
    by_rank = np.argsort(rank, kind="stable").astype(np.int64)
    rk = rank.astype(np.int64)
    return _per_limit(
        lambda lim: cbb_labels(ip, ix, w, weighted, lim, by_rank, rk), sizes, size_limit, "cbb"
    )


def _cbb_ref(Dm, sizes, rank, graph=None):
    return np.stack([ref.cbb_reference(Dm, float(s), rank) for s in sizes])


def _random_fast(A, weighted, sizes, rank):
    from .burning import random_labels

    ip, ix, w = _csr(A)
    by_rank = np.argsort(rank, kind="stable").astype(np.int64)
    return _per_limit(
        lambda lim: random_labels(ip, ix, w, weighted, lim, by_rank), sizes, radius_limit, "random"
    )


def _random_ref(Dm, sizes, rank, graph=None):
    return _per_limit(lambda lim: ref.random_reference(Dm, lim, rank), sizes, radius_limit)


def _sketch_fast(A, weighted, sizes, rank):
    from .sketch import sketch_labels

    ip, ix, w = _csr(A)
    lims = np.array([radius_limit(float(s)) for s in sizes])
    uniq, inv = np.unique(lims, return_inverse=True)
    progress = Progress(log, "sketch", total=uniq.size, unit="sizes")
    lab = sketch_labels(ip, ix, w, weighted, uniq, rank, progress=progress)
    progress.close()
    return lab[inv]


def _sketch_ref(Dm, sizes, rank, graph=None):
    from .sketch import (
        BOUND_Z,
        COUNT_BUDGET,
        EXACT_PER_NODE,
        LAZY_BALL,
        LAZY_GROWTH,
        LAZY_INIT,
        LAZY_MIN_NODES,
        LAZY_RECOUNT,
        SKETCH_K,
        SPENT_WALK,
        rebuild_below,
    )

    m_min = rebuild_below(SKETCH_K)
    caps = (LAZY_INIT, LAZY_RECOUNT, LAZY_BALL, LAZY_MIN_NODES, LAZY_GROWTH)
    csr = _csr(graph) if graph is not None else None

    def one(lim):
        if csr is not None:  # unweighted: radii the kernel covers by exact MEMB
            cs = ref.lazy_memb_reference(Dm, lim, csr[0], csr[1], caps)
            if cs is not None:
                return np.argmin(Dm[np.asarray(cs)], axis=0).astype(np.int64)
        return ref.sketch_reference(
            Dm, lim, rank, SKETCH_K, m_min, BOUND_Z, EXACT_PER_NODE, COUNT_BUDGET, SPENT_WALK
        )

    return _per_limit(one, sizes, radius_limit)


@dataclass(frozen=True)
class CoverMethod:
    """One box-covering method.

    Attributes
    ----------
    name : str
    kind : {"diameter", "radius"}
        How the box-size contract is met (see the module docstring).
    random : bool
        Whether the result depends on ``seed`` (deterministic methods use the
        node order 0..n-1 when ``seed`` is None).
    summary : str
    fast : callable
        ``(A, weighted, sizes, rank) -> labels (L, n)`` using numba kernels.
    reference : callable
        ``(distance_matrix, sizes, rank) -> labels (L, n)`` in numpy.
    """

    name: str
    kind: str
    random: bool
    summary: str
    fast: Callable
    reference: Callable


METHODS: dict[str, CoverMethod] = {
    "greedy": CoverMethod(
        "greedy",
        "diameter",
        False,
        "greedy colouring of the dual graph, all sizes in one pass (Song et al. 2007)",
        _greedy_fast,
        _greedy_ref,
    ),
    "cbb": CoverMethod(
        "cbb", "diameter", True, "compact-box-burning (Song et al. 2007)", _cbb_fast, _cbb_ref
    ),
    "memb": CoverMethod(
        "memb",
        "radius",
        False,
        "maximum-excluded-mass burning, radius boxes l_B = 2 r_B + 1 (Song et al. 2007)",
        _memb_fast,
        _memb_ref,
    ),
    "random": CoverMethod(
        "random",
        "radius",
        True,
        "random sequential burning of radius boxes (Kim et al. 2004)",
        _random_fast,
        _random_ref,
    ),
    "sketch": CoverMethod(
        "sketch",
        "radius",
        True,
        "MEMB with excluded mass estimated from bottom-k all-distances sketches, no all-pairs "
        "distances; for large graphs (after Akiba, Nakamura, Takaguchi 2016)",
        _sketch_fast,
        _sketch_ref,
    ),
}
