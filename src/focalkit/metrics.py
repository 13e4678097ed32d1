r"""Metrics for imbalanced binary classification, and decision-threshold tuning.

Same definitions as scikit-learn's metrics (tested equal), computed from one sort and the
confusion counts so that evaluating many models stays fast; no imbalanced-learn needed.
Naming follows imbalanced-learn:
``*_score`` is higher-is-better, ``*_loss`` is lower-is-better.

Conventions, used by ``focalkit demo`` and ``focalkit bench`` alike:

* labels are binary ``{0, 1}`` and class 1 is the class of interest (the minority);
  ``y_prob`` is the model's probability of class 1;
* a threshold ``t`` predicts class 1 where ``y_prob >= t``;
* accuracy is never reported alone: :func:`imbalance_metrics` puts it next to the
  majority-class baseline (the accuracy of always predicting the more frequent class).

Main entry points: :func:`imbalance_metrics` (every metric at one threshold; the union of
:func:`threshold_metrics` and :func:`probability_metrics`),
:func:`tune_threshold` (the threshold that maximises a metric on validation data),
:func:`ece_loss` / :func:`reliability_curve` (calibration, equal-width bins) and
:func:`geometric_mean_score`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from focalkit._core._validation import param_error
from focalkit.exceptions import InvalidParameterError

__all__ = [
    "METRIC_INFO",
    "THRESHOLD_METRICS",
    "ReliabilityCurve",
    "ece_loss",
    "geometric_mean_score",
    "imbalance_metrics",
    "probability_metrics",
    "reliability_curve",
    "threshold_metrics",
    "tune_threshold",
]

#: name -> (short label, higher_is_better, depends_on_threshold), in reporting order.
METRIC_INFO: dict[str, tuple[str, bool, bool]] = {
    "accuracy_score": ("accuracy", True, True),
    "majority_baseline_score": ("majority baseline acc.", True, False),
    "balanced_accuracy_score": ("balanced acc.", True, True),
    "gmean_score": ("G-mean", True, True),
    "minority_recall_score": ("minority recall", True, True),
    "minority_precision_score": ("minority precision", True, True),
    "minority_f1_score": ("minority F1", True, True),
    "mcc_score": ("MCC", True, True),
    "pr_auc_score": ("PR-AUC (AP)", True, False),
    "roc_auc_score": ("ROC-AUC", True, False),
    "log_loss": ("log-loss", False, False),
    "brier_loss": ("Brier", False, False),
    "ece_loss": ("ECE", False, False),
    "predicted_minority_fraction": ("predicted minority frac.", True, True),
}

#: Metrics :func:`tune_threshold` can maximise by name.
THRESHOLD_METRICS = ("f1", "balanced_accuracy", "gmean", "mcc", "accuracy")


def _binary_inputs(y_true: Any, y_score: Any, owner: str) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true)
    s = np.asarray(y_score, dtype=np.float64)
    if y.ndim != 1 or s.shape != y.shape:
        raise InvalidParameterError(
            f"{owner}: y_true and y_score must be 1-D with the same shape; "
            f"got {y.shape} and {s.shape}."
        )
    if y.size == 0:
        raise InvalidParameterError(f"{owner}: y_true is empty.")
    if not np.all((y == 0) | (y == 1)):
        raise InvalidParameterError(f"{owner}: y_true must hold only 0 and 1.")
    if not np.all(np.isfinite(s)):
        raise InvalidParameterError(f"{owner}: y_score must be finite (no NaN or inf).")
    return y.astype(np.int64), s


def _check_prob(s: np.ndarray, owner: str) -> None:
    if np.any(s < 0.0) or np.any(s > 1.0):
        raise InvalidParameterError(f"{owner}: y_prob must be probabilities in [0, 1].")


def _check_n_bins(n_bins: Any, owner: str) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise param_error("n_bins", owner, "an int >= 1", n_bins)
    return int(n_bins)


def geometric_mean_score(y_true: Any, y_pred: Any) -> float:
    r"""Geometric mean of the per-class recalls (sensitivity and specificity for 2 classes).

    .. math:: \mathrm{G} = \Big(\prod_{k=1}^{C} \mathrm{recall}_k\Big)^{1/C}

    Parameters
    ----------
    y_true : array_like of shape (n,)
        True labels (any number of classes).
    y_pred : array_like of shape (n,)
        Predicted labels.

    Returns
    -------
    float
        In [0, 1]; 0 as soon as one class is never recognised (e.g. a model that always
        predicts the majority), which is why it is a useful imbalance metric.

    Notes
    -----
    Equals imbalanced-learn's ``geometric_mean_score`` with its default ``average="multiclass"``
    for binary and multi-class labels. Classes absent from ``y_true`` are ignored.

    Examples
    --------
    >>> round(geometric_mean_score([0, 0, 0, 1, 1], [0, 0, 1, 1, 0]), 4)
    0.5774
    """
    yt = np.asarray(y_true).reshape(-1)
    yp = np.asarray(y_pred).reshape(-1)
    if yt.shape != yp.shape or yt.size == 0:
        raise InvalidParameterError(
            "geometric_mean_score: y_true and y_pred must be non-empty with the same shape; "
            f"got {np.shape(y_true)} and {np.shape(y_pred)}."
        )
    recalls = [float(np.mean(yp[yt == k] == k)) for k in np.unique(yt)]
    return float(np.prod(recalls) ** (1.0 / len(recalls)))


class ReliabilityCurve(NamedTuple):
    """Per-bin statistics of a reliability diagram (equal-width bins on [0, 1]).

    ``mean_prob`` and ``frac_pos`` are NaN for empty bins; ``counts`` is the number of
    samples in each bin; ``edges`` has ``n_bins + 1`` entries.
    """

    edges: np.ndarray
    mean_prob: np.ndarray
    frac_pos: np.ndarray
    counts: np.ndarray


def _bin_sums(y: np.ndarray, p: np.ndarray, n_bins: int) -> tuple[np.ndarray, ...]:
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # bin k holds [edges[k], edges[k+1]); the last bin also holds p == 1.
    idx = np.clip(np.floor(p * n_bins).astype(np.int64), 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins).astype(np.float64)
    sum_p = np.bincount(idx, weights=p, minlength=n_bins)
    sum_y = np.bincount(idx, weights=y.astype(np.float64), minlength=n_bins)
    return edges, count, sum_p, sum_y


def reliability_curve(y_true: Any, y_prob: Any, *, n_bins: int = 10) -> ReliabilityCurve:
    """Observed frequency of class 1 against the mean predicted probability, per bin.

    Parameters
    ----------
    y_true : array_like of shape (n,)
        Binary labels in {0, 1}.
    y_prob : array_like of shape (n,)
        Predicted probabilities of class 1.
    n_bins : int, default=10
        Number of equal-width bins on [0, 1]; bin ``k`` is ``[k/n_bins, (k+1)/n_bins)``
        and the last bin includes 1.

    Returns
    -------
    ReliabilityCurve
        Unlike :func:`sklearn.calibration.calibration_curve`, empty bins are kept (as NaN)
        so that curves of several models share their bins.

    Examples
    --------
    >>> rc = reliability_curve([0, 1, 1, 1], [0.2, 0.2, 0.9, 0.9], n_bins=2)
    >>> rc.frac_pos.tolist(), rc.counts.tolist()
    ([0.5, 1.0], [2.0, 2.0])
    """
    owner = "reliability_curve"
    y, p = _binary_inputs(y_true, y_prob, owner)
    _check_prob(p, owner)
    edges, count, sum_p, sum_y = _bin_sums(y, p, _check_n_bins(n_bins, owner))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_prob = np.where(count > 0, sum_p / np.where(count > 0, count, 1.0), np.nan)
        frac_pos = np.where(count > 0, sum_y / np.where(count > 0, count, 1.0), np.nan)
    return ReliabilityCurve(edges, mean_prob, frac_pos, count)


def ece_loss(y_true: Any, y_prob: Any, *, n_bins: int = 10) -> float:
    r"""Expected calibration error of the probability of class 1 (equal-width bins).

    .. math::

        \mathrm{ECE} = \sum_{k=1}^{K} \frac{n_k}{n}\,
        \Big|\,\overline{y}_k - \overline{p}_k\Big|

    where bin ``k`` holds the ``n_k`` samples with ``y_prob`` in ``[(k-1)/K, k/K)`` (the
    last bin includes 1), :math:`\overline{y}_k` is the fraction of class 1 among them and
    :math:`\overline{p}_k` their mean predicted probability. Empty bins contribute 0.

    Parameters
    ----------
    y_true : array_like of shape (n,)
        Binary labels in {0, 1}.
    y_prob : array_like of shape (n,)
        Predicted probabilities of class 1, in [0, 1].
    n_bins : int, default=10
        Number of equal-width bins ``K``.

    Returns
    -------
    float
        In [0, 1]; 0 for a perfectly calibrated model.

    Notes
    -----
    This is the binary ("class-1") ECE, not the top-label confidence ECE of Guo et al.
    (2017); for two classes the two differ only in how the bins are folded. ECE depends on
    the binning; compare models only with the same ``n_bins``.

    References
    ----------
    Naeini, Cooper, Hauskrecht. Obtaining Well Calibrated Probabilities Using Bayesian
    Binning. AAAI 2015.

    Examples
    --------
    >>> round(ece_loss([0, 0, 0, 1], [0.25, 0.25, 0.25, 0.25]), 4)
    0.0
    >>> round(ece_loss([0, 1], [0.9, 0.9]), 4)
    0.4
    """
    owner = "ece_loss"
    y, p = _binary_inputs(y_true, y_prob, owner)
    _check_prob(p, owner)
    _, count, sum_p, sum_y = _bin_sums(y, p, _check_n_bins(n_bins, owner))
    return float(np.sum(np.abs(sum_y - sum_p)) / y.size)


def _counts_at_thresholds(
    y: np.ndarray, s: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Distinct scores (descending) and TP / FP when predicting ``s >= t`` for each."""
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    last_of_group = np.r_[np.flatnonzero(np.diff(s_sorted)), s_sorted.size - 1]
    tp = np.cumsum(y_sorted)[last_of_group].astype(np.float64)
    fp = (last_of_group + 1).astype(np.float64) - tp
    n_pos = int(y.sum())
    return s_sorted[last_of_group], tp, fp, n_pos, y.size - n_pos


