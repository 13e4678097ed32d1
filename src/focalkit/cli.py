"""The ``focalkit`` command line: ``focalkit demo``, ``focalkit bench``.

Each sub-command lives in the module that owns it and exposes ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Those modules import nothing heavy at
module level, so ``focalkit --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from focalkit._version import __version__
from focalkit.exceptions import FocalkitError

__all__ = ["main"]

COMMANDS = {
    "demo": "focalkit.experiments.demo.cli",
    "bench": "focalkit.experiments.bench.cli",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="focalkit",
        description="Focal loss and its alternatives for imbalanced classification.",
    )
    parser.add_argument("--version", action="version", version=f"focalkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("focalkit"):
                continue  # sub-command not built yet
            raise
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except FocalkitError as exc:  # includes MissingExtraError: print the hint, no traceback
        print(f"focalkit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"focalkit {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
