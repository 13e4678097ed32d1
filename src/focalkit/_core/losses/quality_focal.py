r"""Quality focal loss (Li et al. 2020, Generalized Focal Loss) for soft quality targets.

.. math::

    L = |y - p|^\beta \big(-y \log p - (1-y) \log(1-p)\big), \qquad y \in [0, 1],

the BCE of a soft (IoU-quality) target scaled by the distance of the prediction from it:
the focal factor of the soft-target case, which reduces to focal loss's
:math:`(1-p_t)^\beta` (without ``alpha``) on hard targets. ``beta = 0`` is BCE. With
:math:`d = p - y`, :math:`B` the BCE term and :math:`\mathrm{sgn}` the sign,

.. math::

    \partial_z L = |d|^\beta\, d + \beta\, |d|^{\beta-1} \mathrm{sgn}(d)\, p (1-p)\, B,

which is defined at :math:`d = 0` for :math:`\beta \ge 1` (so ``beta`` is 0 or at least
1). Everything is formed from ``softplus`` (``-log p = softplus(-z)``), so the loss and the
gradient stay finite at any margin. The Hessian is the generic one (central differences of
the gradient; ``"clipped"`` floors it for the boosters).
"""

from __future__ import annotations

from typing import Any

from focalkit._core._backend import get_ops
from focalkit._core._validation import _is_real, param_error
from focalkit._core.alternatives import _sigmoid_parts
from focalkit._core.losses._registry import register
from focalkit._core.losses._spec import Param, SigmoidLoss


def _beta(value: Any, owner: str) -> float:
    if _is_real(value) and (float(value) == 0.0 or 1.0 <= float(value) < float("inf")):
        return float(value)
    raise param_error("beta", owner, "0 or a float in [1, inf) (below 1 the gradient is "
                      "infinite where the prediction meets the target)", value)


@register
class QualityFocalLoss(SigmoidLoss):
    """Quality focal loss: BCE of a soft quality target times ``|y - p|^beta``."""

    name = "quality_focal"
    aliases = ("qfl",)
    title = "quality focal loss (soft IoU-quality targets)"
    reference = "Li, Wang, Wu, Chen, Hu, Li, Tang, Yang. Generalized Focal Loss: Learning " \
        "Qualified and Distributed Bounding Boxes for Dense Object Detection. NeurIPS 2020."
    params = (Param("beta", 2.0, _beta, "focusing on the distance |y - p| (0 or >= 1)"),)
    neutral = {"beta": 0.0}
    linear_in_target = False  # |y - p|^beta: soft targets are qualities, not mixtures
    torch_function = "quality_focal_loss_with_logits"
    torch_module = "QualityFocalLossWithLogits"

    def loss_grad(self, z: Any, y: Any) -> tuple[Any, Any]:
        """Loss and gradient."""
        ops = get_ops(z)
        q = ops.asarray(y, like=z)
        beta = self.values["beta"]
        p, one_m_p, sp_neg, sp_pos = _sigmoid_parts(ops, z)  # sp_neg = -log p
        bce = q * sp_neg + (1.0 - q) * sp_pos
        d = ops.where(q == 1.0, -one_m_p, p - q)  # exact 1 - p on hard positives
        if beta == 0.0:
            return bce, d
        dist = ops.abs(d)
        scale = dist * dist if beta == 2.0 else ops.pow(dist, beta)
        one, zero = 1.0 + 0.0 * d, 0.0 * d  # tensors: every back end's where takes them
        sgn = ops.where(d > 0, one, zero) - ops.where(d < 0, one, zero)
        d_scale = beta * sgn * (dist if beta == 2.0 else ops.pow(dist, beta - 1.0))
        return scale * bce, scale * d + d_scale * (p * one_m_p) * bce
