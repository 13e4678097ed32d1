"""The Keras 3 loss classes: one base class, specialised per loss spec and target layout.

A generated class fixes two things, the spec class (:mod:`focalkit.losses`) and the target
layout: ``"binary"`` (sigmoid losses: binary and multi-label, 0/1 or soft targets shaped
like the predictions), ``"sparse"`` (softmax losses, integer labels) or ``"dense"`` (softmax
losses, one-hot / class-probability targets). Everything else is read from the spec.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

import keras
from focalkit._core.losses import LossSpec
from focalkit._core.losses._params import LABEL_SMOOTHING
from focalkit.exceptions import InvalidParameterError
from focalkit.keras._engine import compute_dtype, spec_loss, standard_dtype
from keras import ops

__all__ = ["FocalkitLoss", "has_schedule", "offers_label_smoothing"]

try:  # Keras >= 3.6 keeps masks off-tensor for C types (JAX arrays)
    from keras.src.backend.common.masking import set_keras_mask as _set_mask
except ImportError:  # pragma: no cover
    def _set_mask(x: Any, mask: Any) -> None:
        x._keras_mask = mask


try:
    from keras.src.backend.common.symbolic_scope import in_symbolic_scope as _in_symbolic_scope
except ImportError:  # pragma: no cover
    def _in_symbolic_scope() -> bool:
        return False


def has_schedule(cls: type[LossSpec]) -> bool:
    """True when the spec changes with the training epoch (``at_epoch``)."""
    return cls.at_epoch is not LossSpec.at_epoch


def offers_label_smoothing(cls: type[LossSpec], target: str) -> bool:
    """Whether the binary class smooths targets as Keras does (``y (1 - s) + s / 2``).

    Offered where soft targets mix the two sides; softmax classes get it from the spec's own
    parameter.
    """
    return (target == "binary" and cls.soft_targets  # type: ignore[attr-defined]
            and cls.linear_in_target)  # type: ignore[attr-defined]


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and all(isinstance(k, str) and k.lstrip("-").isdigit()
                                       for k in value):
        return {int(k): v for k, v in value.items()}
    return value


def _numpy(x: Any) -> np.ndarray:
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach"):  # torch: np.array(tensor) warns on NumPy 2 (no copy keyword)
        return x.detach().cpu().numpy()
    if ops.is_tensor(x):
        return np.asarray(ops.convert_to_numpy(x))
    return np.asarray(x)


class FocalkitLoss(keras.losses.Loss):
    """Base of the generated Keras losses (see :mod:`focalkit.keras`)."""

    spec: ClassVar[type[LossSpec]]
    target: ClassVar[str]  # "binary" | "sparse" | "dense"

    def __init__(self, *, from_logits: bool = True, label_smoothing: float = 0.0,
                 ignore_class: int | None = None, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size", name: str | None = None,
                 dtype: Any = None, **params: Any) -> None:
        owner = type(self).__name__
        if type(self) is FocalkitLoss:
            raise InvalidParameterError("FocalkitLoss is abstract; use a generated class "
                                        "such as focalkit.keras.BinaryFocalLoss.")
        if not isinstance(from_logits, bool):
            raise InvalidParameterError(
                f"The 'from_logits' parameter of {owner} must be a bool. Got {from_logits!r}.")
        if self.target != "binary" and any(p.name == "label_smoothing" for p in self.spec.params):
            params["label_smoothing"] = label_smoothing  # the spec's own parameter
            label_smoothing = 0.0
        elif label_smoothing and not offers_label_smoothing(self.spec, self.target):
            raise InvalidParameterError(
                f"{owner} has no 'label_smoothing' argument; its parameters are: "
                f"{', '.join(self._param_names())}.")
        label_smoothing = LABEL_SMOOTHING.check(label_smoothing, owner) \
            if offers_label_smoothing(self.spec, self.target) else 0.0
        if ignore_class is not None:
            if self.target == "dense":
                raise InvalidParameterError(
                    f"{owner} takes dense targets and has no 'ignore_class'; use the sparse "
                    "class (integer labels) or sample weights.")
            if not isinstance(ignore_class, (int, np.integer)) or isinstance(ignore_class, bool):
                raise InvalidParameterError(
                    f"The 'ignore_class' parameter of {owner} must be None or an int. "
                    f"Got {ignore_class!r}.")
            ignore_class = int(ignore_class)
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise InvalidParameterError(
                f"The 'axis' parameter of {owner} must be an int. Got {axis!r}.")
        if self.target == "binary" and axis != -1:
            raise InvalidParameterError(
                f"{owner} is elementwise; 'axis' must be -1 (the axis averaged per sample).")
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        params = {k: _from_json(v) for k, v in params.items()}
        self._spec = self.spec(owner=owner, **params)  # validates now (house rule)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.ignore_class = ignore_class
        self.axis = int(axis)
        self.epoch: int | None = None

    # ----------------------------------------------------------------- parameters
    @classmethod
    def _param_names(cls) -> list[str]:
        names = [p.name for p in cls.spec.params] + ["from_logits"]
        if offers_label_smoothing(cls.spec, cls.target):
            names.append("label_smoothing")
        if cls.target != "dense":
            names.append("ignore_class")
        if cls.target != "binary":
            names.append("axis")
        return names + ["reduction", "name", "dtype"]

    @property
    def loss_spec(self) -> LossSpec:
        """The validated loss spec (resolved after :meth:`adapt`)."""
        return self._spec

    def adapt(self, y: Any, sample_weight: Any = None, n_classes: int | None = None) -> Any:
        """Compute label-dependent parameters from the training labels ``y``, in place.

        ``alpha="balanced"``, ``pos_weight="balanced"``, ``class_weight="balanced"`` /
        ``"effective_number"``, a missing ``prior`` or LDAM's ``class_counts`` become
        numbers (they are then saved with the model). Targets equal to ``ignore_class``
        are left out.

        Parameters
        ----------
        y : array_like
            The labels passed to ``fit`` (the layout of this class: 0/1 targets, integer
            labels or one-hot rows).
        sample_weight : array_like, optional
        n_classes : int, optional
            Number of classes (softmax losses), if ``y`` may lack the last ones.

        Returns
        -------
        self
        """
        labels = _numpy(y)
        sw = None if sample_weight is None else _numpy(sample_weight).reshape(-1)
        if self.target == "dense":
            flat = labels.reshape(-1, labels.shape[-1])
            if not np.all((flat == 0) | (flat == 1)) or not np.all(flat.sum(axis=1) == 1):
                raise InvalidParameterError(
                    f"{type(self).__name__}.adapt needs one-hot rows (or integer labels).")
            n_classes = n_classes or flat.shape[1]
            labels = flat.argmax(axis=1)
        elif labels.ndim > 1 and labels.shape[-1] == 1:  # (n, 1): one label / class index
            labels = labels[..., 0]
        if self.target == "sparse":
            labels = labels.reshape(-1)
        if self.ignore_class is not None:
            keep = (labels != self.ignore_class).reshape(labels.shape[0], -1).all(axis=1)
            labels, sw = labels[keep], None if sw is None else sw[keep]
        if self.target != "binary":
            labels = labels.astype(np.int64)
        self._spec = self._spec.resolve(labels, sample_weight=sw, n_classes=n_classes)
        return self

    def set_epoch(self, epoch: int | None) -> None:
        """The training epoch, for losses with a schedule (LDAM's DRW); see LossSchedule."""
        if epoch is not None and (not isinstance(epoch, (int, np.integer)) or epoch < 0):
            raise InvalidParameterError(
                f"The 'epoch' of {type(self).__name__} must be None or an int >= 0. "
                f"Got {epoch!r}.")
        self.epoch = None if epoch is None else int(epoch)

    def _current_spec(self) -> LossSpec:
        spec = self._spec
        owner = type(self).__name__
        if spec.needs_labels:
            missing = [k for k in type(spec).from_labels if spec._unresolved(k)]
            raise InvalidParameterError(
                f"{owner}: {', '.join(missing)} is computed from the training labels; call "
                f"loss.adapt(y_train) before fit (or pass the values).")
        if self.epoch is not None:
            return spec.at_epoch(self.epoch)
        if has_schedule(type(spec)) and spec.at_epoch(2**31) != spec:
            if _in_symbolic_scope():  # Keras' shape inference before fit's callbacks start
                return spec
            raise InvalidParameterError(
                f"{owner}: these parameters define a schedule over epochs; add the callback "
                "focalkit.keras.LossSchedule() to fit (or call loss.set_epoch(epoch)).")
        return spec

    # ----------------------------------------------------------------- computation
    def _logits(self, y_pred: Any) -> Any:
        """Logits in the compute dtype; from probabilities without Keras' 1e-7 clip."""
        if self.from_logits:
            return ops.cast(y_pred, compute_dtype(y_pred))
        cached = getattr(y_pred, "_keras_logits", None)  # set by keras.activations
        if cached is not None:
            return ops.cast(cached, compute_dtype(y_pred))
        p = ops.cast(y_pred, compute_dtype(y_pred))
        dtype = np.dtype(standard_dtype(p))
        p = ops.maximum(p, float(np.finfo(dtype).tiny))  # only an exact 0 moves
        if self.target == "binary":  # logit(p); 1 - p is exact for p >= 1/2 (Sterbenz)
            p = ops.minimum(p, float(np.nextafter(dtype.type(1.0), dtype.type(0.0))))
            return ops.log(p) - ops.log1p(-p)
        return ops.log(p)  # log_softmax(log p) = log p - log sum p

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """Per-sample loss (Keras' convention: binary losses average the last axis)."""
        spec = self._current_spec()
        z = self._logits(y_pred)
        if self.target == "binary":
            return self._binary(spec, y_true, z)
        return self._softmax(spec, y_true, z)

    def _binary(self, spec: LossSpec, y_true: Any, z: Any) -> Any:
        from keras.src.losses.loss import squeeze_or_expand_to_same_rank

        y_true = ops.convert_to_tensor(y_true)
        y_true, z = squeeze_or_expand_to_same_rank(y_true, z)
        y = ops.cast(y_true, z.dtype)
        valid = None
        if self.ignore_class is not None:
            valid = ops.not_equal(y, ops.cast(self.ignore_class, z.dtype))
            y = ops.where(valid, y, ops.zeros_like(y))
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        if tuple(y.shape) != tuple(z.shape):
            y = ops.broadcast_to(y, ops.shape(z))
        if z.ndim == 0:
            raise InvalidParameterError(f"{type(self).__name__}: predictions must not be "
                                        "scalars.")
        elem = spec_loss(spec, z, y, None)
        if valid is None:  # ops.mean computes float64 in float32 on JAX (Keras 3.15)
            return ops.sum(elem, axis=-1) / float(elem.shape[-1])
        fvalid = ops.cast(valid, elem.dtype)
        elem = ops.where(valid, elem, ops.zeros_like(elem))
        count = ops.sum(fvalid, axis=-1)
        per = ops.sum(elem, axis=-1) / ops.maximum(count, 1.0)
        _set_mask(per, ops.greater(count, 0.0))
        return per

    def _softmax(self, spec: LossSpec, y_true: Any, z: Any) -> Any:
        axis = self.axis % z.ndim
        y_true = ops.convert_to_tensor(y_true)
        if self.target == "dense":
            if tuple(y_true.shape) != tuple(z.shape):
                raise InvalidParameterError(
                    f"{type(self).__name__} takes one-hot / probability targets shaped like "
                    f"the predictions {tuple(z.shape)}; got {tuple(y_true.shape)} (integer "
                    f"labels: use Sparse{type(self).__name__}).")
            return spec_loss(spec, z, ops.cast(y_true, z.dtype), axis)
        if y_true.ndim == z.ndim and y_true.shape[-1] == 1 and axis == z.ndim - 1:
            y_true = ops.squeeze(y_true, axis=-1)
        if y_true.ndim != z.ndim - 1:
            raise InvalidParameterError(
                f"{type(self).__name__} takes integer labels shaped like the predictions "
                f"without the class axis; got {tuple(y_true.shape)} for predictions "
                f"{tuple(z.shape)}.")
        y = ops.cast(y_true, "int32")
        if self.ignore_class is None:
            return spec_loss(spec, z, y, axis)
        valid = ops.not_equal(y, self.ignore_class)
        y = ops.where(valid, y, ops.zeros_like(y))
        per = spec_loss(spec, z, y, axis)
        per = ops.where(valid, per, ops.zeros_like(per))
        _set_mask(per, valid)
        return per

    # ----------------------------------------------------------------- serialisation
    def get_config(self) -> dict[str, Any]:
        """Keras config: the loss's parameters (resolved values after adapt) and options."""
        config = super().get_config()
        config.update({k: _jsonable(v) for k, v in self._spec.values.items()})
        config["from_logits"] = self.from_logits
        if offers_label_smoothing(self.spec, self.target):
            config["label_smoothing"] = self.label_smoothing
        if self.target != "dense":
            config["ignore_class"] = self.ignore_class
        if self.target != "binary":
            config["axis"] = self.axis
        return config

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._spec!r}, from_logits={self.from_logits})"
