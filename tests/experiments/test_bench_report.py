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
    assert "Tuned thresholds: significantly better than mlp:bce @tuned on minority F1" in text
    assert "good @tuned (HL +0.080 [" in text
    assert "Tuned thresholds: significantly worse than mlp:bce @tuned" in text
    assert "bad @tuned" in text
    # an unchanged method is said to be equivalent (the posterior), not merely "not worse"
    assert "equivalent to mlp:bce @tuned on minority F1 within the ROPE of +/-0.01" in text
    assert "same @tuned" in text
    comp = {r["variant"]: r for r in s["comparisons"]["f1"]}
    assert comp["good @tuned"]["verdict"] == "better"
    assert comp["bad @0.5"]["verdict"] == "worse"
    assert comp["good @tuned"]["wins"] == 12
    # the 0.5 variants are 0.03 worse: tuning helped every method
    assert "improved minority F1 significantly for 4 of 4 method(s)" in text
    assert s["friedman"]["avg_ranks"]["good"] == pytest.approx(1.0)
    # @0.5 and @tuned are separate Holm families (3 and 4 comparisons)
    fam = {r["variant"]: (r["family"], r["family_size"]) for r in s["comparisons"]["f1"]}
    assert fam["good @tuned"] == ("@tuned", 3)
    assert fam["good @0.5"] == ("@0.5", 4)
    assert s["friedman"]["iman_davenport_p"] < s["friedman"]["p"]
    assert "Warning: significance is unattainable" not in text


def test_nothing_helped_and_underpowered():
    res = fake_results(4, {"mlp:bce": 0.0, "good": 0.08, "bad": -0.08, "same": 0.0})
    text = "\n".join(summary_for(res)["conclusions"])
    assert "nothing beat mlp:bce @tuned on minority F1 significantly" in text
    assert "Warning: significance is unattainable: with 4 datasets" in text
    assert "smallest two-sided Wilcoxon p is 0.12" in text  # 2 / 2^4
    assert "over 3 tuned-threshold comparisons to 0.38" in text  # Holm over 3


def test_inconclusive_is_not_called_equivalent():
    rng = np.random.default_rng(4)
    res = fake_results(9, {"mlp:bce": 0.0, "noisy": 0.0, "same": 0.0})
    # "noisy": a large per-dataset effect of random sign (no evidence either way)
    shift = dict(zip([f"d{i}" for i in range(9)], rng.choice([-0.06, 0.05], 9), strict=True))
    sel = res["method"] == "noisy"
    cols = [*THRESHOLDED, *THRESHOLD_FREE]
    res.loc[sel, cols] = res.loc[sel, cols].add(res.loc[sel, "dataset"].map(shift), axis=0)
    s = summary_for(res)
    comp = {r["variant"]: r for r in s["comparisons"]["f1"]}
    assert comp["noisy @tuned"]["verdict"] == "inconclusive"
    assert comp["same @tuned"]["verdict"] == "equivalent"
    text = "\n".join(s["conclusions"])
    assert "inconclusive on minority F1" in text
    # significance was attainable here (Holm floor 2 x 2/2^9), so the sentence says why not
    assert "Significance was attainable (9 datasets: smallest Holm p 0.0078 over 2" in text
    mixed = ([d for d, v in shift.items() if v > 0][:3]
             + [d for d, v in shift.items() if v < 0][:2])  # fmt: skip
    few = summary_for(res[res["dataset"].isin(mixed)])
    text5 = "\n".join(few["conclusions"])
    assert "Inconclusive: 5 datasets give a smallest attainable p of 0.062" in text5


def test_report_renders_md_and_self_contained_html(tmp_path):
    s = summary_for(fake_results(8, {"mlp:bce": 0.0, "good": 0.05, "bad": -0.05, "same": 0}))
    png = tmp_path / "figures" / "deltas.png"
    png.parent.mkdir()
    png.write_bytes(b"\x89PNG fake")
    s["figures"] = {"deltas": "figures/deltas.png"}
    blocks = build_blocks(s)
    md = render_markdown(blocks)
    assert "## Conclusions" in md
    assert "Baseline mlp:bce @tuned: mean minority F1" in md
    assert "Tuned thresholds (one Holm family of 3)" in md
    assert "P(worse/equiv./better)" in md
    assert "### Brier score (lower is better)" in md  # per-dataset tables of every metric
    assert "![" in md
    assert "figures/deltas.png" in md
    page = render_html(blocks, tmp_path)
    assert "data:image/png;base64,iVBORyBmYWtl" in page
    assert "src='figures" not in page
    assert "<b>mlp:bce @tuned</b>" in page
