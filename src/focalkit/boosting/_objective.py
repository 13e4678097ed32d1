"""The loss side of every booster adapter: any registered loss, for any booster.

A booster module (:mod:`.xgboost`, :mod:`.lightgbm`, :mod:`.catboost`) translates its
library's calling convention and hands margins, labels and row weights to a
:class:`BoosterLoss`. That holds the loss's sigmoid and / or softmax spec from the registry
(:mod:`focalkit._core.losses`) and picks the form by the layout of the data, as the
classifiers do:

* margins ``(n,)``, or ``(n, K)`` with as many labels: the sigmoid form (binary,
  multi-label), :class:`SigmoidForm`;
* margins ``(n, C)`` with one label per row: the softmax form (multi-class),
  :class:`SoftmaxForm`.

Everything loss-related is here and in the spec: label checks, per-label / per-class
parameter shapes, label-dependent parameters (:meth:`~focalkit.losses.LossSpec.resolve`
on the labels of the call unless :meth:`BoosterLoss.resolve` fixed them on the training
labels), the spec's Hessian policies, the booster's Hessian scale of the softmax form,
row weights, the metric value and the optimal constant initial score. A spec may have a
fast hook (:data:`focalkit.boosting._fast.FAST_HOOKS`: the fused kernels of sigmoid focal
loss); the result is the same, only faster.
"""

from __future__ import annotations

import copy
import math
from typing import Any, TypeVar

import numpy as np

from focalkit._core._generic_init import label_params
from focalkit._core._validation import check_in, check_int, check_nonneg_float, param_error
from focalkit._core.losses import KINDS, canonical_name, get_loss, loss_names, make_loss
from focalkit._core.losses._spec import LossSpec
from focalkit._core.weights import _weights
from focalkit.boosting._fast import (
    FAST_HOOKS,
    serial_grad_hess_into,
    serial_kernel_args,
    serial_loss_mean,
)
from focalkit.boosting._fast_softmax import (
    diag_grad_hess,
    matrix_kernel_args,
    one_object_grad_hess_matrix,
)
from focalkit.exceptions import InvalidParameterError

T = TypeVar("T")

__all__ = [
    "BoosterLoss",
    "SigmoidForm",
    "SoftmaxForm",
    "adapter",
    "init_args",
    "init_rows",
    "row_weights",
    "unpack_native",
]


# ----------------------------------------------------------------------- plumbing
def unpack_native(a: Any, b: Any, weight: Any) -> tuple[np.ndarray, np.ndarray, Any, bool]:
    """(predictions, labels, weights, native) from either calling convention.

    Native (XGBoost, LightGBM): ``(preds, data)`` where ``data`` (a DMatrix or Dataset) has
    ``get_label`` and ``get_weight``; scikit-learn's: ``(y_true, y_pred)`` with ``weight``
    passed separately. ``native`` tells which one was used.
    """
    if hasattr(b, "get_label") and hasattr(b, "get_weight"):
        return np.asarray(a), np.asarray(b.get_label()), b.get_weight(), True
    return np.asarray(b), np.asarray(a), weight, False


def weighted_mean(values: np.ndarray, weights: np.ndarray | None) -> float:
    """The metrics' weighted mean; NaN when the weights sum to 0 (nothing to average)."""
    if weights is None:
        return float(np.mean(values))
    total = float(np.sum(weights, dtype=np.float64))
    return float(np.dot(values, weights) / total) if total > 0 else math.nan


def row_weights(weight: Any, n: int) -> np.ndarray | None:
    """Booster row weights: None (also for the empty array boosters pass) or ``n`` weights.

    The dtype is kept (XGBoost's float32 weights go to the float32 kernel as they are);
    a wrong length or a negative / non-finite weight raises the error of
    :func:`focalkit._core.weights._weights`.
    """
    if weight is None:
        return None
    w = np.asarray(weight).reshape(-1)
    if w.size == 0:
        return None
    if w.shape[0] != n or w.dtype.kind not in "biuf" or not (w.min() >= 0) \
            or not np.isfinite(w.max()):
        _weights(w, n)  # raises the house message
        raise InvalidParameterError(f"sample weights must be {n} numbers; got {w.dtype}.")
    return w


