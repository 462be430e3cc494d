"""Pair distances of the feature network G_M (METHOD section 1).

Node i of G_M is row F_i of F (shape (D, B)); the distance between nodes i
and j is ``C_ij = ||F_i - F_j||_2 / sqrt(B)`` over unordered pairs i < j, in
the condensed order of :func:`scipy.spatial.distance.pdist` (row-major upper
triangle).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from .._core.errors import DegenerateInputError, InvalidInputError

if TYPE_CHECKING:
    import torch

__all__ = ["pair_distances", "check_features", "squareform"]



def check_features(F: Any, caller: str, *, min_nodes: int = 3,
                   min_samples: int = 2) -> tuple[int, int]:
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
def pair_distances(F: np.ndarray) -> np.ndarray: ...
@overload
def pair_distances(F: torch.Tensor) -> torch.Tensor: ...
def pair_distances(F: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """Distances ``C_ij = ||F_i - F_j|| / sqrt(B)`` over pairs i < j.

    Parameters
    ----------
    F : array or tensor of shape (D, B)
        Node features, one row per channel.

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
    D, B = check_features(F, "pair_distances", min_nodes=2, min_samples=1)
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
