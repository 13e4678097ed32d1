"""The bench's protocol: paired repeated stratified k-fold, one cell at a time.

Cells are stored incrementally, so an interrupted run resumes without recomputing them.

A *cell* is one (dataset, method, repeat, fold). For every cell of a (dataset, repeat,
fold) all methods see the same outer train/test split, the same inner train/validation
split of the training fold, and the same model seed (paired comparisons). The validation
part serves early stopping (where the estimator accepts it), threshold tuning and
recalibration; the test fold is scored once.

Each finished cell is appended to ``cells.jsonl`` as one JSON line, written in one call and
flushed to disk; a torn last line (a crash mid-write) is cut off on resume.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from focalkit.exceptions import InvalidParameterError
from focalkit.experiments.bench.config import BenchConfig
from focalkit.experiments.bench.datasets import (
    Dataset,
    DatasetUnavailable,
    load_dataset,
    resolve,
    subsample,
)
from focalkit.experiments.bench.methods import MethodSpec, availability, parse_method

__all__ = ["CellStore", "Plan", "cell_key", "make_plan", "run_cells", "split_indices"]

CELLS_FILE = "cells.jsonl"


def cell_key(dataset: str, method: str, repeat: int, fold: int) -> str:
    """The unique key of a cell."""
    return f"{dataset}|{method}|{repeat}|{fold}"


def _seed(*parts: Any) -> int:
    """A stable 31-bit seed derived from the root seed and names (not Python's hash)."""
    ints = [p if isinstance(p, int) else zlib.crc32(str(p).encode()) for p in parts]
    return int(np.random.SeedSequence(ints).generate_state(1)[0] % (2**31 - 1))


def split_indices(
    y: np.ndarray, *, n_splits: int, n_repeats: int, val_fraction: float, seed: int, name: str
) -> list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray, int]]:
    """Every (repeat, fold, inner-train, validation, test, model seed) of a dataset.

    The splits depend only on the labels, the root seed and the dataset name, so every
    method sees the very same rows.

    Examples
    --------
    >>> y = np.array([0] * 40 + [1] * 10)
    >>> s = split_indices(y, n_splits=2, n_repeats=1, val_fraction=0.25, seed=0, name="d")
    >>> [(len(tr), len(va), len(te), int(y[te].sum())) for _, _, tr, va, te, _ in s]
    [(18, 7, 25, 5), (18, 7, 25, 5)]
    """
    from sklearn.model_selection import StratifiedKFold, train_test_split

    out = []
    idx = np.arange(y.shape[0])
    for r in range(n_repeats):
        skf = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=_seed(seed, name, r))
        for f, (train, test) in enumerate(skf.split(idx, y)):
            s = _seed(seed, name, r, f)
            tr, va = train_test_split(
                train, test_size=val_fraction, stratify=y[train], random_state=s
            )
            out.append((r, f, np.sort(tr), np.sort(va), test, s))
    return out


