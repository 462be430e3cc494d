"""Training configuration: small dataclasses, presets, a file, dotted overrides.

The resolved configuration is built in three layers, each overriding the
previous one: a preset (``"paper"``, the recipe of METHOD section 7, or
``"small"``, 32 x 32 inputs that train in minutes on a CPU), an optional
YAML or JSON file with the same nested keys, and dotted command-line
overrides such as ``ss.alpha=1e-3`` or ``optim.lr=0.001``.

Examples
--------
>>> cfg = resolve_config(preset="small", overrides=["ss.mode=constrain", "epochs=3"])
>>> cfg.ss.mode, cfg.epochs, cfg.aug.mixup
('constrain', 3, 0.0)
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._core.errors import DataError, InvalidInputError

__all__ = ["ModelConfig", "DataConfig", "OptimConfig", "AugConfig", "SSConfig",
           "TrainConfig", "resolve_config", "config_to_dict", "config_from_dict", "PRESETS"]


@dataclass
class ModelConfig:
    name: str = "resmlp_tiny_32"
    kwargs: dict = field(default_factory=dict)  # passed to timm.create_model
    layers: Any = None  # None = the paper's preset / automatic choice
    checkpoint: str | None = None


@dataclass
class DataConfig:
    name: str = "cifar10"
    root: str | None = None
    img_size: int | None = None  # None = the model's default input size
    train_samples: int | None = None  # subsample (seeded) for quick runs
    test_samples: int | None = None
    eval_batch: int = 64  # the fixed evaluation batch for per-layer SS_rate
    num_workers: int = 0
    download: bool = False
    resident: bool = False  # whole split as one tensor on the device (flip/pad-crop aug only)


@dataclass
class OptimConfig:
    opt: str = "adamw"
    lr: float = 5e-4
    lr_base_batch: int | None = 512  # lr scaled by total batch / this; None = as given
    weight_decay: float = 0.05
    warmup_epochs: int = 5
    warmup_lr: float = 1e-6
    min_lr: float = 1e-5
    clip_grad: float | None = None


@dataclass
class AugConfig:
    mixup: float = 0.8
    cutmix: float = 1.0
    smoothing: float = 0.1
    auto_augment: str | None = "rand-m9-mstd0.5-inc1"
    color_jitter: float = 0.3
    re_prob: float = 0.25
    hflip: float = 0.5
    crop_scale: tuple = (0.08, 1.0)  # RandomResizedCrop scale range
    pad_crop: int = 0  # resident data only: random translation by up to this many pixels
    repeated_aug: int = 3  # used only when distributed


@dataclass
class SSConfig:
    mode: str = "record"  # off | record | constrain
    alpha: float = 1e-4
    gamma: Any = 0.3  # number, "linear:A:B", "cosine:A:B" or "auto:RUN_DIR"
    gate: str = "code"  # code | none
    gate_off_epochs: int = 1
    gate_refresh_every: int = 5
    gate_limit: float = 0.05
    k: float = 1.0
    fac: float | None = None
    formula: str = "code"
    surrogate: str = "exact"  # exact | released (float32 end points as the released script)
    num_thresholds: int = 256


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    aug: AugConfig = field(default_factory=AugConfig)
    ss: SSConfig = field(default_factory=SSConfig)
    epochs: int = 200
    batch_size: int = 64  # per process
    seed: int = 0
    ema: bool = True
    ema_decay: float = 0.99996
    amp: bool = True  # used on GPU only
    amp_dtype: str = "float16"  # float16 (with loss scaling) | bfloat16
    device: str = "auto"
    tensorboard: bool = True
    log_every: int = 1  # steps between metrics.jsonl step lines
    preset: str = "paper"


PRESETS: dict[str, dict[str, Any]] = {
    "paper": {},
    "small": {
        "epochs": 10, "batch_size": 64, "ema": False,
        "data": {"img_size": 32},
        "optim": {"lr": 1e-3, "lr_base_batch": None, "warmup_epochs": 1, "min_lr": 1e-5},
        "aug": {"mixup": 0.0, "cutmix": 0.0, "auto_augment": None, "color_jitter": 0.0,
                "re_prob": 0.0, "smoothing": 0.1, "crop_scale": [0.6, 1.0]},
    },
}


def config_to_dict(cfg: TrainConfig) -> dict[str, Any]:
    """The configuration as plain nested dicts (JSON-serialisable)."""
    return dataclasses.asdict(cfg)


def _merge(obj: Any, values: dict[str, Any], prefix: str = "") -> None:
    known = {f.name: f for f in dataclasses.fields(obj)}
    for key, value in values.items():
        if key not in known:
            raise InvalidInputError(
                f"Unknown configuration key {prefix + key!r}; known keys here: {sorted(known)}."
            )
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise InvalidInputError(f"Configuration key {prefix + key!r} needs a mapping.")
            _merge(current, value, prefix + key + ".")
        else:
            if isinstance(current, float) and isinstance(value, str):
                try:  # YAML 1.1 reads "1e-4" as a string
                    value = float(value)
                except ValueError:
                    pass
            setattr(obj, key, _checked(prefix + key, known[key].type, value))


_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,), "float": (int, float), "str": (str,), "bool": (bool,), "dict": (dict,),
    "tuple": (list, tuple), "list": (list, tuple), "None": (type(None),),
}


def _checked(key: str, annotation: Any, value: Any) -> Any:
    """``value`` if it fits the field's annotation ("float | None", "Any", ...); else a clear error."""
    names = [t.strip() for t in str(annotation).split("|")]
    if "Any" in names or any(n not in _TYPES for n in names):
        return value
    allowed = tuple(t for n in names for t in _TYPES[n])
    if isinstance(value, bool) and bool not in allowed:  # True is an int to Python, not here
        allowed = ()
    if not isinstance(value, allowed):
        raise InvalidInputError(f"Configuration key {key!r} must be {' or '.join(names)}; got "
                                f"{value!r}.")
    if "float" in names and isinstance(value, int):
        value = float(value)
    return value