def _metric_curve(name: str, tp: np.ndarray, fp: np.ndarray, n_pos: int, n_neg: int) -> Any:
    fn = n_pos - tp
    tn = n_neg - fp
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = tp / max(n_pos, 1)
        tnr = tn / max(n_neg, 1)
        if name == "f1":
            return np.where(tp > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        if name == "balanced_accuracy":
            return 0.5 * (tpr + tnr)
        if name == "gmean":
            return np.sqrt(tpr * tnr)
        if name == "accuracy":
            return (tp + tn) / (n_pos + n_neg)
        # mcc
        den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        return np.where(den > 0, (tp * tn - fp * fn) / np.where(den > 0, den, 1.0), 0.0)


def tune_threshold(
    y_true: Any,
    y_score: Any,
    *,
    metric: str | Callable[[np.ndarray, np.ndarray], float] = "f1",
) -> float:
    """The decision threshold that maximises ``metric`` on (validation) data.

    Every distinct score is a candidate: predicting class 1 where ``y_score >= t`` for
    each. The returned threshold is the midpoint between the best candidate and the next
    lower distinct score, so it makes the same predictions on this data but does not sit
    exactly on a training score. Ties go to the highest threshold.

    Parameters
    ----------
    y_true : array_like of shape (n,)
        Binary labels in {0, 1}, both classes present.
    y_score : array_like of shape (n,)
        Scores of class 1 (probabilities or margins: any monotone score works).
    metric : {"f1", "balanced_accuracy", "gmean", "mcc", "accuracy"} or callable, \
default="f1"
        What to maximise; ``"f1"`` is the F1 score of class 1. A callable is called as
        ``metric(y_true, y_pred)`` with 0/1 predictions and must return a float (slower:
        one call per distinct score).

    Returns
    -------
    float
        The threshold ``t``; predict class 1 where ``y_score >= t``.

    Notes
    -----
    Tune on validation data, never on the test data you report. A threshold tuned for F1
    is usually far below 0.5 on imbalanced data with a model trained by log-loss.

    Examples
    --------
    >>> y = [0, 0, 0, 0, 1, 0, 1, 1]
    >>> s = [0.1, 0.2, 0.3, 0.35, 0.4, 0.6, 0.7, 0.9]
    >>> round(tune_threshold(y, s), 3)
    0.375
    """
    owner = "tune_threshold"
    y, s = _binary_inputs(y_true, y_score, owner)
    if y.min() == y.max():
        raise InvalidParameterError(f"{owner}: y_true must contain both classes 0 and 1.")
    thresholds, tp, fp, n_pos, n_neg = _counts_at_thresholds(y, s)
    if callable(metric):
        values = np.array([float(metric(y, (s >= t).astype(np.int64))) for t in thresholds])
    elif isinstance(metric, str) and metric in THRESHOLD_METRICS:
        values = _metric_curve(metric, tp, fp, n_pos, n_neg)
    else:
        raise param_error("metric", owner, f"one of {THRESHOLD_METRICS} or a callable", metric)
    best = int(np.argmax(values))
    if best + 1 < thresholds.size:
        return float(0.5 * (thresholds[best] + thresholds[best + 1]))
    return float(thresholds[best])


def _rank_metrics(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """(average precision, ROC-AUC) from one sort; ties handled as scikit-learn does."""
    _, tp, fp, n_pos, n_neg = _counts_at_thresholds(y, p)
    # average precision: sum over distinct thresholds of (R_k - R_{k-1}) P_k
    precision = tp / (tp + fp)
    recall = tp / n_pos
    ap = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
    # ROC-AUC: trapezoids between consecutive (FPR, TPR) points (ties = diagonal steps)
    tpr = np.r_[0.0, recall]
    fpr = np.r_[0.0, fp / n_neg]
    auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))
    return ap, auc


