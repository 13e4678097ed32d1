r"""FL* (Lin et al. 2017, appendix): :math:`-\\log\\sigma(\\gamma^* z_t + \\beta^*)/\\gamma^*`."""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit._core import alternatives as alt
from focalkit._core.losses._registry import register
from focalkit._core.losses._shared import sigmoid_pair
from focalkit._core.losses._spec import Param, SigmoidLoss, float_in

_KEYS = ("gamma_star", "beta_star")


@register
class FocalStarLoss(SigmoidLoss):
    r"""FL*: a sharpened, shifted log-loss; convex in the margin."""

    name = "focal_star"
    title = "FL*"
    reference = "Lin, Goyal, Girshick, He, Dollar. Focal Loss for Dense Object Detection " \
        "(appendix A). ICCV 2017."
    params = (
        Param("gamma_star", 1.0, float_in("gamma_star", 0.0, open_low=True),
              "sharpness (> 0)"),
        Param("beta_star", 0.0, float_in("beta_star", -np.inf), "shift of the margin"),
    )
    neutral = {"gamma_star": 1.0, "beta_star": 0.0}
    hessians = ("irls", "clipped", "exact")  # convex: exact = positive
    torch_function = "focal_star_loss_with_logits"
    torch_module = "FocalStarLossWithLogits"

    loss_grad = sigmoid_pair(alt.focal_star_loss, alt.focal_star_grad, _KEYS)

    def grad_hess(self, z: Any, y: Any, *, hessian: str | None = None,
                  hessian_floor: float = 1e-6) -> tuple[Any, Any]:
        """Gradient and (exact, positive) Hessian."""
        kind = self.check_hessian(hessian)
        g, h = alt.focal_star_grad_hess(z, y, **self.values)
        return g, (np.maximum(h, hessian_floor) if kind == "clipped" else h)
