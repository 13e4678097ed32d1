"""Figures of the bench (matplotlib, no pyplot state).

Each function takes the results table and/or the summary and returns a
:class:`matplotlib.figure.Figure`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from focalkit.experiments.bench.analysis import mean_table
from focalkit.experiments.bench.scoring import HIGHER_IS_BETTER, LABELS
from focalkit.experiments.plots import distinct_style, text_color_on

__all__ = [
    "FOREST_METRICS",
    "cd_diagram",
    "delta_boxplot",
    "delta_heatmap",
    "draw_all",
    "forest_plot",
    "threshold_calibration",
]

#: Metrics of the effect-size forest plot (the primary metric first).
FOREST_METRICS = ("average_precision", "brier", "ece")

DPI = 90


def _figure(w: float, h: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), layout="constrained")


def cd_diagram(summary: dict[str, Any]) -> Any:
    """Critical-difference diagram (scikit-posthocs) of the tuned variants' ranks."""
    import pandas as pd
    import scikit_posthocs as sp

    fr = summary["friedman"]
    if not fr.get("nemenyi"):
        return None
    ranks = pd.Series(fr["avg_ranks"])
    sig = pd.DataFrame(fr["nemenyi"]).loc[ranks.index, ranks.index]
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 1.4 + 0.3 * len(ranks)))  # labels sit outside the axes
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.27, right=0.73, top=0.78, bottom=0.02)
    artists = sp.critical_difference_diagram(ranks, sig, ax=ax, label_props={"fontsize": 8})
    _restyle_cd(artists, ranks)
    label = LABELS.get(fr["metric"], fr["metric"])
    fig.suptitle(
        f"Average rank by {label} (1 = best), tuned thresholds, {fr['n_datasets']} datasets\n"
        f"Friedman p = {fr['p']:.3g}; bars join methods the Nemenyi test cannot separate",
        fontsize=9,
    )
    return fig


def _restyle_cd(artists: Any, ranks: Any) -> None:
    """One colour + line style + marker per method (neighbours in rank order differ).

    scikit-posthocs colours the elbows with matplotlib's 10-colour cycle, which repeats
    from the 11th method on. Its artists come back index-aligned (elbow k, marker k and
    label k belong to one method); the method is read back from the label's text.
    """
    if not isinstance(artists, dict) or not {"elbows", "markers", "labels"} <= set(artists):
        return  # scikit-posthocs < 0.10 returns nothing: keep its colours
    from matplotlib.markers import MarkerStyle

    order = list(ranks.sort_values(kind="stable").index)
    style = {m: distinct_style(i) for i, m in enumerate(order)}
    by_text = {}
    for m in order:
        r = ranks[m]
        by_text[f"{m} ({r:.2g})"] = m  # scikit-posthocs' label_fmt_left
        by_text[f"({r:.2g}) {m}"] = m  # and label_fmt_right
    for elbow, marker, label in zip(artists["elbows"], artists["markers"], artists["labels"],
                                    strict=True):  # fmt: skip
        m = by_text.get(label.get_text())
        if m is None:
            continue
        st = style[m]
        elbow.set(color=st["color"], linestyle=st["linestyle"])
        shape = MarkerStyle(st["marker"])
        marker.set_paths([shape.get_path().transformed(shape.get_transform())])
        marker.set_color(st["color"])
        label.set_color(st["color"])


def _deltas(results: Any, summary: dict[str, Any]) -> Any:
    metric = summary["primary_metric"]
    tab = mean_table(results, metric)
    base = summary["baseline_variant"]
    if metric not in results or base not in tab:
        base = summary["baseline"]
    sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
    d = sign * tab.sub(tab[base], axis=0).drop(columns=[base])
    return d[d.median().sort_values().index]


