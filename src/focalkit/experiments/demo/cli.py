"""``focalkit demo``: the command line of the post's experiment.

Exposes ``HELP``, :func:`add_arguments` and :func:`run` for :mod:`focalkit.cli`. Imports
nothing heavy at module level (torch, matplotlib and rich are imported inside :func:`run`).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from dataclasses import replace
from typing import Any

__all__ = ["HELP", "add_arguments", "config_from_args", "run"]

HELP = "Reproduce the post's 90:10 experiment (BCE vs focal vs tuned threshold) and report it."


def _int_at_least(low: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be an integer >= {low}; got {text!r}"
            ) from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}; got {value}")
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number; got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive finite number; got {text}")
    return value


def _nonneg_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number >= 0; got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0; got {text}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 0.5]; got {text!r}") from None
    if not 0 < value <= 0.5:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 0.5]; got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the demo's options to ``parser``."""
    from focalkit.metrics import THRESHOLD_METRICS

    parser.epilog = (
        "Writes config.json, results.json, results.csv, six PNG figures and report.md "
        "to --out. Defaults are the `make demo` run (15-30 s on 2 CPU cores)."
    )
    parser.add_argument("--out", default="demo-out", metavar="DIR",
                        help="output directory (default: demo-out)")
    parser.add_argument("--seeds", type=_int_at_least(1), default=None, metavar="N",
                        help="number of seeds; each fixes a split and the initial weights, "
                             "shared by every method (default: 5)")
    parser.add_argument("--epochs", type=_int_at_least(1), default=None, metavar="N",
                        help="training epochs (default: 200)")
    parser.add_argument("--seed", type=_int_at_least(0), default=None, metavar="S",
                        help="first seed (default: 0)")
    parser.add_argument("--n-samples", type=_int_at_least(100), default=None, metavar="N",
                        help="dataset size before splitting (default: 6000)")
    parser.add_argument("--minority-fraction", type=_fraction, default=None, metavar="F",
                        help="share of the minority class (default: 0.1, the post's 90:10)")
    parser.add_argument("--gamma", type=_nonneg_float, default=None,
                        help="focusing parameter of the focal models (default: 2)")
    parser.add_argument("--lr", type=_positive_float, default=None,
                        help="Adam learning rate (default: 0.01)")
    parser.add_argument("--batch-size", type=_int_at_least(1), default=None, metavar="B",
                        help="mini-batch size (default: full batch)")
    parser.add_argument("--tune-metric", choices=THRESHOLD_METRICS, default=None,
                        help="metric the validation-tuned threshold maximises (default: f1)")
    parser.add_argument("--threads", type=_int_at_least(1), default=None, metavar="N",
                        help="torch threads while training (default: 1, fastest for a tiny MLP)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny run for smoke tests: 600 points, 2 seeds, 15 epochs")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bar and no summary; print only where files went")


def config_from_args(args: argparse.Namespace) -> Any:
    """The :class:`DemoConfig` described by parsed arguments."""
    from focalkit.experiments.demo import DemoConfig

    config = DemoConfig.quick() if args.quick else DemoConfig()
    data_changes = {
        k: v for k, v in (("n_samples", args.n_samples),
                          ("minority_fraction", args.minority_fraction)) if v is not None
    }
    if data_changes:
        config = replace(config, data=replace(config.data, **data_changes))
    changes = {
        name: value
        for name, value in (
            ("seeds", args.seeds), ("epochs", args.epochs), ("base_seed", args.seed),
            ("gamma", args.gamma), ("lr", args.lr), ("batch_size", args.batch_size),
            ("tune_metric", args.tune_metric), ("threads", args.threads),
        )
        if value is not None
    }
    return replace(config, **changes) if changes else config


def _console(stderr: bool = False) -> Any:
    try:
        from rich.console import Console
    except ImportError:
        return None
    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    return Console(file=stream, width=None if tty else 150, highlight=False)


def _print_setup(console: Any, config: Any) -> None:
    kw = config.data.sklearn_kwargs()
    settings = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    lines = [
        f"focalkit demo: make_classification({settings})",
        f"  split {1 - config.val_size - config.test_size:.0%} train / {config.val_size:.0%} "
        f"validation / {config.test_size:.0%} test (stratified), {config.seeds} seeds from "
        f"{config.base_seed}, {config.epochs} epochs, "
        + ("full batch" if config.batch_size is None else f"batch {config.batch_size}")
        + f", Adam lr {config.lr:g}, gamma {config.gamma:g}",
    ]
    for line in lines:
        if console is None:
            print(line)
        else:
            console.print(line, markup=False)


def _short_label(result: dict, model: str, rule: str) -> str:
    """A compact method name for the terminal table."""
    m = result["models"][model]
    if m.get("derived_from"):
        text = _short_label(result, m["derived_from"], "0.5") + " → posterior"
    elif m.get("loss") == "focal":
        alpha = "" if m.get("alpha") is None else f"α={m['alpha']:.2g} "
        text = f"focal {alpha}γ={m['gamma']:g}"
    elif m.get("pos_weight") is not None:
        text = f"BCE pos_weight={m['pos_weight']:.2g}"
    else:
        text = "BCE"
    return text + (" + tuned" if rule == "tuned" else "")


