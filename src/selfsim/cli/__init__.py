"""The ``selfsim`` command line. The only place that configures logging.

Each subcommand lives in its own module of this package with three names:
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
Modules are imported to build the parser, so they must stay light at import
time and import heavy libraries inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time
import traceback
import warnings
from collections.abc import Sequence

from .._core.errors import SelfSimError

# subcommand -> module; the order is the order of ``selfsim --help``
SUBCOMMANDS: dict[str, str] = {
    "analyze": "selfsim.cli.analyze",
    "compare": "selfsim.cli.compare",
    "train": "selfsim.cli.train",
    "experiment": "selfsim.cli.experiment",
    "pull": "selfsim.cli.pull",
    "boxcover": "selfsim.cli.boxcover",
    "report": "selfsim.cli.report",
}


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="selfsim",
        description="Measure and steer the self-similarity of feature networks in deep networks.",
    )
    parser.add_argument("--version", action="version", version=f"selfsim {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    # the same flags before and after the subcommand (selfsim -v train / selfsim train -v);
    # SUPPRESS: a subcommand's default must not undo the same flag given before it
    for p, default in ((common, argparse.SUPPRESS), (parser, None)):
        p.add_argument(
            "-v",
            "--verbose",
            action="count",
            default=0 if default is None else default,
            help="more log output (debug lines); also show the traceback of an error",
        )
        p.add_argument(
            "-q",
            "--quiet",
            action="count",
            default=0 if default is None else default,
            help="only warnings and errors (no progress lines)",
        )
        p.add_argument(
            "--debug",
            action="store_true",
            default=False if default is None else default,
            help="show the full traceback of an error and where warnings come from",
        )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, modname in SUBCOMMANDS.items():
        try:
            module = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name == modname:  # subcommand not part of this build
                continue
            raise
        p = sub.add_parser(name, help=module.HELP, description=module.HELP, parents=[common])
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


# a missing module -> the extra that installs it
EXTRAS: dict[str, str] = {
    "timm": "models",
    "torchvision": "models",
    "safetensors": "models",
    "PIL": "models",
    "sklearn": "analysis",
    "powerlaw": "analysis",
    "umap": "analysis",
    "pandas": "analysis",
    "matplotlib": "analysis",
    "networkx": "graphs",
    "numba": "fast",
    "yaml": "train",
    "tensorboard": "train",
}


def error_message(exc: BaseException) -> str:
    """The one-or-two-line message the CLI prints for ``exc`` (without the traceback)."""
    if isinstance(exc, SelfSimError):
        return str(exc)
    if isinstance(exc, ModuleNotFoundError):
        top = (exc.name or "").split(".")[0]
        extra = EXTRAS.get(top)
        if extra:
            return (
                f"this needs the optional package {top!r}, which is not installed.\n"
                f'Install it with: pip install "selfsim[{extra}]"'
            )
        return f"missing Python module {exc.name!r} ({exc}); reinstall selfsim."
    if isinstance(exc, OSError):
        where = exc.filename or ""
        what = exc.strerror or str(exc)
        return (
            f"cannot access {where}: {what}." if where else f"{what}."
        ) + "\nCheck the path, its permissions and the free disk space."
    return (
        f"unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}\n"
        "This is probably a bug in selfsim; rerun with --debug for the traceback and report it."
    )


class _Formatter(logging.Formatter):
    """``HH:MM:SS message`` for progress; warnings and errors say so; -v adds the logger."""

    def __init__(self, names: bool) -> None:
        super().__init__(datefmt="%H:%M:%S")
        self.names = names

    def format(self, record: logging.LogRecord) -> str:
        level = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
        name = f"{record.name}: " if self.names else ""
        text = f"{self.formatTime(record, self.datefmt)} {level}{name}{record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def _log_level(verbose: int, quiet: int) -> int:
    """INFO by default (progress lines); -v DEBUG; -q WARNING, -qq ERROR."""
    if verbose:
        return logging.DEBUG
    return {0: logging.INFO, 1: logging.WARNING}.get(quiet, logging.ERROR)


def _format_warning(debug: bool):
    """``warnings.formatwarning`` for the command line: no source path (unless ``debug``).

    The format, not ``showwarning``, is replaced, so that code that records warnings
    (``warnings.catch_warnings(record=True)``, pytest) still receives them.
    """

    def fmt(message, category, filename, lineno, line=None) -> str:
        kind = "" if category in (UserWarning, RuntimeWarning) else f" [{category.__name__}]"
        where = f" ({filename}:{lineno})" if debug else ""
        return f"{time.strftime('%H:%M:%S')} warning: {message}{kind}{where}\n"

    return fmt


def main(argv: Sequence[str] | None = None) -> int:
    from ._args import join_dash_values

    parser = build_parser()
    args = parser.parse_args(join_dash_values(sys.argv[1:] if argv is None else argv))
    command = getattr(args, "command", None) or ""
    # logging and warnings are set here only, and undone on return (main may run in-process)
    logger = logging.getLogger("selfsim")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(names=bool(args.verbose)))
    saved_level, saved_format = logger.level, warnings.formatwarning
    logger.addHandler(handler)
    logger.setLevel(_log_level(args.verbose, args.quiet))
    warnings.formatwarning = _format_warning(bool(args.debug or args.verbose))
    try:
        return _run(parser, args, command)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)
        warnings.formatwarning = saved_format


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace, command: str) -> int:
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 0
    for old, new in getattr(args, "_deprecated", []):
        logging.getLogger("selfsim.cli").warning(
            "%s is deprecated; use %s (same meaning, the name the paper and the config use).",
            old,
            new,
        )
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print(
            f"selfsim {command}: interrupted; earlier results are unchanged (a training "
            "run continues with --resume).",
            file=sys.stderr,
        )
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI turns every error into a short message
        if args.debug or args.verbose:
            traceback.print_exc()
        lines = error_message(exc).splitlines() or [type(exc).__name__]
        print(f"selfsim {command}: error: {lines[0]}", file=sys.stderr)
        for line in lines[1:]:
            print(f"  {line}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
