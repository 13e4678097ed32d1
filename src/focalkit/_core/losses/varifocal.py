r"""Varifocal loss (Zhang et al. 2021) for IoU-aware soft targets :math:`q \in [0, 1]`.

.. math::

    L = \begin{cases} q\,\big(-q \log p - (1-q) \log(1-p)\big) & q > 0 \\
                      -\alpha\, p^\gamma \log(1-p) & q = 0 \end{cases}

Positives (``q > 0``, the IoU of the predicted box with its ground truth) are weighted by
their quality and never down-weighted; only negatives get the focal factor
:math:`p^\gamma`. With ``neg_weight=1, gamma=0`` and hard targets it is BCE. The paper calls the
negatives' weight :math:`\alpha` (0.75); focalkit names it ``neg_weight``, because ``alpha`` is
the positives' weight everywhere else (docs/math.md). Every quantity is
formed from ``softplus`` and ``exp(-gamma * softplus(-z))`` (no ``log(sigmoid)``, no
clipping), so it stays finite at any margin and any ``gamma >= 0``:

.. math::

    \partial_z L = q (p - q)\ (q > 0), \qquad
    \alpha p^\gamma \big(\gamma (1-p)\, \mathrm{sp}(z) + p\big)\ (q = 0),

with :math:`\mathrm{sp}(z) = -\log(1-p)`. The negative side's exact Hessian
:math:`\alpha p^\gamma (1-p) (\gamma^2 (1-p)\,\mathrm{sp} + (1+2\gamma) p - \gamma p\,
\mathrm{sp})` turns negative for confident false positives; ``"irls"`` uses
:math:`\alpha p^\gamma (1-p)(\gamma (1-p)\,\mathrm{sp} + p) > 0`.
"""

from __future__ import annotations

from typing import Any

from focalkit._core._backend import get_ops
from focalkit._core.alternatives import _sigmoid_parts
from focalkit._core.losses._params import gamma_param
from focalkit._core.losses._registry import register
from focalkit._core.losses._spec import Param, SigmoidLoss, float_in


def _parts(z: Any, y: Any, alpha: float, gamma: float, hessian: str | None) -> tuple[Any, ...]:
    ops = get_ops(z)
    q = ops.asarray(y, like=z)
    p, one_m_p, sp_neg, sp_pos = _sigmoid_parts(ops, z)  # sp_neg = -log p, sp_pos = -log(1-p)
    pos = q > 0
    p_gamma = ops.exp(-gamma * sp_neg) if gamma else 1.0 + 0.0 * z
    loss = ops.where(pos, q * (q * sp_neg + (1.0 - q) * sp_pos), alpha * p_gamma * sp_pos)
    neg_w = gamma * one_m_p * sp_pos + p
    grad = ops.where(pos, q * (p - q), alpha * p_gamma * neg_w)
    if hessian is None:
        return loss, grad, None
    s = p * one_m_p
    if hessian == "irls":
        h_neg = alpha * p_gamma * one_m_p * neg_w
    else:
        h_neg = alpha * p_gamma * one_m_p * (
            gamma * gamma * one_m_p * sp_pos + (1.0 + 2.0 * gamma) * p - gamma * p * sp_pos)
    hess = ops.where(pos, q * s, h_neg)
    return loss, grad, hess


@register
class VarifocalLoss(SigmoidLoss):
    """Varifocal loss: quality-weighted BCE on positives, focal down-weighting of negatives."""

    name = "varifocal"
    title = "varifocal loss (soft IoU-quality targets)"
    reference = "Zhang, Wang, Dayoub, Sunderhauf. VarifocalNet: An IoU-aware Dense Object " \
        "Detector. CVPR 2021."
    params = (
        Param("neg_weight", 0.75, float_in("neg_weight", 0.0, open_low=True),
              "weight of the negatives' term (> 0; the paper's alpha)"),
        gamma_param(2.0, "focusing of the negatives (>= 0)"),
    )
    neutral = {"neg_weight": 1.0, "gamma": 0.0}  # on hard targets
    linear_in_target = False  # soft targets are qualities, not mixtures
    hessians = ("irls", "clipped", "exact")
    torch_function = "varifocal_loss_with_logits"
    torch_module = "VarifocalLossWithLogits"

    def loss_grad(self, z: Any, y: Any) -> tuple[Any, Any]:
        """Loss and gradient."""
        loss, grad, _ = _parts(z, y, self.values["neg_weight"], self.values["gamma"], None)
        return loss, grad

    def grad_hess(self, z: Any, y: Any, *, hessian: str | None = None,
                  hessian_floor: float = 1e-6) -> tuple[Any, Any]:
        """Gradient and Hessian policy (``"irls"``, ``"exact"``, ``"clipped"``)."""
        kind = self.check_hessian(hessian)
        _, grad, hess = _parts(z, y, self.values["neg_weight"], self.values["gamma"],
                               "irls" if kind == "irls" else "exact")
        if kind == "clipped":
            ops = get_ops(hess)
            hess = ops.maximum(hess, ops.asarray(hessian_floor, like=hess))
        return grad, hess
