"""Training configuration: frozen dataclasses, presets, a file, dotted overrides.

The resolved configuration is built in three layers, each overriding the
previous one: a preset (``"paper"``, the recipe of METHOD section 7, or
``"small"``, 32 x 32 inputs that train in minutes on a CPU), an optional
YAML or JSON file with the same nested keys, and dotted command-line
overrides such as ``ss.alpha=1e-3`` or ``optim.lr=0.001``. The layers are
combined as nested dicts by :func:`~selfsim._core.config.deep_merge`
(mappings merge key by key, any other value replaces), then checked once
when the frozen :class:`TrainConfig` is built: types, ranges and choices,
with the closest valid choice for a misspelt one. Change a configuration
with :func:`dataclasses.replace`, which checks the new values again.

Examples
--------
>>> cfg = resolve_config(preset="small", overrides=["ss.mode=constrain", "epochs=3"])
>>> cfg.ss.mode, cfg.epochs, cfg.aug.mixup
('constrain', 3, 0.0)
>>> resolve_config(overrides=["ss.mode=constrian"])  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
Traceback (most recent call last):
...
selfsim._core.errors.InvalidInputError: Configuration key 'ss.mode' must be one of ...; got
'constrian'. Did you mean 'constrain'? ...
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._core.config import Config, SSParams, deep_merge, did_you_mean
from .._core.errors import DataError, InvalidInputError
from ..metrics._ss_formulas import K_UNITS

__all__ = [
    "ModelConfig",
    "DataConfig",
    "OptimConfig",
    "AugConfig",
    "SSConfig",
    "SSParams",
    "TrainConfig",
    "resolve_config",
    "config_to_dict",
    "config_from_dict",
    "PRESETS",
    "read_config_file",
    "gamma_baseline",
]


def gamma_baseline(gamma: Any) -> str | None:
    """The run folder of a gamma given as ``"auto:RUN_DIR"`` (its final SS_rate), else None.

    >>> gamma_baseline("auto:runs/base"), gamma_baseline(0.3), gamma_baseline("auto:")
    ('runs/base', None, None)
    """
    if isinstance(gamma, str) and gamma.startswith("auto:") and len(gamma) > len("auto:"):
        return gamma[len("auto:") :]
    return None


SS_MODES = ("off", "record", "constrain")
SS_GATES = ("code", "none")
SS_FORMULAS = ("code", "paper")
SS_SURROGATES = ("exact", "released")
SS_K_UNITS = K_UNITS
AMP_DTYPES = ("float16", "bfloat16")


@dataclass(frozen=True, kw_only=True)
class ModelConfig(Config):
    _section = "model."

    name: str = "resmlp_tiny_32"
    kwargs: dict = field(default_factory=dict)  # passed to timm.create_model
    layers: Any = None  # None = the paper's preset / automatic choice
    checkpoint: str | None = None

    def _validate(self) -> None:
        if not self.name:
            raise self._fail("name", "a model name such as 'resmlp_tiny_32'")
        if self.layers is not None and not isinstance(self.layers, (str, int, list, tuple)):
            raise self._fail("layers", "a layer spec (a name, a pattern, a count or a list)")


@dataclass(frozen=True, kw_only=True)
class DataConfig(Config):
    _section = "data."

    name: str = "cifar10"
    root: str | None = None
    img_size: int | None = None  # None = the model's default input size
    train_samples: int | None = None  # subsample (seeded) for quick runs
    test_samples: int | None = None
    eval_batch: int = 64  # the fixed evaluation batch for per-layer SS_rate
    num_workers: int = 0
    download: bool = False
    resident: bool = False  # whole split as one tensor on the device (flip/pad-crop aug only)

    def _validate(self) -> None:
        if not self.name:
            raise self._fail("name", "a data set name or an image folder")
        self._int("img_size", low=1)
        self._int("train_samples", low=1)
        self._int("test_samples", low=1)
        self._int("eval_batch", low=2)  # SS_rate needs B >= 2
        self._int("num_workers", low=0)


@dataclass(frozen=True, kw_only=True)
class OptimConfig(Config):
    _section = "optim."

    opt: str = "adamw"
    lr: float = 5e-4
    lr_base_batch: int | None = 512  # lr scaled by total batch / this; None = as given
    weight_decay: float = 0.05
    warmup_epochs: int = 5
    warmup_lr: float = 1e-6
    min_lr: float = 1e-5
    clip_grad: float | None = None

    def _validate(self) -> None:
        if not self.opt:
            raise self._fail("opt", "a timm optimizer name such as 'adamw'")
        self._float("lr", low=0.0, low_open=True)
        self._int("lr_base_batch", low=1)
        self._float("weight_decay", low=0.0)
        self._int("warmup_epochs", low=0)
        self._float("warmup_lr", low=0.0)
        self._float("min_lr", low=0.0)
        self._float("clip_grad", low=0.0, low_open=True)


@dataclass(frozen=True, kw_only=True)
class AugConfig(Config):
    _section = "aug."

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

    def _validate(self) -> None:
        self._float("mixup", low=0.0)
        self._float("cutmix", low=0.0)
        self._float("smoothing", low=0.0, high=1.0, high_open=True)
        self._float("color_jitter", low=0.0)
        self._float("re_prob", low=0.0, high=1.0)
        self._float("hflip", low=0.0, high=1.0)
        cs = self.crop_scale
        if not (
            len(cs) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in cs)
            and 0 < cs[0] <= cs[1] <= 1
        ):
            raise self._fail("crop_scale", "two numbers [LOW, HIGH] with 0 < LOW <= HIGH <= 1")
        self._int("pad_crop", low=0)
        self._int("repeated_aug", low=1)


@dataclass(frozen=True, kw_only=True)
class SSConfig(SSParams):
    """S2-Con settings; ``num_thresholds`` comes from :class:`SSParams` (shared with analysis)."""

    _section = "ss."

    mode: str = "record"  # off | record | constrain
    alpha: float = 1e-4
    gamma: Any = 0.3  # number, "linear:A:B", "cosine:A:B" or "auto:RUN_DIR"
    gate: str = "code"  # code | none
    gate_off_epochs: int = 1
    gate_refresh_every: int = 5
    gate_limit: float = 0.05
    k: float = 1.0
    k_unit: str = "distance"  # distance | max (k per largest pair distance; docs/training.md)
    fac: float | None = None
    formula: str = "code"  # code | paper
    surrogate: str = "exact"  # exact | released (float32 end points as the released script)
    every: int = 1  # SS_rate on one step in `every` (weight alpha * every); 1 = every step

    def _validate(self) -> None:
        super()._validate()
        self._choice("mode", SS_MODES)
        self._float("alpha", low=0.0)
        self._check_gamma()
        self._choice("gate", SS_GATES)
        self._int("gate_off_epochs", low=0)
        self._int("gate_refresh_every", low=1)
        self._float("gate_limit", low=0.0)
        self._float("k", low=0.0, low_open=True)
        self._choice("k_unit", SS_K_UNITS)
        self._float("fac", low=0.0, low_open=True)
        self._choice("formula", SS_FORMULAS)
        self._choice("surrogate", SS_SURROGATES)
        self._int("every", low=1)

    def _check_gamma(self) -> None:
        from .gate import parse_gamma

        g = self.gamma
        if gamma_baseline(g) is not None:
            return  # resolved when the run starts (the baseline may not exist yet)
        try:
            parse_gamma(g)
        except (InvalidInputError, KeyError, TypeError, ValueError, ArithmeticError) as exc:
            hint = (
                " 'auto' alone belongs in an experiment file; here give auto:RUN_DIR."
                if g == "auto"
                else ""
            )
            raise self._fail(
                "gamma",
                "the target gamma: a number in [0, 1], 'linear:START:END', "
                "'cosine:START:END' or 'auto:RUN_DIR' (the final-epoch mean "
                "SS_rate of a record-only run)",
                hint,
            ) from exc


@dataclass(frozen=True, kw_only=True)
class TrainConfig(Config):
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
    compile: str | None = None  # torch.compile backend of the training forward; None: eager
    device: str = "auto"
    tensorboard: bool = True
    log_every: int = 1  # steps between metrics.jsonl step lines
    preset: str = "paper"

    def _validate(self) -> None:
        for name, cls in SECTIONS.items():
            if not isinstance(getattr(self, name), cls):
                raise self._fail(name, f"a {cls.__name__} (a mapping in a file)")
        self._int("epochs", low=1)
        self._int("batch_size", low=1)
        self._int("seed", low=0)
        self._float("ema_decay", low=0.0, high=1.0, low_open=True)
        self._choice("amp_dtype", AMP_DTYPES)
        if self.compile is not None and (not isinstance(self.compile, str) or not self.compile):
            raise self._fail("compile", "a torch.compile backend name (e.g. inductor) or null")
        if not self.device:
            raise self._fail("device", "auto, cpu, cuda or cuda:N")
        self._int("log_every", low=1)
        self._choice("preset", PRESETS)


SECTIONS: dict[str, type[Config]] = {
    "model": ModelConfig,
    "data": DataConfig,
    "optim": OptimConfig,
    "aug": AugConfig,
    "ss": SSConfig,
}

PRESETS: dict[str, dict[str, Any]] = {
    "paper": {},
    "small": {
        "epochs": 10,
        "batch_size": 64,
        "ema": False,
        "data": {"img_size": 32},
        "optim": {"lr": 1e-3, "lr_base_batch": None, "warmup_epochs": 1, "min_lr": 1e-5},
        "aug": {
            "mixup": 0.0,
            "cutmix": 0.0,
            "auto_augment": None,
            "color_jitter": 0.0,
            "re_prob": 0.0,
            "smoothing": 0.1,
            "crop_scale": [0.6, 1.0],
        },
    },
}


def config_to_dict(cfg: TrainConfig) -> dict[str, Any]:
    """The configuration as plain nested dicts (JSON-serialisable)."""
    return dataclasses.asdict(cfg)


def _check_keys(cls: type[Config], values: Any, prefix: str) -> None:
    if not isinstance(values, dict):
        raise InvalidInputError(
            f"Configuration key {prefix.rstrip('.')!r} needs a mapping of settings; got {values!r}."
        )
    known = [f.name for f in dataclasses.fields(cls)]
    for key in values:
        if key not in known:
            raise InvalidInputError(
                f"Unknown configuration key {prefix + str(key)!r}.{did_you_mean(key, known)} "
                f"Known keys here: {', '.join(known)}."
            )


def config_from_dict(values: dict[str, Any]) -> TrainConfig:
    """A checked :class:`TrainConfig` from nested dicts (missing keys keep their defaults)."""
    _check_keys(TrainConfig, values, "")
    sections: dict[str, Any] = {}
    for name, cls in SECTIONS.items():
        part = values.get(name, {})
        _check_keys(cls, part, name + ".")
        sections[name] = cls(**part)
    top = {k: v for k, v in values.items() if k not in SECTIONS}
    return TrainConfig(**top, **sections)


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        low = text.lower()
        if low == "null":
            return None  # "none" stays a word: a choice such as ss.gate=none; a setting
            # that may be empty reads it as None when it is checked (Config._typed)
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
            raise DataError(
                f"Configuration file {str(p)!r} is not valid YAML{where}: "
                f"{getattr(exc, 'problem', None) or exc}."
            ) from exc
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"Configuration file {str(p)!r} is not valid JSON (line {exc.lineno}: "
                f"{exc.msg}); YAML files need the ending .yaml."
            ) from exc
    if not isinstance(data, dict):
        raise DataError(f"Configuration file {str(p)!r} must hold a mapping at the top level.")
    return data


def resolve_config(
    *,
    preset: str | None = None,
    file: str | Path | dict | None = None,
    overrides: list[str] | tuple[str, ...] = (),
) -> TrainConfig:
    """Preset, then file (path or dict), then dotted overrides -> :class:`TrainConfig`.

    The layers are merged with :func:`~selfsim._core.config.deep_merge`: a
    mapping (``ss``, ``model.kwargs``) is updated key by key, any other value
    replaced.
    """
    data = read_config_file(file) if isinstance(file, (str, Path)) else dict(file or {})
    preset = preset or data.get("preset", "paper")
    if preset not in PRESETS:
        raise InvalidInputError(
            f"Unknown preset {preset!r}; choose one of {sorted(PRESETS)}."
            f"{did_you_mean(preset, PRESETS)}"
        )
    merged = deep_merge(PRESETS[preset], data, *(_dotted(o) for o in overrides), {"preset": preset})
    return config_from_dict(merged)
