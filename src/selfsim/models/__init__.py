"""Models and layers: timm by name, local checkpoints, any ``nn.Module``; layer presets.

``create_model(name_or_module, ...)`` builds a timm model (or takes a module)
and loads weights; ``select_layers(model, spec)`` owns what a layer spec means.
Importing this package does not import timm.
"""

from __future__ import annotations

from .create import (
    create_model,
    list_model_names,
    load_checkpoint,
    read_state_dict,
    register_small_models,
)
from .layers import PRESETS, automatic_layers, default_layers, select_layers

__all__ = [
    "create_model",
    "load_checkpoint",
    "read_state_dict",
    "list_model_names",
    "register_small_models",
    "select_layers",
    "default_layers",
    "automatic_layers",
    "PRESETS",
]
