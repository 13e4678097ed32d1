"""Class-weighted cross-entropy: weighted BCE and the class-balanced loss (Cui et al. 2019)."""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit._core.alternatives import (
    resolve_pos_weight,
    weighted_bce_grad,
    weighted_bce_grad_hess,
    weighted_bce_loss,
)
from focalkit._core.binary import binary_focal_grad_hess, binary_focal_loss_grad
from focalkit._core.losses._params import (
    BETA,
    CLASS_WEIGHT,
    LABEL_SMOOTHING,
    _positive_or_balanced,
    gamma_param,
)
from focalkit._core.losses._registry import register
from focalkit._core.losses._spec import Param, SigmoidLoss, float_in
from focalkit._core.losses.focal import SoftmaxFocalLoss
from focalkit._core.weights import resolve_class_weight

_CUI = "Cui, Jia, Lin, Song, Belongie. Class-Balanced Loss Based on Effective Number of " \
    "Samples. CVPR 2019."


@register
class WeightedBCELoss(SigmoidLoss):
    r""":math:`L = -w_1 y \log p - w_0 (1-y) \log(1-p)`."""

    name = "weighted_bce"
    title = "weighted binary cross-entropy"
    params = (
        Param("pos_weight", 1.0, _positive_or_balanced("pos_weight", False),
              "weight w1 of positives (float, per label, or 'balanced' = n_neg / n_pos)"),
        Param("neg_weight", 1.0, float_in("neg_weight", 0.0, open_low=True, vector=True),
              "weight w0 of negatives (> 0)"),
    )
    neutral = {"pos_weight": 1.0, "neg_weight": 1.0}
    hessians = ("irls", "clipped", "exact")  # the exact Hessian is positive (= IRLS)
    from_labels = ("pos_weight",)
    torch_function = "weighted_bce_with_logits"
    torch_module = "WeightedBCEWithLogitsLoss"

    def resolve(self, y: Any, *, sample_weight: Any = None,
                n_classes: int | None = None) -> WeightedBCELoss:
        """``pos_weight="balanced"``: the weighted ratio ``n_neg / n_pos`` of ``y``."""
        v = dict(self.values)
        if isinstance(v["pos_weight"], str):
            v["pos_weight"] = resolve_pos_weight(v["pos_weight"], y,
                                                 sample_weight=sample_weight, owner=self.owner)
        return type(self)(owner=self.owner, **v)

    def loss_grad(self, z: Any, y: Any) -> tuple[Any, Any]:
        """Loss and gradient."""
        self._ready()  # (the gradient alone: no Hessian computed and dropped)
        return weighted_bce_loss(z, y, **self.values), weighted_bce_grad(z, y, **self.values)

    def grad_hess(self, z: Any, y: Any, *, hessian: str | None = None,
                  hessian_floor: float = 1e-6) -> tuple[Any, Any]:
        """Gradient and Hessian (the exact Hessian, floored for ``"clipped"``)."""
        self._ready()
        kind = self.check_hessian(hessian)
        g, h = weighted_bce_grad_hess(z, y, **self.values)
        return g, (np.maximum(h, hessian_floor) if kind == "clipped" else h)

    def posterior_map(self) -> tuple[str, dict[str, Any]] | None:
        """Odds inflated by ``pos_weight / neg_weight``."""
        pw, nw = self.values["pos_weight"], self.values["neg_weight"]
        if np.ndim(pw) or np.ndim(nw):
            return None
        return "odds", {"pos_weight": float(pw) / float(nw), "alpha": None}


@register
class WeightedCELoss(SoftmaxFocalLoss):
    """Class-weighted cross-entropy (``F.cross_entropy(weight=...)``); balanced by default."""

    name = "weighted_bce"
    title = "class-weighted cross-entropy"
    reference = ""
    params = (Param("class_weight", "balanced", CLASS_WEIGHT.check, CLASS_WEIGHT.doc),
              LABEL_SMOOTHING, BETA)
    neutral = {"class_weight": None, "label_smoothing": 0.0}
    torch_function = None  # F.cross_entropy(weight=...)
    torch_module = None