def probability_metrics(y_true: Any, y_prob: Any, *, n_bins: int = 10) -> dict[str, float]:
    """Threshold-free metrics of predicted probabilities: ranking and calibration.

    Parameters
    ----------
    y_true : array_like of shape (n,)
        Binary labels in {0, 1}, both classes present.
    y_prob : array_like of shape (n,)
        Predicted probabilities of class 1, in [0, 1].
    n_bins : int, default=10
        Bins of :func:`ece_loss`.

    Returns
    -------
    dict
        ``pr_auc_score`` (average precision, as
        :func:`sklearn.metrics.average_precision_score`), ``roc_auc_score``,
        ``log_loss`` (probabilities clipped to [1e-15, 1 - 1e-15]), ``brier_loss``,
        ``ece_loss``. Computed from one sort (tested equal to scikit-learn's functions).

    Examples
    --------
    >>> m = probability_metrics([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    >>> m["roc_auc_score"], m["pr_auc_score"]
    (0.75, 0.8333333333333333)
    """
    owner = "probability_metrics"
    y, p = _binary_inputs(y_true, y_prob, owner)
    _check_prob(p, owner)
    if y.min() == y.max():
        raise InvalidParameterError(f"{owner}: y_true must contain both classes 0 and 1.")
    ap, auc = _rank_metrics(y, p)
    pc = np.clip(p, 1e-15, 1.0 - 1e-15)
    return {
        "pr_auc_score": ap,
        "roc_auc_score": auc,
        "log_loss": float(-np.mean(np.where(y == 1, np.log(pc), np.log1p(-pc)))),
        "brier_loss": float(np.mean((p - y) ** 2)),
        "ece_loss": ece_loss(y, p, n_bins=n_bins),
    }


