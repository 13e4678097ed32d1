"""The mathematics of focalkit, written once (NumPy; torch tensors accepted).

Every loss here is elementwise and unreduced: value, gradient and Hessian with respect to
the margin, plus the optimal initial score and the focal->posterior map. Adapters
(:mod:`focalkit.torch`, :mod:`focalkit.boosting`) only change shapes, signatures and signs.
"""

from focalkit._core.binary import (
    binary_focal_grad,
    binary_focal_grad_hess,
    binary_focal_hessian,
    binary_focal_loss,
    binary_focal_loss_grad,
)
from focalkit._core.init_score import binary_focal_init_score, softmax_focal_init_score
from focalkit._core.posterior import focal_to_posterior
from focalkit._core.softmax import (
    softmax_focal_grad,
    softmax_focal_grad_hess,
    softmax_focal_loss,
    softmax_focal_loss_grad,
)
from focalkit._core.weights import class_counts, resolve_alpha, resolve_class_weight

__all__ = [
    "binary_focal_grad",
    "binary_focal_grad_hess",
    "binary_focal_hessian",
    "binary_focal_init_score",
    "binary_focal_loss",
    "binary_focal_loss_grad",
    "class_counts",
    "focal_to_posterior",
    "resolve_alpha",
    "resolve_class_weight",
    "softmax_focal_grad",
    "softmax_focal_grad_hess",
    "softmax_focal_init_score",
    "softmax_focal_loss",
    "softmax_focal_loss_grad",
]