def delta_boxplot(results: Any, summary: dict[str, Any]) -> Any:
    """Per-dataset difference to the baseline of every variant (positive = better)."""
    d = _deltas(results, summary)
    fig = _figure(8, 1.0 + 0.27 * d.shape[1])
    ax = fig.add_subplot()
    data = [d[c].dropna().to_numpy() for c in d.columns]
    ax.boxplot(data, orientation="horizontal", widths=0.6, showfliers=False,
               medianprops={"color": "black"})  # fmt: skip
    rng = np.random.default_rng(0)
    for i, v in enumerate(data, start=1):
        ax.scatter(v, i + rng.uniform(-0.18, 0.18, v.size), s=9, alpha=0.6, color="tab:blue")
    ax.axvline(0.0, color="tab:red", lw=1)
    ax.set_yticks(range(1, d.shape[1] + 1), list(d.columns), fontsize=8)
    label = LABELS.get(summary["primary_metric"], summary["primary_metric"])
    ax.set_xlabel(f"{label}: variant minus {summary['baseline_variant']} (per dataset; "
                  "right = better)")  # fmt: skip
    ax.grid(axis="x", alpha=0.3)
    return fig


def delta_heatmap(results: Any, summary: dict[str, Any]) -> Any:
    """Datasets x tuned methods: mean difference to the baseline (diverging colours).

    Each number is written in white on dark cells and in black on light ones. None when
    the baseline is the only method.
    """
    metric = summary["primary_metric"]
    tab = mean_table(results, metric, tuned_only=True)
    base = summary["baseline"]
    sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
    d = sign * tab.sub(tab[base], axis=0).drop(columns=[base])
    d = d[d.median().sort_values(ascending=False).index]
    if d.shape[1] == 0:  # only the baseline ran: nothing to compare (an empty image warns)
        return None
    fig = _figure(max(5.0, 2.2 + 0.55 * d.shape[1]), max(3.0, 2.4 + 0.26 * d.shape[0]))
    ax = fig.add_subplot()
    vals = np.abs(d.to_numpy())
    vals = vals[np.isfinite(vals)]
    lim = float(np.quantile(vals, 0.95)) if vals.size else 1.0  # outliers saturate
    lim = lim or 1.0
    im = ax.imshow(d.to_numpy(), cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
    ax.set_xticks(range(d.shape[1]), list(d.columns), rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(d.shape[0]), [str(i) for i in d.index], fontsize=7)
    for (i, j), v in np.ndenumerate(d.to_numpy()):
        if np.isfinite(v):  # white on dark cells, black on light ones
            ax.text(j, i, f"{v:+.2f}", ha="center", va="center", fontsize=5.5,
                    color=text_color_on(im.cmap(im.norm(v))))
    label = LABELS.get(metric, metric)
    ax.set_title(f"{label} minus {base} (tuned thresholds; blue = better)", fontsize=9)
    fig.colorbar(im, ax=ax, shrink=0.6)
    return fig


def threshold_calibration(results: Any, summary: dict[str, Any]) -> Any:
    """Tuned thresholds and ECE per method, over datasets.

    Focal outputs are not posteriors: their thresholds and calibration differ from BCE's.
    """
    tuned = results[results["threshold_mode"] == "tuned"]
    per = tuned.groupby(["method", "dataset"], sort=False)[["threshold", "ece"]].mean()
    methods = list(dict.fromkeys(tuned["method"]))
    fig = _figure(10, 1.0 + 0.3 * len(methods))
    for k, (col, title) in enumerate((("threshold", "tuned threshold (mean per dataset)"),
                                      ("ece", "ECE of the probabilities (per dataset)"))):
        ax = fig.add_subplot(1, 2, k + 1)
        data = [per.loc[m][col].to_numpy() for m in methods]
        ax.boxplot(data, orientation="horizontal", widths=0.6, showfliers=False)
        ax.set_yticks(range(1, len(methods) + 1), methods if k == 0 else [""] * len(methods),
                      fontsize=8)  # fmt: skip
        ax.set_title(title, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        if col == "threshold":
            ax.axvline(0.5, color="tab:red", lw=1)
    return fig


def forest_plot(summary: dict[str, Any]) -> Any:
    """Effect sizes against the baseline: Hodges-Lehmann estimate and 95 % interval.

    One panel per metric (the primary metric's tuned variants, then the threshold-free
    metrics by method); positive is better; the grey band is the ROPE. Variants without an
    interval (5 datasets or fewer) show the estimate alone.
    """
    import math

    metrics = [m for m in dict.fromkeys((summary["primary_metric"], *FOREST_METRICS))
               if summary["comparisons"].get(m)]  # fmt: skip
    if not metrics:
        return None
    def name(r: dict[str, Any]) -> str:
        return str(r["variant"]).replace(" @tuned", "")

    first = [r for r in summary["comparisons"][metrics[0]]
             if r.get("family") in ("@tuned", "methods")]  # fmt: skip
    first.sort(key=lambda r: r["hl"] if math.isfinite(r["hl"]) else -9.0)
    order = [name(r) for r in first]  # one row order in every panel (the first metric's)
    nan_row = {"hl": math.nan, "hl_low": None, "hl_high": None, "verdict": ""}
    panels = []
    for m in metrics:
        by = {name(r): r for r in summary["comparisons"][m]
              if r.get("family") in ("@tuned", "methods")}  # fmt: skip
        panels.append((m, [{**nan_row, "variant": v, **by.get(v, {})} for v in order]))
    height = 1.2 + 0.24 * max(len(r) for _, r in panels)
    fig = _figure(3.2 * len(panels) + 2.2, height)
    rope = summary.get("rope") or {}
    for k, (m, rows) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        y = np.arange(len(rows))
        est = np.array([r["hl"] for r in rows], dtype=float)
        lo = np.array([r.get("hl_low") if r.get("hl_low") is not None else np.nan
                       for r in rows], dtype=float)  # fmt: skip
        hi = np.array([r.get("hl_high") if r.get("hl_high") is not None else np.nan
                       for r in rows], dtype=float)  # fmt: skip
        colors = ["tab:green" if r["verdict"].startswith("better") else "tab:red"
                  if r["verdict"].startswith("worse") else "tab:gray"
                  if r["verdict"] == "equivalent" else "tab:blue" for r in rows]  # fmt: skip
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.hlines(y[ok], lo[ok], hi[ok], colors=[c for c, o in zip(colors, ok, strict=True)
                                                 if o], lw=1.5)  # fmt: skip
        ax.scatter(est, y, c=colors, s=14, zorder=3)
        r_ = float(rope.get(m, 0.01))
        ax.axvspan(-r_, r_, color="0.85", zorder=0)
        ax.axvline(0.0, color="black", lw=0.8)
        labels = [r["variant"].replace(" @tuned", "") for r in rows]
        ax.set_yticks(y, labels if k == 0 else [""] * len(rows), fontsize=7)
        ax.set_title(f"{LABELS.get(m, m)}\n(right = better)", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    return fig


def draw_all(results: Any, summary: dict[str, Any], fig_dir: str | Path) -> dict[str, str]:
    """Draw every figure into ``fig_dir``; returns ``{name: path relative to its parent}``."""
    fig_dir = Path(fig_dir)
    fig_dir.mkdir(parents=True, exist_ok=True)
    out: dict[str, str] = {}
    makers = {
        "cd_diagram": lambda: cd_diagram(summary),
        "forest": lambda: forest_plot(summary),
        "deltas": lambda: delta_boxplot(results, summary),
        "heatmap": lambda: delta_heatmap(results, summary),
        "thresholds_calibration": lambda: threshold_calibration(results, summary),
    }
    for name, make in makers.items():
        fig = make()
        if fig is None:
            continue
        path = fig_dir / f"{name}.png"
        fig.savefig(path, dpi=DPI)
        out[name] = f"{fig_dir.name}/{path.name}"
    return out
