"""Argument pieces that several subcommands share, so that they read and behave the same.

Flags are spelt with hyphens (``--ss-alpha``); the configuration keys they set
use underscores (``ss.alpha``). A renamed flag stays as a hidden alias that
still works and earns one deprecation warning (:class:`DeprecatedAlias`).
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from typing import Any

__all__ = [
    "DeprecatedAlias",
    "json_object",
    "join_dash_values",
    "LAYERS_HELP",
    "DEVICE_HELP",
    "DASH_VALUE_OPTIONS",
]

LAYERS_HELP = (
    "comma list of module names, globs ('blocks.*'), indices into the default "
    "layers (0 the first, -1 the last) or slices ('-3:' the last three, '0:4' the "
    "first four); 'released' for the released training code's wider set "
    "(default: the paper's preset, or the model's blocks/stages)"
)
DEVICE_HELP = "auto (default: cuda when available, else cpu), cpu, cuda or cuda:N"

# options whose value may start with "-" (a negative index or slice): "--layers -2,-1"
DASH_VALUE_OPTIONS = ("--layers",)
_DASH_VALUE = re.compile(r"-[\d:]")


def join_dash_values(argv: Sequence[str], options: Sequence[str] = DASH_VALUE_OPTIONS) -> list[str]:
    """Write ``OPTION -VALUE`` as ``OPTION=-VALUE`` so that argparse reads the value.

    argparse takes a word that starts with "-" for an option unless it is a
    plain negative number, so ``--layers -2,-1`` or ``--layers -3:`` would be
    refused; no option of selfsim starts with "-" and a digit or ":".

    >>> join_dash_values(["analyze", "--layers", "-3:", "--seed", "1"])
    ['analyze', '--layers=-3:', '--seed', '1']
    """
    out: list[str] = []
    it = iter(range(len(argv)))
    args = list(argv)
    for i in it:
        word = args[i]
        if word == "--":
            out.extend(args[i:])
            break
        if word in options and i + 1 < len(args) and _DASH_VALUE.match(args[i + 1]):
            out.append(f"{word}={args[i + 1]}")
            next(it, None)
        else:
            out.append(word)
    return out


def json_object(text: str) -> dict[str, Any]:
    """argparse type: a JSON object such as ``'{"img_size": 32}'``."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(
            f"not valid JSON ({exc.msg} at character {exc.pos}): {text!r}; write e.g. "
            "'{\"img_size\": 32}' (double quotes inside single quotes)"
        ) from exc
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"must be a JSON object ({{...}}); got {text!r}")
    return value


class DeprecatedAlias(argparse.Action):
    """An old spelling of a flag: stores into the new flag's ``dest`` and notes its use.

    The names used are collected in ``namespace._deprecated`` as
    ``(old, new)`` pairs; the entry point warns once per pair.
    """

    def __init__(
        self, option_strings: Sequence[str], dest: str, *, new: str, **kwargs: Any
    ) -> None:
        kwargs.setdefault("help", argparse.SUPPRESS)
        super().__init__(option_strings, dest, **kwargs)
        self.new = new

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        used = list(getattr(namespace, "_deprecated", []))
        pair = (option_string or self.option_strings[0], self.new)
        if pair not in used:
            used.append(pair)
        namespace._deprecated = used
