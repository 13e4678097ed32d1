"""``focalkit demo --task dense``: the command line of the dense experiment.

:func:`run` takes the arguments parsed by ``focalkit demo`` (see
:mod:`focalkit.experiments.demo.cli`) and maps the ones that apply: ``--seeds``,
``--seed``, ``--epochs``, ``--gamma``, ``--lr``, ``--batch-size``, ``--threads`` (per
worker), ``--minority-fraction`` (the foreground fraction), ``--quick``, ``--out``,
``--overwrite``, ``--no-plots``, ``--quiet``. The tabular-only ``--n-samples`` and
``--tune-metric`` are refused. Imports nothing heavy at module level.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from dataclasses import replace
from typing import Any

__all__ = ["config_from_args", "run"]

_TABULAR_ONLY = {"n_samples": "--n-samples", "tune_metric": "--tune-metric"}


def config_from_args(args: argparse.Namespace) -> Any:
    """The :class:`DenseConfig` described by parsed ``focalkit demo`` arguments."""
    from focalkit.exceptions import InvalidParameterError
    from focalkit.experiments.dense import DenseConfig

    given = [flag for dest, flag in _TABULAR_ONLY.items() if getattr(args, dest, None)
             is not None]
    if given:
        raise InvalidParameterError(
            f"{', '.join(given)} belong(s) to the tabular demo; --task dense draws its own "
            "images (set the foreground fraction with --minority-fraction)."
        )
    config = DenseConfig.quick() if getattr(args, "quick", False) else DenseConfig()
    fraction = getattr(args, "minority_fraction", None)
    if fraction is not None:
        config = replace(config, data=replace(config.data, fg_fraction=fraction))
    changes = {
        name: value
        for name, value in (
            ("seeds", getattr(args, "seeds", None)), ("base_seed", getattr(args, "seed", None)),
            ("epochs", getattr(args, "epochs", None)), ("gamma", getattr(args, "gamma", None)),
            ("lr", getattr(args, "lr", None)),
            ("batch_size", getattr(args, "batch_size", None)),
            ("threads", getattr(args, "threads", None)),
        )
        if value is not None
    }
    return replace(config, **changes) if changes else config


def _check_out(args: argparse.Namespace) -> None:
    from focalkit.cli import check_out_dir
    from focalkit.exceptions import InvalidParameterError
    from focalkit.experiments.dense._outputs import OUTPUT_FILES
    from focalkit.experiments.dense._report import FIGURES

    check_out_dir(args.out)
    if args.overwrite or not os.path.isdir(args.out):
        return
    found = [n for n in (*OUTPUT_FILES, *FIGURES) if os.path.lexists(os.path.join(args.out, n))]
    if found:
        shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        raise InvalidParameterError(
            f"--out {args.out!r} already holds {shown}; pass --overwrite to replace them, or "
            "choose another --out."
        )


def run(args: argparse.Namespace) -> int:
    """Run the dense experiment from parsed ``focalkit demo`` arguments; the exit code."""
    from focalkit.cli import remove_if_created_empty
    from focalkit.exceptions import require

    config = config_from_args(args)
    _check_out(args)
    require("torch", "demo", feature="focalkit demo --task dense")
    if not args.no_plots:
        require("matplotlib", "demo", feature="focalkit demo --task dense figures")
    existed = os.path.isdir(args.out)
    try:
        return _run(args, config)
    except BaseException:
        remove_if_created_empty(args.out, existed)
        raise


def _say(console: Any, text: str) -> None:
    if console is None:
        print(text)
    else:
        console.print(text, markup=False)


def _run(args: argparse.Namespace, config: Any) -> int:
    from focalkit.cli import console as _console
    from focalkit.experiments.dense import run_dense
    from focalkit.experiments.dense._outputs import write_outputs
    from focalkit.experiments.dense._report import findings

    out_console = None if args.quiet else _console()
    if not args.quiet:
        d = config.data
        _say(out_console,
             f"focalkit demo --task dense: {config.seeds} seeds x {len(config.methods)} losses "
             f"on {d.size}x{d.size} images with {d.fg_fraction:.2%} foreground, "
             f"{config.epochs} epochs; sweep of {len(config.sweep_fractions)} foreground "
             f"fractions x {config.sweep_seeds} seed(s); {config.jobs} worker(s)")
    err_console = _console(stderr=True)
    show_bar = not args.quiet and err_console is not None and sys.stderr.isatty()
    t0 = time.perf_counter()
    if show_bar:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        with Progress("training", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err_console, transient=True) as bar:
            task = bar.add_task("training", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = run_dense(config, progress=progress)
    else:
        result = run_dense(config)
    command = "focalkit demo " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if (
        len(sys.argv) > 1 and sys.argv[1] == "demo") else None
    write_outputs(result, args.out, plots=not args.no_plots, command=command)
    elapsed = time.perf_counter() - t0
    if args.quiet:
        print(f"{args.out}/report.md")
        return 0
    s = result["summary"]
    cols = (("pr_auc_score", "PR-AUC"), ("recall_at_0.5fp_score", "recall@0.5FP"),
            ("dice_tuned_score", "Dice*"), ("f1_tuned_score", "F1*"), ("ece_loss", "ECE"))
    head = f"{'loss':<20}" + "".join(f"{h:>14}" for _, h in cols)
    _say(out_console, f"Test metrics, mean of {len(result['seeds'])} seeds (* threshold "
                      "tuned on validation):")
    _say(out_console, head)
    for m, label in result["methods"].items():
        vals = "".join(
            f"{'n/a' if s[m][k]['mean'] is None else format(s[m][k]['mean'], '.3f'):>14}"
            for k, _ in cols)
        _say(out_console, f"{label:<20}{vals}")
    found = findings(result)
    verdicts = [x for x in found["main"] if x.startswith(("Significantly", "No loss"))]
    for note in verdicts + found["sweep"][-1:] + found["budget"][:1]:
        _say(out_console, "- " + note)
    _say(out_console, f"Wrote {args.out}/report.md (paired tests, sweep, figures) and "
                      "results.json/.csv")
    timing = result["timing"]
    cpu = timing.get("cpu_s")
    cpu_text = "" if cpu is None else f" ({cpu:.0f} s of CPU time)"
    _say(out_console, f"Compute time: {timing['total_s']:.1f} s on {timing['jobs']} worker(s)"
                      f"{cpu_text}; figures and report "
                      f"{max(elapsed - timing['total_s'], 0.0):.1f} s; {elapsed:.1f} s in all.")
    return 0
