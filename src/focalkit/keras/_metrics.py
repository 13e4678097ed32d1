"""Keras metrics for imbalanced binary / multi-label problems, written with ``keras.ops``.

Keras has ``AUC(curve="PR")`` (an interpolated PR-AUC over fixed thresholds) and
``F1Score`` (probabilities only, 2-D inputs); the metrics users of focal loss watch during
``fit`` are the step-wise average precision (scikit-learn's ``average_precision_score``)
and the minority class's F1 at a decision threshold, on the logits the losses here train.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import keras
from focalkit.exceptions import InvalidParameterError
from keras import ops

__all__ = ["AveragePrecision", "MinorityF1Score"]


def _scores(y_pred: Any, from_logits: bool) -> Any:
    y_pred = ops.convert_to_tensor(y_pred)
    return ops.sigmoid(ops.cast(y_pred, "float32")) if from_logits \
        else ops.cast(y_pred, "float32")


def _weights(sample_weight: Any, like: Any) -> Any:
    if sample_weight is None:
        return ops.ones_like(like)
    w = ops.cast(ops.convert_to_tensor(sample_weight), "float32")
    while w.ndim < like.ndim:
        w = ops.expand_dims(w, -1)
    return ops.broadcast_to(w, ops.shape(like))


def _flat_pair(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    from keras.src.losses.loss import squeeze_or_expand_to_same_rank

    y_true = ops.cast(ops.convert_to_tensor(y_true), "float32")
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return y_true, y_pred


@keras.saving.register_keras_serializable(package="focalkit")
class AveragePrecision(keras.metrics.Metric):
    r"""Average precision of the positive class, streamed over batches.

    .. math:: \mathrm{AP} = \sum_k (R_k - R_{k-1})\, P_k

    over the thresholds in decreasing order (scikit-learn's ``average_precision_score``,
    step-wise, no interpolation). Scores are counted in ``num_bins`` equal bins of the
    probability, so the value is exact when no two samples of different classes share a
    bin, and within about ``1 / num_bins`` otherwise. Multi-label targets are pooled
    (micro average).

    Parameters
    ----------
    num_bins : int, default=2000
    from_logits : bool, default=True
        Predictions are logits (focalkit's losses train on logits).
    name, dtype
        As in ``keras.metrics.Metric``.

    Examples
    --------
    >>> import numpy as np
    >>> from focalkit.keras import AveragePrecision
    >>> m = AveragePrecision()
    >>> m.update_state(np.array([1, 0, 1, 0]), np.array([2.0, 1.0, -1.0, -2.0]))
    >>> round(float(m.result()), 4)
    0.8333
    """

    def __init__(self, num_bins: int = 2000, from_logits: bool = True,
                 name: str = "average_precision", dtype: Any = None) -> None:
        if not isinstance(num_bins, (int, np.integer)) or num_bins < 2:
            raise InvalidParameterError(
                f"The 'num_bins' parameter of AveragePrecision must be an int >= 2. "
                f"Got {num_bins!r}.")
        super().__init__(name=name, dtype=dtype)
        self.num_bins = int(num_bins)
        self.from_logits = bool(from_logits)
        self.pos = self.add_variable(shape=(self.num_bins,), initializer="zeros",
                                     name="positives", dtype="float32")
        self.neg = self.add_variable(shape=(self.num_bins,), initializer="zeros",
                                     name="negatives", dtype="float32")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add a batch."""
        p = _scores(y_pred, self.from_logits)
        y, p = _flat_pair(y_true, p)
        w = _weights(sample_weight, p)
        idx = ops.cast(ops.clip(ops.floor(p * self.num_bins), 0, self.num_bins - 1), "int32")
        idx, w, y = ops.reshape(idx, (-1,)), ops.reshape(w, (-1,)), ops.reshape(y, (-1,))
        pos = ops.cast(y > 0.5, "float32") * w
        counts = ops.segment_sum(ops.stack([pos, w - pos], axis=1), idx,
                                 num_segments=self.num_bins)  # static size (jit)
        self.pos.assign_add(counts[:, 0])
        self.neg.assign_add(counts[:, 1])

    def result(self) -> Any:
        """AP over the batches seen (0 before any positive)."""
        pos = ops.flip(ops.convert_to_tensor(self.pos), 0)  # highest scores first
        neg = ops.flip(ops.convert_to_tensor(self.neg), 0)
        tp, fp = ops.cumsum(pos), ops.cumsum(neg)
        precision = ops.divide_no_nan(tp, tp + fp)
        return ops.divide_no_nan(ops.sum(pos * precision), ops.sum(pos))

    def reset_state(self) -> None:
        """Forget the batches seen."""
        self.pos.assign(ops.zeros((self.num_bins,)))
        self.neg.assign(ops.zeros((self.num_bins,)))

    def get_config(self) -> dict[str, Any]:
        """Keras config."""
        return {**super().get_config(), "num_bins": self.num_bins,
                "from_logits": self.from_logits}


@keras.saving.register_keras_serializable(package="focalkit")
class MinorityF1Score(keras.metrics.Metric):
    """F1 score of the positive (minority) class at a probability threshold.

    Parameters
    ----------
    threshold : float, default=0.5
        Predicted positive when the probability is >= threshold.
    from_logits : bool, default=True
    name, dtype
        As in ``keras.metrics.Metric``.

    Examples
    --------
    >>> import numpy as np
    >>> from focalkit.keras import MinorityF1Score
    >>> m = MinorityF1Score()
    >>> m.update_state(np.array([1, 0, 1, 0]), np.array([2.0, 1.0, -1.0, -2.0]))
    >>> round(float(m.result()), 4)
    0.5
    """

    def __init__(self, threshold: float = 0.5, from_logits: bool = True,
                 name: str = "minority_f1", dtype: Any = None) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) \
                or not 0.0 < float(threshold) < 1.0:
            raise InvalidParameterError(
                f"The 'threshold' parameter of MinorityF1Score must be a float in (0, 1). "
                f"Got {threshold!r}.")
        super().__init__(name=name, dtype=dtype)
        self.threshold = float(threshold)
        self.from_logits = bool(from_logits)
        self.counts = self.add_variable(shape=(3,), initializer="zeros", name="tp_fp_fn",
                                        dtype="float32")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add a batch."""
        p = _scores(y_pred, self.from_logits)
        y, p = _flat_pair(y_true, p)
        w = _weights(sample_weight, p)
        pred = ops.cast(p >= self.threshold, "float32")
        true = ops.cast(y > 0.5, "float32")
        tp = ops.sum(w * pred * true)
        fp = ops.sum(w * pred * (1.0 - true))
        fn = ops.sum(w * (1.0 - pred) * true)
        self.counts.assign_add(ops.stack([tp, fp, fn]))

    def result(self) -> Any:
        """2 TP / (2 TP + FP + FN) (0 when undefined)."""
        c = ops.convert_to_tensor(self.counts)
        return ops.divide_no_nan(2.0 * c[0], 2.0 * c[0] + c[1] + c[2])

    def reset_state(self) -> None:
        """Forget the batches seen."""
        self.counts.assign(ops.zeros((3,)))

    def get_config(self) -> dict[str, Any]:
        """Keras config."""
        return {**super().get_config(), "threshold": self.threshold,
                "from_logits": self.from_logits}
