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
import traceback
from collections.abc import Sequence

from .._core.errors import SelfSimError

# subcommand -> module; the order is the order of ``selfsim --help``
SUBCOMMANDS: dict[str, str] = {
    "analyze": "selfsim.cli.analyze",
    "compare": "selfsim.cli.compare",
    "train": "selfsim.cli.train",
    "experiment": "selfsim.cli.experiment",
    "boxcover": "selfsim.cli.boxcover",
}


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="selfsim",
        description="Measure and steer the self-similarity of feature networks in deep networks.",
    )
    parser.add_argument("--version", action="version", version=f"selfsim {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's default must not undo the same flag given before it
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help="more log output; also show the traceback of an error")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of an error")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log output; also show the traceback of an error")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
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
    "timm": "models", "torchvision": "models", "safetensors": "models", "PIL": "models",
    "sklearn": "analysis", "powerlaw": "analysis", "umap": "analysis", "pandas": "analysis",
    "matplotlib": "analysis", "networkx": "graphs", "numba": "fast", "yaml": "train",
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
            return (f"this needs the optional package {top!r}, which is not installed.\n"
                    f'Install it with: pip install "selfsim[{extra}]"')
        return f"missing Python module {exc.name!r} ({exc}); reinstall selfsim."
    if isinstance(exc, OSError):
        where = exc.filename or ""
        what = exc.strerror or str(exc)
        return (f"cannot access {where}: {what}." if where else f"{what}.") + \
            "\nCheck the path, its permissions and the free disk space."
    return (f"unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}\n"
            "This is probably a bug in selfsim; rerun with --debug for the traceback and report it.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 0
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print(f"selfsim {args.command}: interrupted; earlier results are unchanged (a training "
              "run continues with --resume).", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI turns every error into a short message
        if args.debug or args.verbose:
            traceback.print_exc()
        lines = error_message(exc).splitlines() or [type(exc).__name__]
        print(f"selfsim {args.command}: error: {lines[0]}", file=sys.stderr)
        for line in lines[1:]:
            print(f"  {line}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