def config_from_dict(values: dict[str, Any]) -> TrainConfig:
    """A :class:`TrainConfig` from nested dicts (missing keys keep their defaults)."""
    cfg = TrainConfig()
    _merge(cfg, values)
    return cfg


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        low = text.lower()
        if low in ("none", "null"):
            return None
        if low in ("true", "false"):
            return low == "true"
        return text


def _dotted(override: str) -> dict[str, Any]:
    if "=" not in override:
        raise InvalidInputError(f"Override {override!r} must look like 'section.key=value'.")
    key, text = override.split("=", 1)
    out: dict[str, Any] = {}
    node = out
    parts = key.strip().split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = _parse_value(text.strip())
    return out


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Nested dict from a YAML (``.yaml``/``.yml``) or JSON file."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"Configuration file {str(p)!r} does not exist.")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"Cannot read the configuration file {str(p)!r} ({exc}).") from exc
    if p.suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError as exc:  # pragma: no cover
            raise DataError("Reading YAML needs pyyaml: pip install 'selfsim[train]'.") from exc
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise DataError(f"Configuration file {str(p)!r} is not valid YAML{where}: "
                            f"{getattr(exc, 'problem', None) or exc}.") from exc
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"Configuration file {str(p)!r} is not valid JSON (line {exc.lineno}: "
                            f"{exc.msg}); YAML files need the ending .yaml.") from exc
    if not isinstance(data, dict):
        raise DataError(f"Configuration file {str(p)!r} must hold a mapping at the top level.")
    return data


def resolve_config(*, preset: str | None = None, file: str | Path | dict | None = None,
                   overrides: list[str] | tuple[str, ...] = ()) -> TrainConfig:
    """Preset, then file (path or dict), then dotted overrides -> :class:`TrainConfig`."""
    data = read_config_file(file) if isinstance(file, (str, Path)) else dict(file or {})
    preset = preset or data.get("preset", "paper")
    if preset not in PRESETS:
        raise InvalidInputError(f"Unknown preset {preset!r}; choose one of {sorted(PRESETS)}.")
    cfg = TrainConfig()
    _merge(cfg, PRESETS[preset])
    _merge(cfg, data)
    for o in overrides:
        _merge(cfg, _dotted(o))
    cfg.preset = preset
    return cfg