# --------------------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------------------
class CellStore:
    """Append-only JSON-lines store of finished cells (``cells.jsonl``)."""

    def __init__(self, out_dir: str | Path) -> None:
        self.path = Path(out_dir) / CELLS_FILE

    def repair(self) -> None:
        """Cut a torn last line (no trailing newline) left by a crash mid-write."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with open(self.path, "r+b") as fh:
                fh.truncate(cut)

    def records(self) -> dict[str, dict[str, Any]]:
        """The last record of every cell key (unparsable lines are ignored)."""
        out: dict[str, dict[str, Any]] = {}
        if not self.path.exists():
            return out
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(rec, dict) and "key" in rec:
                    out[rec["key"]] = rec
        return out

    def append(self, record: dict[str, Any]) -> None:
        """Append one record as one line, in one write, flushed to disk."""
        line = json.dumps(record, separators=(",", ":"), allow_nan=True) + "\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())


# --------------------------------------------------------------------------------------
# the plan: what to run
# --------------------------------------------------------------------------------------
@dataclass
class Plan:
    """Loaded datasets, runnable methods, the cells, and what was skipped and why."""

    config: BenchConfig
    datasets: dict[str, Dataset]
    methods: dict[str, MethodSpec]
    cells: list[dict[str, Any]]
    skipped_datasets: list[dict[str, str]] = field(default_factory=list)
    skipped_methods: list[dict[str, str]] = field(default_factory=list)
    baseline: str = ""


def make_plan(config: BenchConfig) -> Plan:
    """Load the datasets, check the methods, and list every cell."""
    specs, skipped_ds = resolve(config.all_datasets())
    datasets: dict[str, Dataset] = {}
    for spec in specs:
        try:
            ds = load_dataset(
                spec, target=config.target, positive=config.positive, encode=config.encode,
                impute=config.impute, sep=config.sep,
            )  # fmt: skip
        except DatasetUnavailable as exc:
            skipped_ds.append({"dataset": spec, "reason": str(exc)})
            continue
        ds = subsample(ds, config.max_rows, seed=_seed(config.seed, spec, "subsample"))
        need = 2 * config.n_splits
        if min(ds.n_pos, ds.n - ds.n_pos) < need:
            reason = (
                f"only {min(ds.n_pos, ds.n - ds.n_pos)} rows in the minority class; "
                f"{config.n_splits}-fold CV with a validation split needs at least {need}"
            )
            if spec.startswith("file:"):
                raise InvalidParameterError(f"{ds.name}: {reason}.")
            skipped_ds.append({"dataset": spec, "reason": reason})
            continue
        datasets[ds.name] = ds
    if not datasets:
        raise InvalidParameterError(
            "No dataset can run: "
            + "; ".join(f"{s['dataset']}: {s['reason']}" for s in skipped_ds)
        )

    methods: dict[str, MethodSpec] = {}
    skipped_m: list[dict[str, str]] = []
    for name in config.all_methods():
        mspec = parse_method(name)
        why_not = availability(mspec)
        if why_not is None:
            methods[mspec.name] = mspec
        else:
            skipped_m.append({"method": mspec.name, "reason": why_not})
    baseline = parse_method(config.baseline).name
    if baseline not in methods:
        fallback = parse_method("logreg").name
        why = next(s["reason"] for s in skipped_m if s["method"] == baseline)
        if fallback not in methods:
            methods = {fallback: parse_method(fallback), **methods}
        skipped_m.append(
            {"method": f"{baseline} (baseline)",
             "reason": f"{why}; the baseline falls back to {fallback} (also BCE)"}
        )  # fmt: skip
        baseline = fallback

    cells = []
    for ds in datasets.values():
        for r, f, tr, va, te, s in split_indices(
            ds.y, n_splits=config.n_splits, n_repeats=config.n_repeats,
            val_fraction=config.val_fraction, seed=config.seed, name=ds.name,
        ):  # fmt: skip
            for m in methods:
                cells.append({
                    "key": cell_key(ds.name, m, r, f), "dataset": ds.name, "method": m,
                    "repeat": r, "fold": f, "train": tr, "val": va, "test": te, "seed": s,
                })  # fmt: skip
    return Plan(config, datasets, methods, cells, skipped_ds, skipped_m, baseline)


# --------------------------------------------------------------------------------------
# running one cell (in a worker)
# --------------------------------------------------------------------------------------
_THREAD_LIMIT: list[Any] = []


def _limit_threads(n: int, *, torch_needed: bool) -> None:
    """One thread per worker for BLAS/OpenMP and torch.

    Set once per process: threadpoolctl scans the loaded libraries (~40 ms a call).
    """
    import sys

    if not _THREAD_LIMIT:
        from threadpoolctl import threadpool_limits

        _THREAD_LIMIT.append(threadpool_limits(n))

    if torch_needed or "torch" in sys.modules:
        import torch

        if torch.get_num_threads() != n:
            torch.set_num_threads(n)


def run_cell(
    ds: Dataset, spec: MethodSpec, cell: dict[str, Any], config: BenchConfig, n_threads: int
) -> dict[str, Any]:
    """Fit and score one cell; never raises for a method failure (status "error")."""
    import warnings

    from focalkit.experiments.bench.methods import candidates, fit_predict
    from focalkit.experiments.bench.scoring import score_all, threshold_metrics, tune_threshold

    t0, c0 = time.perf_counter(), time.process_time()
    rec: dict[str, Any] = {
        "key": cell["key"], "dataset": cell["dataset"], "method": cell["method"],
        "repeat": cell["repeat"], "fold": cell["fold"], "seed": cell["seed"],
        "fingerprint": config.fingerprint(),
    }  # fmt: skip
    tr, va, te = cell["train"], cell["val"], cell["test"]
    X_tr, X_va, X_te = ds.X[tr], ds.X[va], ds.X[te]
    y_tr, y_va, y_te = ds.y[tr], ds.y[va], ds.y[te]
    try:
        from sklearn.preprocessing import StandardScaler

        if ds.impute is not None:
            from sklearn.impute import SimpleImputer

            imp = SimpleImputer(strategy=ds.impute).fit(X_tr)
            X_tr, X_va, X_te = imp.transform(X_tr), imp.transform(X_va), imp.transform(X_te)
        scaler = StandardScaler().fit(X_tr)
        X_tr, X_va, X_te = scaler.transform(X_tr), scaler.transform(X_va), scaler.transform(X_te)
        _limit_threads(n_threads, torch_needed=spec.model == "mlp")
        best: tuple[float, dict[str, Any], Any] | None = None
        cands = candidates(spec, config.tuning_budget, cell["seed"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter of small folds
            for params in cands:
                s_va, s_te, info = fit_predict(
                    spec, X_tr, y_tr, X_va, X_te, y_va, seed=cell["seed"], extra=params,
                    n_threads=n_threads,
                )  # fmt: skip
                if len(cands) > 1:
                    from sklearn.metrics import average_precision_score

                    crit = float(average_precision_score(y_va, s_va))
                else:
                    crit = 0.0
                if best is None or crit > best[0]:
                    best = (crit, params, (s_va, s_te, info))
            assert best is not None
        _, params, (s_va, s_te, info) = best
        thr = tune_threshold(y_va, s_va, metric=config.threshold_metric)
        scores = score_all(y_te, s_te, thr)
        rec.update(
            status="ok", threshold=thr, params=_jsonable(params), info=info,
            n_train=int(tr.size), n_val=int(va.size), n_test=int(te.size),
            n_pos_test=int(y_te.sum()), metrics=scores,
            val_score=threshold_metrics(y_va, s_va, thr)[config.threshold_metric],
            test_index=te.tolist(), y_test=y_te.tolist(),
            scores=[float(f"{v:.7g}") for v in s_te],
        )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - a failing method must not stop the bench
        rec.update(status="error", error=f"{type(exc).__name__}: {exc}")
    rec["seconds"] = round(time.perf_counter() - t0, 4)
    rec["cpu_seconds"] = round(time.process_time() - c0, 4)  # load-independent cost
    rec["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    return rec


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


def _task(
    ds: Dataset, spec: MethodSpec, cell: dict[str, Any], config: BenchConfig, n_threads: int
) -> dict[str, Any]:
    return run_cell(ds, spec, cell, config, n_threads)


def run_cells(
    plan: Plan,
    pending: list[dict[str, Any]],
    *,
    jobs: int = 1,
) -> Iterator[dict[str, Any]]:
    """Run the pending cells (joblib when ``jobs > 1``), yielding records as they finish."""
    # one thread per worker: these fits are small, and threads only add overhead (and
    # oversubscription when jobs > 1)
    n_threads = 1
    if jobs <= 1:
        for cell in pending:
            rec = run_cell(
                plan.datasets[cell["dataset"]], plan.methods[cell["method"]], cell,
                plan.config, n_threads,
            )  # fmt: skip
            yield rec
        return
    from joblib import Parallel, delayed

    # bigger tasks first would balance better; keep the plan order for locality
    par = Parallel(n_jobs=jobs, return_as="generator_unordered", batch_size=1)
    yield from par(
        delayed(_task)(
            plan.datasets[c["dataset"]], plan.methods[c["method"]], c, plan.config, n_threads
        )
        for c in pending
    )
