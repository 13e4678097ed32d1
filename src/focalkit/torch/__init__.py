r"""PyTorch focal losses: drop-ins for ``F.binary_cross_entropy_with_logits``/``F.cross_entropy``.

Functional forms and ``nn.Module`` twins, implemented as ``torch.autograd.Function``\\ s with
the analytic gradient of :mod:`focalkit._core` (only the inputs are kept for the backward).
Fused fast paths in :mod:`focalkit.torch.kernels` are tried first; :func:`use_fast_path`
switches them off. Needs the ``torch`` extra: ``pip install 'focalkit[torch]'``.
"""

from focalkit.exceptions import require

torch = require("torch", "torch", feature="focalkit.torch")

from focalkit._core._backend import get_ops as _get_ops  # noqa: E402
from focalkit.torch._binary import (  # noqa: E402
    BinaryFocalLossWithLogits,
    binary_focal_loss_with_logits,
)
from focalkit.torch._deferred import check_pending_targets, sync_target_checks  # noqa: E402
from focalkit.torch._dispatch import fast_path_enabled, use_fast_path  # noqa: E402
from focalkit.torch._softmax import FocalLoss, focal_loss  # noqa: E402
from focalkit.torch.alternatives import (  # noqa: E402
    AsymmetricLossWithLogits,
    DeferredReweighting,
    FLSDBinaryFocalLossWithLogits,
    FLSDSoftmaxFocalLoss,
    FocalStarLossWithLogits,
    LabelSmoothingBCEWithLogitsLoss,
    LDAMLoss,
    LogitAdjustedBCEWithLogitsLoss,
    LogitAdjustedCrossEntropyLoss,
    Poly1BinaryFocalLossWithLogits,
    Poly1CrossEntropyLoss,
    WeightedBCEWithLogitsLoss,
    asymmetric_loss_with_logits,
    flsd_binary_focal_loss_with_logits,
    flsd_softmax_focal_loss,
    focal_star_loss_with_logits,
    label_smoothing_bce_with_logits,
    ldam_loss,
    ldam_margins,
    logit_adjusted_bce_with_logits,
    logit_adjusted_cross_entropy,
    poly1_binary_focal_loss_with_logits,
    poly1_cross_entropy,
    poly1_softmax_focal_loss,
    prior_bias_init_,
    softmax_prior_bias_init_,
    weighted_bce_with_logits,
)

_get_ops(torch.empty(0))  # build the torch back end of _core now, not while compiling
del torch, require

__all__ = [
    "AsymmetricLossWithLogits",
    "BinaryFocalLossWithLogits",
    "DeferredReweighting",
    "FLSDBinaryFocalLossWithLogits",
    "FLSDSoftmaxFocalLoss",
    "FocalLoss",
    "FocalStarLossWithLogits",
    "LDAMLoss",
    "LabelSmoothingBCEWithLogitsLoss",
    "LogitAdjustedBCEWithLogitsLoss",
    "LogitAdjustedCrossEntropyLoss",
    "Poly1BinaryFocalLossWithLogits",
    "Poly1CrossEntropyLoss",
    "WeightedBCEWithLogitsLoss",
    "asymmetric_loss_with_logits",
    "binary_focal_loss_with_logits",
    "check_pending_targets",
    "fast_path_enabled",
    "flsd_binary_focal_loss_with_logits",
    "flsd_softmax_focal_loss",
    "focal_loss",
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
    "sync_target_checks",
    "use_fast_path",
    "weighted_bce_with_logits",
]
