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
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, modname in SUBCOMMANDS.items():
        try:
            module = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name == modname:  # subcommand not part of this build
                continue
            raise
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


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
    except SelfSimError as exc:
        print(f"selfsim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
