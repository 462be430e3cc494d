"""Per-epoch evaluation: top-1 accuracy and SS_rate per hooked layer.

Top-1 is computed on the (sharded) test set and summed over processes. The
per-layer SS_rate is measured on one fixed evaluation batch (the first
``data.eval_batch`` test images), the same batch every epoch, so the curves
of different epochs and runs are comparable.
"""

from __future__ import annotations

import math
import warnings
from contextlib import nullcontext
from typing import Any

import torch
from torch import nn

from .._core.errors import DegenerateInputError, SelfSimWarning
from ..activations.hooks import capture
from .distributed import all_reduce_sum

__all__ = ["top1_accuracy", "layer_ss_rates", "ss_rates_of_outputs"]


@torch.no_grad()
def top1_accuracy(
    model: nn.Module, loader: Any, device: str, *, amp: torch.dtype | None = None
) -> float:
    """Top-1 accuracy in percent over the loader, summed over all processes.

    ``amp``: the CUDA autocast dtype, or None for full precision.
    """
    was_training = model.training
    model.eval()
    correct = total = 0
    ctx = torch.autocast("cuda", dtype=amp) if amp is not None else nullcontext()
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with ctx:
            logits = model(x)
        correct += int((logits.argmax(dim=1) == y).sum())
        total += int(y.numel())
    model.train(was_training)
    c, t = all_reduce_sum([float(correct), float(total)])
    return 100.0 * c / t if t > 0 else math.nan


@torch.no_grad()
def layer_ss_rates(
    model: nn.Module,
    layers: list[str],
    x: torch.Tensor,
    *,
    num_thresholds: int = 256,
    formula: str = "code",
) -> dict[str, float]:
    """SS_rate of every hooked layer on the batch ``x`` (model in eval mode).

    A layer whose SS_rate is undefined on this batch gets NaN and a warning.
    """
    was_training = model.training
    model.eval()
    try:
        with capture(model, layers) as cap:  # detached outputs, first-tensor rule
            model(x)
    finally:
        model.train(was_training)
    outputs = cap.outputs
    return ss_rates_of_outputs(
        {n: outputs[n] for n in layers},
        num_thresholds=num_thresholds,
        formula=formula,
        where="the evaluation batch",
    )


@torch.no_grad()
def ss_rates_of_outputs(
    outputs: dict[str, torch.Tensor],
    *,
    num_thresholds: int = 256,
    formula: str = "code",
    where: str = "this batch",
) -> dict[str, float]:
    """SS_rate of each captured layer output (name -> output tensor), without gradient.

    A layer whose SS_rate is undefined gets NaN and a warning naming ``where``.
    """
    from ..activations.reduce import feature_matrix
    from ..metrics.ss_rate import ss_curve

    rates: dict[str, float] = {}
    for name, out in outputs.items():
        try:
            F = feature_matrix(out.detach().float())  # reduced in float32, as the analysis does
            # the analysis's per-layer SS_rate, with float32 distances (the training kernel)
            curve = ss_curve(F, num_thresholds=num_thresholds, formula=formula, dtype="float32")
            rates[name] = float(curve.value)
        except DegenerateInputError as exc:
            warnings.warn(
                f"SS_rate undefined at layer {name!r} on {where}: {exc}",
                SelfSimWarning,
                stacklevel=2,
            )
            rates[name] = math.nan
    return rates
