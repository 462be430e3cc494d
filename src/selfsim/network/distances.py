"""Pair distances and threshold graphs of the feature network G_M (METHOD section 1).

Node i of G_M is row F_i of F (shape (D, B)); the distance between nodes i
and j is ``C_ij = ||F_i - F_j||_2 / sqrt(B)`` over unordered pairs i < j, in
the condensed order of :func:`scipy.spatial.distance.pdist` (row-major upper
triangle). G_M at threshold theta joins i and j when ``C_ij < theta``
(:func:`threshold_graph`).

This module owns these definitions: SS_rate, the box covering of G_M and the
small-world measures all take their distances and graphs from here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast, overload

import numpy as np

from .._core.errors import DegenerateInputError, InvalidInputError

if TYPE_CHECKING:
    import torch

__all__ = ["pair_distances", "check_features", "squareform", "threshold_graph", "pair_graph"]


def check_features(
    F: Any, caller: str, *, min_nodes: int = 3, min_samples: int = 2
) -> tuple[int, int]:
    """Validate a feature matrix F of shape (D, B); return (D, B).

    Raises :class:`InvalidInputError` for a wrong type or rank and
    :class:`DegenerateInputError` for too few nodes or samples or non-finite values.
    """
    try:
        import torch
    except ImportError:  # pragma: no cover
        torch = None  # type: ignore[assignment]
    is_torch = torch is not None and isinstance(F, torch.Tensor)
    if not is_torch and not isinstance(F, np.ndarray):
        raise InvalidInputError(
            f"{caller} expects F as a numpy array or torch tensor of shape (D, B); "
            f"got {type(F).__name__}. Convert it with numpy.asarray(F) first."
        )
    if F.ndim != 2:
        raise InvalidInputError(
            f"{caller} expects F of shape (D, B) (nodes x batch); got an array of rank {F.ndim} "
            f"with shape {tuple(F.shape)}. Reduce a layer output with selfsim.feature_matrix(h) first."
        )
    D, B = int(F.shape[0]), int(F.shape[1])
    if D < min_nodes:
        raise DegenerateInputError(
            f"{caller} needs at least {min_nodes} nodes (rows of F, shape (D, B)); got D = {D}. "
            "Hook a wider layer, or check that F is not transposed."
        )
    if B < min_samples:
        raise DegenerateInputError(
            f"{caller} needs at least {min_samples} samples (columns of F, shape (D, B)); got B = {B}. "
            "Use a larger batch, or check that F is not transposed."
        )
    if is_torch:
        if not (F.is_floating_point() or F.dtype in (torch.int32, torch.int64, torch.uint8)):
            raise InvalidInputError(f"{caller} expects real-valued F; got dtype {F.dtype}.")
        finite = bool(torch.isfinite(F).all())
    else:
        if not np.issubdtype(F.dtype, np.number) or np.iscomplexobj(F):
            raise InvalidInputError(f"{caller} expects real-valued F; got dtype {F.dtype}.")
        finite = bool(np.isfinite(F).all())
    if not finite:
        raise DegenerateInputError(
            f"{caller} got non-finite values (NaN or inf) in F; SS_rate is undefined on them. "
            "Check the layer's activations (overflow under mixed precision, a diverged model)."
        )
    return D, B


@overload
def pair_distances(F: np.ndarray, *, check_input: bool = ...) -> np.ndarray: ...
@overload
def pair_distances(F: torch.Tensor, *, check_input: bool = ...) -> torch.Tensor: ...
def pair_distances(
    F: np.ndarray | torch.Tensor, *, check_input: bool = True
) -> np.ndarray | torch.Tensor:
    """Distances ``C_ij = ||F_i - F_j|| / sqrt(B)`` over pairs i < j.

    Parameters
    ----------
    F : array or tensor of shape (D, B)
        Node features, one row per channel.
    check_input : bool, default True
        Validate F with :func:`check_features`. A caller that has just done so
        passes False to skip the second pass over F.

    Returns
    -------
    C : array or tensor of shape (D (D - 1) / 2,)
        Condensed distances, float64 for numpy input, float32 (or the input's
        float64) for torch input; differentiable for torch input.

    Examples
    --------
    >>> import numpy as np
    >>> pair_distances(np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]]))
    array([3.53553391, 0.        , 3.53553391])
    """
    if check_input:
        check_features(F, "pair_distances", min_nodes=2, min_samples=1)
    B = int(F.shape[1])
    if isinstance(F, np.ndarray):
        from scipy.spatial.distance import pdist

        return pdist(np.asarray(F, dtype=np.float64)) / math.sqrt(B)
    import torch

    x = F if F.dtype == torch.float64 else F.float()
    return torch.pdist(x) / math.sqrt(B)


def squareform(C: np.ndarray) -> np.ndarray:
    """Condensed distances of length D (D - 1) / 2 -> symmetric (D, D) matrix (numpy)."""
    from scipy.spatial.distance import squareform as sq

    return sq(np.asarray(C), checks=False)


def _num_nodes(num_pairs: int) -> int:
    D = int(round((1 + math.sqrt(1 + 8 * num_pairs)) / 2))
    if D * (D - 1) // 2 != num_pairs:
        raise InvalidInputError(
            f"{num_pairs} condensed pair values do not form a network: the length must be "
            "D (D - 1) / 2 for some number of nodes D (use pair_distances(F))."
        )
    return D


def pair_graph(keep: np.ndarray, num_nodes: int) -> np.ndarray:
    """Dense adjacency (D, D) of the graph whose edges are the chosen condensed pairs.

    Parameters
    ----------
    keep : bool array of shape (D (D - 1) / 2,) or int array of pair indices
        The pairs i < j that are edges, in condensed order.
    num_nodes : int
        D.

    Returns
    -------
    A : float64 array of shape (D, D)
        Symmetric, 1.0 on edges, 0 elsewhere and on the diagonal.
    """
    D = int(num_nodes)
    iu, ju = np.triu_indices(D, 1)
    A = np.zeros((D, D))
    A[iu[keep], ju[keep]] = 1.0
    return A + A.T


def threshold_graph(
    C: Any, theta: float | None = None, *, density: float | None = None
) -> np.ndarray:
    """G_M as a dense adjacency: an edge where ``C_ij < theta``, or the closest pairs.

    Parameters
    ----------
    C : array of shape (D (D - 1) / 2,)
        Condensed pair distances (:func:`pair_distances`; a torch tensor is
        read as numpy).
    theta : float, optional
        Threshold: edges are the pairs with ``C_ij < theta`` (strict, as the
        edge densities of SS_rate count them).
    density : float in (0, 1], optional
        Instead of theta: keep the ``max(1, round(density * P))`` closest of the
        P pairs (ties by condensed order).

    Returns
    -------
    A : float64 array of shape (D, D)
        Symmetric 0/1 adjacency without self-loops.

    Examples
    --------
    >>> import numpy as np
    >>> C = pair_distances(np.array([[0.0], [1.0], [3.0]]))  # B = 1: C = |x_i - x_j|
    >>> C.tolist()
    [1.0, 3.0, 2.0]
    >>> threshold_graph(C, 2.0).astype(int).tolist()
    [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    >>> threshold_graph(C, density=2 / 3).astype(int).tolist()
    [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    """
    if (theta is None) == (density is None):
        raise InvalidInputError("threshold_graph needs exactly one of theta= and density=.")
    if not isinstance(C, np.ndarray):
        detach = getattr(C, "detach", None)
        C = detach().cpu().numpy() if detach is not None else np.asarray(C)
    C = np.asarray(C)
    if C.ndim != 1:
        raise InvalidInputError(
            f"threshold_graph expects condensed distances of shape (D (D - 1) / 2,); got shape "
            f"{C.shape}. Use pair_distances(F)."
        )
    D = _num_nodes(C.size)
    if theta is not None:
        return pair_graph(C < float(theta), D)
    d = float(cast(float, density))  # given: exactly one of theta, density is
    if not 0.0 < d <= 1.0:
        raise InvalidInputError(
            "The 'density' parameter of threshold_graph must be a float in (0, 1]. "
            f"Got {density!r} instead."
        )
    m = max(1, int(round(d * C.size)))
    return pair_graph(np.argsort(C, kind="stable")[:m], D)
