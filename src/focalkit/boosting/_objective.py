"""Shared margin -> (gradient, Hessian, initial score, loss) logic for every booster adapter.

Everything here delegates the mathematics to :mod:`focalkit._core` (or to the fused kernel
in :mod:`focalkit.boosting._fast`, which is tested against ``_core``). The two classes only
validate arguments once, check labels and shapes, broadcast per-label parameters and apply
sample weights; the booster modules translate signatures and signs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit._core import (
    binary_focal_grad_hess,
    binary_focal_init_score,
    binary_focal_loss,
    resolve_alpha,
    resolve_class_weight,
    softmax_focal_grad_hess,
    softmax_focal_init_score,
    softmax_focal_loss,
)
from focalkit._core._validation import (
    check_alpha,
    check_gamma,
    check_hessian,
    check_nonneg_float,
    param_error,
)
from focalkit.boosting._fast import binary_focal_grad_hess_fast, hard_target_grad_hess
from focalkit.exceptions import InvalidParameterError

__all__ = ["SigmoidFocal", "SoftmaxFocal", "per_label_alpha", "unpack_native"]


def unpack_native(a: Any, b: Any, weight: Any) -> tuple[np.ndarray, np.ndarray, Any, bool]:
    """(predictions, labels, weights, native) from either calling convention.

    Native (XGBoost, LightGBM): ``(preds, data)`` where ``data`` (a DMatrix or Dataset) has
    ``get_label`` and ``get_weight``; scikit-learn's: ``(y_true, y_pred)`` with ``weight``
    passed separately. ``native`` tells which one was used.
    """
    if hasattr(b, "get_label") and hasattr(b, "get_weight"):
        return np.asarray(a), np.asarray(b.get_label()), b.get_weight(), True
    return np.asarray(b), np.asarray(a), weight, False


def per_label_alpha(alpha: Any, k: int) -> list[float | None]:
    """``alpha`` (None, a float or one per label) as a list of ``k`` floats or Nones."""
    if alpha is None:
        return [None] * k
    return [float(a) for a in np.broadcast_to(np.asarray(alpha, dtype=float), (k,))]


def _weights(weight: Any, n: int) -> np.ndarray | None:
    """Booster weights: None or an empty array mean "no weights"."""
    if weight is None:
        return None
    w = np.asarray(weight).reshape(-1)
    if w.size == 0:
        return None
    if w.shape[0] != n:
        raise InvalidParameterError(
            f"sample weights must have one entry per row ({n}); got shape {w.shape}."
        )
    return w


def _check_threads(n_threads: Any, owner: str) -> int | None:
    if n_threads is None:
        return None
    if isinstance(n_threads, bool) or not isinstance(n_threads, (int, np.integer)) or n_threads < 1:
        raise param_error("n_threads", owner, "None or an int >= 1", n_threads)
    return int(n_threads)


class SigmoidFocal:
    """Sigmoid focal loss for boosters: binary (1-D margins) or multi-label ((n, K) margins).

    Parameters
    ----------
    gamma : float or vector
        Focusing parameter, or one per label.
    alpha : None, float, vector or "balanced"
        Positive-class weight (per label allowed); "balanced" is resolved from the labels
        of each call (the training labels) unless :meth:`resolved` fixed it.
    hessian : {"irls", "clipped", "exact"}
        Hessian policy (see :func:`focalkit.binary_focal_hessian`).
    hessian_floor : float
        Floor of "clipped".
    n_threads : int or None
        Threads of the fused kernel.
    owner : str
        Class name used in error messages.
    """

    def __init__(
        self,
        *,
        gamma: Any = 2.0,
        alpha: Any = None,
        hessian: str = "irls",
        hessian_floor: float = 1e-6,
        n_threads: int | None = None,
        owner: str = "SigmoidFocal",
    ) -> None:
        self.owner = owner
        self.gamma = check_gamma(gamma, owner)
        self.alpha = check_alpha(alpha, owner)
        self.hessian = check_hessian(hessian, owner)
        self.hessian_floor = check_nonneg_float(hessian_floor, "hessian_floor", owner)
        self.n_threads = _check_threads(n_threads, owner)

    # -- labels and parameters -------------------------------------------------------------
    def check_labels(self, y: Any, margin_shape: tuple[int, ...] | None = None) -> np.ndarray:
        """Labels as a float array shaped like the margins; values must lie in [0, 1]."""
        arr = np.asarray(y)
        if arr.dtype.kind not in "biuf":
            raise InvalidParameterError(
                f"{self.owner} needs numeric labels in {{0, 1}}; got dtype {arr.dtype}."
            )
        if margin_shape is not None and arr.shape != tuple(margin_shape):
            if arr.size != int(np.prod(margin_shape)):
                raise InvalidParameterError(
                    f"predictions and labels must have the same shape; got "
                    f"{tuple(margin_shape)} and {arr.shape}."
                )
            arr = arr.reshape(margin_shape)
        if arr.size and (arr.min() < 0 or arr.max() > 1):
            bad = arr[(arr < 0) | (arr > 1)].reshape(-1)[:3].tolist()
            raise InvalidParameterError(
                f"{self.owner} needs labels in {{0, 1}} (or soft targets in [0, 1]); "
                f"got values such as {bad}. For more than two classes use the softmax "
                "objective; for several labels pass a 2-D 0/1 matrix."
            )
        return arr

    def resolved_alpha(self, y: Any, sample_weight: Any = None) -> Any:
        """``alpha`` with "balanced" resolved against labels ``y``."""
        return resolve_alpha(self.alpha, y, sample_weight=sample_weight, owner=self.owner)

    def _per_label(self, k: int | None) -> None:
        for name, v in (("gamma", self.gamma), ("alpha", self.alpha)):
            if v is None or isinstance(v, (str, float)):
                continue
            if k is None or np.shape(v) != (k,):
                where = "1-D margins (binary)" if k is None else f"{k} labels"
                raise param_error(
                    name, self.owner, f"a float (or one value per label) for {where}", v
                )

    # -- booster quantities ------------------------------------------------------------------
    def grad_hess(self, margin: Any, y: Any, weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian, shaped like ``margin`` ((n,) or (n, K)), weighted by rows."""
        z = np.asarray(margin)
        if z.ndim not in (1, 2):
            raise InvalidParameterError(
                f"{self.owner} expects margins of shape (n,) or (n, K); got {z.shape}."
            )
        fast = self._hard_target_fast_path(z, y, weight)
        if fast is not None:
            return fast
        y = self.check_labels(y, z.shape)
        k = None if z.ndim == 1 else z.shape[1]
        self._per_label(k)
        w = _weights(weight, z.shape[0])
        alpha = self.resolved_alpha(y) if isinstance(self.alpha, str) else self.alpha
        if z.ndim == 1 or (np.ndim(self.gamma) == 0 and np.ndim(alpha) == 0):
            ww = None if w is None else (w if z.ndim == 1 else np.repeat(w, z.shape[1]))
            g, h = binary_focal_grad_hess_fast(
                z.reshape(-1), y.reshape(-1), gamma=float(self.gamma), alpha=alpha,
                weight=ww, n_threads=self.n_threads, hessian=self.hessian,
                hessian_floor=self.hessian_floor,
            )
            return g.reshape(z.shape), h.reshape(z.shape)
        g = np.empty(z.shape, dtype=z.dtype if z.dtype.kind == "f" else np.float64)
        h = np.empty_like(g)
        gammas = np.broadcast_to(np.asarray(self.gamma, dtype=float), (z.shape[1],))
        alphas = per_label_alpha(alpha, z.shape[1])
        for j in range(z.shape[1]):
            g[:, j], h[:, j] = binary_focal_grad_hess_fast(
                np.ascontiguousarray(z[:, j]), np.ascontiguousarray(y[:, j]),
                gamma=float(gammas[j]), alpha=alphas[j], weight=w, n_threads=self.n_threads,
                hessian=self.hessian, hessian_floor=self.hessian_floor,
            )
        return g, h

    def _hard_target_fast_path(
        self, z: np.ndarray, y: Any, weight: Any
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The one-pass kernel for float32 margins and 0/1 labels (XGBoost's case), or None.

        The kernel reads each label once and counts those that are not exactly 0 or 1; on
        any such label it returns None and the general path validates and computes.
        """
        if (
            self.hessian != "irls" or z.dtype != np.float32 or isinstance(self.alpha, str)
            or np.ndim(self.gamma) or np.ndim(self.alpha)
        ):
            return None
        yv = np.asarray(y)
        if yv.size != z.size or (yv.shape != z.shape and yv.ndim != 1):
            return None
        w = _weights(weight, z.shape[0])
        if w is not None and z.ndim == 2:
            w = np.repeat(w, z.shape[1])
        out = hard_target_grad_hess(
            z.reshape(-1), yv.reshape(-1), gamma=float(self.gamma), alpha=self.alpha,
            weight=w, n_threads=self.n_threads,
        )
        return None if out is None else (out[0].reshape(z.shape), out[1].reshape(z.shape))

    def grad_hess_core(self, margin: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Unweighted gradient and Hessian through ``_core``'s NumPy path (for tests)."""
        z = np.asarray(margin, dtype=float)
        y = self.check_labels(y, z.shape)
        alpha = self.resolved_alpha(y) if isinstance(self.alpha, str) else self.alpha
        return binary_focal_grad_hess(
            z, y, gamma=self.gamma, alpha=alpha,
            hessian=self.hessian, hessian_floor=self.hessian_floor,
        )

    def loss(self, margin: Any, y: Any, weight: Any = None) -> float:
        """Weighted mean focal loss over rows (summed over labels for multi-label)."""
        z = np.asarray(margin, dtype=float)
        y = self.check_labels(y, z.shape)
        alpha = self.resolved_alpha(y) if isinstance(self.alpha, str) else self.alpha
        per = binary_focal_loss(z, y, gamma=self.gamma, alpha=alpha)
        per = per.reshape(z.shape[0], -1).sum(axis=1)
        w = _weights(weight, z.shape[0])
        return float(np.average(per, weights=w))

    def init_score(self, y: Any, sample_weight: Any = None) -> Any:
        """Optimal constant margin: a float (binary) or one per label (2-D ``y``)."""
        arr = self.check_labels(y)
        if arr.ndim not in (1, 2):
            raise InvalidParameterError(
                f"{self.owner}: y must be of shape (n,) or (n, K); got {arr.shape}."
            )
        self._per_label(None if arr.ndim == 1 else arr.shape[1])
        alpha = self.resolved_alpha(arr, sample_weight)
        return binary_focal_init_score(
            arr, gamma=self.gamma, alpha=alpha, sample_weight=sample_weight
        )


class SoftmaxFocal:
    """Softmax (multi-class) focal loss for boosters: margins (n, C), integer labels (n,).

    Parameters
    ----------
    gamma : float or vector
        Focusing parameter, or one per class.
    class_weight : None, vector, dict, "balanced" or "effective_number"
        Per-class weights; strings are resolved from the labels of each call.
    hessian : {"irls", "clipped", "exact"}
        Diagonal Hessian policy (see :func:`focalkit.softmax_focal_grad_hess`).
    hessian_floor : float
        Floor of "clipped".
    hessian_scale : float
        Booster convention factor on the Hessian (XGBoost's ``multi:softprob`` uses
        ``2 p (1 - p)``, LightGBM's ``multiclass`` ``C / (C - 1) p (1 - p)``); with it,
        ``gamma=0`` reproduces the built-in model exactly. 0 means ``C / (C - 1)``.
    owner : str
        Class name used in error messages.
    """

    def __init__(
        self,
        *,
        gamma: Any = 2.0,
        class_weight: Any = None,
        hessian: str = "irls",
        hessian_floor: float = 1e-6,
        hessian_scale: float = 1.0,
        owner: str = "SoftmaxFocal",
    ) -> None:
        self.owner = owner
        self.gamma = check_gamma(gamma, owner)
        if class_weight is not None and not isinstance(class_weight, str):
            class_weight = resolve_class_weight(class_weight, owner=owner)
        elif isinstance(class_weight, str):
            resolve_class_weight(class_weight, [0, 1], owner=owner)  # validates the string
        self.class_weight = class_weight
        self.hessian = check_hessian(hessian, owner)
        self.hessian_floor = check_nonneg_float(hessian_floor, "hessian_floor", owner)
        self.hessian_scale = check_nonneg_float(hessian_scale, "hessian_scale", owner)

    def check_labels(self, y: Any, n_classes: int, n_rows: int | None = None) -> np.ndarray:
        """Integer labels in 0..C-1, shape (n,)."""
        arr = np.asarray(y)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1 or (n_rows is not None and arr.shape[0] != n_rows):
            raise InvalidParameterError(
                f"{self.owner} expects labels of shape ({n_rows if n_rows else 'n'},) with "
                f"predictions of shape (n, {n_classes}); got labels of shape {arr.shape}."
            )
        if arr.dtype.kind not in "biuf":
            raise InvalidParameterError(
                f"{self.owner} needs integer class labels; got dtype {arr.dtype}."
            )
        if arr.size and (
            arr.min() < 0 or arr.max() >= n_classes or np.any(arr != np.round(arr))
        ):
            raise InvalidParameterError(
                f"{self.owner} needs integer labels in 0..{n_classes - 1}; got values in "
                f"[{arr.min()}, {arr.max()}]. Encode the classes first (e.g. LabelEncoder)."
            )
        return arr.astype(np.intp)

    def _class_weight(self, labels: np.ndarray, n_classes: int, sample_weight: Any = None) -> Any:
        if isinstance(self.class_weight, str):
            return resolve_class_weight(
                self.class_weight, labels, n_classes=n_classes,
                sample_weight=sample_weight, owner=self.owner,
            )
        if self.class_weight is not None and self.class_weight.shape != (n_classes,):
            raise param_error(
                "class_weight", self.owner, f"a vector of length {n_classes}",
                self.class_weight,
            )
        return self.class_weight

    def _check_gamma(self, n_classes: int) -> None:
        if np.ndim(self.gamma) == 1 and np.shape(self.gamma) != (n_classes,):
            raise param_error(
                "gamma", self.owner, f"a float or one value per class ({n_classes})", self.gamma
            )

    def _margin(self, margin: Any) -> np.ndarray:
        z = np.asarray(margin)
        if z.ndim != 2 or z.shape[1] < 2:
            raise InvalidParameterError(
                f"{self.owner} expects margins of shape (n, C) with C >= 2; got {z.shape}."
            )
        return z

    def grad_hess(self, margin: Any, y: Any, weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and diagonal Hessian, shape (n, C), weighted by rows."""
        z = self._margin(margin)
        n, c = z.shape
        labels = self.check_labels(y, c, n)
        self._check_gamma(c)
        scale = self.hessian_scale if self.hessian_scale > 0 else c / (c - 1.0)
        g, h = softmax_focal_grad_hess(
            z, labels, gamma=self.gamma, class_weight=self._class_weight(labels, c),
            hessian=self.hessian, hessian_floor=self.hessian_floor,
        )
        h = h * scale
        w = _weights(weight, n)
        if w is not None:
            w = w.astype(g.dtype, copy=False)[:, None]
            g, h = g * w, h * w
        return g, h

    def loss(self, margin: Any, y: Any, weight: Any = None) -> float:
        """Weighted mean softmax focal loss."""
        z = self._margin(np.asarray(margin, dtype=float))
        labels = self.check_labels(y, z.shape[1], z.shape[0])
        self._check_gamma(z.shape[1])
        per = softmax_focal_loss(
            z, labels, gamma=self.gamma,
            class_weight=self._class_weight(labels, z.shape[1]),
        )
        return float(np.average(per, weights=_weights(weight, z.shape[0])))

    def init_score(self, y: Any, n_classes: int | None = None, sample_weight: Any = None) -> Any:
        """Optimal constant logits (C,), centred."""
        arr = np.asarray(y).reshape(-1)
        c = int(n_classes if n_classes is not None else arr.max() + 1)
        labels = self.check_labels(arr, c)
        self._check_gamma(c)
        return softmax_focal_init_score(
            labels, c, gamma=self.gamma,
            class_weight=self._class_weight(labels, c, sample_weight),
            sample_weight=sample_weight,
        )