def threshold_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """Metrics of hard 0/1 predictions, class 1 being the minority.

    Parameters
    ----------
    y_true : array_like of shape (n,)
        Binary labels in {0, 1}.
    y_pred : array_like of shape (n,)
        Predicted labels in {0, 1}.

    Returns
    -------
    dict
        ``accuracy_score``, ``balanced_accuracy_score``, ``gmean_score``,
        ``minority_recall_score``, ``minority_precision_score`` (0 when nothing is
        predicted positive), ``minority_f1_score``, ``mcc_score`` (0 when undefined),
        ``predicted_minority_fraction``. From the confusion counts; tested equal to
        scikit-learn's functions (with ``zero_division=0``).

    Examples
    --------
    >>> m = threshold_metrics([0, 0, 0, 1], [0, 0, 1, 1])
    >>> m["minority_precision_score"], m["minority_recall_score"], m["accuracy_score"]
    (0.5, 1.0, 0.75)
    """
    owner = "threshold_metrics"
    y, pred = _binary_inputs(y_true, y_pred, owner)
    if not np.all((pred == 0) | (pred == 1)):
        raise InvalidParameterError(f"{owner}: y_pred must hold only 0 and 1.")
    pos, hit = y == 1, pred == 1
    tp = float(np.sum(pos & hit))
    fp = float(np.sum(~pos & hit))
    fn = float(np.sum(pos & ~hit))
    tn = float(np.sum(~pos & ~hit))
    n_pos, n_neg = tp + fn, tn + fp
    tpr = tp / n_pos if n_pos else 0.0
    tnr = tn / n_neg if n_neg else 0.0
    recalls = [r for r, n in ((tpr, n_pos), (tnr, n_neg)) if n]
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return {
        "accuracy_score": (tp + tn) / y.size,
        "balanced_accuracy_score": float(np.mean(recalls)),
        "gmean_score": float(np.prod(recalls) ** (1.0 / len(recalls))),
        "minority_recall_score": tpr,
        "minority_precision_score": tp / (tp + fp) if tp + fp else 0.0,
        "minority_f1_score": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
        "mcc_score": float((tp * tn - fp * fn) / den) if den > 0 else 0.0,
        "predicted_minority_fraction": (tp + fp) / y.size,
    }


