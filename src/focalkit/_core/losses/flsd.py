"""FLSD-53 (Mukhoti et al. 2020): focal loss with gamma 5 where p_t < 0.2, else 3."""

from __future__ import annotations

from focalkit._core import alternatives as alt
from focalkit._core.losses._params import ALPHA, CLASS_WEIGHT
from focalkit._core.losses._registry import register
from focalkit._core.losses._shared import sigmoid_pair, softmax_pair
from focalkit._core.losses._spec import Param, SigmoidLoss, SoftmaxLoss, float_in

_MUKHOTI = "Mukhoti et al. Calibrating Deep Neural Networks using Focal Loss. NeurIPS 2020."
_PARAMS = (
    Param("threshold", 0.2, float_in("threshold", 0.0, 1.0, open_high=False),
          "p_t below which gamma_low applies"),
    Param("gamma_low", 5.0, float_in("gamma_low"), "gamma where p_t < threshold"),
    Param("gamma_high", 3.0, float_in("gamma_high"), "gamma elsewhere"),
)
_KEYS = ("threshold", "gamma_low", "gamma_high")


@register
class SigmoidFLSDLoss(SigmoidLoss):
    """Sample-dependent focal loss, sigmoid form."""

    name = "flsd"
    title = "FLSD-53"
    reference = _MUKHOTI
    params = (*_PARAMS, ALPHA)
    neutral = {"gamma_low": 0.0, "gamma_high": 0.0, "alpha": None}
    linear_in_target = False  # gamma is chosen from the soft p_t = y p + (1 - y)(1 - p)
    torch_function = "flsd_binary_focal_loss_with_logits"
    torch_module = "FLSDBinaryFocalLossWithLogits"

    loss_grad = sigmoid_pair(alt.flsd_binary_focal_loss, alt.flsd_binary_focal_grad,
                             (*_KEYS, "alpha"))


@register
class SoftmaxFLSDLoss(SoftmaxLoss):
    """Sample-dependent focal loss, softmax form."""

    name = "flsd"
    title = "FLSD-53 (softmax)"
    reference = _MUKHOTI
    params = (*_PARAMS, CLASS_WEIGHT)
    neutral = {"gamma_low": 0.0, "gamma_high": 0.0, "class_weight": None}
    dense_targets = True
    torch_function = "flsd_softmax_focal_loss"
    torch_module = "FLSDSoftmaxFocalLoss"

    loss_grad = softmax_pair(alt.flsd_softmax_focal_loss, alt.flsd_softmax_focal_grad,
                             (*_KEYS, "class_weight"))
