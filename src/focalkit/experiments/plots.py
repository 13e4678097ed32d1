"""Plotting helpers shared by the demo and the bench (matplotlib, no pyplot state).

Every helper draws on an ``Axes`` it is given, or returns a new
:class:`matplotlib.figure.Figure` built without :mod:`matplotlib.pyplot`, so nothing here
needs a display or touches global state. matplotlib is imported inside the functions
(``pip install 'focalkit[plot]'``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from focalkit.exceptions import require

__all__ = [
    "PALETTE",
    "color_for",
    "distinct_style",
    "draw_pr_curves",
    "draw_reliability",
    "new_figure",
    "save_figure",
    "text_color_on",
]

#: Colour-blind-safe colours (Okabe-Ito) used for methods, in a stable order.
PALETTE = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # green
    "#CC79A7",  # purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)


def color_for(index: int) -> str:
    """The ``index``-th colour of :data:`PALETTE` (cycling)."""
    return PALETTE[index % len(PALETTE)]


#: Line styles that extend :data:`PALETTE` beyond its colours (one per pass over them).
_LINESTYLES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D")


def distinct_style(index: int) -> dict[str, str]:
    """Colour, line style and marker of the ``index``-th item, unique for 28 items.

    The colours are :data:`PALETTE` without yellow (unreadable on white); after seven
    items the colours repeat with the next line style and marker, so no two items of a
    figure with many methods (the bench's 12) look the same.
    """
    colors = PALETTE[:7]
    turn = index // len(colors)
    return {
        "color": colors[index % len(colors)],
        "linestyle": _LINESTYLES[turn % len(_LINESTYLES)],
        "marker": _MARKERS[turn % len(_MARKERS)],
    }


def text_color_on(rgba: Sequence[float]) -> str:
    """``"black"`` or ``"white"``, whichever reads better on a background of colour ``rgba``.

    Uses the WCAG relative luminance (sRGB channels linearised); white text on
    backgrounds darker than 0.179, the luminance at which both have the same contrast.
    """
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3]]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "white" if luminance < 0.179 else "black"


def new_figure(width: float, height: float, **subplots: Any) -> tuple[Any, Any]:
    """A pyplot-free Figure and its axes (``Figure.subplots`` arguments pass through).

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes or array of Axes
    """
    require("matplotlib", "plot", feature="focalkit plots")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(**subplots)
    return fig, axes


def save_figure(fig: Any, path: str | Path, *, dpi: int = 110) -> Path:
    """Write ``fig`` as PNG (or whatever the suffix says) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


def draw_pr_curves(
    ax: Any,
    y_true: Sequence[int],
    scores: Mapping[str, Sequence[float]],
    *,
    operating_points: Mapping[str, Sequence[tuple[float, str, str]]] | None = None,
    colors: Mapping[str, str] | None = None,
    legend_extra: Mapping[str, str] | None = None,
) -> list[tuple[float, float]]:
    """Precision-recall curves of several scorers on the same labels.

    Parameters
    ----------
    ax : matplotlib Axes
    y_true : sequence of {0, 1}
    scores : mapping label -> scores of class 1
    operating_points : mapping label -> [(threshold, marker, name), ...], optional
        Points drawn on each curve where ``score >= threshold`` (e.g. 0.5 and the tuned
        threshold); ``name`` goes into the legend once per marker. Markers of later
        scorers are drawn smaller and on top, so points that coincide show as nested
        rings of each scorer's colour instead of hiding one another.
    colors : mapping label -> colour, optional
    legend_extra : mapping label -> text appended to the legend entry (e.g. "AP 0.85").

    Returns
    -------
    list of (recall, precision)
        The operating points drawn (e.g. to zoom on them).
    """
    from sklearn.metrics import precision_recall_curve

    y = np.asarray(y_true)
    marker_names: dict[str, str] = {}
    points: list[tuple[float, float]] = []
    n = len(scores)
    for i, (label, raw) in enumerate(scores.items()):
        s = np.asarray(raw, dtype=np.float64)
        color = (colors or {}).get(label, color_for(i))
        precision, recall, _ = precision_recall_curve(y, s)
        extra = (legend_extra or {}).get(label, "")
        ax.plot(recall, precision, color=color, lw=1.6, label=f"{label}{extra}",
                drawstyle="steps-post")
        size = 8.0 + 2.5 * (n - 1 - i)  # nested: the first scorer's ring is the outermost
        for threshold, marker, name in (operating_points or {}).get(label, []):
            pred = s >= threshold
            tp = float(np.sum(pred & (y == 1)))
            rec = tp / max(float(np.sum(y == 1)), 1.0)
            prec = tp / float(pred.sum()) if pred.any() else 1.0
            points.append((rec, prec))
            marker_names.setdefault(marker, name)
            ax.plot(
                [rec], [prec], marker=marker, ms=size, mfc="white" if marker == "o" else color,
                mec="white" if marker != "o" else color, mew=2 if marker == "o" else 0.8,
                ls="none", zorder=5 + i, clip_on=False,
            )
    for marker, name in marker_names.items():  # legend entries after the curves, in grey
        ax.plot([], [], marker=marker, ms=9, mfc="white" if marker == "o" else "0.4",
                mec="0.4", mew=2, ls="none", label=name)
    prevalence = float(np.mean(y))
    ax.axhline(prevalence, color="0.5", ls=":", lw=1,
               label=f"no skill (prevalence {prevalence:.2f})")
    ax.set(xlabel="recall (minority)", ylabel="precision (minority)", xlim=(0, 1.01),
           ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    return points


def draw_reliability(
    ax: Any,
    bins: Mapping[str, Mapping[str, Sequence[float | None]]],
    *,
    colors: Mapping[str, str] | None = None,
    legend_extra: Mapping[str, str] | None = None,
    hist_ax: Any = None,
) -> None:
    """Reliability diagram: observed frequency of class 1 against mean predicted probability.

    Parameters
    ----------
    ax : matplotlib Axes
    bins : mapping label -> {"mean_prob": [...], "frac_pos": [...], "count": [...]}
        Per-bin statistics as produced by :func:`focalkit.metrics.reliability_curve`
        (None or NaN for empty bins).
    colors, legend_extra : optional
        As in :func:`draw_pr_curves`.
    hist_ax : matplotlib Axes, optional
        Where to draw the number of samples per bin (log scale).
    """
    ax.plot([0, 1], [0, 1], color="0.5", ls="--", lw=1, label="perfectly calibrated")
    for i, (label, b) in enumerate(bins.items()):
        color = (colors or {}).get(label, color_for(i))
        mp = np.array([np.nan if v is None else v for v in b["mean_prob"]], dtype=float)
        fp = np.array([np.nan if v is None else v for v in b["frac_pos"]], dtype=float)
        ok = np.isfinite(mp) & np.isfinite(fp)
        extra = (legend_extra or {}).get(label, "")
        ax.plot(mp[ok], fp[ok], marker="o", ms=4, lw=1.5, color=color, label=f"{label}{extra}")
        if hist_ax is not None:
            count = np.asarray(b["count"], dtype=float)
            centers = 0.5 * (np.asarray(b["edges"][:-1]) + np.asarray(b["edges"][1:]))
            hist_ax.plot(centers, np.where(count > 0, count, np.nan), marker="o", ms=3,
                         lw=1, color=color)
    # a margin around [0, 1]: bins at 0 and 1 (frequent for focal outputs) stay whole
    lim = (-0.02, 1.02)
    ax.set(xlabel="mean predicted probability of the minority class",
           ylabel="observed frequency of the minority class", xlim=lim, ylim=lim)
    ax.grid(alpha=0.3)
    if hist_ax is not None:
        hist_ax.set(yscale="log", xlim=lim, xlabel="predicted probability (bin centre)",
                    ylabel="samples per bin")
        hist_ax.grid(alpha=0.3)
