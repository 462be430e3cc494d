"""Load a model: any timm model by name, local checkpoints, or any ``nn.Module``.

Random initialisation by default; ``pretrained=True`` only where timm can
download weights; ``checkpoint=FILE`` loads local weights without executing
code (safetensors, or torch files through ``torch.load(weights_only=True)``).
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._core.errors import CheckpointError, InvalidInputError, NotFoundError
from .._core.files import safe_torch_load

__all__ = [
    "create_model",
    "load_checkpoint",
    "read_state_dict",
    "list_model_names",
    "register_small_models",
]

# containers that training scripts wrap a state dict in (timm, DeiT, Lightning, selfsim.train)
_STATE_KEYS = ("state_dict_ema", "model_ema", "state_dict", "model", "module", "net")


def register_small_models() -> None:
    """Register selfsim's small-input variants (``resmlp_tiny_32``, ...) with timm.

    Called by :func:`create_model`; call it yourself before asking timm about
    those names directly (``timm.models.get_pretrained_cfg``, ``timm.is_model``).
    """
    try:
        importlib.import_module("selfsim.models.small")
    except ModuleNotFoundError as exc:
        if exc.name != "selfsim.models.small":
            raise


def list_model_names() -> list[str]:
    """All model names timm knows, including selfsim's small-input variants."""
    import timm

    register_small_models()
    return timm.list_models()


def _check_name(name: str) -> None:
    import timm

    base = name.split(".", 1)[0]  # "vit_small_patch16_224.augreg_in21k" -> architecture
    if timm.is_model(base):
        return
    names = list_model_names()
    close = difflib.get_close_matches(base, names, n=5, cutoff=0.5)
    hint = f" Close names: {', '.join(close)}." if close else ""
    raise NotFoundError(
        f"unknown model {name!r}.{hint} List the known names with timm.list_models('*pattern*')."
    )


def _load_safetensors(path: Path) -> Any:
    from safetensors.torch import load_file

    if path.stat().st_size == 0:
        raise CheckpointError(f"checkpoint file {path} is empty (0 bytes).")
    try:
        return load_file(str(path), device="cpu")
    except Exception as exc:  # corrupt files raise many types
        raise CheckpointError(
            f"cannot read checkpoint {path}: {exc}. It is not a valid .safetensors file."
        ) from exc


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a state dict from safetensors or a torch file, without executing code.

    Unwraps the usual containers (``{"model": ...}``, ``{"state_dict": ...}``)
    and the ``module.`` prefix of DistributedDataParallel.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint file {path} does not exist.")
    if path.suffix != ".safetensors":
        obj: Any = safe_torch_load(path, map_location="cpu")  # gives the reason of a failure
    else:
        obj = _load_safetensors(path)
    for key in _STATE_KEYS:
        if isinstance(obj, Mapping) and isinstance(obj.get(key), Mapping):
            obj = obj[key]
            break
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(
            f"checkpoint {path} does not hold a state dict (a mapping of names to tensors); "
            f"top-level keys: {sorted(map(str, obj))[:10] if isinstance(obj, Mapping) else type(obj).__name__}."
        )
    state = dict(obj)
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module.") :]: v for k, v in state.items()}
    return state


def _listing(keys: list[str], limit: int = 12) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f", ... ({len(keys) - limit} more)" if len(keys) > limit else "")


def load_checkpoint(model: nn.Module, path: str | Path) -> nn.Module:
    """Load weights from ``path`` into ``model`` (in place) and return it.

    Raises :class:`CheckpointError` listing the missing, unexpected and
    shape-mismatched keys when the checkpoint does not fit.
    """
    state = read_state_dict(path)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k} {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"missing keys ({len(missing)}): {_listing(missing)}")
        if unexpected:
            parts.append(f"unexpected keys ({len(unexpected)}): {_listing(unexpected)}")
        if shapes:
            parts.append(f"shape mismatches ({len(shapes)}): {_listing(shapes)}")
        raise CheckpointError(
            f"checkpoint {path} does not fit {type(model).__name__}: "
            + "; ".join(parts)
            + ". Create the model with the same name and model_kwargs (img_size, num_classes, ...) "
            "that the checkpoint was trained with."
        )
    model.load_state_dict(state, strict=True)
    return model


def create_model(
    name_or_module: str | nn.Module,
    *,
    pretrained: bool = False,
    checkpoint: str | Path | None = None,
    model_kwargs: Mapping[str, Any] | None = None,
    num_classes: int | None = None,
) -> nn.Module:
    """Create a timm model by name (or take a module) and optionally load weights.

    Parameters
    ----------
    name_or_module : str or torch.nn.Module
        A timm model name (``"resnet34"``, ``"vit_tiny_patch16_224"``,
        selfsim's small variants such as ``"vit_tiny_32"``) or a module used as is.
    pretrained : bool, default False
        Download timm's pretrained weights (needs network access).
    checkpoint : path, optional
        Local weights: ``.safetensors`` or a torch file (read with ``weights_only=True``).
    model_kwargs : mapping, optional
        Passed to ``timm.create_model`` (``img_size``, ``patch_size``, ``depth``, ...).
    num_classes : int, optional
        Size of the classifier head.

    Returns
    -------
    torch.nn.Module
        In eval mode.

    Raises
    ------
    NotFoundError
        Unknown model name (the message suggests close names).
    CheckpointError
        Weights cannot be downloaded or read, or do not fit the model (keys listed).

    Examples
    --------
    >>> m = create_model("resnet18", model_kwargs={"num_classes": 10})
    >>> m.fc.out_features
    10
    """
    kwargs = dict(model_kwargs or {})
    if num_classes is not None:
        kwargs["num_classes"] = int(num_classes)
    if isinstance(name_or_module, nn.Module):
        if pretrained or kwargs:
            raise InvalidInputError(
                "pretrained, model_kwargs and num_classes apply to timm model names only; "
                "got an nn.Module. Build the module with the options you want."
            )
        model = name_or_module
    elif isinstance(name_or_module, str):
        import timm

        register_small_models()
        _check_name(name_or_module)
        if pretrained and checkpoint is not None:
            raise InvalidInputError("give either pretrained=True or checkpoint=FILE, not both.")
        try:
            model = timm.create_model(name_or_module, pretrained=pretrained, **kwargs)
        except TypeError as exc:
            raise InvalidInputError(
                f"timm.create_model({name_or_module!r}) rejected model_kwargs {kwargs}: {exc}"
            ) from exc
        except Exception as exc:  # download failures come as many types (hub, HTTP, OS)
            if pretrained:
                raise CheckpointError(
                    f"pretrained weights for {name_or_module!r} could not be obtained ({exc}). "
                    "They need network access to the Hugging Face hub, and not every timm model "
                    "has them (timm.list_pretrained()). Use --checkpoint FILE for local weights."
                ) from exc
            raise
    else:
        raise InvalidInputError(
            f"create_model expects a timm model name or a torch.nn.Module; got "
            f"{type(name_or_module).__name__}."
        )
    if checkpoint is not None:
        load_checkpoint(model, checkpoint)
    return model.eval()
