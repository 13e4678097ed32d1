"""Figures of the demo and the bench: readable, and drawn without warnings (issue 16)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from focalkit.experiments.plots import (  # noqa: E402
    distinct_style,
    draw_reliability,
    new_figure,
    text_color_on,
)

# ----------------------------------------------------------------------------- shared helpers


@pytest.mark.parametrize(
    ("rgba", "expected"),
    [
        ((0.0, 0.0, 0.0, 1.0), "white"),
        ((1.0, 1.0, 1.0, 1.0), "black"),
        ((0.02, 0.19, 0.38, 1.0), "white"),  # RdBu's darkest blue
        ((0.40, 0.0, 0.12, 1.0), "white"),  # RdBu's darkest red
        ((0.97, 0.97, 0.97, 1.0), "black"),  # RdBu's centre
        ((0.5, 0.5, 0.5, 1.0), "black"),  # sRGB 0.5 has luminance 0.214 > 0.179
        ((0.45, 0.45, 0.45, 1.0), "white"),  # luminance 0.171
    ],
    ids=["black", "white", "dark-blue", "dark-red", "centre", "grey-0.5", "grey-0.45"],
)
def test_text_color_follows_luminance(rgba, expected):
    assert text_color_on(rgba) == expected


def test_distinct_styles_do_not_repeat():
    styles = [tuple(distinct_style(i).values()) for i in range(28)]
    assert len(set(styles)) == 28
    assert "#F0E442" not in {s[0] for s in styles}  # no yellow on white


def test_reliability_diagram_does_not_clip_points_at_0_and_1():
    fig, ax = new_figure(4, 4)
    bins = {"m": {"mean_prob": [0.0, 0.5, 1.0], "frac_pos": [0.0, 0.5, 1.0],
                  "count": [5, 5, 5], "edges": [0.0, 0.33, 0.67, 1.0]}}  # fmt: skip
    draw_reliability(ax, bins)
    for lo, hi in (ax.get_xlim(), ax.get_ylim()):
        assert lo < 0.0
        assert hi > 1.0


# ----------------------------------------------------------------------------- bench


def _bench(methods, n_datasets=6, effects=None, seed=0):
    """A results table and the summary the bench computes from it (as in test_bench_report)."""
    pd = pytest.importorskip("pandas")
    pytest.importorskip("scikit_posthocs")
    from focalkit.experiments.bench import BenchConfig
    from focalkit.experiments.bench.analysis import analyze
    from focalkit.experiments.bench.scoring import THRESHOLD_FREE, THRESHOLDED

    effects = effects or {m: 0.01 * i for i, m in enumerate(methods)}
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(n_datasets):
        level = rng.uniform(0.4, 0.8)
        for method in methods:
            for mode in ("0.5", "tuned"):
                for fold in range(3):
                    v = level + effects[method] + rng.normal(0, 0.01)
                    row = {"dataset": f"d{d}", "method": method, "variant": f"{method} @{mode}",
                           "threshold_mode": mode, "threshold": 0.5 if mode == "0.5" else 0.3,
                           "repeat": 0, "fold": fold, "n_train": 60, "n_val": 20,
                           "n_test": 20}  # fmt: skip
                    row.update({m: v for m in THRESHOLDED})
                    row.update({m: v for m in THRESHOLD_FREE})
                    row.update({m: 0.3 - effects[method] for m in ("log_loss", "brier", "ece")})
                    rows.append(row)
    results = pd.DataFrame(rows)
    cfg = BenchConfig(datasets=("demo",), methods=tuple(methods))
    summary = {**analyze(results, cfg, baseline=methods[0], datasets={}),
               "baseline": methods[0], "baseline_variant": f"{methods[0]} @tuned"}  # fmt: skip
    return results, summary


def test_bench_figures_raise_no_warning_with_only_the_baseline(tmp_path):
    from focalkit.experiments.bench.plots import draw_all

    results, summary = _bench(["mlp:bce"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as pytest -W error: any warning fails
        drawn = draw_all(results, summary, tmp_path / "figures")
    for rel in drawn.values():
        assert (tmp_path / rel).stat().st_size > 1000


def test_heatmap_numbers_are_white_on_dark_cells():
    from focalkit.experiments.bench.plots import delta_heatmap

    methods = ["mlp:bce", "big_gain", "big_loss", "same"]
    results, summary = _bench(methods, effects={"mlp:bce": 0.0, "big_gain": 0.2,
                                                "big_loss": -0.2, "same": 0.0})  # fmt: skip
    fig = delta_heatmap(results, summary)
    ax = fig.axes[0]
    texts = [(float(t.get_text()), t.get_color()) for t in ax.texts]
    assert texts
    for value, color in texts:
        if abs(value) >= 0.15:  # saturated ends of RdBu: dark
            assert color == "white", value
        elif abs(value) <= 0.03:  # the light centre
            assert color == "black", value


def test_cd_diagram_gives_every_method_its_own_style():
    from focalkit.experiments.bench.plots import cd_diagram

    methods = [f"m{i:02d}" for i in range(12)]  # the default suite has 12 methods
    results, summary = _bench(methods, n_datasets=12)
    fig = cd_diagram(summary)
    assert fig is not None
    ax = fig.axes[0]
    labelled = {t.get_text().split(" ")[0].strip("()") for t in ax.texts}
    # the elbows: 3-point lines from a label to the rank axis
    elbows = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 3]
    assert len(elbows) == 12, labelled
    styles = {(ln.get_color(), ln.get_linestyle()) for ln in elbows}
    assert len(styles) == 12


# ----------------------------------------------------------------------------- demo


@pytest.fixture(scope="module")
def demo_result():
    pytest.importorskip("torch")
    from focalkit.experiments.demo import DemoConfig, run_demo

    return run_demo(DemoConfig.quick(seeds=3))


def test_pr_legend_gives_the_drawn_seeds_ap_and_the_mean(demo_result):
    from sklearn.metrics import average_precision_score

    from focalkit.experiments.demo._plots import plot_pr_curves

    fig = plot_pr_curves(demo_result)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    curves = demo_result["curves"]
    seed = curves["seed"]
    for key, probs in curves["probs"].items():
        if key not in ("bce", "focal_alpha", "focal", "bce_pos_weight"):
            continue
        drawn = average_precision_score(curves["y_test"], probs)
        row = next(r for r in demo_result["summary"] if r["model"] == key and r["rule"] == "0.5")
        mean = row["pr_auc_score"]["mean"]
        entry = next(t for t in legend if f"AP seed {seed} = {drawn:.3f}" in t)
        assert f"3-seed mean {mean:.3f}" in entry


def test_config_json_records_the_resolved_loss_settings(demo_result, tmp_path):
    from focalkit.experiments.demo._outputs import write_outputs

    write_outputs(demo_result, tmp_path, plots=False)
    config = json.loads((tmp_path / "config.json").read_text())
    models = {m["key"]: m for m in config["models"]}
    post = models["focal_alpha"]
    assert post["alpha"] == "balanced"  # the spec as given ...
    assert post["gamma"] is None
    trained = demo_result["models"]["focal_alpha"]
    assert post["resolved"]["alpha"] == trained["alpha"]  # ... and as trained
    assert post["resolved"]["gamma"] == 2.0
    assert post["resolved"]["label"] == "focal α=0.9, γ=2 (post)"
    assert models["bce_pos_weight"]["resolved"]["pos_weight"] == pytest.approx(
        trained["alpha"] / (1 - trained["alpha"]))  # n_neg / n_pos = alpha / (1 - alpha)
    # results.json keeps the run's own config (the spec only)
    assert "resolved" not in json.loads((tmp_path / "results.json").read_text())[
        "config"]["models"][1]


def test_pr_operating_points_are_nested_and_zoomed(demo_result):
    from focalkit.experiments.demo._plots import plot_pr_curves

    fig = plot_pr_curves(demo_result)
    full, zoom = fig.axes[:2]
    # one marker line per network and threshold rule; the four networks' sizes differ, so
    # points that coincide show as rings inside rings
    points = [ln for ln in zoom.get_lines()
              if len(ln.get_xdata()) == 1 and ln.get_marker() in ("o", "X")]  # fmt: skip
    assert len(points) == 8
    for marker in ("o", "X"):
        sizes = [ln.get_markersize() for ln in points if ln.get_marker() == marker]
        assert len(set(sizes)) == 4, sizes
    x0, x1 = zoom.get_xlim()
    y0, y1 = zoom.get_ylim()
    for ln in points:  # the zoom holds every operating point, inside the full panel's box
        assert x0 <= ln.get_xdata()[0] <= x1
        assert y0 <= ln.get_ydata()[0] <= y1
    assert full.get_xlim()[0] <= x0
    assert x1 <= full.get_xlim()[1]
    assert full.get_ylim()[0] <= y0
    assert y1 <= full.get_ylim()[1]


def test_dynamics_notes_sit_in_the_legend_not_on_the_curves(demo_result):
    from focalkit.experiments.demo._plots import plot_dynamics

    fig = plot_dynamics(demo_result)
    for ax in fig.axes:
        assert not ax.texts  # text inside a panel overlapped the thin per-seed curves
    legend = " | ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert "true minority share" in legend
    assert f"snapshot at epoch {demo_result['early']['epoch']}" in legend
