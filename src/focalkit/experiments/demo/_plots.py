"""The demo's figures: each function takes the result of :func:`run_demo` and returns a Figure.

Figures are built without :mod:`matplotlib.pyplot` (no display, no global state); save them
with :func:`focalkit.experiments.plots.save_figure` or ``fig.savefig``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from focalkit.experiments.demo._compute import model_label
from focalkit.experiments.plots import draw_pr_curves, draw_reliability, new_figure

__all__ = [
    "MODEL_COLORS",
    "model_label",
    "plot_decision_regions",
    "plot_dynamics",
    "plot_loss_curves",
    "plot_overview",
    "plot_pr_curves",
    "plot_reliability",
]

MODEL_COLORS = {
    "bce": "#0072B2",
    "focal_alpha": "#D55E00",
    "focal": "#009E73",
    "bce_pos_weight": "#CC79A7",
    "focal_alpha_posterior": "#000000",
}
_MAJ_FILL, _MIN_FILL = "#DCE9F5", "#FBDCC2"
_MAJ_PT, _MIN_PT = "#4D6F8F", "#D55E00"


def _row(result: dict, model: str, rule: str, seed: int) -> dict:
    for r in result["per_seed"]:
        if r["model"] == model and r["rule"] == rule and r["seed"] == seed:
            return r
    raise KeyError((model, rule, seed))


def _summary(result: dict, model: str, rule: str) -> dict:
    for r in result["summary"]:
        if r["model"] == model and r["rule"] == rule:
            return r
    raise KeyError((model, rule))


def _pm(stat: dict, digits: int = 3) -> str:
    sd = stat.get("sd")
    return f"{stat['mean']:.{digits}f}" + (f" ± {sd:.{digits}f}" if sd is not None else "")


# ------------------------------------------------------------------------ decision regions


def _contour(ax: Any, gx: Any, gy: Any, prob: np.ndarray, threshold: float, **kw: Any) -> bool:
    """Draw the level set ``prob = threshold`` if it exists (no warning when it does not)."""
    if not prob.min() < threshold < prob.max():
        return False
    ax.contour(gx, gy, prob, levels=[threshold], **kw)
    return True


def _draw_region(ax: Any, result: dict, grid: dict, model: str, threshold: float, title: str,
                 compare: Sequence[tuple[str, float, str]] = ()) -> None:
    reg = result["regions"]
    gx, gy = np.asarray(reg["x"]), np.asarray(reg["y"])
    prob = np.asarray(grid[model], dtype=float)
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D

    ax.contourf(gx, gy, (prob >= threshold).astype(float), levels=[-0.5, 0.5, 1.5],
                cmap=ListedColormap([_MAJ_FILL, _MIN_FILL]))
    color = MODEL_COLORS.get(model, "k")
    drawn = _contour(ax, gx, gy, prob, threshold, colors=[color], linewidths=2.2)
    label = (f"this boundary (p = {threshold:.2f})" if drawn else
             f"no boundary: p < {threshold:.2f} everywhere" if prob.max() < threshold else
             f"no boundary: p ≥ {threshold:.2f} everywhere")
    handles = [Line2D([], [], color=color, lw=2.2, label=label)]
    for other, t_other, name in compare:
        o_color = MODEL_COLORS.get(other, "k")
        if _contour(ax, gx, gy, np.asarray(grid[other], dtype=float), t_other,
                    colors=[o_color], linewidths=1.6, linestyles="--"):
            handles.append(Line2D([], [], color=o_color, lw=1.6, ls="--", label=name))
    X = np.asarray(reg["X_test"], dtype=float)
    y = np.asarray(reg["y_test"])
    ax.scatter(X[y == 0, 0], X[y == 0, 1], s=5, c=_MAJ_PT, alpha=0.35, lw=0)
    ax.scatter(X[y == 1, 0], X[y == 1, 1], s=14, c=_MIN_PT, edgecolors="white", lw=0.4)
    ax.set(xlim=(gx[0], gx[-1]), ylim=(gy[0], gy[-1]), title=title)
    ax.title.set_fontsize(10)
    ax.legend(handles=handles, loc="lower left", fontsize=7.5, framealpha=0.85)


def plot_decision_regions(result: dict) -> Any:
    """BCE vs the post's focal recipe vs BCE with a tuned threshold, side by side.

    Decision regions of the first seed's networks on the 2-D feature plane, with that
    seed's test points (majority blue, minority orange). The third panel is the BCE network
    of the first panel with its threshold tuned on validation; the post's focal boundary
    is drawn dashed on it for comparison. With an early snapshot
    (``DemoConfig.early_epoch``) the top row shows the same networks after that many
    epochs and the bottom row after the full training.
    """
    reg = result["regions"]
    seed = reg["seed"]
    stages = []
    early = result.get("early")
    if early and reg.get("early_probs"):
        stages.append((f"after {early['epoch']} epochs", early, reg["early_probs"]))
    stages.append((f"after {result['config']['epochs']} epochs", result, reg["probs"]))
    fig, axes = new_figure(14.5, 0.6 + 4.6 * len(stages), nrows=len(stages), ncols=3,
                           sharex=True, sharey=True, squeeze=False)
    post = model_label(result, "focal_alpha")
    for row_axes, (stage, source, grid) in zip(axes, stages, strict=True):
        bce_t = _row(source, "bce", "tuned", seed)["threshold"]
        panels = [
            ("bce", "0.5", 0.5, "BCE, threshold 0.5", ()),
            ("focal_alpha", "0.5", 0.5, f"{post}, threshold 0.5", ()),
            ("bce", "tuned", bce_t, f"BCE, threshold {bce_t:.2f} tuned on validation",
             (("focal_alpha", 0.5, "focal (post) boundary at 0.5"),)),
        ]
        for ax, (model, rule, t, title, compare) in zip(row_axes, panels, strict=True):
            r = _row(source, model, rule, seed)
            sub = (f"test: minority F1 {r['minority_f1_score']:.2f}, recall "
                   f"{r['minority_recall_score']:.2f}, precision "
                   f"{r['minority_precision_score']:.2f}")
            _draw_region(ax, result, grid, model, t, f"{title}\n{sub}", compare)
        row_axes[0].set_ylabel(f"{stage.upper()}\nfeature 2", fontsize=10)
    for ax in axes[-1]:
        ax.set_xlabel("feature 1")
    ds = result["dataset"]
    fig.suptitle(
        f"Decision regions on the {100 * (1 - ds['prevalence']):.0f}:{100 * ds['prevalence']:.0f}"
        f" data (seed {seed}; shading = predicted class, dots = test points)", fontsize=11,
    )
    return fig


# ------------------------------------------------------------------------ loss curves


def plot_loss_curves(gammas: Sequence[float] = (0.0, 0.5, 1.0, 2.0, 5.0)) -> Any:
    """Focal loss against p_t for several gammas (gamma=0 is BCE), as in the post.

    Left: the loss ``-(1 - p_t)^gamma log p_t``; right: its ratio to BCE, the factor by
    which focal loss down-weights an example (log scale). Computed with
    :func:`focalkit.binary_focal_loss` (``focalkit._core``).
    """
    from focalkit._core import binary_focal_loss

    p_t = np.linspace(0.001, 0.999, 999)
    z = np.log(p_t) - np.log1p(-p_t)  # the margin whose sigmoid is p_t (true class 1)
    ones = np.ones_like(z)
    bce = binary_focal_loss(z, ones, gamma=0.0)
    fig, (ax, ax2) = new_figure(11, 4.2, nrows=1, ncols=2)
    cmap_colors = ["#000000", "#56B4E9", "#009E73", "#D55E00", "#CC79A7", "#E69F00"]
    for i, g in enumerate(gammas):
        loss = binary_focal_loss(z, ones, gamma=float(g))
        name = f"γ = {g:g}" + (" (BCE)" if g == 0 else "")
        color = cmap_colors[i % len(cmap_colors)]
        ax.plot(p_t, loss, lw=2 if g in (0, 2) else 1.4, color=color, label=name)
        ax2.plot(p_t, loss / bce, lw=2 if g in (0, 2) else 1.4, color=color, label=name)
    ax.axvspan(0.6, 1.0, color="0.92", zorder=0)
    ax.text(0.8, 4.6, "well-classified\nexamples", ha="center", va="top", fontsize=9)
    ax.set(xlabel="probability of the true class  $p_t$", ylabel="loss", ylim=(0, 5),
           xlim=(0, 1), title="Focal loss  $-(1-p_t)^\\gamma \\log p_t$")
    ax.legend()
    ax.grid(alpha=0.3)
    ax2.set(xlabel="probability of the true class  $p_t$", ylabel="focal loss / BCE",
            yscale="log", ylim=(1e-6, 1.5), xlim=(0, 1),
            title="Down-weighting factor $(1-p_t)^\\gamma$")
    ax2.grid(alpha=0.3)
    return fig


# ------------------------------------------------------------------------ dynamics


def _band(ax: Any, x: np.ndarray, runs: np.ndarray, color: str, label: str) -> None:
    marker = "o" if x.size <= 30 else None  # few epochs: show the points
    for run in runs:
        ax.plot(x, run, color=color, lw=0.6, alpha=0.35)
    ax.plot(x, np.median(runs, axis=0), color=color, lw=2.0, label=label, marker=marker, ms=3)


def plot_dynamics(result: dict) -> Any:
    """Training dynamics: whether and when a model predicts only the majority class.

    Per epoch and model: the fraction of validation points predicted as minority at
    threshold 0.5, the validation minority recall, and the training loss (relative to the
    first epoch). Thick lines are the median over seeds, thin lines the single seeds.
    """
    dyn = result["dynamics"]
    prevalence = result["dataset"]["prevalence"]
    fig, axes = new_figure(15, 5.0, nrows=1, ncols=3)
    n_epochs = 0
    for key, d in dyn.items():
        frac = np.asarray(d["minority_fraction"], dtype=float)
        n_epochs = frac.shape[1]
        x = np.arange(1, n_epochs + 1)
        color = MODEL_COLORS.get(key, "k")
        label = model_label(result, key)
        _band(axes[0], x, frac, color, label)
        _band(axes[1], x, np.asarray(d["minority_recall"], dtype=float), color, label)
        loss = np.asarray(d["loss"], dtype=float)
        _band(axes[2], x, loss / loss[:, :1], color, label)
    # The annotations go into the legend, below the panels: text inside the panels sat on
    # the thin per-seed curves.
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    notes: list[Any] = []  # legend handles: lines and patches
    axes[0].axhline(prevalence, color="0.3", ls=":", lw=1.2)
    notes.append(Line2D([], [], color="0.3", ls=":", lw=1.2,
                        label=f"true minority share {prevalence:.2f} (left panel)"))
    early = (result.get("early") or {}).get("epoch")
    if early:
        for ax in axes:
            ax.axvline(early, color="0.4", ls="--", lw=1)
        notes.append(Line2D([], [], color="0.4", ls="--", lw=1,
                            label=f"snapshot at epoch {early} (short-training comparison)"))
    bce = [s for s in dyn.get("bce", {}).get("majority_only", []) if s["epochs_majority_only"]]
    if bce:
        lo = float(np.median([s["first_epoch_majority_only"] for s in bce]))
        hi = float(np.median([s["last_epoch_majority_only"] for s in bce]))
        for ax in axes[:2]:
            ax.axvspan(lo, max(hi, lo + 0.5), color=MODEL_COLORS["bce"], alpha=0.08, lw=0)
        notes.append(Patch(color=MODEL_COLORS["bce"], alpha=0.15, lw=0,
                           label=f"BCE predicts only the majority (median epochs {lo:g}-{hi:g})"))
    xlim = (1, max(n_epochs, 2))
    axes[0].set(xscale="log", xlim=xlim, ylim=(-0.02, 1.02), xlabel="epoch",
                ylabel="fraction predicted minority (validation, p ≥ 0.5)",
                title="Minority predictions")
    axes[1].set(xscale="log", xlim=xlim, ylim=(-0.02, 1.02), xlabel="epoch",
                ylabel="minority recall (validation, p ≥ 0.5)", title="Minority recall")
    axes[2].set(xscale="log", yscale="log", xlim=xlim, xlabel="epoch",
                ylabel="training loss / loss at epoch 1", title="Training loss (own objective)")
    for ax in axes:
        ax.grid(alpha=0.3, which="both")
    handles, _ = axes[0].get_legend_handles_labels()
    fig.legend(handles=handles + notes, fontsize=8.5, loc="outside lower center",
               ncols=min(4, len(handles + notes)), frameon=False)
    cfg = result["config"]
    batch = "full batch" if cfg["batch_size"] is None else f"batch {cfg['batch_size']}"
    fig.suptitle(
        f"Training dynamics (thick: median over {len(result['seeds'])} seed(s), thin: each seed; "
        f"Adam lr {cfg['lr']:g}, {batch}, default PyTorch init)", fontsize=11,
    )
    return fig


# ------------------------------------------------------------------------ PR and calibration

_CURVE_MODELS = ("bce", "focal_alpha", "focal", "bce_pos_weight")


def plot_pr_curves(result: dict) -> Any:
    """Test precision-recall curves (first seed) with the operating points at 0.5 and tuned.

    Circles mark threshold 0.5, crosses the threshold tuned on validation. The legend gives
    the average precision of the drawn curve (that seed) and, beside it, the mean over
    seeds.
    """
    curves = result["curves"]
    seed = curves["seed"]
    keys = [k for k in _CURVE_MODELS if k in curves["probs"]]
    labels = {k: model_label(result, k) for k in keys}
    scores = {labels[k]: curves["probs"][k] for k in keys}
    ops = {
        labels[k]: [
            (0.5, "o", "threshold 0.5"),
            (_row(result, k, "tuned", seed)["threshold"], "X", "threshold tuned on validation"),
        ]
        for k in keys
    }
    n_seeds = len(result["seeds"])
    extra = {}
    for k in keys:  # the AP of the drawn curve first: it is one seed's, not the mean's
        drawn = _row(result, k, "0.5", seed)["pr_auc_score"]
        mean = _summary(result, k, "0.5")["pr_auc_score"]["mean"]
        extra[labels[k]] = (f"  (AP seed {seed} = {drawn:.3f}" + (
            f"; {n_seeds}-seed mean {mean:.3f})" if n_seeds > 1 else ")"))
    colors = {labels[k]: MODEL_COLORS[k] for k in keys}
    fig, (ax, zoom) = new_figure(13.0, 6.0, nrows=1, ncols=2, width_ratios=[1.1, 1])
    points = draw_pr_curves(ax, curves["y_test"], scores, operating_points=ops,
                            colors=colors, legend_extra=extra)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(f"Precision-recall on the test split (seed {seed})", fontsize=11)
    # The operating points of the four networks lie close together: the right panel
    # zooms on them (the same curves and markers; coinciding points show as nested rings).
    draw_pr_curves(zoom, curves["y_test"], scores, operating_points=ops, colors=colors)
    if points:
        rec, prec = np.array(points).T
        pad_x = max(0.04, 0.15 * float(np.ptp(rec)))
        pad_y = max(0.04, 0.15 * float(np.ptp(prec)))
        box = (max(float(rec.min()) - pad_x, 0.0), min(float(rec.max()) + pad_x, 1.01),
               max(float(prec.min()) - pad_y, 0.0), min(float(prec.max()) + pad_y, 1.02))
        zoom.set(xlim=box[:2], ylim=box[2:])
        ax.indicate_inset_zoom(zoom, edgecolor="0.3")
    zoom.set_title("Zoom on the operating points (circles: 0.5, crosses: tuned)",
                   fontsize=11)
    return fig


def plot_reliability(result: dict) -> Any:
    """Reliability diagram of the test predictions pooled over seeds, with ECE per model."""
    pooled = result["curves"]["reliability_pooled"]
    keys = [k for k in (*_CURVE_MODELS, "focal_alpha_posterior") if k in pooled]
    labels = {k: model_label(result, k) for k in keys}
    extra = {labels[k]: f"  (ECE {_pm(_summary(result, k, '0.5')['ece_loss'])})" for k in keys}
    colors = {labels[k]: MODEL_COLORS[k] for k in keys}
    fig, (ax, hist) = new_figure(7.2, 7.6, nrows=2, ncols=1, height_ratios=[3, 1], sharex=True)
    draw_reliability(ax, {labels[k]: pooled[k] for k in keys}, colors=colors,
                     legend_extra=extra, hist_ax=hist)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(
        f"Calibration on the test split ({len(result['seeds'])} seeds pooled, "
        f"{result['config']['n_bins']} equal-width bins)", fontsize=11,
    )
    return fig


# ------------------------------------------------------------------------ overview


def plot_overview(result: dict) -> Any:
    """One-figure summary: minority F1, PR-AUC and ECE per method, every seed shown.

    With an early snapshot (``DemoConfig.early_epoch``) a second panel shows minority F1
    after that many epochs. Each dot is one seed, the vertical bar the mean. Methods
    sharing a network (BCE and BCE + tuned threshold) share a colour.
    """
    methods = result["methods"]
    epochs = result["config"]["epochs"]
    panels = [("minority_f1_score", f"minority F1 (test), {epochs} epochs", result)]
    if result.get("early"):
        panels.append(("minority_f1_score",
                       f"minority F1 after only {result['early']['epoch']} epochs",
                       result["early"]))
    panels += [("pr_auc_score", f"PR-AUC (test), {epochs} epochs", result),
               ("ece_loss", f"ECE (test, lower is better), {epochs} epochs", result)]
    fig, axes = new_figure(4.2 * len(panels) + 2.5, 4.6, nrows=1, ncols=len(panels))
    ypos = np.arange(len(methods))[::-1]
    for ax, (metric, title, source) in zip(axes, panels, strict=True):
        for yi, m in zip(ypos, methods, strict=True):
            vals = [r[metric] for r in source["per_seed"]
                    if r["model"] == m["model"] and r["rule"] == m["rule"]]
            color = MODEL_COLORS.get(m["model"], "k")
            mean = float(np.mean(vals))
            ax.plot(vals, np.full(len(vals), yi), "o", color=color, ms=5, alpha=0.7)
            ax.plot([mean], [yi], marker="|", color=color, ms=22, mew=2.5)
            ax.text(mean, yi + 0.42, f"{mean:.3f}", fontsize=8, va="center", ha="center")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3, axis="x")
        ax.set_yticks(ypos)
        ax.set_yticklabels([m["label"] for m in methods] if ax is axes[0] else [])
        ax.set_ylim(ypos[-1] - 0.6, ypos[0] + 0.8)
    fig.suptitle(
        f"{len(result['seeds'])} seeds, same splits and initial weights for every method "
        "(dots = seeds, bars = mean)", fontsize=11,
    )
    return fig
