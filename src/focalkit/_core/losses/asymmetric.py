"""Asymmetric loss, ASL (Ridnik et al. 2021), for multi-label with many negatives."""

from __future__ import annotations

from typing import Any

from focalkit._core import alternatives as alt
from focalkit._core.losses._registry import register
from focalkit._core.losses._shared import sigmoid_pair
from focalkit._core.losses._spec import Param, SigmoidLoss, float_in

_KEYS = ("gamma_pos", "gamma_neg", "clip")


@register
class AsymmetricLoss(SigmoidLoss):
    r"""ASL.

    .. math:: -y(1-p)^{\gamma_+}\log p - (1-y)p_m^{\gamma_-}\log(1-p_m),\ p_m=\max(p-m,0)
    """

    name = "asymmetric"
    title = "asymmetric loss (ASL)"
    reference = "Ridnik et al. Asymmetric Loss For Multi-Label Classification. ICCV 2021."
    params = (
        Param("gamma_pos", 0.0, float_in("gamma_pos"), "focusing of positives (>= 0)"),
        Param("gamma_neg", 4.0, float_in("gamma_neg"), "focusing of negatives (>= 0)"),
        Param("clip", 0.05, float_in("clip", 0.0, 1.0, open_high=False),
              "probability margin m of negatives, in [0, 1]"),
    )
    neutral = {"gamma_pos": 0.0, "gamma_neg": 0.0, "clip": 0.0}
    hessians = ("irls", "clipped", "exact")
    torch_function = "asymmetric_loss_with_logits"
    torch_module = "AsymmetricLossWithLogits"

    loss_grad = sigmoid_pair(alt.asymmetric_loss, alt.asymmetric_grad, _KEYS)

    def grad_hess(self, z: Any, y: Any, *, hessian: str | None = None,
                  hessian_floor: float = 1e-6) -> tuple[Any, Any]:
        """Gradient and Hessian policy (``asymmetric_grad_hess``)."""
        return alt.asymmetric_grad_hess(z, y, hessian=self.check_hessian(hessian),
                                        hessian_floor=hessian_floor, **self.values)
