"""Speed of the focal booster objective (focalkit.boosting) against plain references.

Prints ratios measured in the same run (the machine may be shared: compare ratios, and
look at CPU time as well as wall time) and writes JSON to bench-out/bench_boosting.json.

1. One objective call on 1e6 float32 margins: XGBoostFocalObjective (fused numba kernel)
   vs a plain NumPy log-loss objective ``p = 1/(1+exp(-z)); g = p - y; h = p*(1-p)``, both
   called as XGBoost calls them, ``obj(predt, dtrain)`` (so both include get_label()).
   Target: <= 2x. The NumPy path of _core is shown for context.
2. Training 1M x 20, 100 rounds, hist, depth 6, 2 threads: focal objective vs built-in
   ``binary:logistic``. Target: CPU time <= 1.1x.

Usage: python benchmarks/bench_boosting.py [--rows 1000000] [--rounds 100] [--repeats 30]
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

    cases = {
        "numpy_logloss (reference)": lambda: plain_logloss(z, dtrain),
        "focal gamma=2 (1 thread)": lambda: XGBoostFocalObjective(gamma=2.0, n_threads=1)(
            z, dtrain),
        "focal gamma=2, alpha=0.25 (1 thread)": lambda: XGBoostFocalObjective(
            gamma=2.0, alpha=0.25, n_threads=1)(z, dtrain),
        "focal gamma=0.5 (1 thread)": lambda: XGBoostFocalObjective(gamma=0.5, n_threads=1)(
            z, dtrain),
        "focal gamma=2 (2 threads)": lambda: XGBoostFocalObjective(gamma=2.0, n_threads=2)(
            z, dtrain),
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


def bench_training(rows, rounds, xgb):
    from focalkit.boosting.xgboost import XGBoostFocalObjective

    rng = np.random.default_rng(1)
    X = rng.normal(size=(rows, 20)).astype(np.float32)
    logit = X[:, :5] @ rng.normal(size=5) - 2.5
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    params = {"tree_method": "hist", "max_depth": 6, "nthread": 2, "eta": 0.1, "seed": 0}
    obj = XGBoostFocalObjective(gamma=2.0)  # serial kernel: no thread contention
    d_builtin = xgb.DMatrix(X, y, nthread=2)
    d_focal = xgb.DMatrix(X, y, base_margin=obj.base_margin(y), nthread=2)

    def run(kind):
        c0, t0 = time.process_time(), time.perf_counter()
        if kind == "builtin":
            xgb.train({**params, "objective": "binary:logistic"}, d_builtin, rounds)
        else:
            xgb.train({**params, "base_score": 0.0}, d_focal, rounds, obj=obj)
        return time.perf_counter() - t0, time.process_time() - c0

    obj(np.zeros(1000, np.float32), np.zeros(1000, np.float32))  # compile / load kernel
    xgb.train({**params, "objective": "binary:logistic"}, d_builtin, 2)  # warm-up
    results = {"builtin binary:logistic": [], "focal gamma=2": []}
    for _ in range(2):  # interleaved, to share the machine's noise
        for kind, key in (("builtin", "builtin binary:logistic"), ("focal", "focal gamma=2")):
            results[key].append(run(kind))
    out = {}
    for key, runs in results.items():
        out[key] = {"wall_s": min(r[0] for r in runs), "cpu_s": min(r[1] for r in runs)}
    ref = out["builtin binary:logistic"]
    for v in out.values():
        v["ratio_wall"] = v["wall_s"] / ref["wall_s"]
        v["ratio_cpu"] = v["cpu_s"] / ref["cpu_s"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--margins", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=30)
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
        print(f"  {name:40s} {v['wall_min_s'] * 1e3:8.2f} ms  cpu {v['cpu_median_s'] * 1e3:8.2f}"
              f" ms  ratio wall {v['ratio_wall_min']:5.2f}x  cpu {v['ratio_cpu_median']:5.2f}x")
    if not args.skip_training:
        print(f"training {args.rows} x 20, {args.rounds} rounds, hist, depth 6, 2 threads:")
        report["training"] = bench_training(args.rows, args.rounds, xgb)
        for name, v in report["training"].items():
            print(f"  {name:40s} wall {v['wall_s']:7.2f} s  cpu {v['cpu_s']:7.2f} s  "
                  f"ratio wall {v['ratio_wall']:5.3f}x  cpu {v['ratio_cpu']:5.3f}x")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_boosting.json").write_text(json.dumps(report, indent=2))
    print(f"wrote {out / 'bench_boosting.json'}")


if __name__ == "__main__":
    main()
