"""Metrics of the bench, at threshold 0.5 and at the threshold tuned on validation data.

The definitions of :mod:`focalkit.metrics` (the demo's metrics), under short column names.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "FK_NAMES",
    "HIGHER_IS_BETTER",
    "LABELS",
    "THRESHOLDED",
    "THRESHOLD_FREE",
    "score_all",
    "threshold_metrics",
    "tune_threshold",
]

#: Short bench name -> key of :func:`focalkit.metrics.imbalance_metrics`.
FK_NAMES = {
    "f1": "minority_f1_score",
    "precision": "minority_precision_score",
    "recall": "minority_recall_score",
    "balanced_accuracy": "balanced_accuracy_score",
    "g_mean": "gmean_score",
    "mcc": "mcc_score",
    "accuracy": "accuracy_score",
    "positive_rate": "predicted_minority_fraction",
    "average_precision": "pr_auc_score",
    "roc_auc": "roc_auc_score",
    "log_loss": "log_loss",
    "brier": "brier_loss",
    "ece": "ece_loss",
}
#: Metrics that need a decision threshold (computed at 0.5 and at the tuned threshold).
THRESHOLDED = (
    "f1", "precision", "recall", "balanced_accuracy", "g_mean", "mcc", "accuracy",
    "positive_rate",
)  # fmt: skip
#: Metrics of the scores alone (the same for both threshold variants).
THRESHOLD_FREE = ("average_precision", "roc_auc", "log_loss", "brier", "ece")

HIGHER_IS_BETTER = {m: True for m in THRESHOLDED + THRESHOLD_FREE}
HIGHER_IS_BETTER.update({"log_loss": False, "brier": False, "ece": False})

LABELS = {
    "f1": "minority F1", "precision": "minority precision", "recall": "minority recall",
    "balanced_accuracy": "balanced accuracy", "g_mean": "G-mean", "mcc": "MCC",
    "accuracy": "accuracy", "positive_rate": "predicted positive rate",
    "average_precision": "PR-AUC (average precision)", "roc_auc": "ROC-AUC",
    "log_loss": "log-loss", "brier": "Brier score", "ece": "ECE (10 bins)",
}  # fmt: skip


def tune_threshold(y_true: Any, scores: Any, *, metric: str = "f1") -> float:
    """The threshold maximising ``metric`` on validation data (:mod:`focalkit.metrics`).

    Examples
    --------
    >>> y = np.array([0, 0, 0, 1, 1]); s = np.array([0.1, 0.2, 0.3, 0.35, 0.9])
    >>> round(tune_threshold(y, s, metric="f1"), 3)
    0.325
    """
    from focalkit.metrics import tune_threshold as fk_tune

    y = np.asarray(y_true).astype(np.int64)
    if y.min() == y.max():
        return 0.5
    return float(fk_tune(y, np.asarray(scores, dtype=np.float64),
                         metric="gmean" if metric == "g_mean" else metric))  # fmt: skip


def _counts(y: np.ndarray, s: np.ndarray, t: float) -> tuple[float, float, float, float]:
    pred = s >= t
    tp = float(np.count_nonzero(pred & (y == 1)))
    fp = float(np.count_nonzero(pred & (y == 0)))
    n_pos = float(np.count_nonzero(y == 1))
    return tp, fp, n_pos - tp, float(y.size) - n_pos - fp


def threshold_metrics(y: np.ndarray, s: np.ndarray, t: float) -> dict[str, float]:
    """Thresholded metrics from the confusion counts.

    The ``focalkit.metrics`` definitions (0 where undefined), without scikit-learn's
    per-call validation overhead.

    Examples
    --------
    >>> m = threshold_metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.6, 0.4, 0.9]), 0.5)
    >>> m["f1"], m["balanced_accuracy"], m["mcc"]
    (0.5, 0.5, 0.0)
    """
    tp, fp, fn, tn = _counts(y, s, t)
    n = tp + fp + fn + tn
    tpr = tp / (tp + fn) if tp + fn else 0.0
    tnr = tn / (tn + fp) if tn + fp else 0.0
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return {
        "f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tpr,
        "balanced_accuracy": (tpr + tnr) / 2.0,
        "g_mean": float(np.sqrt(tpr * tnr)),
        "mcc": float((tp * tn - fp * fn) / den) if den > 0 else 0.0,
        "accuracy": (tp + tn) / n,
        "positive_rate": (tp + fp) / n,
    }


def _average_precision(y: np.ndarray, s: np.ndarray) -> float:
    """scikit-learn's ``average_precision_score``: sum of (R_k - R_{k-1}) P_k."""
    order = np.argsort(-s, kind="mergesort")
    ss, ys = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(ss)), ys.size - 1]
    tp = np.cumsum(ys)[last]
    fp = last + 1 - tp
    precision = tp / (tp + fp)
    recall = tp / tp[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _roc_auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC-AUC by the Mann-Whitney rank formula (ties count one half)."""
    from scipy.stats import rankdata

    ranks = rankdata(s)
    n_pos = float(y.sum())
    n_neg = y.size - n_pos
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def score_all(
    y_true: np.ndarray, scores: np.ndarray, tuned_threshold: float
) -> dict[str, dict[str, float]]:
    """All metrics: ``{"free": ..., "0.5": ..., "tuned": ...}`` (short names).

    The same definitions as :func:`focalkit.metrics.imbalance_metrics` (tested equal),
    computed from confusion counts and ranks: a bench scores thousands of folds.

    Examples
    --------
    >>> r = score_all(np.array([0, 0, 1, 1]), np.array([0.1, 0.6, 0.4, 0.9]), 0.3)
    >>> r["free"]["roc_auc"], r["tuned"]["recall"], r["0.5"]["f1"]
    (0.75, 1.0, 0.5)
    """
    from focalkit.metrics import ece_loss

    y = np.asarray(y_true).astype(np.int64)
    s = np.clip(np.asarray(scores, dtype=np.float64), 0.0, 1.0)
    pc = np.clip(s, 1e-15, 1 - 1e-15)
    both = 0 < y.sum() < y.size
    free = {
        "average_precision": _average_precision(y, s) if both else float("nan"),
        "roc_auc": _roc_auc(y, s) if both else float("nan"),
        "log_loss": float(-np.mean(y * np.log(pc) + (1 - y) * np.log1p(-pc))),
        "brier": float(np.mean((s - y) ** 2)),
        "ece": float(ece_loss(y, s, n_bins=10)),
    }
    return {
        "free": free,
        "0.5": threshold_metrics(y, s, 0.5),
        "tuned": threshold_metrics(y, s, float(tuned_threshold)),
    }
