"""The post's 90:10 experiment as a script, with the same functions as ``focalkit demo``.

    python examples/demo_post_experiment.py [OUT_DIR] [--quick]

Step by step: compute (``run_demo`` -> a JSON-able dict), read the numbers, draw one
figure, then write everything ``focalkit demo`` writes (JSON, CSV, PNGs, report.md).
``OUT_DIR`` defaults to ``focalkit-demo-example`` in the system's temporary folder (not the
current directory, so that a run from the repository leaves it clean).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from focalkit.experiments.demo import (
    DemoConfig,
    findings,
    plot_decision_regions,
    run_demo,
    write_outputs,
)
from focalkit.experiments.plots import save_figure

DEFAULT_OUT = Path(tempfile.gettempdir()) / "focalkit-demo-example"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="The post's 90:10 experiment, step by step.")
    parser.add_argument("out_dir", nargs="?", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument("--quick", action="store_true", help="a tiny run (a few seconds)")
    args = parser.parse_args(argv)
    out_dir = args.out_dir
    # The `make demo` settings. Change any field with dataclasses.replace, e.g. a 95:5
    # problem: DemoConfig(data=replace(POST_90_10, minority_fraction=0.05)), with
    # POST_90_10 from focalkit.experiments.datasets.
    config = DemoConfig.quick() if args.quick else DemoConfig()

    # 1. compute: trains BCE, focal (alpha from inverse class frequency, gamma=2), focal
    #    without alpha and BCE with pos_weight on every seed, and evaluates on test.
    result = run_demo(config, progress=None)

    # 2. the numbers: mean over seeds of any metric, at 0.5 or at the tuned threshold
    for row in result["summary"]:
        if row["model"] in ("bce", "focal_alpha"):
            f1 = row["minority_f1_score"]
            print(f"{row['model']:<12} threshold {row['rule']:<6} minority F1 "
                  f"{f1['mean']:.3f} (sd {f1['sd'] or 0:.3f})")
    for sentence in findings(result)["baseline"]:
        print("-", sentence)

    # 3. one figure on its own (a matplotlib Figure; nothing is shown on screen)
    save_figure(plot_decision_regions(result), f"{out_dir}/decision_regions.png")

    # 4. everything the CLI writes
    files = write_outputs(result, out_dir, command="python examples/demo_post_experiment.py")
    print(f"wrote {len(files)} files to {out_dir}/ (start with report.md)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
