"""True box covering of the feature network G_M (the thing SS_rate stands in for).

Node i of G_M is row F_i of F (shape (D, B)); the distance between i and j is
``C_ij = ||F_i - F_j|| / sqrt(B)`` (:func:`selfsim.network.distances.pair_distances`).
A box at threshold theta is a set of nodes with all pairwise ``C_ij < theta``,
i.e. a clique of the threshold graph, and N(theta) is the number of boxes of
a covering. METHOD.md section 2 replaces N(theta) by a closed form in the
edge density; this module computes the real covering so the two can be
compared on the same layer.

Greedy colouring runs over all thresholds in one pass: the rows of the
distance matrix are sorted once, so the ball of node i at any threshold is
a prefix of its sorted row, and the colouring kernel of
:mod:`selfsim.covering.greedy` does the rest (about a second for D = 768 and
256 thresholds with numba).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.errors import InvalidInputError
from .._core.seeding import SeedLike, as_generator
from ..network.distances import check_features, pair_distances, squareform
from ._jit import have_numba, threads_for
from .api import keep_best_cover
from .registry import METHODS

__all__ = ["box_counts_features", "feature_cover_labels"]


def _thresholds(thresholds: Any) -> np.ndarray:
    try:
        t = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
    except (TypeError, ValueError):
        t = None
    if t is None or t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise InvalidInputError(
            "The 'thresholds' parameter of box_counts_features must be a non-empty 1-D sequence of "
            f"finite thresholds theta >= 0. Got {thresholds!r} instead."
        )
    return t


def _as_numpy(F: Any) -> np.ndarray:
    if isinstance(F, np.ndarray):
        return F
    detach = getattr(F, "detach", None)
    return np.asarray(detach().cpu().numpy() if detach is not None else F)


def feature_cover_labels(
    F: Any, thresholds: Any, *, method: str = "greedy", seed: SeedLike = None, engine: str = "auto"
) -> np.ndarray:
    """Box labels of shape (len(thresholds), D) for the feature network of F."""
    check_features(F, "box_counts_features")
    if method not in METHODS:
        raise InvalidInputError(
            f"unknown covering method {method!r} for box_counts_features; choose one of "
            + ", ".join(repr(m) for m in METHODS)
            + "."
        )
    if engine not in ("auto", "numba", "python"):
        raise InvalidInputError(
            f"The 'engine' parameter of box_counts_features must be one of 'auto', 'numba', "
            f"'python'. Got {engine!r} instead."
        )
    t = _thresholds(thresholds)
    Cm = squareform(pair_distances(_as_numpy(F).astype(np.float64, copy=False)))
    D = Cm.shape[0]
    m = METHODS[method]
    rank = (
        as_generator(seed, "box_counts_features").permutation(D)
        if (m.random or seed is not None)
        else np.arange(D)
    )
    node_order = np.argsort(rank, kind="stable")
    srt = np.argsort(t, kind="stable")
    ts = t[srt]
    fast = method == "greedy" and (engine == "numba" or (engine == "auto" and have_numba()))
    if fast:
        from .greedy import assign_colours

        order = np.argsort(Cm, axis=1, kind="stable")
        rows = np.take_along_axis(Cm, order, axis=1)
        ends = np.empty((D, ts.size), dtype=np.int64)
        for i in range(D):  # ball at theta = prefix of the sorted row with C < theta
            ends[i] = np.searchsorted(rows[i], ts, side="left")
        colors = np.full((ts.size, D), -1, dtype=np.int32)
        with threads_for(D):
            assign_colours(
                np.ascontiguousarray(order[node_order]),
                np.ascontiguousarray(ends[node_order]),
                np.full(D, D, dtype=np.int64),
                node_order.astype(np.int64),
                colors,
                np.zeros((ts.size, D), dtype=np.int64),
                np.zeros(ts.size, dtype=np.int64),
            )
        lab = colors.astype(np.int64)
    else:
        lab = m.reference(Cm, ts, rank)
    return keep_best_cover(lab, np.arange(ts.size))[np.argsort(srt, kind="stable")]


def box_counts_features(
    F: Any, thresholds: Any, *, method: str = "greedy", seed: SeedLike = None, engine: str = "auto"
) -> np.ndarray:
    """Box counts N(theta) of the feature network G_M of F.

    Parameters
    ----------
    F : array or tensor of shape (D, B)
        Node features (one row per channel), e.g. from :func:`selfsim.feature_matrix`.
    thresholds : sequence of float
        Thresholds theta >= 0, any order (e.g. the 256 SS_rate thresholds).
    method : {"greedy", "cbb", "memb", "random", "sketch"}
        ``"greedy"`` (default) is fast (numba, all thresholds in one pass);
        the others run the numpy reference on the dense distance matrix.
        ``"memb"``/``"random"`` use radius boxes (pairwise distance < theta).
    seed : None, int or numpy.random.Generator
        Colouring order for greedy (None: nodes 0..D-1); random choices of
        cbb and random.
    engine : {"auto", "numba", "python"}

    Returns
    -------
    counts : array of shape (len(thresholds),), int64
        Number of boxes (cliques of the threshold graph ``C_ij < theta``):
        D for theta <= min C_ij, 1 for theta > max C_ij.

    Examples
    --------
    >>> import numpy as np
    >>> F = np.array([[0.0, 0.0], [0.0, 0.1], [5.0, 5.0], [5.0, 5.1]])
    >>> box_counts_features(F, [0.01, 1.0, 10.0]).tolist()
    [4, 2, 1]
    """
    lab = feature_cover_labels(F, thresholds, method=method, seed=seed, engine=engine)
    return (lab.max(axis=1) + 1).astype(np.int64)
