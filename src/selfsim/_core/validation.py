"""Parameter validation with one message template.

Constraints are declared as data and checked in one place, after
scikit-learn's ``utils/_param_validation.py``. A failed check raises
:class:`~selfsim._core.errors.InvalidInputError` with a message such as::

    The 'num_thresholds' parameter of ss_rate must be an int in [2, inf). Got 1 instead.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from .errors import InvalidInputError

__all__ = ["check_int", "check_float", "check_choice", "check_device"]


def _fmt_interval(low: float | None, high: float | None, closed: str) -> str:
    left = "[" if closed in ("both", "left") else "("
    right = "]" if closed in ("both", "right") else ")"
    lo = "-inf" if low is None else repr(low)
    hi = "inf" if high is None else repr(high)
    if low is None:
        left = "("
    if high is None:
        right = ")"
    return f"{left}{lo}, {hi}{right}"


def _fail(name: str, caller: str, expected: str, value: Any, hint: str = "") -> InvalidInputError:
    msg = f"The {name!r} parameter of {caller} must be {expected}. Got {value!r} instead."
    if hint:
        msg += " " + hint
    return InvalidInputError(msg)


def check_int(
    value: Any,
    name: str,
    caller: str,
    *,
    low: int | None = None,
    high: int | None = None,
    hint: str = "",
) -> int:
    """Return ``value`` as an int in ``[low, high]`` or raise."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and (low is None or value >= low) and (high is None or value <= high):
        return int(value)
    expected = f"an int in {_fmt_interval(low, high, 'both')}"
    raise _fail(name, caller, expected, value, hint)


def check_float(
    value: Any,
    name: str,
    caller: str,
    *,
    low: float | None = None,
    high: float | None = None,
    closed: str = "both",
    hint: str = "",
) -> float:
    """Return ``value`` as a finite float in the interval or raise."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        v = float(value)
        ok = math.isfinite(v)
        if ok and low is not None:
            ok = v >= low if closed in ("both", "left") else v > low
        if ok and high is not None:
            ok = v <= high if closed in ("both", "right") else v < high
        if ok:
            return v
    expected = f"a finite float in {_fmt_interval(low, high, closed)}"
    raise _fail(name, caller, expected, value, hint)


def check_choice(value: Any, name: str, caller: str, choices: Iterable[Any], hint: str = "") -> Any:
    """Return ``value`` if it is one of ``choices`` or raise (naming the closest choice)."""
    from .config import did_you_mean

    choices = list(choices)
    if value in choices:
        return value
    expected = "one of " + ", ".join(repr(c) for c in choices)
    raise _fail(
        name, caller, expected, value, (did_you_mean(value, choices).strip() + " " + hint).strip()
    )


def check_device(device: str, option: str = "--device") -> str:
    """Return ``device`` if torch can use it here ("auto" passes); raise a clear error if not.

    >>> check_device("cpu")
    'cpu'
    """
    import torch

    if device == "auto":
        return device
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError) as exc:
        raise InvalidInputError(
            f"{option} {device!r} is not a device name; use cpu, cuda, cuda:N or auto."
        ) from exc
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise InvalidInputError(
                f"{option} {device}: no CUDA GPU is usable here "
                "(torch.cuda.is_available() is False); use --device cpu."
            )
        index = torch.device(device).index
        if index is not None and index >= torch.cuda.device_count():
            raise InvalidInputError(
                f"{option} {device}: only {torch.cuda.device_count()} GPU(s) "
                "here; use cuda:0 or cpu."
            )
    elif kind == "mps" and not (
        hasattr(torch.backends, "mps") and torch.backends.mps.is_available()
    ):
        raise InvalidInputError(f"{option} {device}: MPS is not available here; use --device cpu.")
    return device