def _optional(check: Any) -> Any:
    def optional(value: Any, owner: str) -> Any:
        return None if value is None else check(value, owner)

    return optional


class _ClassBalanced:
    """Mixin: class weights from the effective number of samples (Cui et al. 2019)."""

    values: dict[str, Any]
    owner: str

    def _effective_weights(self, y: Any, n_classes: int, sample_weight: Any) -> np.ndarray:
        w = resolve_class_weight("effective_number", y, n_classes=n_classes,
                                 beta=self.values["beta"], sample_weight=sample_weight,
                                 owner=self.owner)
        return np.asarray(w, dtype=float)


@register
class SigmoidClassBalancedLoss(_ClassBalanced, SigmoidLoss):
    r"""Class-balanced focal loss :math:`w_y FL_\gamma` with effective-number weights."""

    name = "class_balanced"
    title = "class-balanced (effective number) loss"
    reference = _CUI
    params = (
        BETA,
        gamma_param(0.0),
        Param("class_weight", None, _optional(float_in("class_weight", 0.0, open_low=True,
                                                       vector=True)),
              "the two weights (negatives, positives); computed from the labels if omitted"),
    )
    neutral = {"beta": 0.0, "gamma": 0.0}
    hessians = ("irls", "clipped", "exact")
    from_labels = ("class_weight",)
    whole_vectors = ("class_weight",)

    def _unresolved(self, key: str) -> bool:
        return self.values.get(key) is None

    def _validate(self, owner: str) -> None:
        cw = self.values["class_weight"]
        if cw is not None and np.shape(cw) != (2,):
            from focalkit._core._validation import param_error

            raise param_error("class_weight", owner, "two weights (negatives, positives)", cw)

    def resolve(self, y: Any, *, sample_weight: Any = None,
                n_classes: int | None = None) -> SigmoidClassBalancedLoss:
        """The two class weights from the binary labels ``y``."""
        labels = np.asarray(y, dtype=float)
        if labels.ndim != 1 or np.any((labels != 0) & (labels != 1)):
            from focalkit.exceptions import InvalidParameterError

            raise InvalidParameterError(
                f"{self.owner}: 'class_balanced' computes its weights from 1-D binary "
                "labels; pass class_weight=(w_neg, w_pos) for other targets."
            )
        w = self._effective_weights(labels.astype(int), 2, sample_weight)
        return type(self)(owner=self.owner, **{**self.values, "class_weight": w})

    @property
    def _kw(self) -> dict[str, Any]:
        w0, w1 = (float(v) for v in self.values["class_weight"])
        return {"gamma": self.values["gamma"], "alpha": None, "pos_weight": w1 / w0}

    def loss_grad(self, z: Any, y: Any) -> tuple[Any, Any]:
        """``w0 * focal(pos_weight = w1 / w0)``: weights w1 on positives, w0 on negatives."""
        self._ready()
        w0 = float(self.values["class_weight"][0])
        loss, g = binary_focal_loss_grad(z, y, **self._kw)
        return loss * w0, g * w0

    def grad_hess(self, z: Any, y: Any, *, hessian: str | None = None,
                  hessian_floor: float = 1e-6) -> tuple[Any, Any]:
        """Gradient and Hessian policy (those of focal loss, scaled)."""
        self._ready()
        w0 = float(self.values["class_weight"][0])
        g, h = binary_focal_grad_hess(z, y, hessian=self.check_hessian(hessian),
                                      hessian_floor=hessian_floor / w0, **self._kw)
        return g * w0, h * w0


@register
class SoftmaxClassBalancedLoss(SoftmaxFocalLoss):
    """Class-balanced softmax focal loss: ``class_weight="effective_number"``."""

    name = "class_balanced"
    title = "class-balanced (effective number) softmax loss"
    reference = _CUI
    params = (BETA, gamma_param(0.0),
              Param("class_weight", "effective_number", CLASS_WEIGHT.check,
                    "per-class weights; computed from the labels if omitted"),
              LABEL_SMOOTHING)
    neutral = {"beta": 0.0, "gamma": 0.0, "label_smoothing": 0.0}
    torch_function = None
    torch_module = None
