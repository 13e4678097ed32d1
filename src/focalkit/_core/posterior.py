r"""Map focal-loss outputs back to posterior probabilities.

Focal probabilities are not posteriors. At the population optimum, a sigmoid focal model
that outputs :math:`q` for a point of posterior :math:`\eta` satisfies
:math:`\eta\, a_1 A(q) = (1-\eta)\, a_0 B(q)`, hence (docs/math.md)

.. math::

    \eta = \frac{a_0 B(q)}{a_1 A(q) + a_0 B(q)},\quad
    A(q) = (1-q)^\gamma \Big(\frac{1}{q} + \gamma r(q)\Big),\quad B(q) = A(1-q),

with :math:`r(q) = -\ln q / (1-q)` (bounded form of :math:`-\gamma(1-q)^{\gamma-1}\ln q`).
Output 0.5 therefore means posterior :math:`a_0 / (a_0 + a_1)`, i.e. ``1 - alpha``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["focal_to_posterior"]


def _a(q: np.ndarray, gamma: float) -> np.ndarray:
    t = 1.0 - q
    safe_t = np.where(t > 0, t, 1.0)
    # q = 0 gives inf (and 0 * inf at gamma = 0); the caller maps the endpoints exactly
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(t > 0, -np.log(q) / safe_t, 1.0)
        inv_q = np.where(q > 0, 1.0 / np.where(q > 0, q, 1.0), np.inf)
        return t**gamma * (inv_q + gamma * r)


def focal_to_posterior(
    prob: Any, *, gamma: float = 2.0, alpha: Any = None, pos_weight: Any = None
) -> np.ndarray:
    """Posterior probability implied by a sigmoid focal model's output ``prob``.

    Parameters
    ----------
    prob : array_like
        ``sigmoid(margin)`` of a model trained with sigmoid focal loss, in [0, 1].
    gamma : float, default=2.0
        The model's focusing parameter.
    alpha : float or None, default=None
        The model's positive weight.
    pos_weight : float or None, default=None
        The model's extra positive factor.

    Returns
    -------
    ndarray
        Calibrated posteriors, same shape as ``prob``; 0 and 1 map to themselves.

    Examples
    --------
    >>> round(float(focal_to_posterior(0.5, gamma=2.0, alpha=0.9)), 4)
    0.1
    """
    q = np.clip(np.asarray(prob, dtype=float), 0.0, 1.0)
    a1 = (1.0 if alpha is None else float(alpha)) * (1.0 if pos_weight is None else pos_weight)
    a0 = 1.0 if alpha is None else 1.0 - float(alpha)
    num = a0 * _a(1.0 - q, gamma)
    den = a1 * _a(q, gamma) + num
    with np.errstate(invalid="ignore"):
        eta = np.where(np.isfinite(num) & np.isfinite(den) & (den > 0), num / den, np.nan)
    eta = np.where(q <= 0, 0.0, np.where(q >= 1, 1.0, eta))
    return eta
