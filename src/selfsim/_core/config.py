"""One style for configuration objects: frozen dataclasses checked when they are made.

- :class:`Config` is the base of every settings dataclass (training, analysis).
  Instances are frozen; each field is checked against its annotation when the
  object is built (``dataclasses.replace`` builds a new one and checks it
  again), then against the ranges and choices the class declares in
  ``_validate``. A bad value raises :class:`~selfsim.InvalidInputError`
  naming the dotted key, what it must be, and, for a misspelt choice, the
  closest valid one (``ss.mode='constrian'``: did you mean 'constrain'?).
- :func:`deep_merge` is the one way two nested mappings of settings combine.
- :class:`SSParams` holds how SS_rate is measured, the settings training and
  analysis share.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from .errors import InvalidInputError

__all__ = ["Config", "SSParams", "deep_merge", "did_you_mean"]


def did_you_mean(value: Any, choices: Iterable[Any]) -> str:
    """``" Did you mean 'x'?"`` for the closest of ``choices`` to a misspelt string, else ``""``.

    >>> did_you_mean("constrian", ["off", "record", "constrain"])
    " Did you mean 'constrain'?"
    """
    if not isinstance(value, str):
        return ""
    names = [str(c) for c in choices]
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    if not close:
        close = [n for n in names if n.lower() == value.lower()]
    return f" Did you mean {close[0]!r}?" if close else ""


def deep_merge(base: Mapping[str, Any], *updates: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by each of ``updates`` in turn, as a new dict (the inputs are unchanged).

    The one merge rule of selfsim's settings: where both sides hold a mapping
    the two are merged key by key, recursively; any other value of an update
    (a number, a string, a list, None) replaces the value in ``base`` whole.

    >>> deep_merge({"ss": {"mode": "record", "alpha": 1}, "seeds": [0, 1]},
    ...            {"ss": {"mode": "constrain"}, "seeds": [2]})
    {'ss': {'mode': 'constrain', 'alpha': 1}, 'seeds': [2]}
    """
    out: dict[str, Any] = copy.deepcopy(dict(base))
    for update in updates:
        for key, value in update.items():
            if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
                out[key] = deep_merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
    return out


_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "bool": (bool,),
    "dict": (dict,),
    "tuple": (list, tuple),
    "list": (list, tuple),
    "None": (type(None),),
}


@dataclass(frozen=True, kw_only=True)
class Config:
    """Base of the frozen settings classes; see the module docstring.

    Subclasses set ``_section`` (the dotted prefix of their keys in a
    configuration file, e.g. ``"ss."``) and check ranges and choices in
    ``_validate`` with :meth:`_int`, :meth:`_float` and :meth:`_choice`.
    """

    _section: ClassVar[str] = ""
    # how to fix a bad value, after the message ({key}: the dotted key)
    _fix: ClassVar[str] = "Fix it in the configuration file or with --set {key}=VALUE."

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            checked = self._typed(f.name, str(f.type), value)
            if checked is not value:
                object.__setattr__(self, f.name, checked)
        self._validate()

    def _validate(self) -> None:
        """Ranges and choices (subclasses)."""

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain nested dicts (tuples stay tuples)."""
        return dataclasses.asdict(self)

    # -- checks ------------------------------------------------------------------------------
    def _key(self, name: str) -> str:
        return self._section + name

    def _fail(self, name: str, expected: str, hint: str = "") -> InvalidInputError:
        value = getattr(self, name)
        return InvalidInputError(
            f"Configuration key {self._key(name)!r} must be {expected}; got "
            f"{value!r}.{hint} {self._fix.format(key=self._key(name))}"
        )

    def _typed(self, name: str, annotation: str, value: Any) -> Any:
        names = [t.strip() for t in annotation.split("|")]
        if (
            isinstance(value, str)
            and value.lower() in ("none", "null")
            and ("None" in names or "Any" in names)
        ):
            # a setting that may be empty: `--set aug.auto_augment=none`, `fac: None` in a file
            # (a plain text setting keeps the word: ss.gate=none is a choice)
            value = None
        if "Any" in names or any(n not in _TYPES for n in names):
            return value
        if "float" in names and isinstance(value, str):
            try:  # YAML 1.1 reads "1e-4" as a string
                value = float(value)
            except ValueError:
                pass
        allowed = tuple(t for n in names for t in _TYPES[n])
        if isinstance(value, bool) and bool not in allowed:  # True is an int to Python, not here
            allowed = ()
        if not isinstance(value, allowed):
            raise InvalidInputError(
                f"Configuration key {self._key(name)!r} must be {' or '.join(names)}; got "
                f"{value!r}. {self._fix.format(key=self._key(name))}"
            )
        if "float" in names and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if "tuple" in names and isinstance(value, list):
            return tuple(value)
        return value

    def _int(self, name: str, low: int | None = None, high: int | None = None) -> None:
        value = getattr(self, name)
        if value is None:
            return
        if (low is not None and value < low) or (high is not None and value > high):
            raise self._fail(name, _interval("an int", low, high, False, False))

    def _float(
        self,
        name: str,
        low: float | None = None,
        high: float | None = None,
        *,
        low_open: bool = False,
        high_open: bool = False,
    ) -> None:
        value = getattr(self, name)
        if value is None:
            return
        ok = math.isfinite(value)
        if ok and low is not None:
            ok = value > low if low_open else value >= low
        if ok and high is not None:
            ok = value < high if high_open else value <= high
        if not ok:
            raise self._fail(name, _interval("a finite number", low, high, low_open, high_open))

    def _choice(self, name: str, choices: Iterable[Any]) -> None:
        value, choices = getattr(self, name), list(choices)
        if value not in choices:
            raise self._fail(
                name, "one of " + ", ".join(repr(c) for c in choices), did_you_mean(value, choices)
            )


def _interval(
    what: str, low: float | None, high: float | None, low_open: bool, high_open: bool
) -> str:
    if low is not None and high is not None:
        return f"{what} in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f"{what} {'>' if low_open else '>='} {low}"
    if high is not None:
        return f"{what} {'<' if high_open else '<='} {high}"
    return what


@dataclass(frozen=True, kw_only=True)
class SSParams(Config):
    """How SS_rate is measured, where training and analysis mean the same thing.

    :class:`~selfsim.train.config.SSConfig` (training) and
    :class:`~selfsim.analysis.config.AnalysisConfig` both extend it, so the key
    has one name, one default and one check. The box-count formula is not
    shared: training uses one (``ss.formula``) while an analysis reports both
    (``ss_rate`` and ``ss_rate_paper``).

    Attributes
    ----------
    num_thresholds : int
        S, thresholds of the N(theta) curve (256 in the paper), at least 2.
    """

    num_thresholds: int = 256

    def _validate(self) -> None:
        self._int("num_thresholds", low=2)

    @property
    def ss_params(self) -> SSParams:
        """Just the shared SS_rate settings of a training or analysis configuration."""
        return SSParams(num_thresholds=self.num_thresholds)
