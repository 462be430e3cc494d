"""Reduce a layer output to the feature matrix F of shape (D, B) (METHOD section 1).

Rules, one column of the (B, D) reduction per channel / neuron / embedding:

* (B, C, H, W) convolutional maps: mean over H and W, D = C.
* (B, H, W, C) channels-last maps (some timm stages): mean over H and W, D = C.
* (B, N, C) tokens, class token included: mean over N, D = C.
* (B, C): as is.

The result is transposed to (D, B): D nodes of G_M, each with its activation
over the batch as a B-dimensional feature vector.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, overload

import numpy as np

from .._core.errors import InvalidInputError
from .._core.validation import check_choice

if TYPE_CHECKING:
    import torch

__all__ = ["feature_matrix", "guess_layout"]

Layout = Literal["auto", "NCHW", "NHWC", "NLC", "NC"]
_LAYOUTS = ("auto", "NCHW", "NHWC", "NLC", "NC")


def guess_layout(shape: tuple[int, ...]) -> str:
    """Best guess of the layout of an output of this shape.

    4-D outputs are read as NCHW unless the middle two sizes are equal and the
    last differs (a square channels-last map such as (B, 7, 7, 768)).
    """
    rank = len(shape)
    if rank == 2:
        return "NC"
    if rank == 3:
        return "NLC"
    if rank == 4:
        _, a, b, c = shape
        if a == b and c != a:
            return "NHWC"
        return "NCHW"
    raise InvalidInputError(
        f"feature_matrix cannot reduce an output of rank {rank} (shape {tuple(shape)}); "
        "it handles (B, C), (B, N, C), (B, C, H, W) and (B, H, W, C). "
        "Reshape the output to one of these, or hook a different module."
    )


@overload
def feature_matrix(h: np.ndarray, *, layout: Layout = ...) -> np.ndarray: ...
@overload
def feature_matrix(h: torch.Tensor, *, layout: Layout = ...) -> torch.Tensor: ...
def feature_matrix(
    h: np.ndarray | torch.Tensor, *, layout: Layout = "auto"
) -> np.ndarray | torch.Tensor:
    """Layer output -> feature matrix F of shape (D, B).

    Parameters
    ----------
    h : numpy array or torch tensor
        A layer output of shape (B, C), (B, N, C), (B, C, H, W) or (B, H, W, C).
    layout : {"auto", "NCHW", "NHWC", "NLC", "NC"}, default "auto"
        How to read ``h``. "auto" uses :func:`guess_layout`; pass "NHWC" or
        "NCHW" explicitly when a 4-D map is ambiguous.

    Returns
    -------
    F : same kind as ``h`` (numpy in, numpy out; torch in, torch out), shape (D, B)
        Gradients flow through the torch path.

    Examples
    --------
    >>> import numpy as np
    >>> feature_matrix(np.ones((8, 16, 4, 4))).shape
    (16, 8)
    >>> feature_matrix(np.ones((8, 197, 384))).shape
    (384, 8)
    """
    check_choice(layout, "layout", "feature_matrix", _LAYOUTS)
    try:
        import torch
    except ImportError:  # pragma: no cover
        torch = None  # type: ignore[assignment]
    is_torch = torch is not None and isinstance(h, torch.Tensor)
    if not is_torch and not isinstance(h, np.ndarray):
        raise InvalidInputError(
            f"feature_matrix expects a numpy array or torch tensor; got {type(h).__name__}."
        )
    shape = tuple(int(s) for s in h.shape)
    resolved = guess_layout(shape) if layout == "auto" else layout
    want_rank = {"NC": 2, "NLC": 3, "NCHW": 4, "NHWC": 4}[resolved]
    if len(shape) != want_rank:
        raise InvalidInputError(
            f"feature_matrix got layout={layout!r} but an output of shape {shape} "
            f"(rank {len(shape)}); layout {resolved!r} needs rank {want_rank}."
        )
    if shape[0] < 1 or any(s < 1 for s in shape[1:]):
        raise InvalidInputError(f"feature_matrix got an empty output of shape {shape}.")
    axes = {"NC": (), "NLC": (1,), "NCHW": (2, 3), "NHWC": (1, 2)}[resolved]
    if not isinstance(h, np.ndarray):  # a torch tensor (checked above)
        t = h if h.is_floating_point() else h.float()
        reduced_t = t.mean(dim=axes) if axes else t
        return reduced_t.transpose(0, 1)
    x = h if np.issubdtype(h.dtype, np.floating) else h.astype(np.float64)
    reduced = x.mean(axis=axes) if axes else x
    return np.ascontiguousarray(reduced.T)
