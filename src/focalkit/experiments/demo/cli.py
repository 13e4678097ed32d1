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

from focalkit.cli import console as _console

__all__ = ["HELP", "OUTPUT_FILES", "TUNE_METRICS", "add_arguments", "config_from_args", "run"]

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


#: ``--tune-metric`` names: the bench's spelling (``g_mean``) and the library's (``gmean``)
#: are both accepted; the demo's config keeps the library's.
TUNE_METRICS = ("f1", "balanced_accuracy", "g_mean", "mcc", "accuracy")


def _tune_metric(text: str) -> str:
    from focalkit.cli import METRIC_ALIASES, choice

    name = choice(TUNE_METRICS, METRIC_ALIASES)(text)
    return "gmean" if name == "g_mean" else name


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the demo's options to ``parser``."""
    parser.epilog = (
        "Writes config.json, results.json, results.csv, six PNG figures and report.md "
        "to --out. Defaults are the `make demo` run (about 12 s of CPU time; 25-35 s wall "
        "on a 2-core x86-64 VM)."
    )
    parser.add_argument("--task", choices=("tabular", "dense"), default="tabular",
                        help="tabular: the post's 90:10 experiment (default); dense: focal "
                             "loss in dense detection, five losses on synthetic images with "
                             "0.1-1%% foreground (about 2-3 min on 2 cores; takes --seeds, "
                             "--seed, --epochs, --gamma, --lr, --batch-size, --threads, "
                             "--minority-fraction as the foreground fraction, --quick)")
    parser.add_argument("--framework", choices=("torch", "keras", "jax"), default="torch",
                        help="who trains the MLP, with focalkit's losses of that framework "
                             "(default: torch; keras uses KERAS_BACKEND; tabular task only)")
    parser.add_argument("--out", default="demo-out", metavar="DIR",
                        help="output directory (default: demo-out)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the outputs of an earlier run in --out (without it, a "
                             "folder that already holds a report.md, results or figures is "
                             "refused)")
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
    parser.add_argument("--tune-metric", type=_tune_metric, default=None, metavar="NAME",
                        help="metric the validation-tuned threshold maximises: "
                             f"{', '.join(TUNE_METRICS)} (default: f1)")
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
    framework = getattr(args, "framework", "torch")
    if framework != "torch":
        changes["framework"] = framework
    return replace(config, **changes) if changes else config


def _print_setup(console: Any, config: Any) -> None:
    kw = config.data.sklearn_kwargs()
    settings = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    lines = [
        f"focalkit demo: make_classification({settings})",
        f"  split {1 - config.val_size - config.test_size:.0%} train / {config.val_size:.0%} "
        f"validation / {config.test_size:.0%} test (stratified), {config.seeds} seeds from "
        f"{config.base_seed}, {config.epochs} epochs, "
        + ("full batch" if config.batch_size is None else f"batch {config.batch_size}")
        + f", Adam lr {config.lr:g}, gamma {config.gamma:g}"
        + ("" if config.framework == "torch" else f", trained with {config.framework}"),
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


#: Files of a demo run besides the figures (see ``_report.FIGURES``).
OUTPUT_FILES = ("config.json", "results.json", "results.csv", "report.md")


def _check_out(args: argparse.Namespace) -> None:
    """Refuse a file as --out, and a folder with earlier outputs unless --overwrite."""
    import os

    from focalkit.cli import check_out_dir
    from focalkit.exceptions import InvalidParameterError

    check_out_dir(args.out)
    if args.overwrite or not os.path.isdir(args.out):
        return
    from focalkit.experiments.demo._report import FIGURES

    found = [n for n in (*OUTPUT_FILES, *FIGURES) if os.path.lexists(os.path.join(args.out, n))]
    if found:
        shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        raise InvalidParameterError(
            f"--out {args.out!r} already holds {shown}; pass --overwrite to replace them, or "
            "choose another --out."
        )


def _check_data(config: Any) -> None:
    """Every seed's stratified split must keep >= 2 rows of each class in every part."""
    import numpy as np

    from focalkit.exceptions import InvalidParameterError
    from focalkit.experiments.datasets import make_imbalanced, train_val_test_split

    X, y = make_imbalanced(config.data)
    n, n_min = int(y.size), int(min(y.sum(), y.size - y.sum()))
    too_few = n_min < 6
    for seed in range(config.base_seed, config.base_seed + config.seeds):
        if too_few:
            break
        try:
            split = train_val_test_split(X, y, val_size=config.val_size,
                                         test_size=config.test_size, random_state=seed)
        except ValueError:
            too_few = True
            break
        for part in (split.y_train, split.y_val, split.y_test):
            counts = np.bincount(part, minlength=2)
            too_few = too_few or int(counts.min()) < 2
    if too_few:
        raise InvalidParameterError(
            f"--minority-fraction {config.data.minority_fraction:g} of --n-samples {n} leaves "
            f"{n_min} minority row(s): too few for the stratified train/validation/test split "
            "(each part needs at least 2); raise --minority-fraction or --n-samples."
        )


def run(args: argparse.Namespace) -> int:
    """Run the demo from parsed arguments; returns the exit code."""
    import os

    from focalkit.cli import remove_if_created_empty
    from focalkit.exceptions import require

    if getattr(args, "task", "tabular") == "dense":
        from focalkit.experiments.dense.cli import run as run_dense

        if getattr(args, "framework", "torch") != "torch":
            from focalkit.exceptions import InvalidParameterError

            raise InvalidParameterError(
                "--framework keras/jax trains the tabular demo only; --task dense runs on "
                "PyTorch (drop --framework).")

        return run_dense(args)
    _check_out(args)
    config = config_from_args(args)
    _check_data(config)  # scikit-learn only: before the heavy imports
    framework = getattr(args, "framework", "torch")
    if framework == "torch":
        require("torch", "demo", feature="focalkit demo")
    else:  # the adapter's import fails at once with its own hint (extra, Keras back end)
        import importlib

        importlib.import_module(f"focalkit.{framework}")
    if not args.no_plots:
        require("matplotlib", "demo", feature="focalkit demo figures")
    existed = os.path.isdir(args.out)
    try:
        return _run(args, config)
    except BaseException:
        remove_if_created_empty(args.out, existed)
        raise


def _run(args: argparse.Namespace, config: Any) -> int:
    from focalkit.experiments.demo import run_demo
    from focalkit.experiments.demo._outputs import write_outputs

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
    timing = result["timing"]
    # the first sentence is report.md's "Compute time" line, word for word
    msg = (f"Compute time: {timing['total_s']:.1f} s (training {timing['train_s']:.1f} s) on "
           f"{config.threads} torch thread(s); figures and report "
           f"{max(elapsed - timing['total_s'], 0.0):.1f} s; {elapsed:.1f} s in all.")
    if out_console is None:
        print(msg)
    else:
        out_console.print(msg, markup=False)
    return 0
