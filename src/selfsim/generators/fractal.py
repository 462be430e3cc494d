"""Deterministic and stochastic fractal networks with known box dimension.

* (u,v)-flowers (Rozenfeld, Havlin, ben-Avraham 2007): every edge is replaced,
  generation after generation, by two parallel paths of lengths u and v.
  For 1 < u <= v the flower is fractal with ``d_B = ln(u + v) / ln(u)``; for
  u = 1 it is a small world (d_B infinite).
* The Song-Havlin-Makse growth model (Song, Havlin, Makse 2006) in its pure
  fractal mode (e = 0, hub repulsion): each node of degree k gets m k new
  neighbours and every old edge (x, y) is replaced by an edge between one new
  neighbour of x and one of y. Distances triple, edges grow by 2m + 1, so
  ``d_B = ln(2m + 1) / ln(3)``. With hub attraction (e > 0) old edges survive
  with probability e and the network turns into a small world.
* The Sierpinski gasket graph: ``d_B = ln 3 / ln 2``.

All generators return a symmetric ``scipy.sparse.csr_matrix``.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from .._core.errors import InvalidInputError
from .._core.seeding import SeedLike, as_generator
from .._core.validation import check_float, check_int
from ..network.graph import edges_to_csr

__all__ = ["uv_flower", "shm_model", "sierpinski_gasket", "flower_dimension", "shm_dimension"]


def flower_dimension(u: int, v: int) -> float:
    """Box dimension ``ln(u + v) / ln(u)`` of the (u,v)-flower (inf for u = 1)."""
    return math.inf if u == 1 else math.log(u + v) / math.log(u)


def shm_dimension(m: int) -> float:
    """Box dimension ``ln(2m + 1) / ln(3)`` of the pure fractal SHM model."""
    return math.log(2 * m + 1) / math.log(3)


def uv_flower(u: int, v: int, generation: int) -> sp.csr_matrix:
    """The (u,v)-flower of a given generation.

    Parameters
    ----------
    u, v : int
        Path lengths, ``1 <= u <= v`` and ``u + v >= 3``.
    generation : int
        Number of edge replacements applied to a single edge (>= 1;
        generation 1 is a cycle of u + v nodes).

    Returns
    -------
    A : scipy.sparse.csr_matrix
        Adjacency with ``(u+v)**g`` edges and
        ``(w - 2) / (w - 1) * w**g + w / (w - 1)`` nodes, w = u + v.

    Notes
    -----
    Diameter ``u**g`` for u > 1 (for the (2,2)-flower ``2**g``);
    ``d_B = ln(u + v) / ln(u)``.

    References
    ----------
    H. D. Rozenfeld, S. Havlin, D. ben-Avraham, New J. Phys. 9, 175 (2007).

    Examples
    --------
    >>> uv_flower(2, 2, 7).shape
    (10924, 10924)
    """
    u = check_int(u, "u", "uv_flower", low=1)
    v = check_int(v, "v", "uv_flower", low=u, hint="The flower needs 1 <= u <= v.")
    if u + v < 3:
        raise InvalidInputError(
            "uv_flower needs u + v >= 3; (1,1) is a single edge. Use e.g. (2, 2)."
        )
    g = check_int(generation, "generation", "uv_flower", low=1, high=40)
    edges = np.array([[0, 1]], dtype=np.int64)
    n = 2
    inner = u + v - 2  # new nodes per replaced edge
    for _ in range(g):
        E = edges.shape[0]
        new = n + np.arange(E * inner, dtype=np.int64).reshape(E, inner)
        n += E * inner
        a, b = edges[:, :1], edges[:, 1:]
        # path of length u: a, new[:, 0..u-2], b ; path of length v: a, new[:, u-1..], b
        p1 = np.hstack([a, new[:, : u - 1], b])
        p2 = np.hstack([a, new[:, u - 1 :], b])
        parts = [np.stack([p[:, :-1].ravel(), p[:, 1:].ravel()], axis=1) for p in (p1, p2)]
        edges = np.vstack(parts)
    return edges_to_csr(edges[:, 0], edges[:, 1], n)


def shm_model(m: int, generations: int, *, e: float = 0.0, seed: SeedLike = None) -> sp.csr_matrix:
    """The Song-Havlin-Makse fractal growth model.

    Parameters
    ----------
    m : int
        New neighbours per node and per incident edge in each generation (>= 1).
    generations : int
        Growth steps from a single edge (>= 1).
    e : float
        Probability that an old edge survives (hub attraction). ``e = 0`` is
        the pure fractal mode (a tree) with ``d_B = ln(2m+1)/ln 3``; ``e > 0``
        mixes in small-world shortcuts.
    seed : None, int or numpy.random.Generator
        Only used when ``0 < e < 1``.

    Returns
    -------
    A : scipy.sparse.csr_matrix

    Notes
    -----
    Node x of degree k gets ``m k`` new neighbours. Each old edge (x, y) is,
    with probability 1 - e, removed and replaced by an edge between one new
    neighbour of x and one new neighbour of y. In the pure fractal mode the
    number of edges grows as ``(2m+1)`` per generation and distances triple.

    References
    ----------
    C. Song, S. Havlin, H. A. Makse, Nature Physics 2, 275 (2006).

    Examples
    --------
    >>> shm_model(2, 3).shape
    (126, 126)
    """
    m = check_int(m, "m", "shm_model", low=1)
    g = check_int(generations, "generations", "shm_model", low=1, high=20)
    e = check_float(e, "e", "shm_model", low=0.0, high=1.0)
    rng = as_generator(seed, "shm_model")
    edges = np.array([[0, 1]], dtype=np.int64)
    n = 2
    for _ in range(g):
        E = edges.shape[0]
        # m new neighbours at each end of every edge: new[:, 0, :] at x, new[:, 1, :] at y
        new = n + np.arange(E * 2 * m, dtype=np.int64).reshape(E, 2, m)
        n += E * 2 * m
        x = np.repeat(edges[:, 0], m)
        y = np.repeat(edges[:, 1], m)
        spokes = np.vstack(
            [np.stack([x, new[:, 0, :].ravel()], 1), np.stack([y, new[:, 1, :].ravel()], 1)]
        )
        keep = rng.random(E) < e if 0.0 < e < 1.0 else np.full(E, e >= 1.0)
        bridges = np.stack([new[:, 0, 0], new[:, 1, 0]], 1)[~keep]
        edges = np.vstack([spokes, bridges, edges[keep]])
    return edges_to_csr(edges[:, 0], edges[:, 1], n)


def sierpinski_gasket(level: int) -> sp.csr_matrix:
    """The Sierpinski gasket graph of a given level.

    Level 0 is a triangle; level k + 1 glues three copies of level k at their
    corners. It has ``3 (3**k + 1) / 2`` nodes, ``3**(k+1)`` edges and
    diameter ``2**k``; ``d_B = ln 3 / ln 2``.

    Examples
    --------
    >>> sierpinski_gasket(2).shape
    (15, 15)
    """
    k = check_int(level, "level", "sierpinski_gasket", low=0, high=14)
    # nodes are integer points (a, b) of the triangular lattice, edges are coordinate pairs
    seg = np.array([[[0, 0], [1, 0]], [[0, 0], [0, 1]], [[1, 0], [0, 1]]], dtype=np.int64)
    for j in range(k):
        s = 1 << j
        seg = np.concatenate([seg, seg + np.array([s, 0]), seg + np.array([0, s])])
    side = (1 << k) + 1
    keys = seg[..., 0] * side + seg[..., 1]
    uniq, inv = np.unique(keys.ravel(), return_inverse=True)
    inv = inv.reshape(-1, 2)
    return edges_to_csr(inv[:, 0], inv[:, 1], uniq.shape[0])
