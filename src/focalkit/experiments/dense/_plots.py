"""The dense experiment's figures: each takes the result of :func:`run_dense`, returns a Figure.

Built without :mod:`matplotlib.pyplot` (no display, no global state); save them with
:func:`focalkit.experiments.plots.save_figure`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit.experiments.plots import color_for, new_figure

__all__ = [
    "plot_curves",
    "plot_examples",
    "plot_overview",
    "plot_pr_curves",
    "plot_sweep",
]


def _colors(result: dict) -> dict[str, str]:
    return {m: color_for(i) for i, m in enumerate(result["methods"])}


def plot_examples(result: dict) -> Any:
    """Example test images of the first seed: image, true mask, then each loss's map.

    Each loss's probability map is shown on its own 0-1 scale, with the contour of its
    validation-tuned threshold in white and the true discs outlined in red.
    """
    ex = result["examples"]
    methods = list(result["methods"])
    images = np.asarray(ex.get("images", {}).get("x", []))
    n = len(images)
    fig, axes = new_figure(1.55 * (2 + len(methods)), 1.6 * max(n, 1) + 0.4,
                           nrows=max(n, 1), ncols=2 + len(methods), squeeze=False)
    if n == 0:
        axes[0, 0].text(0.5, 0.5, "no example images", ha="center", va="center")
        return fig
    masks = np.asarray(ex["images"]["mask"])
    for i in range(n):
        row = axes[i]
        row[0].imshow(images[i], cmap="gray")
        row[1].imshow(masks[i], cmap="gray", vmin=0, vmax=1)
        for j, m in enumerate(methods):
            prob = np.asarray(ex["prob"][m][i])
            ax = row[2 + j]
            ax.imshow(prob, cmap="magma", vmin=0, vmax=1)
            if masks[i].any():
                ax.contour(masks[i], levels=[0.5], colors="#ff4040", linewidths=0.6)
            thr = ex["threshold"][m]
            if prob.max() > thr > prob.min():
                ax.contour(prob, levels=[thr], colors="white", linewidths=0.5)
        if i == 0:
            row[0].set_title("image", fontsize=8)
            row[1].set_title("true mask", fontsize=8)
            for j, m in enumerate(methods):
                row[2 + j].set_title(result["methods"][m], fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("Test images (first seed): predicted probability per loss; red = true "
                 "objects, white = tuned threshold", fontsize=9)
    return fig


def plot_pr_curves(result: dict) -> Any:
    """Pixel precision-recall curves of the first seed's test images, one per loss."""
    fig, ax = new_figure(5.2, 4.0)
    colors = _colors(result)
    for m, label in result["methods"].items():
        pr = result["pr_curves"].get(m)
        if not pr:
            continue
        ap = result["summary"][m]["pr_auc_score"]["values"][0]
        ap_text = "" if ap is None else f" (AP {ap:.3f})"
        ax.plot(pr["recall"], pr["precision"], color=colors[m], lw=1.4,
                label=label + ap_text)
    fg = result["dataset"]["fg_fraction_measured"]
    ax.axhline(fg, color="0.6", ls=":", lw=1, label=f"chance ({fg:.2%})")
    ax.set_xlabel("recall (pixels)")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title("Pixel PR curves, first seed's test images", fontsize=9)
    return fig


_OVERVIEW = ("pr_auc_score", "recall_at_0.5fp_score", "dice_tuned_score", "ece_loss")


def plot_overview(result: dict) -> Any:
    """Every loss, every seed: PR-AUC, detection recall, Dice per image and ECE."""
    methods = list(result["methods"])
    fig, axes = new_figure(11.0, 3.0, ncols=len(_OVERVIEW), squeeze=False)
    colors = _colors(result)
    for ax, metric in zip(axes[0], _OVERVIEW, strict=True):
        for i, m in enumerate(methods):
            vals = np.array([np.nan if v is None else v
                             for v in result["summary"][m][metric]["values"]], float)
            jitter = np.linspace(-0.15, 0.15, vals.size) if vals.size > 1 else np.zeros(1)
            ax.scatter(vals, i + jitter, s=10, color=colors[m], alpha=0.8)
            if np.isfinite(vals).any():
                ax.plot([np.nanmean(vals)] * 2, [i - 0.3, i + 0.3], color="k", lw=1.5)
        ax.set_yticks(range(len(methods)))
        ax.set_yticklabels([result["methods"][m] for m in methods] if ax is axes[0, 0]
                           else [], fontsize=8)
        ax.invert_yaxis()
        info = result["metrics"][metric]
        arrow = "→ better" if info["higher_is_better"] else "← better"
        ax.set_title(f"{info['label']} ({arrow})", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    return fig


def plot_curves(result: dict) -> Any:
    """Training curves: validation pixel PR-AUC per epoch, mean over the seeds."""
    fig, ax = new_figure(5.2, 3.6)
    colors = _colors(result)
    for m, label in result["methods"].items():
        c = result["curves"][m]
        ys = [np.nan if v is None else v for v in c["val_pr_auc"]]
        ax.plot(c["epoch"], ys, marker="o", ms=3, color=colors[m], label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation PR-AUC (pixels)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    ax.set_title("Training curves (mean over seeds)", fontsize=9)
    return fig


def plot_sweep(result: dict) -> Any:
    """Each metric against the foreground fraction (log scale), and its gap to BCE."""
    sweep = result["sweep"]
    metrics = ("pr_auc_score", "recall_at_0.5fp_score", "dice_tuned_score")
    fig, axes = new_figure(11.0, 5.6, nrows=2, ncols=len(metrics), squeeze=False)
    if not sweep:
        axes[0, 0].text(0.5, 0.5, "no sweep in this run", ha="center", va="center")
        return fig
    cells = sorted(sweep.values(), key=lambda c: c["fraction"])
    fx = [c["measured_fg_fraction"] for c in cells]
    colors = _colors(result)
    for j, metric in enumerate(metrics):
        top, bottom = axes[0, j], axes[1, j]
        base = np.array([np.nan if c["metrics"]["bce"][metric] is None
                         else c["metrics"]["bce"][metric] for c in cells], float)
        for m, label in result["methods"].items():
            ys = np.array([np.nan if c["metrics"][m][metric] is None
                           else c["metrics"][m][metric] for c in cells], float)
            top.plot(fx, ys, marker="o", ms=3, color=colors[m], label=label)
            if m != "bce":
                bottom.plot(fx, ys - base, marker="o", ms=3, color=colors[m], label=label)
        bottom.axhline(0, color=colors["bce"], lw=1, ls="--")
        for ax in (top, bottom):
            ax.set_xscale("log")
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=7)
        label = result["metrics"][metric]["label"]
        top.set_title(label, fontsize=9)
        bottom.set_ylabel("minus BCE", fontsize=8)
        bottom.set_xlabel("foreground fraction (training pixels)", fontsize=8)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Foreground-fraction sweep: each loss (top) and its difference from BCE "
                 "(bottom)", fontsize=9)
    return fig
