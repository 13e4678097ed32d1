"""focalkit: focal loss and its alternatives for class-imbalanced classification.

``import focalkit`` is light: it exposes the NumPy-level mathematics only. The PyTorch
losses live in :mod:`focalkit.torch`, the booster objectives in :mod:`focalkit.boosting`,
each behind its own optional extra.
"""

from focalkit._core import (
    binary_focal_grad,
    binary_focal_grad_hess,
    binary_focal_hessian,
    binary_focal_init_score,
    binary_focal_loss,
    focal_to_posterior,
    resolve_alpha,
    resolve_class_weight,
    softmax_focal_grad,
    softmax_focal_grad_hess,
    softmax_focal_init_score,
    softmax_focal_loss,
)
from focalkit._core.alternatives import prior_bias, resolve_pos_weight
from focalkit._version import __version__
from focalkit.exceptions import FocalkitError, InvalidParameterError, MissingExtraError

__all__ = [
    "FocalkitError",
    "InvalidParameterError",
    "MissingExtraError",
    "__version__",
    "binary_focal_grad",
    "binary_focal_grad_hess",
    "binary_focal_hessian",
    "binary_focal_init_score",
    "binary_focal_loss",
    "focal_to_posterior",
    "prior_bias",
    "resolve_alpha",
    "resolve_class_weight",
    "resolve_pos_weight",
    "softmax_focal_grad",
    "softmax_focal_grad_hess",
    "softmax_focal_init_score",
    "softmax_focal_loss",
]