def init_rows(init: Any, m: int) -> np.ndarray:
    """The initial score for ``m`` rows: (m,) for a scalar, (m, C) or (m, K) for a vector."""
    return np.tile(init, (m, 1)) if np.ndim(init) else np.full(m, float(init))


def adapter(cls: type[T], loss: BoosterLoss, **attrs: Any) -> T:
    """An instance of the booster class ``cls`` around an already-built :class:`BoosterLoss`.

    Used by the classifiers (which resolve the loss on the training labels first); the
    result pickles like an object built by its ``__init__``.
    """
    obj = object.__new__(cls)
    attrs = {"_loss": loss, "loss": loss.name, **attrs}
    for key, value in attrs.items():
        setattr(obj, key, value)
    return obj


def init_args(sample_weight: Any, n_classes: Any) -> tuple[Any, int | None]:
    """``(sample_weight, n_classes)`` of ``init_score(y, sample_weight, n_classes)``.

    The older softmax classes took ``init_score(y, n_classes, sample_weight)``: an integer
    in the second place, or weights in the third, are read in that order.
    """
    if (isinstance(sample_weight, (int, np.integer)) and not isinstance(sample_weight, bool)) \
            or (n_classes is not None and np.ndim(n_classes) >= 1):
        sample_weight, n_classes = n_classes, sample_weight
    return sample_weight, (None if n_classes is None else int(n_classes))


def _is_vector(value: Any) -> bool:
    return not isinstance(value, (str, dict)) and value is not None and np.ndim(value) == 1


