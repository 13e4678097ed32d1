r"""Poly-1 (Leng et al. 2022): focal or cross-entropy plus :math:`\\epsilon (1-p_t)^{\\gamma+1}`."""

from __future__ import annotations

from focalkit._core import alternatives as alt
from focalkit._core.losses._params import ALPHA, CLASS_WEIGHT, gamma_param
from focalkit._core.losses._registry import register
from focalkit._core.losses._shared import sigmoid_pair, softmax_pair
from focalkit._core.losses._spec import Param, SigmoidLoss, SoftmaxLoss, float_in

_LENG = "Leng et al. PolyLoss: A Polynomial Expansion Perspective of Classification Loss " \
    "Functions. ICLR 2022."
_EPSILON = Param("epsilon", 1.0, float_in("epsilon", -1.0),
                 "weight of the first polynomial term (>= -1)")


@register
class SigmoidPoly1Loss(SigmoidLoss):
    r""":math:`FL_\gamma + \epsilon (1-p_t)^{\gamma+1}` (``gamma=0``: Poly-1 BCE)."""

    name = "poly1"
    aliases = ("poly1_focal",)
    alias_defaults = {"poly1_focal": {"gamma": 2.0}}  # Poly-1 focal; "poly1" is Poly-1 CE
    title = "Poly-1"
    reference = _LENG
    params = (_EPSILON, gamma_param(0.0), ALPHA)
    neutral = {"epsilon": 0.0, "gamma": 0.0, "alpha": None}
    torch_function = "poly1_binary_focal_loss_with_logits"
    torch_module = "Poly1BinaryFocalLossWithLogits"

    loss_grad = sigmoid_pair(alt.poly1_binary_focal_loss, alt.poly1_binary_focal_grad,
                             ("epsilon", "gamma", "alpha"))


@register
class SoftmaxPoly1Loss(SoftmaxLoss):
    r"""Softmax :math:`FL_\gamma + \epsilon (1-p_y)^{\gamma+1}` (``gamma=0``: Poly-1 CE)."""

    name = "poly1"
    aliases = ("poly1_focal",)
    alias_defaults = {"poly1_focal": {"gamma": 2.0}}
    title = "Poly-1 (softmax)"
    reference = _LENG
    params = (_EPSILON, gamma_param(0.0), CLASS_WEIGHT)
    neutral = {"epsilon": 0.0, "gamma": 0.0, "class_weight": None}
    dense_targets = True
    torch_function = "poly1_softmax_focal_loss"
    torch_module = "Poly1CrossEntropyLoss"

    loss_grad = softmax_pair(alt.poly1_softmax_focal_loss, alt.poly1_softmax_focal_grad,
                             ("epsilon", "gamma", "class_weight"))
