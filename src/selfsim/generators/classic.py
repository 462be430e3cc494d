"""Lattices and random-graph controls.

* d-dimensional lattices (chains, grids, cubes): ``d_B = d`` (1, 2, 3).
* Barabasi-Albert and Erdos-Renyi graphs: small worlds whose box count
  decays exponentially with the box size; they have no finite d_B and serve
  as non-fractal controls.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from .._core.errors import InvalidInputError
from .._core.seeding import SeedLike, as_generator
from .._core.validation import check_float, check_int
from ..network.graph import components, edges_to_csr

__all__ = ["lattice", "barabasi_albert", "erdos_renyi", "largest_component"]


def lattice(shape: Sequence[int] | int, *, periodic: bool = False) -> sp.csr_matrix:
    """Hyper-cubic lattice with nearest-neighbour edges (``d_B = len(shape)``).

    Parameters
    ----------
    shape : int or sequence of 1 to 3 ints
        Side lengths, e.g. ``(64,)`` chain, ``(32, 32)`` grid, ``(10, 10, 10)`` cube.
    periodic : bool
        Wrap around (ring / torus).

    Examples
    --------
    >>> lattice((4, 4)).nnz // 2
    24
    """
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not 1 <= len(shape) <= 3:
        raise InvalidInputError(
            f"lattice supports 1 to 3 dimensions; got shape {shape!r}. Pass e.g. (64,), (32, 32)."
        )
    shape = tuple(check_int(s, "shape", "lattice", low=1) for s in shape)
    n = int(np.prod(shape))
    idx = np.arange(n).reshape(shape)
    us, vs = [], []
    for ax, side in enumerate(shape):
        if side < 2:
            continue
        nxt = np.roll(idx, -1, axis=ax)
        if periodic and side > 2:
            us.append(idx.ravel())
            vs.append(nxt.ravel())
        else:
            sl = [slice(None)] * len(shape)
            sl[ax] = slice(0, side - 1)
            us.append(idx[tuple(sl)].ravel())
            vs.append(nxt[tuple(sl)].ravel())
    if not us:
        return sp.csr_matrix((n, n))
    return edges_to_csr(np.concatenate(us), np.concatenate(vs), n)


def barabasi_albert(n: int, m: int, *, seed: SeedLike = None) -> sp.csr_matrix:
    """Barabasi-Albert preferential attachment graph (a non-fractal control).

    Starts from a star of m + 1 nodes; each new node links to m distinct
    existing nodes chosen with probability proportional to degree.

    References
    ----------
    A.-L. Barabasi, R. Albert, Science 286, 509 (1999).

    Examples
    --------
    >>> barabasi_albert(100, 2, seed=0).nnz // 2
    196
    """
    m = check_int(m, "m", "barabasi_albert", low=1)
    n = check_int(n, "n", "barabasi_albert", low=m + 1)
    rng = as_generator(seed, "barabasi_albert")
    targets = np.empty(2 * m * n, dtype=np.int64)  # degree-weighted urn of node ids
    us = [np.zeros(m, dtype=np.int64)]
    vs = [np.arange(1, m + 1, dtype=np.int64)]
    size = 0
    targets[: 2 * m] = np.concatenate([np.zeros(m, dtype=np.int64), np.arange(1, m + 1)])
    size = 2 * m
    for new in range(m + 1, n):
        chosen: set[int] = set()
        while len(chosen) < m:
            chosen.add(int(targets[rng.integers(size)]))
        c = np.fromiter(chosen, dtype=np.int64, count=m)
        us.append(np.full(m, new, dtype=np.int64))
        vs.append(c)
        targets[size : size + m] = c
        targets[size + m : size + 2 * m] = new
        size += 2 * m
    return edges_to_csr(np.concatenate(us), np.concatenate(vs), n)


def erdos_renyi(n: int, mean_degree: float, *, seed: SeedLike = None) -> sp.csr_matrix:
    """Erdos-Renyi G(n, p) graph with ``p = mean_degree / (n - 1)`` (a non-fractal control).

    May be disconnected for small mean degrees; use :func:`largest_component`.

    Examples
    --------
    >>> erdos_renyi(200, 6.0, seed=1).shape
    (200, 200)
    """
    n = check_int(n, "n", "erdos_renyi", low=2)
    k = check_float(mean_degree, "mean_degree", "erdos_renyi", low=0.0, high=float(n - 1))
    rng = as_generator(seed, "erdos_renyi")
    p = k / (n - 1)
    if n <= 4000:
        iu, ju = np.triu_indices(n, k=1)
        keep = rng.random(iu.shape[0]) < p
        return edges_to_csr(iu[keep], ju[keep], n)
    count = rng.binomial(n * (n - 1) // 2, p)
    u = rng.integers(0, n, size=count)
    v = rng.integers(0, n, size=count)
    return edges_to_csr(u, v, n)


def largest_component(A: sp.csr_matrix) -> sp.csr_matrix:
    """The adjacency restricted to the largest connected component."""
    k, labels = components(A)
    if k == 1:
        return A
    big = np.argmax(np.bincount(labels))
    keep = np.flatnonzero(labels == big)
    return A[keep][:, keep].tocsr()
