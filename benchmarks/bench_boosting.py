"""Speed of the booster objectives (focalkit.boosting) against the boosters' built-ins.

Prints ratios measured in the same run (the machine may be shared: compare ratios, and
look at CPU time as well as wall time) and writes JSON to bench-out/bench_boosting.json.

1. One objective call on 1e6 float32 margins: XGBoostFocalObjective (fused numba kernel,
   one thread unless said) vs a plain NumPy log-loss objective
   ``p = 1/(1+exp(-z)); g = p - y; h = p*(1-p)``, both called as XGBoost calls them,
   ``obj(predt, dtrain)`` (so both include get_label()). Target: <= 2x. The NumPy path of
   _core is shown for context.
2. Training, every booster and task (``--rows`` x 20, ``--rounds`` rounds, depth 6,
   2 threads, interleaved repeats, min over repeats): focal loss (gamma=2, alpha=0.25 for
   binary) as a focalkit objective vs the booster's built-in objective on the same data,
   initial scores and settings. Targets (issue 11): <= 1.1x for XGBoost and LightGBM
   (binary:logistic / multi:softprob, binary / multiclass), <= 1.3x for CatBoost binary
   against its C++ ``Focal:focal_alpha=0.25;focal_gamma=2``. CatBoost multi-class calls a
   Python ``calc_ders_multi`` per object (``--cb-softmax-rows`` rows) against
   ``MultiClass``: shown, no target. Value checks in the same run: CatBoost's ``Focal`` and
   focalkit's focal model (max |p difference|, training focal loss of each), and
   focalkit's gamma=0 softmax vs ``MultiClass`` (max |p difference|).
3. ``--xgb-large``: the older XGBoost run, 1M x 20, 100 rounds (CPU time <= 1.1x).

Usage: python benchmarks/bench_boosting.py [--rows 100000] [--rounds 50] [--repeats 30]
       [--train-repeats 3] [--cb-softmax-rows 20000] [--classes 4] [--skip-training]
       [--xgb-large]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np


def _timed(fn, repeats):
    """min wall and min CPU seconds over ``repeats`` calls (after one warm-up call)."""
    fn()
    walls, cpus = [], []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return min(walls), float(np.median(cpus)), float(np.median(walls))


def bench_objective(n, repeats, xgb):
    from focalkit._core import binary_focal_grad_hess
    from focalkit.boosting.xgboost import XGBoostFocalObjective

    rng = np.random.default_rng(0)
    z = rng.normal(scale=2.0, size=n).astype(np.float32)
    y = (rng.random(n) < 0.1).astype(np.float32)
    dtrain = xgb.DMatrix(np.zeros((n, 1), dtype=np.float32), y)

    def plain_logloss(predt, d):
        yy = d.get_label()
        p = 1.0 / (1.0 + np.exp(-predt))
        return p - yy, p * (1.0 - p)

    def focal(**kw):
        obj = XGBoostFocalObjective(**kw)  # built once, called per round, as in xgb.train
        return lambda: obj(z, dtrain)

    w = rng.random(n).astype(np.float32)
    dtrain_w = xgb.DMatrix(np.zeros((n, 1), dtype=np.float32), y, weight=w)
    obj_w = XGBoostFocalObjective(gamma=2.0, alpha=0.25)
    cases = {
        "numpy_logloss (reference)": lambda: plain_logloss(z, dtrain),
        "focal gamma=2": focal(gamma=2.0),
        "focal gamma=2, alpha=0.25": focal(gamma=2.0, alpha=0.25),
        "focal gamma=2, alpha=0.25, weights": lambda: obj_w(z, dtrain_w),
        "focal gamma=0.5": focal(gamma=0.5),
        "focal gamma=0.25": focal(gamma=0.25),
        "focal gamma=1": focal(gamma=1.0),
        "focal gamma=0 (= log-loss)": focal(gamma=0.0),
        "focal gamma=5 (float64 arithmetic)": focal(gamma=5.0),
        "focal gamma=0.75 (float64, exp)": focal(gamma=0.75),
        "focal gamma=2, exact Hessian (general)": focal(gamma=2.0, hessian="exact"),
        "focal gamma=2, 2 numba threads": focal(gamma=2.0, n_threads=2),
        "_core numpy path gamma=2 (context)": lambda: binary_focal_grad_hess(
            z, dtrain.get_label(), gamma=2.0),
    }
    out = {}
    for name, fn in cases.items():
        best, cpu, med = _timed(fn, repeats)
        out[name] = {"wall_min_s": best, "wall_median_s": med, "cpu_median_s": cpu}
    ref = out["numpy_logloss (reference)"]
    for v in out.values():
        v["ratio_wall_min"] = v["wall_min_s"] / ref["wall_min_s"]
        v["ratio_cpu_median"] = v["cpu_median_s"] / ref["cpu_median_s"]
    return out


def bench_training(rows, rounds, repeats, xgb):
    from focalkit.boosting.xgboost import XGBoostFocalObjective

    rng = np.random.default_rng(1)
    X = rng.normal(size=(rows, 20)).astype(np.float32)
    logit = X[:, :5] @ rng.normal(size=5) - 2.5
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    params = {"tree_method": "hist", "max_depth": 6, "nthread": 2, "eta": 0.1, "seed": 0}
    objs = {
        "focal gamma=2": XGBoostFocalObjective(gamma=2.0),  # serial kernel (default)
        # the kernel on 2 numba threads between the booster's OpenMP regions
        "focal gamma=2, kernel on 2 threads": XGBoostFocalObjective(gamma=2.0, n_threads=2),
    }
    d_builtin = xgb.DMatrix(X, y, nthread=2)
    d_focal = xgb.DMatrix(X, y, base_margin=objs["focal gamma=2"].base_margin(y), nthread=2)

    def run(key):
        c0, t0 = time.process_time(), time.perf_counter()
        if key == "builtin binary:logistic":
            xgb.train({**params, "objective": "binary:logistic"}, d_builtin, rounds)
        else:
            xgb.train({**params, "base_score": 0.0}, d_focal, rounds, obj=objs[key])
        return time.perf_counter() - t0, time.process_time() - c0

    for obj in objs.values():  # compile / load the kernels
        obj(np.zeros(1000, np.float32), np.zeros(1000, np.float32))
    xgb.train({**params, "objective": "binary:logistic"}, d_builtin, 2)  # warm-up
    results = {"builtin binary:logistic": [], **{k: [] for k in objs}}
    for _ in range(repeats):  # interleaved, to share the machine's noise
        for key in results:
            results[key].append(run(key))
    out = {}
    for key, runs in results.items():
        out[key] = {"wall_s": min(r[0] for r in runs), "cpu_s": min(r[1] for r in runs),
                    "wall_median_s": float(np.median([r[0] for r in runs])),
                    "cpu_median_s": float(np.median([r[1] for r in runs])),
                    "runs_wall_cpu_s": runs}
    ref = out["builtin binary:logistic"]
    for v in out.values():
        v["ratio_wall"] = v["wall_s"] / ref["wall_s"]
        v["ratio_cpu"] = v["cpu_s"] / ref["cpu_s"]
        v["ratio_cpu_median"] = v["cpu_median_s"] / ref["cpu_median_s"]
    return out


def _fit_times(runs, repeats):
    """{name: (min wall s, min CPU s, result of the last call)} over interleaved repeats."""
    out = {k: [] for k in runs}
    last = {}
    for _ in range(repeats):
        for key, fn in runs.items():
            c0, t0 = time.process_time(), time.perf_counter()
            last[key] = fn()
            out[key].append((time.perf_counter() - t0, time.process_time() - c0))
    return {k: {"wall_s": min(r[0] for r in v), "cpu_s": min(r[1] for r in v),
                "runs_wall_cpu_s": v} for k, v in out.items()}, last


def _data(rows, n_classes, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 20)).astype(np.float32)
    logit = X[:, :5] @ rng.normal(size=5) - 2.5
    yb = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    scores = X[:, :n_classes] * 1.5 + np.linspace(0, -1.5, n_classes)
    yc = np.argmax(scores + rng.gumbel(size=scores.shape), axis=1).astype(np.float32)
    return X, yb, yc


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _numpy_ce(z, labels, scale):
    """Softmax cross-entropy gradient and diagonal Hessian in plain NumPy (a reference)."""
    p = _softmax(z)
    g = p.copy()
    g[np.arange(len(labels)), labels.astype(np.intp)] -= 1.0
    return g, scale * p * (1.0 - p)


def _numpy_ce_xgb(predt, dtrain):
    return _numpy_ce(predt, dtrain.get_label(), 2.0)


def _numpy_ce_lgb(preds, data):
    c = preds.shape[1]
    return _numpy_ce(preds, data.get_label(), c / (c - 1.0))


def bench_xgboost(X, yb, yc, n_classes, rounds, repeats):
    import xgboost as xgb

    from focalkit.boosting import XGBoostObjective

    base = {"tree_method": "hist", "max_depth": 6, "nthread": 2, "eta": 0.1, "seed": 0}
    out = {}
    for task, y in (("binary", yb), ("softmax", yc)):
        if task == "binary":
            obj = XGBoostObjective("focal", gamma=2.0, alpha=0.25)
            builtin = {"objective": "binary:logistic"}
        else:
            obj = XGBoostObjective("focal", kind="softmax", gamma=2.0)
            builtin = {"objective": "multi:softprob", "num_class": n_classes}
        margin = obj.base_margin(y)
        d = xgb.DMatrix(X, y, base_margin=margin, nthread=2)
        params = {**base, **builtin}
        custom = {**params, "base_score": 0.0}
        custom.pop("objective")
        xgb.train(params, d, 2)  # warm-up (and compile the kernels)
        xgb.train(custom, d, 2, obj=obj)
        runs = {
            "builtin": lambda p=params, d=d: xgb.train(p, d, rounds),
            "focalkit focal": lambda p=custom, d=d, o=obj: xgb.train(p, d, rounds, obj=o),
        }
        if task == "softmax":  # is the cost the loss or the booster's custom-objective path?
            runs["plain NumPy CE objective (context)"] = (
                lambda p=custom, d=d: xgb.train(p, d, rounds, obj=_numpy_ce_xgb))
        times, _ = _fit_times(runs, repeats)
        out[task] = times
    return out


def bench_lightgbm(X, yb, yc, n_classes, rounds, repeats):
    import lightgbm as lgb

    from focalkit.boosting import LightGBMObjective

    base = {"num_leaves": 63, "max_depth": 6, "num_threads": 2, "learning_rate": 0.1,
            "verbose": -1, "seed": 0, "deterministic": True}
    out = {}
    for task, y in (("binary", yb), ("softmax", yc)):
        if task == "binary":
            obj = LightGBMObjective("focal", gamma=2.0, alpha=0.25)
            builtin = {**base, "objective": "binary"}
            custom = dict(base)
        else:
            obj = LightGBMObjective("focal", kind="softmax", gamma=2.0)
            builtin = {**base, "objective": "multiclass", "num_class": n_classes}
            custom = {**base, "num_class": n_classes}
        init = obj.init_score_array(y)
        d_builtin = lgb.Dataset(X, y, init_score=init, params=builtin,
                                free_raw_data=False).construct()
        d_custom = lgb.Dataset(X, y, init_score=init, params={**custom, "objective": "none"},
                               free_raw_data=False).construct()
        fobj = {**custom, "objective": obj}
        runs = {
            "builtin": lambda p=builtin, d=d_builtin: lgb.train(p, d, rounds),
            "focalkit focal": lambda p=fobj, d=d_custom: lgb.train(p, d, rounds),
        }
        if task == "softmax":
            ce = {**custom, "objective": _numpy_ce_lgb}
            runs["plain NumPy CE objective (context)"] = (
                lambda p=ce, d=d_custom: lgb.train(p, d, rounds))
        times, _ = _fit_times(runs, repeats)
        out[task] = times
    return out


def bench_catboost(X, yb, yc, n_classes, rounds, repeats, softmax_rows):
    import catboost as cb

    from focalkit._core import binary_focal_loss
    from focalkit.boosting import CatBoostMetric, CatBoostObjective

    # the same settings for built-in and Python losses (CatBoost's defaults differ)
    base = {"iterations": rounds, "depth": 6, "learning_rate": 0.1, "random_seed": 0,
            "thread_count": 2, "leaf_estimation_method": "Newton",
            "bootstrap_type": "Bernoulli", "subsample": 0.8,
            "leaf_estimation_backtracking": "No", "allow_writing_files": False,
            "verbose": False}
    out = {}
    obj = CatBoostObjective("focal", gamma=2.0, alpha=0.25)
    metric = CatBoostMetric("focal", gamma=2.0, alpha=0.25)
    pool = cb.Pool(X, yb, baseline=obj.baseline(yb))

    def fit(loss, **extra):
        return cb.CatBoost({**base, "loss_function": loss, **extra}).fit(pool)

    times, last = _fit_times({
        "builtin Focal": lambda: fit("Focal:focal_alpha=0.25;focal_gamma=2"),
        "focalkit focal": lambda: fit(obj, eval_metric=metric),
        "builtin Logloss (context)": lambda: fit("Logloss"),
    }, repeats)
    z_builtin = last["builtin Focal"].predict(pool, prediction_type="RawFormulaVal")
    z_custom = last["focalkit focal"].predict(pool, prediction_type="RawFormulaVal")
    p_builtin, p_custom = _sigmoid(z_builtin), _sigmoid(z_custom)

    def focal(z):
        return float(np.mean(binary_focal_loss(z, yb, gamma=2.0, alpha=0.25)))

    out["binary"] = times
    out["binary_agreement"] = {
        "max_abs_p_diff": float(np.abs(p_builtin - p_custom).max()),
        "mean_abs_p_diff": float(np.abs(p_builtin - p_custom).mean()),
        "train_focal_loss_builtin": focal(z_builtin),
        "train_focal_loss_focalkit": focal(z_custom),
        "train_focal_loss_start": focal(np.full(len(yb), obj.init_score(yb))),
    }
    m = softmax_rows
    Xs, ys = X[:m], yc[:m]
    obj_s = CatBoostObjective("focal", kind="softmax", gamma=2.0)
    obj_0 = CatBoostObjective("focal", kind="softmax", gamma=0.0)
    pool_s = cb.Pool(Xs, ys, baseline=obj_s.baseline(ys, n_classes=n_classes))
    pool_0 = cb.Pool(Xs, ys, baseline=obj_0.baseline(ys, n_classes=n_classes))
    mc = {"classes_count": n_classes}

    def fit_s(loss, pool, **extra):
        return cb.CatBoost({**base, "loss_function": loss, **mc, **extra}).fit(pool)

    times, last = _fit_times({
        "builtin MultiClass": lambda: fit_s("MultiClass", pool_0),
        "focalkit focal": lambda: fit_s(obj_s, pool_s, eval_metric=CatBoostMetric(
            "focal", kind="softmax", gamma=2.0)),
        "focalkit focal gamma=0": lambda: fit_s(obj_0, pool_0, eval_metric=CatBoostMetric(
            "focal", kind="softmax", gamma=0.0)),
    }, repeats)
    pm = _softmax(last["builtin MultiClass"].predict(pool_0, prediction_type="RawFormulaVal"))
    p0 = _softmax(last["focalkit focal gamma=0"].predict(pool_0,
                                                         prediction_type="RawFormulaVal"))
    out["softmax"] = times
    out["softmax_agreement"] = {"gamma0_vs_MultiClass_max_abs_p_diff":
                                float(np.abs(pm - p0).max()), "rows": m}
    return out


def bench_boosters(rows, rounds, repeats, n_classes, softmax_rows):
    X, yb, yc = _data(rows, n_classes)
    out = {
        "xgboost": bench_xgboost(X, yb, yc, n_classes, rounds, repeats),
        "lightgbm": bench_lightgbm(X, yb, yc, n_classes, rounds, repeats),
        "catboost": bench_catboost(X, yb, yc, n_classes, rounds, repeats, softmax_rows),
    }
    refs = {"xgboost": "builtin", "lightgbm": "builtin"}
    for booster, tasks in out.items():
        for task, cases in tasks.items():
            if task.endswith("agreement"):
                continue
            ref_key = refs.get(booster) or ("builtin Focal" if task == "binary"
                                            else "builtin MultiClass")
            ref = cases[ref_key]
            for v in cases.values():
                v["ratio_wall"] = v["wall_s"] / ref["wall_s"]
                v["ratio_cpu"] = v["cpu_s"] / ref["cpu_s"]
    return out


TARGETS = {("xgboost", "binary"): 1.1, ("xgboost", "softmax"): 1.1,
           ("lightgbm", "binary"): 1.1, ("lightgbm", "softmax"): 1.1,
           ("catboost", "binary"): 1.3}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--classes", type=int, default=5)
    ap.add_argument("--cb-softmax-rows", type=int, default=20_000)
    ap.add_argument("--margins", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--train-repeats", type=int, default=3)
    ap.add_argument("--skip-training", action="store_true")
    ap.add_argument("--xgb-large", action="store_true",
                    help="also the XGBoost run on 1M x 20, 100 rounds")
    ap.add_argument("--out", default="bench-out")
    args = ap.parse_args()
    import catboost
    import lightgbm
    import xgboost as xgb

    from focalkit.boosting._fast import HAVE_NUMBA

    report = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_avg": os.getloadavg(), "xgboost": xgb.__version__,
                    "lightgbm": lightgbm.__version__, "catboost": catboost.__version__,
                    "numba_kernel": HAVE_NUMBA},
        "note": "ratios are measured in the same run; the machine may be shared",
    }
    print(f"objective call on {args.margins:.0e} float32 margins (min wall / median CPU):")
    report["objective"] = bench_objective(args.margins, args.repeats, xgb)
    for name, v in report["objective"].items():
        print(f"  {name:42s} {v['wall_min_s'] * 1e3:8.2f} ms  cpu {v['cpu_median_s'] * 1e3:8.2f}"
              f" ms  ratio wall {v['ratio_wall_min']:5.2f}x  cpu {v['ratio_cpu_median']:5.2f}x")
    if not args.skip_training:
        print(f"training {args.rows} x 20, {args.rounds} rounds, depth 6, 2 threads, "
              f"{args.classes} classes (CatBoost multi-class: {args.cb_softmax_rows} rows); "
              f"min over {args.train_repeats} interleaved repeats; ratio to the built-in:")
        report["boosters"] = bench_boosters(args.rows, args.rounds, args.train_repeats,
                                            args.classes, args.cb_softmax_rows)
        for booster, tasks in report["boosters"].items():
            for task, cases in tasks.items():
                if task.endswith("agreement"):
                    print(f"  {booster} {task}: " + ", ".join(
                        f"{k} {v:.3g}" for k, v in cases.items()))
                    continue
                target = TARGETS.get((booster, task))
                for name, v in cases.items():
                    flag = "" if target is None or name != "focalkit focal" else (
                        f"  target <= {target}x: "
                        + ("met" if v["ratio_cpu"] <= target else "NOT met"))
                    print(f"  {booster:8s} {task:7s} {name:28s} wall {v['wall_s']:7.2f} s  "
                          f"cpu {v['cpu_s']:7.2f} s  ratio wall {v['ratio_wall']:5.2f}x  "
                          f"cpu {v['ratio_cpu']:5.2f}x{flag}")
    if args.xgb_large:
        print("training 1000000 x 20, 100 rounds, hist, depth 6, 2 threads (XGBoost):")
        report["training"] = bench_training(1_000_000, 100, args.train_repeats, xgb)
        print("  (min over interleaved repeats; cpu = process CPU time, all threads)")
        for name, v in report["training"].items():
            print(f"  {name:42s} wall {v['wall_s']:7.2f} s  cpu {v['cpu_s']:7.2f} s  "
                  f"ratio wall {v['ratio_wall']:5.3f}x  cpu {v['ratio_cpu']:5.3f}x "
                  f"(median {v['ratio_cpu_median']:5.3f}x)")
    report["machine"]["load_avg_end"] = os.getloadavg()
    print(f"load average at start {report['machine']['load_avg']}, "
          f"at end {report['machine']['load_avg_end']}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_boosting.json").write_text(json.dumps(report, indent=2))
    print(f"wrote {out / 'bench_boosting.json'}")


if __name__ == "__main__":
    main()
