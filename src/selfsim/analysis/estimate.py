"""``--dry-run``: layers, output shapes and a time / memory estimate before any heavy work.

The estimate runs the model once on a handful of zero images of its input
size (timed, scaled linearly to the requested number of images) and counts
the memory the analysis holds: the activations of one forward batch, the
feature matrices F (D x N float64) of every hooked layer, and the N x N Gram
matrices when the spectrum or UMAP measurements are on.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import torch

from ..activations.hooks import capture
from ..activations.reduce import feature_matrix
from .config import AnalysisConfig

__all__ = ["dry_run"]

_PROBE = 4


def _mib(nbytes: float) -> str:
    return f"{nbytes / 2**20:,.1f} MiB"


def dry_run(
    model: str,
    *,
    model_kwargs: Mapping[str, Any] | None = None,
    layers: Any = None,
    num_images: int = 512,
    batch_size: int | None = None,
    measures: Any = None,
    data: str = "digits",
    checkpoint: str | None = None,
) -> str:
    """A printable plan of the analysis; nothing is downloaded and no data is read."""
    from ..models import create_model, select_layers
    from .pipeline import model_transform

    cfg = AnalysisConfig(measures=measures if measures is not None else AnalysisConfig().measures)
    net = create_model(model, model_kwargs=model_kwargs)
    hooked = select_layers(net, layers, model_name=model)
    _, data_cfg = model_transform(net, model_kwargs)
    c, h, w = data_cfg["input_size"]
    x = torch.zeros(_PROBE, c, h, w)
    shapes: dict[str, tuple[int, ...]] = {}
    nodes: dict[str, int] = {}

    def record(name: str, out: torch.Tensor) -> None:
        shapes[name] = tuple(out.shape[1:])
        nodes[name] = int(feature_matrix(out).shape[0])

    with capture(net, hooked, callback=record), torch.inference_mode():
        net(x)  # warm-up (and shapes)
        t0 = time.perf_counter()
        net(x)
        per_image = (time.perf_counter() - t0) / _PROBE
    batch = batch_size or num_images
    act_bytes = sum(p.numel() for p in net.parameters()) * 4
    feat_bytes = sum(nodes.values()) * num_images * 8
    gram_bytes = len(hooked) * min(batch, num_images) ** 2 * 8 if cfg.needs_gram else 0
    out_bytes = max((torch.Size(s).numel() for s in shapes.values()), default=0) * batch * 4
    lines = [
        f"model {model} {dict(model_kwargs or {})}"
        + (f", checkpoint {checkpoint}" if checkpoint else "")
        + f", input {c}x{h}x{w}, data {data}, {num_images} images in batches of {batch}",
        f"measurements: {', '.join(cfg.measures)}",
        f"{'layer':<28} {'output shape (per image)':<28} {'nodes D':>8}",
    ]
    # a module the forward pass never calls (e.g. a dropout that fused attention skips) has no output
    lines += [
        f"{n:<28} {str(shapes[n]):<28} {nodes[n]:>8}"
        if n in shapes
        else f"{n:<28} {'(not called in the forward pass)':<28} {'-':>8}"
        for n in hooked
    ]
    ss_pairs = sum(d * (d - 1) // 2 for d in nodes.values())
    lines += [
        f"estimated forward time: {per_image * num_images:,.1f} s "
        f"({per_image * 1e3:.2f} ms per image on this machine)",
        f"pair distances over all layers: {ss_pairs:,} (SS_rate sorts each layer's once per formula)",
        f"estimated memory: weights {_mib(act_bytes)}, largest hooked output per batch "
        f"{_mib(out_bytes)}, feature matrices {_mib(feat_bytes)}, Gram matrices {_mib(gram_bytes)}",
    ]
    return "\n".join(lines)
