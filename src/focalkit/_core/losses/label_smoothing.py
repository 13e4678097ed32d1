"""Label smoothing (Szegedy et al. 2016): cross-entropy against smoothed targets."""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit._core import alternatives as alt
from focalkit._core.binary import binary_focal_grad_hess, binary_focal_loss_grad
from focalkit._core.losses._hessian_matrix import focal_grad_hess_matrix, matrix_policy
from focalkit._core.losses._registry import register
from focalkit._core.losses._spec import Param, SigmoidLoss, SoftmaxLoss, float_in
from focalkit._core.softmax import softmax_focal_grad_hess, softmax_focal_loss_grad

_SZEGEDY = "Szegedy et al. Rethinking the Inception Architecture for Computer Vision. " \
    "CVPR 2016."
_SMOOTHING = Param("smoothing", 0.1, float_in("smoothing", 0.0, 1.0, open_high=False),
                   "amount of smoothing in [0, 1]")


@register
class SigmoidLabelSmoothingLoss(SigmoidLoss):
    r"""BCE against :math:`y (1 - s) + s / 2`."""

    name = "label_smoothing"
    title = "label-smoothed BCE"
    reference = _SZEGEDY
    params = (_SMOOTHING,)
    neutral = {"smoothing": 0.0}
    hessians = ("irls", "clipped", "exact")  # BCE's Hessian p (1 - p) > 0
    torch_function = "label_smoothing_bce_with_logits"
    torch_module = "LabelSmoothingBCEWithLogitsLoss"

    def loss_grad(self, z: Any, y: Any) -> tuple[Any, Any]:
        """BCE (focal at gamma 0) at the smoothed targets."""
        return binary_focal_loss_grad(z, alt.smooth_binary_targets(y, self.values["smoothing"]),
                                      gamma=0.0)

    def grad_hess(self, z: Any, y: Any, *, hessian: str | None = None,
                  hessian_floor: float = 1e-6) -> tuple[Any, Any]:
        """Gradient and the BCE Hessian."""
        kind = self.check_hessian(hessian)
        g, h = binary_focal_grad_hess(z, alt.smooth_binary_targets(y, self.values["smoothing"]),
                                      gamma=0.0, hessian="exact")
        return g, (np.maximum(h, hessian_floor) if kind == "clipped" else h)


@register
class SoftmaxLabelSmoothingLoss(SoftmaxLoss):
    """Cross-entropy with label smoothing (``F.cross_entropy(label_smoothing=s)``)."""

    name = "label_smoothing"
    title = "label-smoothed cross-entropy"
    reference = _SZEGEDY
    params = (_SMOOTHING,)
    neutral = {"smoothing": 0.0}
    hessians = ("irls", "clipped", "exact")

    def loss_grad(self, z: Any, y: Any, *, axis: int = -1) -> tuple[Any, Any]:
        """Loss and gradient (softmax focal loss at gamma 0 with label smoothing)."""
        return softmax_focal_loss_grad(z, y, gamma=0.0, label_smoothing=self.values["smoothing"],
                                       axis=axis)

    def grad_hess(self, z: Any, y: Any, *, hessian: str | None = None,
                  hessian_floor: float = 1e-6, axis: int = -1) -> tuple[Any, Any]:
        """Gradient and diagonal Hessian."""
        return softmax_focal_grad_hess(z, y, gamma=0.0, label_smoothing=self.values["smoothing"],
                                       axis=axis, hessian=self.check_hessian(hessian),
                                       hessian_floor=hessian_floor)

    def grad_hess_matrix(self, z: Any, y: Any, *, hessian: str | None = None,
                         hessian_floor: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and full Hessian (:mod:`._hessian_matrix`, gamma = 0)."""
        return matrix_policy(focal_grad_hess_matrix, z, y, self.check_hessian(hessian),
                             hessian_floor, label_smoothing=self.values["smoothing"])
