"""The ``focalkit`` command line: ``focalkit demo``, ``focalkit bench``.

Each sub-command lives in the module that owns it and exposes ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Those modules import nothing heavy at
module level, so ``focalkit --help`` stays fast.

The input contract of every sub-command: a bad argument, a bad file or a missing optional
dependency ends in exactly one line on stderr (``focalkit <command>: error: ...``, naming
the flag and what to do) and a non-zero exit code, never in a traceback. Exit codes: 0 done,
1 the run finished but some of its work failed (or an unexpected internal error), 2 bad
input, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import signal
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn

from focalkit._version import __version__
from focalkit.exceptions import FocalkitError

__all__ = ["main"]

COMMANDS = {
    "demo": "focalkit.experiments.demo.cli",
    "bench": "focalkit.experiments.bench.cli",
}

#: Set this environment variable to see the traceback of an unexpected error.
TRACEBACK_ENV = "FOCALKIT_TRACEBACK"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same clean-up runs (workers, partial files)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like every other error of the CLI."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def one_line(text: object) -> str:
    """``text`` with every run of whitespace (newlines too) collapsed to one space."""
    return " ".join(str(text).split())


# -- argument types shared by the sub-commands (argparse adds "argument --flag: ") ----------
def int_at_least(low: int, *, also: Iterable[int] = ()) -> Callable[[str], int]:
    """An argparse type: an integer >= ``low`` (or one of ``also``, e.g. -1 for 'all')."""
    extra = tuple(also)

    def parse(text: str) -> int:
        what = f"an integer >= {low}" + "".join(f" or {a}" for a in extra)
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}") from None
        if value < low and value not in extra:
            raise argparse.ArgumentTypeError(f"must be {what}; got {value}")
        return value

    return parse


def float_in(low: float, high: float, *, open_low: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number in ``[low, high]`` (``(low, high]`` if open_low)."""
    lo = "(" if open_low else "["
    what = f"a number in {lo}{low:g}, {high:g}]"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}") from None
        ok = math.isfinite(value) and value <= high and (value > low if open_low else value >= low)
        if not ok:
            raise argparse.ArgumentTypeError(f"must be {what}; got {text}")
        return value

    return parse


def choice(names: Sequence[str], aliases: dict[str, str] | None = None) -> Callable[[str], str]:
    """An argparse type: one of ``names`` (case-insensitive; ``aliases`` map to a name)."""
    table = {n.lower(): n for n in names}
    table.update({a.lower(): n for a, n in (aliases or {}).items() if n in names})

    def parse(text: str) -> str:
        key = text.strip().lower()
        for k in (key, key.replace("-", "_")):
            if k in table:
                return table[k]
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(names)}; got {text!r}")

    return parse


#: The decision-threshold metrics, one set of names for ``demo --tune-metric`` and
#: ``bench --threshold-metric``/``--metric`` (both spellings of the G-mean are accepted).
METRIC_ALIASES = {"gmean": "g_mean", "g_mean": "g_mean", "g-mean": "g_mean",
                  "balanced-accuracy": "balanced_accuracy", "bal_acc": "balanced_accuracy",
                  "pr_auc": "average_precision", "ap": "average_precision",
                  "auc": "roc_auc", "roc-auc": "roc_auc"}  # fmt: skip


# -- the out folder ----------------------------------------------------------------------
def check_out_dir(path: str, *, flag: str = "--out") -> None:
    """Refuse an ``--out`` that is an existing file (before any work)."""
    if os.path.lexists(path) and not os.path.isdir(path):
        raise _input_error(
            f"{flag} {path!r} is an existing file, not a folder; name a folder (it is "
            "created if missing)."
        )


def remove_if_created_empty(path: str, existed: bool) -> None:
    """Remove ``path`` when this run created it and left nothing in it."""
    if existed:
        return
    try:
        os.rmdir(path)  # only succeeds on an empty folder
    except OSError:
        pass


def _input_error(message: str) -> FocalkitError:
    from focalkit.exceptions import InvalidParameterError

    return InvalidParameterError(message)


# -- the parser and main -----------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = _Parser(
        prog="focalkit",
        description="Focal loss and its alternatives for imbalanced classification.",
    )
    parser.add_argument("--version", action="version", version=f"focalkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    name = f"focalkit {args.command}"
    previous = None
    try:  # SIGTERM takes the Ctrl-C path: workers stopped, partial results kept
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (tests calling main from a thread)
        previous = None
    try:
        return int(args._run(args) or 0)
    except FocalkitError as exc:  # includes MissingExtraError: print the hint, no traceback
        print(f"{name}: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except Terminated:
        print(f"{name}: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `focalkit ... | head`
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return 1
    except OSError as exc:  # a folder that cannot be written, a full disk, ...
        where = f" {exc.filename!r}" if exc.filename else ""
        print(f"{name}: error: cannot use{where}: {one_line(exc.strerror or exc)}",
              file=sys.stderr)  # fmt: skip
        return 2
    except Exception as exc:  # noqa: BLE001 - the last resort: one line, not a traceback
        if os.environ.get(TRACEBACK_ENV):
            raise
        print(f"{name}: internal error: {type(exc).__name__}: {one_line(exc)} (this is a "
              f"bug; set {TRACEBACK_ENV}=1 for the traceback and please report it)",
              file=sys.stderr)  # fmt: skip
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


def console(stderr: bool = False) -> Any:
    """A rich Console on stdout (or stderr), or None when rich is not installed."""
    try:
        from rich.console import Console
    except ImportError:
        return None
    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    return Console(file=stream, width=None if tty else 150, highlight=False)