def _print_summary(console: Any, result: dict, out_dir: str) -> None:
    from focalkit.experiments.demo._report import _summary, findings

    wide = console is None or console.width >= 110
    cols = [
        ("minority_f1_score", "min. F1", True), ("minority_recall_score", "recall", True),
        ("minority_precision_score", "prec.", True),
    ]
    if wide:
        cols += [("balanced_accuracy_score", "bal.acc", True), ("mcc_score", "MCC", True)]
    cols += [("pr_auc_score", "PR-AUC", True), ("ece_loss", "ECE", False)]
    if wide:
        cols += [("accuracy_score", "acc.", True)]
    rows = []
    for m in result["methods"]:
        s = _summary(result, m["model"], m["rule"])
        thr = "0.5" if m["rule"] == "0.5" else f"{s['threshold']['mean']:.2f}*"
        label = _short_label(result, m["model"], m["rule"])
        rows.append((label, thr, [s[k]["mean"] for k, _, _ in cols]))
    best = [
        (max if hib else min)(r[2][i] for r in rows) for i, (_, _, hib) in enumerate(cols)
    ]
    n = len(result["seeds"])
    base = _summary(result, result["methods"][0]["model"], "0.5")
    title = (f"Test metrics, mean of {n} seed(s) "
             f"(majority-class accuracy {base['majority_baseline_score']['mean']:.3f})")
    post = result["models"].get("focal_alpha")
    caption = "* threshold tuned on validation"
    if post:
        caption += f"; {_short_label(result, 'focal_alpha', '0.5')} is the post's recipe"
    found = findings(result)
    budget = found.get("budget", [])
    notes = (found.get("baseline", [])[:2] + budget[:1] + budget[-1:]
             + found.get("calibration", [])[-1:])
    done = f"Wrote {out_dir}/report.md (± sd, every metric, figures) and results.json/.csv"
    if console is None:
        print(title)
        print(" | ".join(["method", "thr"] + [c[1] for c in cols]))
        for label, thr, vals in rows:
            print(" | ".join([label, thr] + [f"{v:.3f}" for v in vals]))
        print(caption)
        for note in notes:
            print("- " + note)
        print(done)
        return
    from rich import box
    from rich.table import Table

    table = Table(title=title, title_style="bold", caption=caption, box=box.SIMPLE_HEAD,
                  pad_edge=False)
    table.add_column("method", min_width=12)  # wraps on narrow terminals; numbers never do
    table.add_column("thr", justify="right", no_wrap=True, min_width=5)
    for _, head, _ in cols:
        table.add_column(head, justify="right", no_wrap=True, min_width=max(5, len(head)))
    for label, thr, vals in rows:
        cells = [
            f"[bold green]{v:.3f}[/]" if abs(v - b) < 5e-4 else f"{v:.3f}"
            for v, b in zip(vals, best, strict=True)
        ]
        table.add_row(label, thr, *cells)
    console.print(table)
    for note in notes:
        console.print("- " + note, markup=False)
    console.print(done, markup=False)


def run(args: argparse.Namespace) -> int:
    """Run the demo from parsed arguments; returns the exit code."""
    from focalkit.exceptions import require

    require("torch", "demo", feature="focalkit demo")
    if not args.no_plots:
        require("matplotlib", "demo", feature="focalkit demo figures")
    from focalkit.experiments.demo import run_demo
    from focalkit.experiments.demo._outputs import write_outputs

    config = config_from_args(args)
    out_console = None if args.quiet else _console()
    if not args.quiet:
        _print_setup(out_console, config)
    err_console = _console(stderr=True)
    show_bar = not args.quiet and err_console is not None and sys.stderr.isatty()
    t0 = time.perf_counter()
    if show_bar:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        total = config.seeds * len(config.models) * config.epochs
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=err_console, transient=True,
        ) as bar:
            task = bar.add_task("training", total=total)

            def progress(model: str, seed: int, epoch: int, n_epochs: int) -> None:
                bar.update(task, advance=1, description=f"seed {seed} {model:<15}")

            result = run_demo(config, progress=progress)
    else:
        result = run_demo(config)
    command = "focalkit demo " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if (
        len(sys.argv) > 1 and sys.argv[1] == "demo") else None
    write_outputs(result, args.out, plots=not args.no_plots, command=command)
    elapsed = time.perf_counter() - t0
    if args.quiet:
        print(f"{args.out}/report.md")
        return 0
    _print_summary(out_console, result, args.out)
    msg = (f"Done in {elapsed:.1f} s (training {result['timing']['train_s']:.1f} s, "
           f"figures and report {elapsed - result['timing']['total_s']:.1f} s).")
    if out_console is None:
        print(msg)
    else:
        out_console.print(msg, markup=False)
    return 0
