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

__all__ = [
    "CellStore",
    "Plan",
    "cell_key",
    "degenerate_reasons",
    "make_plan",
    "run_cell",
    "run_cells",
    "split_indices",
]

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
        if ds.name in datasets:  # two tables with the same file name: key by the path
            ds.name = spec if spec not in datasets else f"{spec}#{len(datasets)}"
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

    # torch first: limiting libgomp under a torch whose pool already runs 2 threads made
    # every MLP fit ~20x slower (serial CLI runs, after check_specs had fitted an MLP)
    if torch_needed or "torch" in sys.modules:
        import torch

        if torch.get_num_threads() != n:
            torch.set_num_threads(n)
    if not _THREAD_LIMIT:
        from threadpoolctl import threadpool_limits

        _THREAD_LIMIT.append(threadpool_limits(n))


def _preprocess(ds: Dataset, fit_rows: np.ndarray, *parts: np.ndarray) -> list[np.ndarray]:
    """Impute (when asked) and standardise, fitted on ``fit_rows`` only, applied to parts."""
    from sklearn.preprocessing import StandardScaler

    X_fit = ds.X[fit_rows]
    arrays = [ds.X[p] for p in parts]
    if ds.impute is not None:
        from sklearn.impute import SimpleImputer

        imp = SimpleImputer(strategy=ds.impute).fit(X_fit)
        X_fit, arrays = imp.transform(X_fit), [imp.transform(a) for a in arrays]
    scaler = StandardScaler().fit(X_fit)
    return [scaler.transform(a) for a in arrays]


def degenerate_reasons(y: np.ndarray, scores: np.ndarray, threshold: float) -> list[str]:
    """Why a fold's model is degenerate (empty list: it is not).

    * ``constant scores``: every test score is the same;
    * ``ROC-AUC exactly 0.5``: the ranking carries no information (both classes present);
    * ``one class at every threshold``: all test rows get the same class at 0.5 and at
      the tuned threshold.

    Examples
    --------
    >>> degenerate_reasons(np.array([0, 1, 0, 1]), np.full(4, 0.3), 0.5)
    ['constant scores', 'ROC-AUC exactly 0.5', 'one class at every threshold']
    >>> degenerate_reasons(np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.2, 0.7]), 0.5)
    []
    """
    from focalkit.experiments.bench.scoring import _roc_auc

    s = np.asarray(scores, dtype=np.float64)
    out = []
    if s.size and float(np.ptp(s)) <= 1e-12:
        out.append("constant scores")
    both = 0 < int(y.sum()) < y.size
    if both and _roc_auc(y.astype(np.int64), s) == 0.5:
        out.append("ROC-AUC exactly 0.5")
    one_class = all(len(np.unique(s >= t)) == 1 for t in (0.5, float(threshold)))
    if s.size and one_class:
        out.append("one class at every threshold")
    return out


