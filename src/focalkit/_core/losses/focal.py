"""Focal loss (Lin et al. 2017), sigmoid and softmax, and its gamma = 0 case, BCE / CE."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from focalkit._core.binary import binary_focal_grad_hess, binary_focal_loss_grad
from focalkit._core.init_score import binary_focal_init_score, softmax_focal_init_score
from focalkit._core.losses._hessian_matrix import focal_grad_hess_matrix, matrix_policy
from focalkit._core.losses._params import (
    ALPHA,
    BETA,
    CLASS_WEIGHT,
    GAMMA,
    LABEL_SMOOTHING,
    POS_WEIGHT,
)
from focalkit._core.losses._registry import register
from focalkit._core.losses._spec import Param, SigmoidLoss, SoftmaxLoss
from focalkit._core.softmax import softmax_focal_grad_hess, softmax_focal_loss_grad
from focalkit._core.weights import resolve_alpha, resolve_class_weight
from focalkit.exceptions import InvalidParameterError

_LIN = "Lin, Goyal, Girshick, He, Dollar. Focal Loss for Dense Object Detection. ICCV 2017."


@register
class SigmoidFocalLoss(SigmoidLoss):
    r""":math:`L = -a_t (1-p_t)^\gamma \log p_t` (:mod:`focalkit._core.binary`)."""

    name = "focal"
    title = "focal loss"
    reference = _LIN
    params: ClassVar[tuple[Param, ...]] = (GAMMA, ALPHA, POS_WEIGHT)
    neutral = {"gamma": 0.0, "alpha": None, "pos_weight": None}
    hessians = ("irls", "clipped", "exact")
    from_labels = ("alpha", "pos_weight")
    torch_function: ClassVar[str | None] = "binary_focal_loss_with_logits"
    torch_module: ClassVar[str | None] = "BinaryFocalLossWithLogits"

    @property
    def _kw(self) -> dict[str, Any]:
        v = self.values
        return {"gamma": v.get("gamma", 0.0), "alpha": v["alpha"], "pos_weight": v["pos_weight"]}

    def resolve(self, y: Any, *, sample_weight: Any = None,
                n_classes: int | None = None) -> SigmoidFocalLoss:
        """Compute ``alpha="balanced"`` / ``pos_weight="balanced"`` from the labels."""
        from focalkit._core.alternatives import resolve_pos_weight

        v = dict(self.values)
        if isinstance(v["alpha"], str):
            v["alpha"] = resolve_alpha(v["alpha"], y, sample_weight=sample_weight,
                                       owner=self.owner)
        if isinstance(v["pos_weight"], str):
            v["pos_weight"] = resolve_pos_weight(v["pos_weight"], y,
                                                 sample_weight=sample_weight, owner=self.owner)
        return type(self)(owner=self.owner, **v)

    def loss_grad(self, z: Any, y: Any) -> tuple[Any, Any]:
        """Loss and gradient (:func:`~focalkit._core.binary.binary_focal_loss_grad`)."""
        self._ready()
        return binary_focal_loss_grad(z, y, **self._kw)

    def grad_hess(self, z: Any, y: Any, *, hessian: str | None = None,
                  hessian_floor: float = 1e-6) -> tuple[Any, Any]:
        """Gradient and Hessian policy (:func:`~focalkit._core.binary.binary_focal_grad_hess`)."""
        self._ready()
        return binary_focal_grad_hess(z, y, hessian=self.check_hessian(hessian),
                                      hessian_floor=hessian_floor, **self._kw)

    def init_score(self, y: Any, *, sample_weight: Any = None,
                   n_classes: int | None = None) -> Any:
        """Optimal constant margin (:func:`~focalkit.binary_focal_init_score`)."""
        self._ready()
        return binary_focal_init_score(y, sample_weight=sample_weight, **self._kw)

    def posterior_map(self) -> tuple[str, dict[str, Any]] | None:
        """``("focal", ...)``: :func:`~focalkit.focal_to_posterior` inverts the output."""
        kw = self._kw
        if np.ndim(kw["gamma"]) or np.ndim(kw["alpha"]) or np.ndim(kw["pos_weight"]):
            return None
        if kw["gamma"] == 0.0:
            return "odds", {"pos_weight": 1.0 if kw["pos_weight"] is None
                            else float(kw["pos_weight"]), "alpha": kw["alpha"]}
        return "focal", kw


@register
class SigmoidBCELoss(SigmoidFocalLoss):
    """Binary cross-entropy with the RetinaNet ``alpha`` and PyTorch's ``pos_weight``."""

    name = "bce"
    aliases = ("ce",)
    title = "binary cross-entropy"
    reference = ""
    params = (ALPHA, POS_WEIGHT)
    neutral = {"alpha": None, "pos_weight": None}
    torch_function = None  # torch.nn.functional.binary_cross_entropy_with_logits
    torch_module = None