def imbalance_metrics(
    y_true: Any, y_prob: Any, *, threshold: float = 0.5, n_bins: int = 10
) -> dict[str, float]:
    """Every metric of an honest imbalanced evaluation, at one decision threshold.

    The union of :func:`threshold_metrics` (of ``y_prob >= threshold``) and
    :func:`probability_metrics`, plus the majority-class baseline.

    Parameters
    ----------
    y_true : array_like of shape (n,)
        Binary labels in {0, 1}, both classes present; class 1 is the minority.
    y_prob : array_like of shape (n,)
        Predicted probabilities of class 1, in [0, 1].
    threshold : float, default=0.5
        Predict class 1 where ``y_prob >= threshold``.
    n_bins : int, default=10
        Bins of the expected calibration error (:func:`ece_loss`).

    Returns
    -------
    dict
        Keys in :data:`METRIC_INFO` order plus ``"threshold"``: ``accuracy_score`` and
        ``majority_baseline_score`` (accuracy of always predicting the majority class),
        ``balanced_accuracy_score``, ``gmean_score``, ``minority_recall_score``,
        ``minority_precision_score`` (0 when nothing is predicted positive),
        ``minority_f1_score``, ``mcc_score`` (0 when undefined), ``pr_auc_score``
        (average precision), ``roc_auc_score``, ``log_loss``, ``brier_loss``,
        ``ece_loss`` (these five do not depend on the threshold),
        ``predicted_minority_fraction``.

    Examples
    --------
    >>> m = imbalance_metrics([0, 0, 0, 1], [0.1, 0.2, 0.6, 0.7])
    >>> m["accuracy_score"], m["majority_baseline_score"], round(m["minority_f1_score"], 4)
    (0.75, 0.75, 0.6667)
    """
    owner = "imbalance_metrics"
    y, p = _binary_inputs(y_true, y_prob, owner)
    t = float(threshold)
    if not np.isfinite(t):
        raise param_error("threshold", owner, "a finite float", threshold)
    free = probability_metrics(y, p, n_bins=n_bins)
    hard = threshold_metrics(y, (p >= t).astype(np.int64))
    prevalence = float(y.mean())
    merged = {**hard, **free, "majority_baseline_score": max(prevalence, 1.0 - prevalence)}
    return {**{k: merged[k] for k in METRIC_INFO}, "threshold": t}
