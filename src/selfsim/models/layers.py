"""Which modules to hook: layer presets and the one function that reads a layer spec.

After timm's ``feature_take_indices``, :func:`select_layers` alone decides
what a "layers" argument means:

* ``None`` or ``"figure"``: the preset of the paper's nine models (its Table 1
  and figure script, METHOD section 5), or an automatic choice for any other
  model (its blocks, stages or layers);
* ``"released"``: the wider set the authors' released training code hooks
  (every block of ResNet, PoolFormer and PvT, all 21 ``features`` modules of
  VGG-11, the stem and blocks of ResMLP); the default of S2-Con training.
  Models without such an entry use their ``"figure"`` set;
* an int ``n``: the last ``n`` of that default list;
* a list or comma-separated string of module names, glob patterns
  (``"blocks.*"``; ``*`` stays within one dotted component, ``**`` crosses
  them), integer indices into the default list (``"0"`` the first, ``"-1"``
  the last) or slices of it (``"-3:"`` the last three, ``"0:4"``, ``"::2"``).

Names are those of ``model.named_modules()``. An entry that matches nothing
raises :class:`~selfsim.NotFoundError` with the closest name ("did you mean")
and the valid names, nearest first.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from torch import nn

from .._core.errors import InvalidInputError, NotFoundError

__all__ = [
    "PRESETS",
    "RELEASED_PRESETS",
    "LAYER_SETS",
    "select_layers",
    "default_layers",
    "automatic_layers",
    "model_architecture",
]

# the paper's Table 1 (METHOD section 5): timm architecture -> hooked modules
_BLOCKS, _STAGES = ("blocks.*",), ("stages.*",)
PRESETS: dict[str, tuple[str, ...]] = {
    "vit_small_patch16_224": _BLOCKS,
    "vit_base_patch16_224": _BLOCKS,
    "resmlp_12_224": _BLOCKS,
    "mixer_b16_224": _BLOCKS,
    "poolformer_s12": _STAGES,
    "pvt_v2_b3": _STAGES,
    "resnet34": ("layer1", "layer2", "layer3", "layer4"),
    "resnet50": ("layer1", "layer2", "layer3", "layer4"),
    "vgg11": ("features.1", "features.4", "features.9", "features.14", "features.19"),
}
# the released training code's wider sets (METHOD section 5, brackets of Table 1)
_RESNET_BLOCKS = ("layer1.*", "layer2.*", "layer3.*", "layer4.*")
RELEASED_PRESETS: dict[str, tuple[str, ...]] = {
    "vit_small_patch16_224": _BLOCKS,
    "vit_base_patch16_224": _BLOCKS,
    "resmlp_12_224": ("stem", *_BLOCKS),
    "mixer_b16_224": _BLOCKS,
    "poolformer_s12": ("stages.*.blocks.*",),
    "pvt_v2_b3": ("stages.*.blocks.*",),
    "resnet34": _RESNET_BLOCKS,
    "resnet50": _RESNET_BLOCKS,
    "vgg11": ("features.*",),
}
#: named layer sets a spec may give instead of module names
LAYER_SETS = ("figure", "released")
_CONTAINERS = ("blocks", "stages", "layers")
_RESNET_STAGE = re.compile(r"layer\d+$")


def model_architecture(model: nn.Module, model_name: str | None = None) -> str | None:
    """The timm architecture name of ``model`` (``model_name`` wins), without a ``.tag``."""
    name = model_name
    if name is None:
        cfg = getattr(model, "pretrained_cfg", None) or getattr(model, "default_cfg", None) or {}
        name = cfg.get("architecture") if isinstance(cfg, dict) else None
    return None if name is None else str(name).split(".", 1)[0]


def automatic_layers(model: nn.Module) -> list[str]:
    """A sensible default for any model: the children of its blocks / stages / layers.

    In order of preference: the children of the shallowest container named
    ``blocks``, ``stages`` or ``layers``; top-level ``layer1, layer2, ...``
    (ResNets); the modules of timm's ``feature_info``; the top-level children
    that hold parameters, without the last one (the head).
    """
    modules = dict(model.named_modules())
    best: tuple[int, str] | None = None
    for name, mod in modules.items():
        last = name.rsplit(".", 1)[-1]
        if last in _CONTAINERS and isinstance(mod, (nn.Sequential, nn.ModuleList)) and len(mod) > 0:
            depth = name.count(".")
            if best is None or depth < best[0]:
                best = (depth, name)
    if best is not None:
        container = best[1]
        return [f"{container}.{child}" for child, _ in modules[container].named_children()]
    top = [name for name, _ in model.named_children()]
    stages = [n for n in top if _RESNET_STAGE.match(n)]
    if stages:
        return stages
    info = getattr(model, "feature_info", None)
    try:
        names = [f["module"] for f in info] if info is not None else []
    except (TypeError, KeyError):
        names = []
    names = [n for n in names if n in modules]
    if names:
        return names
    with_params = [n for n, m in model.named_children() if any(True for _ in m.parameters())]
    if len(with_params) > 1:
        return with_params[:-1]
    if with_params:
        return with_params
    raise NotFoundError(
        f"{type(model).__name__} has no child modules to hook; pass the layer names explicitly."
    )


def default_layers(
    model: nn.Module, model_name: str | None = None, layer_set: str = "figure"
) -> list[str]:
    """The ``layer_set`` preset of the paper's nine models and selfsim's small variants,
    else :func:`automatic_layers`."""
    arch = model_architecture(model, model_name)
    if layer_set == "released" and arch in RELEASED_PRESETS:
        return _expand(model, list(RELEASED_PRESETS[arch]), [])
    if arch in PRESETS:
        return _expand(model, list(PRESETS[arch]), [])
    small = _small_presets(layer_set)
    if arch in small:
        return _expand(model, list(small[arch]), [])
    return automatic_layers(model)


def _small_presets(layer_set: str = "figure") -> dict[str, list[str]]:
    """Hooked modules of selfsim's small-input variants (``selfsim.models.small``), if present."""
    try:
        from . import small  # type: ignore[attr-defined]
    except ImportError:
        return {}
    table = getattr(small, "SMALL_MODELS", {})
    column = 2 if layer_set == "released" else 1
    return {name: list(entry[column]) for name, entry in table.items()}


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append(r"[^.]*")
            i += 1
        elif pattern[i] == "?":
            out.append(r"[^.]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


# characters a layer name is often mistyped with (O for 0, l or I for 1)
_CONFUSABLE = str.maketrans({"o": "0", "l": "1", "i": "1"})


def _nearest(entry: str, valid: list[str], n: int = 8) -> list[str]:
    """Valid names closest to ``entry``: case and look-alike characters forgiven, then as typed.

    Ties keep the model's order, so ``blocks.O`` is nearest to ``blocks.0``, not ``blocks.9``.
    """
    folded = entry.lower().translate(_CONFUSABLE)

    def score(name: str) -> tuple[float, float]:
        loose = difflib.SequenceMatcher(None, folded, name.lower().translate(_CONFUSABLE)).ratio()
        return loose, difflib.SequenceMatcher(None, entry, name).ratio()

    scored = sorted(range(len(valid)), key=lambda i: (*(-v for v in score(valid[i])), i))
    return [valid[i] for i in scored[:n]]


def _not_found(entry: str, valid: list[str], auto: list[str]) -> NotFoundError:
    close = _nearest(entry, valid)
    shown = ", ".join(close)
    guess = f" Did you mean {close[0]!r}?" if close else ""
    return NotFoundError(
        f"layer spec entry {entry!r} matches no module.{guess} Nearest valid names: {shown}. "
        f"Default layers of this model: {', '.join(auto[:16])}{' ...' if len(auto) > 16 else ''}. "
        "Entries may be module names, glob patterns such as 'blocks.*', indices into the "
        "default list (-1 the last) or slices of it ('-3:' the last three)."
    )


_SLICE = re.compile(r"(-?\d*):(-?\d*)(?::(-?\d+))?")


def _slice(entry: str, auto: list[str]) -> list[str]:
    """The default layers ``auto[a:b:c]`` for a slice entry ``"a:b"`` or ``"a:b:c"``."""
    m = _SLICE.fullmatch(entry)
    assert m is not None  # the caller matched it
    a, b, c = (int(g) if g else None for g in m.groups())
    if c == 0:
        raise InvalidInputError(f"layer slice {entry!r} has step 0; give a step of 1 or more.")
    hits = auto[slice(a, b, c)]
    if not hits:
        raise InvalidInputError(
            f"layer slice {entry!r} selects none of the {len(auto)} default layers "
            f"({', '.join(auto)}); e.g. '-3:' selects the last three."
        )
    return hits


def _expand(model: nn.Module, entries: Sequence[str | int], auto: list[str]) -> list[str]:
    valid = [n for n, _ in model.named_modules() if n]
    valid_set = set(valid)
    chosen: list[str] = []
    for entry in entries:
        as_index = (
            isinstance(entry, str)
            and entry.strip() not in valid_set
            and re.fullmatch(r"-?\d+", entry.strip())
        )  # a module named "1" (nn.Sequential) wins over index 1
        if (
            isinstance(entry, str)
            and entry.strip() not in valid_set
            and _SLICE.fullmatch(entry.strip())
        ):
            hits = _slice(entry.strip(), auto)
        elif (isinstance(entry, int) and not isinstance(entry, bool)) or as_index:
            k = int(entry)
            if not -len(auto) <= k < len(auto):
                raise InvalidInputError(
                    f"layer index {k} is out of range for the {len(auto)} default layers "
                    f"({', '.join(auto)}); valid indices are {-len(auto)} .. {len(auto) - 1}."
                )
            hits = [auto[k]]
        elif isinstance(entry, str):
            e = entry.strip()
            if any(c in e for c in "*?"):
                rx = _glob_regex(e)
                hits = [n for n in valid if rx.match(n)]
            else:
                hits = [e] if e in valid_set else []
            if not hits:
                raise _not_found(e, valid, auto)
        else:
            raise InvalidInputError(
                f"layer spec entries must be module names, glob patterns or ints; got {entry!r}."
            )
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def select_layers(
    model: nn.Module,
    spec: None | int | str | Sequence[str | int] = None,
    *,
    model_name: str | None = None,
) -> list[str]:
    """Names of the modules to hook, as given by ``model.named_modules()``.

    Parameters
    ----------
    model : torch.nn.Module
    spec : None, int, str or sequence of str/int
        None or ``"figure"``: the paper's preset or an automatic default;
        ``"released"``: the released training code's set; int n: the last n default
        layers; names, globs (``"blocks.*"``), indices (``-1`` the last) or slices
        (``"-3:"`` the last three), as a list or a comma-separated string.
    model_name : str, optional
        The timm name used to pick a preset when ``model`` does not carry one.

    Returns
    -------
    list of str
        Distinct module names in the order of the spec.

    Raises
    ------
    NotFoundError
        An entry that matches no module (valid names listed, nearest first).
    InvalidInputError
        An index or count out of range.

    Examples
    --------
    >>> import timm
    >>> m = timm.create_model("resnet18")
    >>> select_layers(m)
    ['layer1', 'layer2', 'layer3', 'layer4']
    >>> select_layers(m, 2)
    ['layer3', 'layer4']
    >>> select_layers(m, "layer1.*")
    ['layer1.0', 'layer1.1']
    >>> select_layers(m, "-1"), select_layers(m, "1:3")
    (['layer4'], ['layer2', 'layer3'])
    >>> len(select_layers(timm.create_model("resnet34"), "released"))
    16
    """
    auto = default_layers(model, model_name)
    if spec is None:
        return auto
    if (
        isinstance(spec, str)
        and spec.strip() in LAYER_SETS
        and spec.strip() not in dict(model.named_modules())
    ):
        return default_layers(model, model_name, spec.strip())
    if isinstance(spec, bool):
        raise InvalidInputError(
            f"layer spec must be None, an int, a string or a list; got {spec!r}."
        )
    if isinstance(spec, int):
        if not 1 <= spec <= len(auto):
            raise InvalidInputError(
                f"layer count {spec} is out of range: this model has {len(auto)} default layers "
                f"({', '.join(auto)}); give 1 .. {len(auto)}."
            )
        return auto[len(auto) - spec :]
    if isinstance(spec, str):
        entries: list[str | int] = [e for e in spec.split(",") if e.strip()]
    else:
        entries = list(spec)
    if not entries:
        raise InvalidInputError(
            "the layer spec is empty; give at least one name, pattern or index."
        )
    return _expand(model, entries, auto)