@register
class SoftmaxFocalLoss(SoftmaxLoss):
    r""":math:`L = -a_y (1-p_y)^\gamma \log p_y` (:mod:`focalkit._core.softmax`)."""

    name = "focal"
    title = "softmax focal loss"
    reference = _LIN
    params: ClassVar[tuple[Param, ...]] = (GAMMA, CLASS_WEIGHT, LABEL_SMOOTHING, BETA)
    neutral = {"gamma": 0.0, "class_weight": None, "label_smoothing": 0.0}
    hessians = ("irls", "clipped", "exact")
    from_labels = ("class_weight",)
    dense_targets = True
    torch_function: ClassVar[str | None] = "focal_loss"
    torch_module: ClassVar[str | None] = "FocalLoss"

    @property
    def _kw(self) -> dict[str, Any]:
        v = self.values
        return {"gamma": v.get("gamma", 0.0), "class_weight": v["class_weight"],
                "label_smoothing": v["label_smoothing"]}

    def _unresolved(self, key: str) -> bool:
        return isinstance(self.values.get(key), (str, dict))

    def resolve(self, y: Any, *, sample_weight: Any = None,
                n_classes: int | None = None) -> SoftmaxFocalLoss:
        """Turn ``class_weight`` ("balanced", "effective_number", a dict) into a vector."""
        v = dict(self.values)
        if isinstance(v["class_weight"], (str, dict)):
            v["class_weight"] = resolve_class_weight(
                v["class_weight"], y, n_classes=n_classes, beta=v["beta"],
                sample_weight=sample_weight, owner=self.owner)
        return type(self)(owner=self.owner, **v)

    def _check_classes(self, n_classes: int) -> None:
        for key in ("gamma", "class_weight"):
            v = self.values.get(key)
            if v is not None and getattr(v, "ndim", 0) == 1 and len(v) != n_classes:
                raise InvalidParameterError(
                    f"{self.owner}: '{key}' has {len(v)} entries but the logits have "
                    f"{n_classes} classes."
                )

    def loss_grad(self, z: Any, y: Any, *, axis: int = -1) -> tuple[Any, Any]:
        """Loss and gradient (:func:`~focalkit._core.softmax.softmax_focal_loss_grad`)."""
        self._ready()
        self._check_classes(z.shape[axis])
        return softmax_focal_loss_grad(z, y, axis=axis, **self._kw)

    def grad_hess(self, z: Any, y: Any, *, hessian: str | None = None,
                  hessian_floor: float = 1e-6, axis: int = -1) -> tuple[Any, Any]:
        """Gradient and diagonal Hessian policy."""
        self._ready()
        self._check_classes(z.shape[axis])
        return softmax_focal_grad_hess(z, y, axis=axis, hessian=self.check_hessian(hessian),
                                       hessian_floor=hessian_floor, **self._kw)

    def grad_hess_matrix(self, z: Any, y: Any, *, hessian: str | None = None,
                         hessian_floor: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and full Hessian policy, analytic (:mod:`._hessian_matrix`)."""
        self._ready()
        z = np.asarray(z, dtype=np.float64)
        self._check_classes(z.shape[-1])
        return matrix_policy(focal_grad_hess_matrix, z, y, self.check_hessian(hessian),
                             hessian_floor, **self._kw)

    def init_score(self, y: Any, *, sample_weight: Any = None,
                   n_classes: int | None = None) -> np.ndarray:
        """Optimal constant logits (:func:`~focalkit.softmax_focal_init_score`)."""
        self._ready()
        if self.values["label_smoothing"]:
            return super().init_score(y, sample_weight=sample_weight, n_classes=n_classes)
        return softmax_focal_init_score(y, n_classes, gamma=self._kw["gamma"],
                                        class_weight=self.values["class_weight"],
                                        sample_weight=sample_weight)


@register
class SoftmaxCELoss(SoftmaxFocalLoss):
    """Cross-entropy with class weights and label smoothing (``F.cross_entropy``)."""

    name = "bce"
    aliases = ("ce",)
    title = "cross-entropy"
    reference = ""
    params = (CLASS_WEIGHT, LABEL_SMOOTHING, BETA)
    neutral = {"class_weight": None, "label_smoothing": 0.0}
    torch_function = None  # torch.nn.functional.cross_entropy
    torch_module = None
