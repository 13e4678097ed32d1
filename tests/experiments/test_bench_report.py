"""Analysis and report of the bench: conclusions follow the numbers."""

from __future__ import annotations

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from focalkit.experiments.bench import BenchConfig  # noqa: E402
from focalkit.experiments.bench.analysis import analyze  # noqa: E402
from focalkit.experiments.bench.report import build_blocks, render_html, render_markdown  # noqa: E402
from focalkit.experiments.bench.scoring import THRESHOLD_FREE, THRESHOLDED  # noqa: E402


def fake_results(n_datasets, effects, seed=0):
    """Results rows with per-method additive effects on every higher-is-better metric."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(n_datasets):
        level = rng.uniform(0.4, 0.8)
        for method, effect in effects.items():
            for mode, bump in (("0.5", -0.03), ("tuned", 0.0)):
                for fold in range(4):
                    v = level + effect + bump + rng.normal(0, 0.002)
                    row = {"dataset": f"d{d}", "method": method, "variant": f"{method} @{mode}",
                           "threshold_mode": mode, "threshold": 0.5 if mode == "0.5" else 0.3,
                           "repeat": 0, "fold": fold, "n_train": 60, "n_val": 20,
                           "n_test": 20}  # fmt: skip
                    row.update({m: v for m in THRESHOLDED})
                    row.update({m: level + effect for m in THRESHOLD_FREE})
                    for loss in ("log_loss", "brier", "ece"):
                        row[loss] = 0.3 - effect  # lower is better: also improves
                    rows.append(row)
    return pd.DataFrame(rows)


CFG = BenchConfig(datasets=("demo",), methods=("mlp:bce", "good", "bad", "same"))


def summary_for(results):
    a = analyze(results, CFG, baseline="mlp:bce", datasets={})
    return {**a, "config": CFG.to_dict(), "baseline": "mlp:bce",
            "baseline_variant": "mlp:bce @tuned", "fingerprint": "x",
            "timing": {"wall_seconds": 1.0, "jobs": 1, "cells": 1, "cells_computed": 1,
                       "cells_reused": 0, "sum_cell_cpu_seconds": 1.0},
            "datasets": {}, "methods": {m: m for m in CFG.methods}, "skipped_methods": [],
            "skipped_datasets": [], "errors": [], "figures": {},
            "environment": {"python": "3", "versions": {"numpy": "2"}}}  # fmt: skip


def test_conclusions_follow_the_numbers():
    res = fake_results(12, {"mlp:bce": 0.0, "good": 0.08, "bad": -0.08, "same": 0.0})
    s = summary_for(res)
    text = "\n".join(s["conclusions"])
    assert "Helped on minority F1" in text
    assert "good @tuned" in text
    assert "Hurt on minority F1" in text
    assert "bad @tuned" in text
    comp = {r["variant"]: r for r in s["comparisons"]["f1"]}
    assert comp["good @tuned"]["verdict"] == "better"
    assert comp["bad @0.5"]["verdict"] == "worse"
    assert comp["good @tuned"]["wins"] == 12
    # the 0.5 variants are 0.03 worse: tuning helped every method
    assert "improved minority F1 significantly for 4 of 4 method(s)" in text
    assert s["friedman"]["avg_ranks"]["good"] == pytest.approx(1.0)
    assert "Caution: 12 datasets" in text


def test_nothing_helped_and_underpowered():
    res = fake_results(4, {"mlp:bce": 0.0, "good": 0.08, "bad": -0.08, "same": 0.0})
    text = "\n".join(summary_for(res)["conclusions"])
    assert "Nothing beat mlp:bce @tuned on minority F1 significantly" in text
    assert "with 4 dataset(s) the across-dataset tests cannot detect anything" in text
    assert "0.125" in text  # smallest two-sided Wilcoxon p with 4 pairs


def test_report_renders_md_and_self_contained_html(tmp_path):
    s = summary_for(fake_results(8, {"mlp:bce": 0.0, "good": 0.05, "bad": -0.05, "same": 0}))
    png = tmp_path / "figures" / "deltas.png"
    png.parent.mkdir()
    png.write_bytes(b"\x89PNG fake")
    s["figures"] = {"deltas": "figures/deltas.png"}
    blocks = build_blocks(s)
    md = render_markdown(blocks)
    assert "## Conclusions" in md
    assert "mlp:bce @tuned (baseline)" in md
    assert "![" in md
    assert "figures/deltas.png" in md
    page = render_html(blocks, tmp_path)
    assert "data:image/png;base64,iVBORyBmYWtl" in page
    assert "src='figures" not in page
    assert "<b>mlp:bce @tuned</b>" in page
