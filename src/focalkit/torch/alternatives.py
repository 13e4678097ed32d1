"""The alternatives to focal loss for PyTorch (this module path kept for compatibility).

Every loss here is generated from its registry spec (:mod:`focalkit.torch._generate`) and
runs through the same ``autograd.Function``, checks and conventions as the focal losses:
sigmoid losses mirror ``F.binary_cross_entropy_with_logits`` (``input`` and ``target`` of
the same shape, elementwise ``weight``, ``reduction``), softmax losses ``F.cross_entropy``
(classes on dim 1, integer targets or class probabilities, ``weight`` per class,
``ignore_index``, weighted ``"mean"``). Import them from :mod:`focalkit.torch`.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from focalkit._core.alternatives import DeferredReweighting, ldam_margins
from focalkit.torch._generate import FUNCTIONS, MODULES
from focalkit.torch._init import prior_bias_init_, softmax_prior_bias_init_

AsymmetricLossWithLogits = MODULES["AsymmetricLossWithLogits"]
FLSDBinaryFocalLossWithLogits = MODULES["FLSDBinaryFocalLossWithLogits"]
FLSDSoftmaxFocalLoss = MODULES["FLSDSoftmaxFocalLoss"]
FocalStarLossWithLogits = MODULES["FocalStarLossWithLogits"]
LDAMLoss = MODULES["LDAMLoss"]
LabelSmoothingBCEWithLogitsLoss = MODULES["LabelSmoothingBCEWithLogitsLoss"]
LogitAdjustedBCEWithLogitsLoss = MODULES["LogitAdjustedBCEWithLogitsLoss"]
LogitAdjustedCrossEntropyLoss = MODULES["LogitAdjustedCrossEntropyLoss"]
Poly1BinaryFocalLossWithLogits = MODULES["Poly1BinaryFocalLossWithLogits"]
Poly1CrossEntropyLoss = MODULES["Poly1CrossEntropyLoss"]
WeightedBCEWithLogitsLoss = MODULES["WeightedBCEWithLogitsLoss"]
asymmetric_loss_with_logits = FUNCTIONS["asymmetric_loss_with_logits"]
flsd_binary_focal_loss_with_logits = FUNCTIONS["flsd_binary_focal_loss_with_logits"]
flsd_softmax_focal_loss = FUNCTIONS["flsd_softmax_focal_loss"]
focal_star_loss_with_logits = FUNCTIONS["focal_star_loss_with_logits"]
label_smoothing_bce_with_logits = FUNCTIONS["label_smoothing_bce_with_logits"]
ldam_loss = FUNCTIONS["ldam_loss"]
logit_adjusted_bce_with_logits = FUNCTIONS["logit_adjusted_bce_with_logits"]
logit_adjusted_cross_entropy = FUNCTIONS["logit_adjusted_cross_entropy"]
poly1_binary_focal_loss_with_logits = FUNCTIONS["poly1_binary_focal_loss_with_logits"]
poly1_cross_entropy = FUNCTIONS["poly1_cross_entropy"]
poly1_softmax_focal_loss = FUNCTIONS["poly1_softmax_focal_loss"]
weighted_bce_with_logits = FUNCTIONS["weighted_bce_with_logits"]

__all__ = [
    "AsymmetricLossWithLogits",
    "DeferredReweighting",
    "FLSDBinaryFocalLossWithLogits",
    "FLSDSoftmaxFocalLoss",
    "FocalStarLossWithLogits",
    "LDAMLoss",
    "LabelSmoothingBCEWithLogitsLoss",
    "LogitAdjustedBCEWithLogitsLoss",
    "LogitAdjustedCrossEntropyLoss",
    "Poly1BinaryFocalLossWithLogits",
    "Poly1CrossEntropyLoss",
    "WeightedBCEWithLogitsLoss",
    "asymmetric_loss_with_logits",
    "flsd_binary_focal_loss_with_logits",
    "flsd_softmax_focal_loss",
    "focal_star_loss_with_logits",
    "label_smoothing_bce_with_logits",
    "ldam_loss",
    "ldam_margins",
    "logit_adjusted_bce_with_logits",
    "logit_adjusted_cross_entropy",
    "poly1_binary_focal_loss_with_logits",
    "poly1_cross_entropy",
    "poly1_softmax_focal_loss",
    "prior_bias_init_",
    "softmax_prior_bias_init_",
    "weighted_bce_with_logits",
]


def _core_binary_focal_loss(input: Tensor, target: Tensor, *, gamma: Any = 2.0,
                            alpha: Any = None) -> Tensor:
    """Unreduced sigmoid focal loss (internal; kept for :mod:`focalkit.sklearn`).

    The public :func:`focalkit.torch.binary_focal_loss_with_logits` with
    ``reduction="none"``: the same path, fused kernels included.
    """
    fn = FUNCTIONS["binary_focal_loss_with_logits"]
    return fn(input, target, gamma=gamma, alpha=alpha, reduction="none")


def _core_softmax_focal_loss(input: Tensor, target: Tensor, *, gamma: Any = 2.0,
                             class_weight: Any = None) -> Tensor:
    """Per-sample softmax focal loss of ``(N, C)`` logits (internal, as above)."""
    fn = FUNCTIONS["focal_loss"]
    return fn(input, target, gamma=gamma, weight=class_weight, reduction="none")