# ----------------------------------------------------------------------- sigmoid form
class SigmoidForm:
    """A sigmoid spec for boosters: margins ``(n,)`` (binary) or ``(n, K)`` (multi-label).

    Parameters
    ----------
    spec : SigmoidLoss
        A registry spec instance (validated parameters).
    hessian : str or None
        One of ``spec.hessians``; None: the spec's first (default) policy.
    hessian_floor : float
        Floor of ``"clipped"``.
    n_threads : int or None
        Threads of a fast hook's kernel.
    """

    kind = "sigmoid"

    def __init__(self, spec: LossSpec, *, hessian: str | None = None,
                 hessian_floor: float = 1e-6, n_threads: int | None = None) -> None:
        self.spec = spec
        self.owner = spec.owner
        self.hessian = spec.check_hessian(hessian)
        self.hessian_floor = hessian_floor
        self.n_threads = n_threads
        self._fast = FAST_HOOKS.get(type(spec))
        self._serial: Any = None  # serial kernel arguments, set on first use

    def with_spec(self, spec: LossSpec) -> SigmoidForm:
        """The same form (Hessian policy, threads) over another spec."""
        out = copy.copy(self)
        out.spec, out._fast, out._serial = spec, FAST_HOOKS.get(type(spec)), None
        return out

    def serial_grad_hess_into(self, z: np.ndarray, y: Any, weight: Any,
                              g_out: np.ndarray, h_out: np.ndarray) -> bool:
        """:meth:`grad_hess` of 1-D float64 margins into ``g_out`` / ``h_out``, or False.

        One serial kernel pass (:func:`focalkit.boosting._fast.serial_grad_hess_into`), for
        boosters that call the objective on many small ranges from their own threads
        (CatBoost). False (nothing useful written) where the kernel does not apply: no
        fast kernel for the spec, unresolved parameters, labels other than 0 / 1 or
        weights that are not plain non-negative numbers; the caller then calls
        :meth:`grad_hess`, which checks and raises.
        """
        y = np.asarray(y)
        if not self._serial_args() or z.ndim != 1 or y.shape != z.shape \
                or y.dtype.kind not in "biuf":
            return False
        w = None
        if weight is not None:
            w = np.asarray(weight, dtype=np.float64).reshape(-1)
            if w.size == 0:
                w = None
            elif w.shape != z.shape or not (w.min() >= 0) or not np.isfinite(w.max()):
                return False
        return serial_grad_hess_into(self._serial, z, y, w, g_out, h_out)

    def _serial_args(self) -> tuple[Any, ...]:
        """The serial kernels' arguments for this form's spec (empty: none apply)."""
        if self._serial is None:
            spec = self.spec
            args = None if spec.needs_labels else serial_kernel_args(
                spec, self.hessian, self.hessian_floor)
            self._serial = args if args is not None else ()
        return self._serial

    def _serial_loss(self, z: np.ndarray, y: Any, weight: Any) -> float | None:
        """:meth:`loss` by one serial kernel pass (binary focal / BCE, 0/1 labels), or None.

        The booster metrics call it every round (CatBoost's Python ``eval_metric`` on the
        training rows: ~6 ms per call on 1e5 rows through ``_core``, 0.3 s of a 1 s fit).
        """
        y = np.asarray(y)
        if not self._serial_args() or z.ndim != 1 or y.shape != z.shape \
                or y.dtype.kind not in "biuf":
            return None
        w = row_weights(weight, z.shape[0])
        return serial_loss_mean(self._serial, z, y,
                                None if w is None else np.asarray(w, dtype=np.float64))

    # -- labels and parameters ----------------------------------------------------------
    def check_labels(self, y: Any, margin_shape: tuple[int, ...] | None = None) -> np.ndarray:
        """Labels shaped like the margins; values in [0, 1] (only 0 / 1 without soft targets)."""
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
                "form (margins of shape (n, C)); for several labels pass a 2-D 0/1 matrix."
            )
        if not getattr(self.spec, "soft_targets", True) and arr.size \
                and np.any((arr != 0) & (arr != 1)):
            raise InvalidParameterError(
                f"{self.owner} needs labels in {{0, 1}}: the loss {self.spec.name!r} takes "
                "no soft targets."
            )
        return arr

    def check_params(self, k: int | None, spec: LossSpec | None = None) -> None:
        """Per-label vectors need ``k`` labels (``None``: 1-D margins, scalars only)."""
        spec = spec or self.spec
        for name, v in spec.values.items():
            if name in getattr(spec, "whole_vectors", ()) or not _is_vector(v):
                continue
            if k is None or np.shape(v) != (k,):
                where = "1-D margins (binary)" if k is None else f"{k} labels"
                raise param_error(
                    name, self.owner, f"a float (or one value per label) for {where}", v
                )

    def _spec_for(self, y: Any, sample_weight: Any = None) -> LossSpec:
        if self.spec.needs_labels:
            return self.spec.resolve(y, sample_weight=sample_weight)
        return self.spec

    # -- booster quantities -------------------------------------------------------------
    def grad_hess(self, margin: Any, y: Any, weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian shaped like ``margin``, multiplied by the row weights."""
        z = np.asarray(margin)
        if z.ndim not in (1, 2):
            raise InvalidParameterError(
                f"{self.owner} expects margins of shape (n,) or (n, K); got {z.shape}."
            )
        w = row_weights(weight, z.shape[0])
        if self._fast is not None:  # labels not checked yet: the kernel counts bad ones
            out = self._fast(self.spec, z, y, w, hessian=self.hessian,
                             hessian_floor=self.hessian_floor, n_threads=self.n_threads,
                             checked=False)
            if out is not None:
                return out
        yy = self.check_labels(y, z.shape)
        spec = self._spec_for(yy)
        self.check_params(None if z.ndim == 1 else z.shape[1], spec)
        if self._fast is not None:
            out = self._fast(spec, z, yy, w, hessian=self.hessian,
                             hessian_floor=self.hessian_floor, n_threads=self.n_threads,
                             checked=True)
            if out is not None:
                return out
        g, h = spec.grad_hess(z.astype(np.float64), yy.astype(np.float64),
                              hessian=self.hessian, hessian_floor=self.hessian_floor)
        g, h = np.asarray(g), np.asarray(h)
        if w is not None:
            w = w.astype(np.float64).reshape((-1,) + (1,) * (z.ndim - 1))
            g, h = g * w, h * w
        return g, h

    def loss(self, margin: Any, y: Any, weight: Any = None) -> float:
        """Weighted mean loss over rows (summed over labels for multi-label)."""
        z = np.asarray(margin, dtype=np.float64)
        fast = self._serial_loss(z, y, weight)
        if fast is not None:
            return fast
        yy = self.check_labels(y, z.shape).astype(np.float64)
        spec = self._spec_for(yy)
        self.check_params(None if z.ndim == 1 else z.shape[1], spec)
        per = np.asarray(spec.loss(z, yy)).reshape(z.shape[0], -1).sum(axis=1)
        return weighted_mean(per, row_weights(weight, z.shape[0]))

    def init_score(self, y: Any, sample_weight: Any = None, n_classes: int | None = None) -> Any:
        """Optimal constant margin: a float (1-D ``y``) or one per label (2-D ``y``)."""
        arr = self.check_labels(y)
        if arr.ndim not in (1, 2):
            raise InvalidParameterError(
                f"{self.owner}: y must be of shape (n,) or (n, K); got {arr.shape}."
            )
        spec = self._spec_for(arr, sample_weight)
        self.check_params(None if arr.ndim == 1 else arr.shape[1], spec)
        return spec.init_score(arr, sample_weight=sample_weight)

    def resolve(self, y: Any, sample_weight: Any = None,
                n_classes: int | None = None) -> SigmoidForm:
        """The form with its label-dependent parameters computed from ``y``."""
        arr = self.check_labels(y)
        spec = self._spec_for(arr, sample_weight)
        self.check_params(None if arr.ndim == 1 else arr.shape[1], spec)
        return self.with_spec(spec)

    def for_label(self, j: int) -> SigmoidForm:
        """The binary form of label ``j`` (per-label vectors reduced to their ``j``-th value)."""
        spec = self.spec
        whole = getattr(spec, "whole_vectors", ())
        per = {k: v for k, v in spec.values.items() if k not in whole}
        one = type(spec)(owner=self.owner, **label_params(per, j),
                         **{k: spec.values[k] for k in whole})
        return self.with_spec(one)

    def for_labels(self, keep: np.ndarray, n_labels: int) -> SigmoidForm:
        """The form over the labels ``keep`` of ``n_labels`` (per-label vectors subset)."""
        whole = getattr(self.spec, "whole_vectors", ())
        values = {k: (np.asarray(v)[keep] if k not in whole and _is_vector(v)
                      and np.shape(v) == (n_labels,) else v)
                  for k, v in self.spec.values.items()}
        return self.with_spec(type(self.spec)(owner=self.owner, **values))


# ----------------------------------------------------------------------- softmax form
class SoftmaxForm:
    """A softmax spec for boosters: margins ``(n, C)``, integer labels ``(n,)``.

    Parameters
    ----------
    spec : SoftmaxLoss
        A registry spec instance.
    hessian : str or None
        One of ``spec.hessians`` (diagonal); None: the spec's default.
    hessian_floor : float
        Floor of ``"clipped"``.
    hessian_scale : float
        The booster's factor on the diagonal Hessian (XGBoost's ``multi:softprob`` uses
        ``2 p (1 - p)``, LightGBM's ``multiclass`` ``C / (C - 1) p (1 - p)``), so that the
        neutral setting reproduces the built-in model; 0 means ``C / (C - 1)``.
    """

    kind = "softmax"

    def __init__(self, spec: LossSpec, *, hessian: str | None = None,
                 hessian_floor: float = 1e-6, hessian_scale: float = 1.0) -> None:
        self.spec = spec
        self.owner = spec.owner
        self.hessian = spec.check_hessian(hessian)
        self.hessian_floor = hessian_floor
        self.hessian_scale = hessian_scale
        self._kernel_args: dict[int, Any] = {}  # one-object kernel arguments, by C

    def with_spec(self, spec: LossSpec) -> SoftmaxForm:
        """The same form over another spec."""
        out = copy.copy(self)
        out.spec = spec
        out._kernel_args = {}
        return out

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

    def check_params(self, n_classes: int, spec: LossSpec | None = None) -> None:
        """Every vector parameter has one entry per class."""
        for name, v in (spec or self.spec).values.items():
            if _is_vector(v) and np.shape(v) != (n_classes,):
                raise InvalidParameterError(
                    f"{self.owner}: '{name}' has {np.shape(v)[0]} entries but the margins "
                    f"have {n_classes} classes."
                )

    def _spec_for(self, labels: np.ndarray, n_classes: int,
                  sample_weight: Any = None) -> LossSpec:
        spec = self.spec
        if spec.needs_labels:
            spec = spec.resolve(labels, sample_weight=sample_weight, n_classes=n_classes)
        self.check_params(n_classes, spec)
        return spec

    def _margin(self, margin: Any) -> np.ndarray:
        z = np.asarray(margin)  # float32 margins stay float32 (as XGBoost passes them)
        if z.dtype.kind != "f":
            z = z.astype(np.float64)
        if z.ndim != 2 or z.shape[1] < 2:
            raise InvalidParameterError(
                f"{self.owner} expects margins of shape (n, C) with C >= 2; got {z.shape}."
            )
        return z

    def grad_hess(self, margin: Any, y: Any, weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and scaled diagonal Hessian, shape (n, C), multiplied by the row weights."""
        z = self._margin(margin)
        n, c = z.shape
        scale = self.hessian_scale if self.hessian_scale > 0 else c / (c - 1.0)
        w = row_weights(weight, n)
        if self.hessian == "irls" and not self.spec.needs_labels:  # the one-pass kernel
            if c not in self._kernel_args:
                self._kernel_args[c] = matrix_kernel_args(self.spec, self.hessian, c)
            args = self._kernel_args[c]
            lab = np.asarray(y)
            if args is not None and lab.shape == (n,) and lab.dtype.kind in "biuf":
                out = diag_grad_hess(args, z, lab, w, scale)
                if out is not None:
                    return out
        labels = self.check_labels(y, c, n)
        spec = self._spec_for(labels, c)
        g, h = spec.grad_hess(z, labels, hessian=self.hessian, hessian_floor=self.hessian_floor)
        h = np.asarray(h) * scale
        g = np.asarray(g)
        if w is not None:
            w = w.astype(g.dtype, copy=False)[:, None]
            g, h = g * w, h * w
        return g, h

    def grad_hess_matrix(self, margin: Any, y: Any,
                         weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Gradient (n, C) and scaled full Hessian (n, C, C), times the row weights.

        For boosters whose Newton step takes the whole matrix (CatBoost); its diagonal is
        :meth:`grad_hess`'s (:meth:`~focalkit.losses.SoftmaxLoss.grad_hess_matrix`).
        """
        z = self._margin(margin).astype(np.float64)
        n, c = z.shape
        labels = self.check_labels(y, c, n)
        spec = self._spec_for(labels, c)
        g, h = spec.grad_hess_matrix(z, labels, hessian=self.hessian,  # type: ignore[attr-defined]
                                     hessian_floor=self.hessian_floor)
        h = h * (self.hessian_scale if self.hessian_scale > 0 else c / (c - 1.0))
        w = row_weights(weight, n)
        if w is not None:
            w = w.astype(np.float64)
            g, h = g * w[:, None], h * w[:, None, None]
        return g, h

    def object_grad_hess_matrix(self, margin: Any, label: Any, weight: Any,
                                factor: float = 1.0) -> tuple[list[float], list[list[float]]]:
        """One object's gradient (C,) and Hessian matrix (C, C) as lists, times ``factor``.

        :meth:`grad_hess_matrix` for CatBoost's per-object calls (``factor=-1``: the negated
        loss), through the one-object kernel where the spec has one
        (:mod:`focalkit.boosting._fast_softmax`); same values, a few microseconds a call.
        """
        z = np.asarray(margin, dtype=np.float64).reshape(-1)
        c = z.shape[0]
        w = 1.0 if weight is None else weight
        if c not in self._kernel_args:
            self._kernel_args[c] = matrix_kernel_args(self.spec, self.hessian, c) \
                if c >= 2 else None
        args = self._kernel_args[c]
        if args is not None and isinstance(w, (float, int, np.floating, np.integer)) \
                and 0 <= w < np.inf:
            scale = self.hessian_scale if self.hessian_scale > 0 else c / (c - 1.0)
            out = one_object_grad_hess_matrix(args, z, label, float(w), factor)
            if out is not None:
                if scale != 1.0:
                    out = out[0], (np.asarray(out[1]) * scale).tolist()
                return out
        g, h = self.grad_hess_matrix(z.reshape(1, -1), np.array([label]),
                                     None if weight is None else [weight])
        return (factor * g[0]).tolist(), (factor * h[0]).tolist()

    def loss(self, margin: Any, y: Any, weight: Any = None) -> float:
        """Weighted mean loss."""
        z = self._margin(margin).astype(np.float64)
        labels = self.check_labels(y, z.shape[1], z.shape[0])
        spec = self._spec_for(labels, z.shape[1])
        per = np.asarray(spec.loss(z, labels))
        return weighted_mean(per, row_weights(weight, z.shape[0]))

    def _classes(self, y: Any, n_classes: int | None) -> tuple[np.ndarray, int]:
        arr = np.asarray(y).reshape(-1)
        c = int(n_classes if n_classes is not None else arr.max() + 1)
        return self.check_labels(arr, c), c

    def init_score(self, y: Any, sample_weight: Any = None,
                   n_classes: int | None = None) -> np.ndarray:
        """Optimal constant logits (C,), centred."""
        labels, c = self._classes(y, n_classes)
        spec = self._spec_for(labels, c, sample_weight)
        return np.asarray(spec.init_score(labels, sample_weight=sample_weight, n_classes=c))

    def resolve(self, y: Any, sample_weight: Any = None,
                n_classes: int | None = None) -> SoftmaxForm:
        """The form with its label-dependent parameters computed from ``y``."""
        labels, c = self._classes(y, n_classes)
        return self.with_spec(self._spec_for(labels, c, sample_weight))


Form = SigmoidForm | SoftmaxForm


# ----------------------------------------------------------------------- both forms
class ObjectiveMethods:
    """The booster-independent methods of every booster objective (over ``self._loss``)."""

    _loss: BoosterLoss

    def init_score(self, y: Any, sample_weight: Any = None, n_classes: int | None = None) -> Any:
        """Optimal constant margin: a float, (K,) for 2-D ``y``, (C,) for multi-class ``y``."""
        return self._loss.init_score(y, *init_args(sample_weight, n_classes))

    def _init_per_row(self, y: Any, sample_weight: Any, n_classes: int | None) -> np.ndarray:
        init = self._loss.init_score(y, *init_args(sample_weight, n_classes))
        return init_rows(init, np.shape(y)[0])

    def resolve(self, y: Any, sample_weight: Any = None, n_classes: int | None = None) -> Any:
        """A copy with the label-dependent parameters computed once from training labels ``y``."""
        return adapter(type(self), self._loss.resolve(y, *init_args(sample_weight, n_classes)))

    def __repr__(self) -> str:
        return repr(self._loss)


def default_loss(loss: Any, params: dict[str, Any], owner: str) -> Any:
    """``loss=None``: focal loss, but only when no loss parameter is given either.

    ``XGBoostObjective(pos_weight=9)`` meant weighted BCE before the registry unified the
    adapters (its default was ``"weighted_bce"``); reading it as focal loss now would be a
    silently different model, so parameters without a loss name are refused.
    """
    if loss is not None:
        return loss
    if params:
        raise InvalidParameterError(
            f"{owner}: name the loss these parameters belong to ({', '.join(sorted(params))}), "
            "e.g. loss='focal' or loss='weighted_bce'; without parameters the default is "
            "'focal' (before focalkit's loss registry it was 'weighted_bce')."
        )
    return "focal"


class BoosterLoss:
    """A registered loss for a booster adapter: its sigmoid and / or softmax form.

    Parameters
    ----------
    loss : str
        A registered name or alias (:func:`focalkit.losses.loss_names`).
    params : mapping
        The loss parameters, validated by each form's spec; a form whose spec rejects them
        raises that error when it is used (and at once when no form accepts them).
    owner : str
        The public class name, for error messages.
    kind : {"sigmoid", "softmax"} or None
        Force one form; None: chosen per call by the layout of the data.
    hessian, hessian_floor : see :class:`SigmoidForm`.
    hessian_scale : float or None
        The softmax form's Hessian factor (:class:`SoftmaxForm`); ``default_scale`` when None.
    default_scale : float
        The booster's convention.
    n_threads : int or None
        Threads of a fast hook.
    """

    def __init__(self, loss: Any, params: dict[str, Any], *, owner: str,
                 kind: str | None = None, hessian: str | None = None,
                 hessian_floor: float = 1e-6, hessian_scale: float | None = None,
                 default_scale: float = 1.0, n_threads: int | None = None) -> None:
        self.owner = owner
        self.params = dict(params)
        if kind is not None:
            check_in(kind, KINDS, "kind", owner)
        forms = [k for k in KINDS
                 if isinstance(loss, str) and canonical_name(loss, k) in loss_names(k)]
        if not forms or (kind is not None and kind not in forms):
            get_loss(loss, kind, owner=owner)  # raises: unknown name, or no such form
        self.name = loss
        self.kind = kind
        self.available = tuple(forms)
        floor = check_nonneg_float(hessian_floor, "hessian_floor", owner)
        threads = None if n_threads is None else check_int(n_threads, "n_threads", owner, low=1)
        scale = default_scale if hessian_scale is None else check_nonneg_float(
            hessian_scale, "hessian_scale", owner)
        if hessian_scale is not None and "softmax" not in ([kind] if kind else forms):
            raise param_error("hessian_scale", owner,
                              f"None for the sigmoid loss {loss!r} (it scales the softmax "
                              "form's Hessian)", hessian_scale)
        self._forms: dict[str, Form] = {}
        self._errors: dict[str, InvalidParameterError] = {}
        for k in [kind] if kind else forms:
            try:
                spec = make_loss(loss, k, owner=owner, **params)
                self._forms[k] = (
                    SigmoidForm(spec, hessian=hessian, hessian_floor=floor, n_threads=threads)
                    if k == "sigmoid" else
                    SoftmaxForm(spec, hessian=hessian, hessian_floor=floor, hessian_scale=scale)
                )
            except InvalidParameterError as exc:
                self._errors[k] = exc
        if not self._forms:
            raise next(iter(self._errors.values()))

    @classmethod
    def of(cls, form: Form, name: str | None = None) -> BoosterLoss:
        """A :class:`BoosterLoss` with one ready form (the classifiers' resolved loss)."""
        out = cls.__new__(cls)
        out.owner, out.params = form.owner, dict(form.spec.values)
        out.name = name or form.spec.name
        out.kind = form.kind
        out.available = (form.kind,)
        out._forms, out._errors = {form.kind: form}, {}
        return out

    # -- forms --------------------------------------------------------------------------
    def form(self, kind: str) -> Form:
        """The form ``kind``; raises why it is unavailable (no such form, bad parameters)."""
        if kind in self._forms:
            return self._forms[kind]
        if kind in self._errors:
            raise self._errors[kind]
        if kind not in self.available:
            get_loss(self.name, kind, owner=self.owner)  # raises: the loss has no such form
        raise InvalidParameterError(
            f"{self.owner} was built for the {self.kind} form (kind={self.kind!r}); these "
            f"data need the {kind} form."
        )

    def for_margins(self, shape: tuple[int, ...], y: Any) -> Form:
        """The form for margins of ``shape`` and labels ``y``.

        Sigmoid, unless (n, C) margins come with one label per row (softmax).
        """
        if self.kind is not None:
            return self.form(self.kind)
        if len(shape) == 2 and shape[1] > 1 and np.size(y) == shape[0]:
            return self.form("softmax")
        return self.form("sigmoid")

    def for_labels(self, y: Any, n_classes: int | None = None) -> Form:
        """The form for training labels ``y``.

        Multi-class (values beyond 1, or ``n_classes`` given) is softmax; binary and 2-D
        multi-label is sigmoid (softmax for a loss with no sigmoid form).
        """
        if self.kind is not None:
            return self.form(self.kind)
        if n_classes is not None:
            return self.form("softmax")
        arr = np.asarray(y)
        if arr.ndim == 2 and arr.shape[1] > 1:
            return self.form("sigmoid")
        if arr.size and arr.dtype.kind in "biuf" and (arr.min() < 0 or arr.max() > 1):
            return self.form("softmax")
        return self.form("sigmoid" if "sigmoid" in self.available else "softmax")

    # -- booster quantities -------------------------------------------------------------
    def grad_hess(self, margin: Any, y: Any, weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian of the form chosen by the layout (see :meth:`for_margins`)."""
        z = np.asarray(margin)
        return self.for_margins(z.shape, y).grad_hess(z, y, weight)

    def loss(self, margin: Any, y: Any, weight: Any = None) -> float:
        """Weighted mean loss (the metric)."""
        z = np.asarray(margin)
        return self.for_margins(z.shape, y).loss(z, y, weight)

    def init_score(self, y: Any, sample_weight: Any = None, n_classes: int | None = None) -> Any:
        """Optimal constant margin(s) for labels ``y`` (see :meth:`for_labels`)."""
        return self.for_labels(y, n_classes).init_score(y, sample_weight, n_classes)

    def resolve(self, y: Any, sample_weight: Any = None,
                n_classes: int | None = None) -> BoosterLoss:
        """The form for ``y`` with its label-dependent parameters computed from ``y``."""
        form = self.for_labels(y, n_classes).resolve(y, sample_weight, n_classes)
        return BoosterLoss.of(form, self.name)

    def require_label_free(self, why: str) -> None:
        """Keep only the forms whose parameters need no training labels.

        The others raise (saying ``why``) when used, and at once when no form is left.
        """
        for kind, form in list(self._forms.items()):
            spec = form.spec
            dicts = {k: None for k, v in spec.values.items() if isinstance(v, dict)}
            probe = spec.with_values(**dicts) if dicts else spec  # a dict needs only C
            if not probe.needs_labels:
                continue
            named = [k for k in spec.from_labels if isinstance(probe.values.get(k), str)] \
                or [k for k in spec.from_labels if probe.values.get(k) is None]
            what = ", ".join(f"{k}={spec.values[k]!r}" for k in named)
            self._errors[kind] = InvalidParameterError(
                f"{self.owner}: {what} is computed from the training labels, but {why}: "
                "resolve it first (obj.resolve(y), focalkit.resolve_alpha / "
                "resolve_class_weight) or pass the value."
            )
            del self._forms[kind]
        if not self._forms:
            raise next(iter(self._errors.values()))

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        form = next(iter(self._forms.values()))
        hess = f", hessian={form.hessian!r}" if hasattr(form, "hessian") else ""
        return f"{self.owner}(loss={self.name!r}{args}{hess})"