def run_cell(
    ds: Dataset, spec: MethodSpec, cell: dict[str, Any], config: BenchConfig, n_threads: int
) -> dict[str, Any]:
    """Fit and score one cell; never raises for a method failure (status "error").

    1. **Tune on validation.** Each of the ``tuning_budget`` candidates
       (:func:`~focalkit.experiments.bench.methods.candidates`, the defaults first) is
       fitted on the inner training part, early-stopping on the validation part, and
       scored there by average precision; the best is kept. Its validation scores set the
       recalibration map (``+platt``, ...) and the decision threshold.
    2. **Refit** (``config.refit``, the default): the chosen settings, with the number of
       epochs/rounds early stopping picked (:func:`~focalkit.experiments.bench.methods.
       refit_settings`), are refitted on the whole training fold (inner training part +
       validation part, preprocessing and resampling redone on it); the calibration map
       and the threshold of step 1 are applied to its test scores.
    3. **Score** the test fold once, and flag a degenerate model
       (:func:`degenerate_reasons`).
    """
    import warnings

    from focalkit.experiments.bench.methods import (
        calibrate,
        candidates,
        fit_calibrator,
        fit_model,
        positive_scores,
        refit_settings,
    )
    from focalkit.experiments.bench.scoring import score_all, threshold_metrics, tune_threshold

    t0, c0 = time.perf_counter(), time.process_time()
    rec: dict[str, Any] = {
        "key": cell["key"], "dataset": cell["dataset"], "method": cell["method"],
        "repeat": cell["repeat"], "fold": cell["fold"], "seed": cell["seed"],
        "fingerprint": config.fingerprint(),
    }  # fmt: skip
    tr, va, te = cell["train"], cell["val"], cell["test"]
    y_tr, y_va, y_te = ds.y[tr], ds.y[va], ds.y[te]
    refit = bool(getattr(config, "refit", True))
    try:
        X_tr, X_va, X_te = _preprocess(ds, tr, tr, va, te)
        _limit_threads(n_threads, torch_needed=spec.model == "mlp")
        best: tuple[float, dict[str, Any], Any, Any, dict[str, Any]] | None = None
        cands = candidates(spec, config.tuning_budget, cell["seed"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter of small folds
            for params in cands:
                est, info = fit_model(spec, X_tr, y_tr, X_va, y_va, seed=cell["seed"],
                                      extra=params, n_threads=n_threads)  # fmt: skip
                s_va = positive_scores(est, X_va)
                if len(cands) > 1:
                    from focalkit.experiments.bench.scoring import _average_precision

                    crit = (_average_precision(y_va.astype(np.int64), s_va)
                            if 0 < y_va.sum() < y_va.size else 0.0)  # fmt: skip
                else:
                    crit = 0.0
                if best is None or crit > best[0]:
                    best = (crit, params, est, s_va, info)
            assert best is not None
            crit, params, est, s_va, info = best
            cal = fit_calibrator(spec, s_va, y_va)
            s_va = calibrate(cal, s_va)
            thr = tune_threshold(y_va, s_va, metric=config.threshold_metric)
            if refit:
                full = np.concatenate([tr, va])
                X_full, X_te = _preprocess(ds, full, full, te)
                frozen = refit_settings(spec, info)
                est, refit_info = fit_model(spec, X_full, ds.y[full], seed=cell["seed"],
                                            extra={**params, **frozen},
                                            n_threads=n_threads)  # fmt: skip
                info = {"tuning": info, "refit": {**frozen, **refit_info}}
            s_te = calibrate(cal, positive_scores(est, X_te))
        scores = score_all(y_te, s_te, thr)
        rec.update(
            status="ok", threshold=thr, params=_jsonable(params), info=info, refit=refit,
            n_candidates=len(cands), val_criterion=round(float(crit), 6),
            n_train=int(tr.size), n_val=int(va.size), n_test=int(te.size),
            n_pos_val=int(y_va.sum()), n_pos_test=int(y_te.sum()), metrics=scores,
            val_score=threshold_metrics(y_va, s_va, thr)[config.threshold_metric],
            degenerate=degenerate_reasons(y_te, s_te, thr),
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
    dask: str | Any | None = None,
) -> Iterator[dict[str, Any]]:
    """Run the pending cells, yielding records as they finish.

    Serially for ``jobs == 1``; in ``jobs`` joblib worker processes; or on a Dask cluster
    (``dask``: a scheduler address, a ``distributed.Client``, or ``"local"`` for a
    ``LocalCluster`` of ``jobs`` single-threaded workers). The records always come back to
    the caller, which stores them, so an interrupted run resumes the same way.
    """
    # one thread per worker: these fits are small, and threads only add overhead (and
    # oversubscription when jobs > 1)
    n_threads = 1
    if dask is not None:
        yield from _run_on_dask(plan, pending, dask, jobs=jobs, n_threads=n_threads)
        return
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


def _run_on_dask(
    plan: Plan, pending: list[dict[str, Any]], dask: str | Any, *, jobs: int, n_threads: int
) -> Iterator[dict[str, Any]]:
    """Submit every pending cell to a Dask cluster; yield the records as they complete.

    Each dataset is scattered to the workers once; the futures of cells not yet collected
    are cancelled when the caller stops early (``stop_after``, Ctrl-C).
    """
    from focalkit.exceptions import require

    require("distributed", "dask", feature="focalkit bench --dask")
    from distributed import Client, LocalCluster, as_completed

    owned: list[Any] = []
    if isinstance(dask, str):
        if dask == "local":
            # ":0": a free port; None still binds the /metrics server to 8787, which
            # fails when another cluster (a user's notebook, a parallel test) holds it.
            cluster = LocalCluster(n_workers=max(jobs, 1), threads_per_worker=1,
                                   dashboard_address=":0")  # fmt: skip
            owned.append(cluster)
            client = Client(cluster)
        else:
            try:
                client = Client(dask, timeout=30)
            except OSError as exc:
                raise InvalidParameterError(
                    f"--dask {dask!r}: cannot reach the Dask scheduler ({exc})."
                ) from exc
        owned.insert(0, client)
    else:
        client = dask
    futures: list[Any] = []
    try:
        data = {name: client.scatter(ds, broadcast=True) for name, ds in plan.datasets.items()}
        futures = [
            client.submit(_task, data[c["dataset"]], plan.methods[c["method"]], c, plan.config,
                          n_threads, pure=False)
            for c in pending
        ]  # fmt: skip
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        left = [f for f in futures if not f.done()]
        if left:
            client.cancel(left)
        for obj in owned:
            obj.close()
