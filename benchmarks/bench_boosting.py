"""Speed of the focal booster objective (focalkit.boosting) against plain references.

Prints ratios measured in the same run (the machine may be shared: compare ratios, and
look at CPU time as well as wall time) and writes JSON to bench-out/bench_boosting.json.

1. One objective call on 1e6 float32 margins: XGBoostFocalObjective (fused numba kernel,
   one thread unless said) vs a plain NumPy log-loss objective
   ``p = 1/(1+exp(-z)); g = p - y; h = p*(1-p)``, both called as XGBoost calls them,
   ``obj(predt, dtrain)`` (so both include get_label()). Target: <= 2x. The NumPy path of
   _core is shown for context.
2. Training 1M x 20, 100 rounds, hist, depth 6, 2 threads: focal objective vs built-in
   ``binary:logistic``. Target: CPU time <= 1.1x. Also shown: the kernel on 2 numba threads
   (called between the booster's OpenMP regions).

Usage: python benchmarks/bench_boosting.py [--rows 1000000] [--rounds 100] [--repeats 30]
       [--train-repeats 3] [--skip-training]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--margins", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--train-repeats", type=int, default=3)
    ap.add_argument("--skip-training", action="store_true")
    ap.add_argument("--out", default="bench-out")
    args = ap.parse_args()
    import xgboost as xgb

    from focalkit.boosting._fast import HAVE_NUMBA

    report = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_avg": os.getloadavg(), "xgboost": xgb.__version__,
                    "numba_kernel": HAVE_NUMBA},
        "note": "ratios are measured in the same run; the machine may be shared",
    }
    print(f"objective call on {args.margins:.0e} float32 margins (min wall / median CPU):")
    report["objective"] = bench_objective(args.margins, args.repeats, xgb)
    for name, v in report["objective"].items():
        print(f"  {name:42s} {v['wall_min_s'] * 1e3:8.2f} ms  cpu {v['cpu_median_s'] * 1e3:8.2f}"
              f" ms  ratio wall {v['ratio_wall_min']:5.2f}x  cpu {v['ratio_cpu_median']:5.2f}x")
    if not args.skip_training:
        print(f"training {args.rows} x 20, {args.rounds} rounds, hist, depth 6, 2 threads:")
        report["training"] = bench_training(args.rows, args.rounds, args.train_repeats, xgb)
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
