"""Metrics of a probability map against the masks: per pixel, per object, per image.

* per pixel: average precision (PR-AUC), the best F1 over all thresholds (an oracle, on the
  test pixels), F1 at the threshold tuned on the validation pixels, and calibration
  (ECE, Brier, log-loss);
* per object (FROC): every local maximum of the probability map is a detection with its
  probability as score; it hits a disc if it lies on one (several hits on the same disc
  count once), otherwise it is a false positive. Recall at a fixed number of false
  positives per image;
* per image: the Dice coefficient of the thresholded map, averaged over the images that
  hold at least one object.

NumPy and SciPy only (``scipy.ndimage.maximum_filter`` finds the maxima).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage

from focalkit.metrics import probability_metrics

__all__ = ["FP_RATES", "average_precision", "best_f1", "dice_per_image", "f1_at", "froc",
           "object_metrics", "pixel_metrics", "pr_curve", "recall_at_fp"]

#: False positives per image at which the detection recall is reported.
FP_RATES = (0.1, 0.5, 1.0)


def pr_curve(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(precision, recall, threshold) at every distinct score, highest threshold first."""
    order = np.argsort(-p, kind="mergesort")
    ys, ps = y[order], p[order]
    last = np.r_[np.flatnonzero(np.diff(ps)), ps.size - 1]  # last index of each score
    tp = np.cumsum(ys)[last]
    fp = (last + 1) - tp
    n_pos = max(int(ys.sum()), 1)
    return tp / (tp + fp), tp / n_pos, ps[last]


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    """Average precision (scikit-learn's definition): sum of (R_k - R_{k-1}) P_k."""
    precision, recall, _ = pr_curve(y, p)
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _f1(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = 2 * precision * recall / (precision + recall)
    return np.nan_to_num(f1)


def best_f1(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """The largest F1 over all thresholds, and that threshold."""
    precision, recall, thr = pr_curve(y, p)
    f1 = _f1(precision, recall)
    i = int(np.argmax(f1))
    return float(f1[i]), float(thr[i])


def f1_at(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    """F1 of the foreground when predicting it where ``p >= threshold``."""
    pred = p >= threshold
    tp = float(np.sum(pred & (y > 0.5)))
    denom = float(pred.sum() + (y > 0.5).sum())
    return 2 * tp / denom if denom else 1.0


def pixel_metrics(y: np.ndarray, p: np.ndarray, threshold: float, *, n_bins: int = 15
                  ) -> dict[str, float]:
    """Pixel metrics of probabilities ``p`` (flat) against 0/1 labels ``y``.

    ``threshold`` is the validation-tuned threshold (its F1 is ``f1_tuned_score``);
    ``f1_at_half_score`` uses 0.5, ``best_f1_score`` the best threshold on this data.
    """
    m = probability_metrics(y, p, n_bins=n_bins)
    best, best_thr = best_f1(y, p)
    return {
        "pr_auc_score": m["pr_auc_score"],
        "roc_auc_score": m["roc_auc_score"],
        "best_f1_score": best,
        "best_f1_threshold": best_thr,
        "f1_tuned_score": f1_at(y, p, threshold),
        "f1_at_half_score": f1_at(y, p, 0.5),
        "ece_loss": m["ece_loss"],
        "brier_loss": m["brier_loss"],
        "log_loss": m["log_loss"],
        "mean_fg_probability": float(p[y > 0.5].mean()) if (y > 0.5).any() else float("nan"),
        "mean_bg_probability": float(p[y < 0.5].mean()),
    }


def froc(prob: np.ndarray, objects: np.ndarray, *, floor: float = 1e-4
         ) -> tuple[np.ndarray, np.ndarray]:
    """The FROC curve: (false positives per image, object recall) as the score threshold falls.

    Parameters
    ----------
    prob : ndarray of shape (n, H, W)
        Probability maps.
    objects : ndarray of shape (n, H, W)
        Object ids (0 background).
    floor : float, default=1e-4
        Maxima below this probability are not detections.
    """
    n = prob.shape[0]
    peaks = (prob == ndimage.maximum_filter(prob, size=(1, 3, 3), mode="constant",
                                            cval=-1.0)) & (prob >= floor)
    img, yy, xx = np.nonzero(peaks)
    score = prob[img, yy, xx]
    obj = objects[img, yy, xx].astype(np.int64)
    # a global id per object; 0 stays "no object"
    offset = np.r_[0, np.cumsum(objects.reshape(n, -1).max(1))][:-1]
    gid = np.where(obj > 0, obj + offset[img], 0)
    n_obj = int(objects.reshape(n, -1).max(1).sum())
    order = np.argsort(-score, kind="mergesort")
    gid = gid[order]
    fp = np.cumsum(gid == 0)
    first = np.zeros(gid.size, bool)
    hits = gid > 0
    if hits.any():
        _, idx = np.unique(gid[hits], return_index=True)
        first[np.flatnonzero(hits)[idx]] = True
    tp = np.cumsum(first)
    fppi = np.r_[0.0, fp / n]
    recall = np.r_[0.0, tp / max(n_obj, 1)]
    return fppi, recall


def recall_at_fp(fppi: np.ndarray, recall: np.ndarray, rate: float) -> float:
    """The best recall with at most ``rate`` false positives per image."""
    ok = fppi <= rate
    return float(recall[ok].max()) if ok.any() else 0.0


def dice_per_image(prob: np.ndarray, mask: np.ndarray, threshold: float) -> np.ndarray:
    """Dice of ``prob >= threshold`` per image that holds foreground (1-D array)."""
    pred = prob >= threshold
    truth = mask > 0.5
    has = truth.reshape(truth.shape[0], -1).any(1)
    inter = (pred & truth).reshape(pred.shape[0], -1).sum(1)
    total = pred.reshape(pred.shape[0], -1).sum(1) + truth.reshape(truth.shape[0], -1).sum(1)
    return (2.0 * inter[has] / total[has]).astype(np.float64)


def object_metrics(prob: np.ndarray, objects: np.ndarray, mask: np.ndarray,
                   threshold: float) -> dict[str, Any]:
    """Recall at each of :data:`FP_RATES` false positives per image and Dice per image."""
    fppi, recall = froc(prob, objects)
    out: dict[str, Any] = {
        f"recall_at_{r:g}fp_score": recall_at_fp(fppi, recall, r) for r in FP_RATES
    }
    dice = dice_per_image(prob, mask, threshold)
    out["dice_tuned_score"] = float(dice.mean()) if dice.size else float("nan")
    half = dice_per_image(prob, mask, 0.5)
    out["dice_at_half_score"] = float(half.mean()) if half.size else float("nan")
    return out
