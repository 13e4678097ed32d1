"""Time a ``focalkit bench`` profile end to end (not a test; the machine may be shared).

    python benchmarks/bench_suite_timing.py                  # default suite, --jobs 2
    python benchmarks/bench_suite_timing.py --profile quick --jobs 1
    python benchmarks/bench_suite_timing.py --budget 2     # two configurations per method

Prints the wall time, the CPU time summed over cells (load-independent: on an idle machine
the wall time is about CPU / jobs plus overheads), the per-method CPU cost and its ratio to
logistic regression's in the same run, and the 1-minute load average before and after (a
shared machine inflates wall times). Writes the numbers to ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="default")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=None, help="bench output folder (default: a temp dir)")
    ap.add_argument("--json", default="bench_suite_timing.json")
    ap.add_argument("--budget", type=int, default=None, help="--budget N of the run")
    args = ap.parse_args()

    import pandas as pd

    from focalkit.experiments.bench import profile_config, run_bench

    out = args.out or tempfile.mkdtemp(prefix="focalkit-bench-")
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    cfg = profile_config(args.profile, tuning_budget=args.budget)
    summary = run_bench(cfg, out, jobs=args.jobs, overwrite=True, progress=False)
    wall = time.perf_counter() - t0
    load1 = os.getloadavg()[0]
    res = pd.read_parquet(os.path.join(out, "results.parquet"))
    cells = res.drop_duplicates(["dataset", "method", "repeat", "fold"])
    per = cells.groupby("method")["cpu_seconds"].agg(["mean", "sum", "count"])
    ref = per.loc["logreg", "mean"] if "logreg" in per.index else per["mean"].min()
    per["x_logreg"] = per["mean"] / ref
    print(per.sort_values("sum", ascending=False).round(3).to_string())
    t = summary["timing"]
    report = {
        "profile": args.profile, "jobs": args.jobs, "cells": t["cells"],
        "budget": cfg.tuning_budget, "refit": cfg.refit, "datasets": summary["n_datasets"],
        "wall_seconds_total": round(wall, 1), "wall_seconds_cells": t["wall_seconds"],
        "cpu_seconds_cells": t["sum_cell_cpu_seconds"],
        "ideal_wall_seconds": round(t["sum_cell_cpu_seconds"] / args.jobs, 1),
        "loadavg_1min_before_after": [round(load0, 2), round(load1, 2)],
        "cpu_count": os.cpu_count(), "out": out,
    }  # fmt: skip
    print(json.dumps(report, indent=2))
    with open(args.json, "w") as fh:
        json.dump({**report, "per_method": per.round(4).to_dict("index")}, fh, indent=2)


if __name__ == "__main__":
    main()
