"""Which layers the constraint hooks.

Delegates to :func:`selfsim.models.select_layers` (the one owner of layer
specs) when it is available, and otherwise falls back to a small private
rule: the children of the first of ``blocks``, ``stages`` or ``layer1..4``
found in the model, or the ReLU outputs of ``features`` (VGG). A list of
names is checked against the model.
"""

from __future__ import annotations

import difflib

from torch import nn

from .._core.errors import NotFoundError

__all__ = ["resolve_layers"]


def _fallback(model: nn.Module) -> list[str]:
    names = dict(model.named_modules())
    for container in ("blocks", "stages"):
        if container in names:
            return [f"{container}.{n}" for n, _ in names[container].named_children()]
    resnet = [f"layer{i}" for i in range(1, 5) if f"layer{i}" in names]
    if resnet:
        return resnet
    if "features" in names:
        return [f"features.{n}" for n, m in names["features"].named_children()
                if isinstance(m, nn.ReLU)]
    raise NotFoundError(
        f"Cannot choose layers for {type(model).__name__} automatically; pass layer names "
        "explicitly (e.g. --layers blocks.0,blocks.1)."
    )


def resolve_layers(model: nn.Module, layers: list[str] | str | None = None,
                   *, model_name: str | None = None) -> list[str]:
    """Module names to hook for ``layers`` (None = preset / automatic choice)."""
    if isinstance(layers, str):
        layers = [s.strip() for s in layers.split(",") if s.strip()]
    names = dict(model.named_modules())
    if layers and all(isinstance(n, str) and n in names for n in layers):
        return list(layers)  # exact module names (also digit names of nn.Sequential)
    try:
        from ..models import select_layers  # the analysis engineer's owner of layer specs
    except ImportError:
        select_layers = None
    if select_layers is not None:
        return list(select_layers(model, layers, model_name=model_name))
    if not layers:
        return _fallback(model)
    for name in layers:
        if name not in names:
            close = difflib.get_close_matches(name, list(names), n=3)
            raise NotFoundError(f"Layer {name!r} is not a module of {type(model).__name__}; "
                                f"closest names: {close}.")
    return list(layers)
