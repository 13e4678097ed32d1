r"""Sigmoid (binary and multi-label) focal loss: value, gradient and Hessian in the margin.

Notation (docs/math.md): :math:`z` the margin, :math:`p=\sigma(z)`, target :math:`y\in[0,1]`.
For a hard target, :math:`p_t` is the probability of the true class and :math:`q=1-p_t`:

.. math::

    L = -a_t\, q^\gamma \log p_t,\qquad
    \partial_z L = a_t\, q^\gamma (1 + \gamma p_t r)\,(p - y),\qquad
    r = -\log(p_t) / q .

Writing the gradient with the bounded ratio :math:`r` (it tends to 1 as :math:`q\to 0`)
instead of :math:`q^{\gamma-1}` keeps every quantity finite for :math:`0<\gamma<1` when
:math:`q` underflows; no probability is ever clipped and no ``log(sigmoid(z))`` is formed.

Soft targets: ``L(z, y) = y L(z, 1) + (1 - y) L(z, 0)``, linear in ``y``; at ``gamma=0``
this is exactly ``binary_cross_entropy_with_logits`` with soft targets.

Coefficients: positives are weighted ``a_1 = alpha * pos_weight``, negatives
``a_0 = 1 - alpha``; ``alpha=None`` means 1 for both (so ``pos_weight`` alone reproduces
PyTorch's ``pos_weight``).

Every function here is elementwise, keyword-only and unreduced; it accepts NumPy arrays or
torch tensors (via :mod:`focalkit._core._backend`). ``gamma``, ``alpha`` and
``pos_weight`` may be floats or arrays broadcastable to ``z`` (per-label values).
"""

from __future__ import annotations

from typing import Any

from focalkit._core._backend import get_ops

__all__ = [
    "binary_focal_grad",
    "binary_focal_grad_hess",
    "binary_focal_hessian",
    "binary_focal_loss",
    "binary_focal_loss_grad",
]

Array = Any


def _coefficients(ops: Any, like: Array, alpha: Any, pos_weight: Any) -> tuple[Any, Any]:
    """(a_1, a_0): the weights of the positive and negative terms."""

    def cast(v: Any) -> Any:
        return v if isinstance(v, (int, float)) else ops.asarray(v, like=like)

    a1: Any = 1.0 if alpha is None else cast(alpha)
    a0: Any = 1.0 if alpha is None else 1.0 - cast(alpha)
    if pos_weight is not None:
        a1 = a1 * cast(pos_weight)
    return a1, a0


def _gamma(ops: Any, gamma: Any, like: Array) -> Any:
    return float(gamma) if isinstance(gamma, (int, float)) else ops.asarray(gamma, like=like)


class _Parts:
    """Shared pieces of one margin array: both sides' probabilities and ratios."""

    def __init__(self, ops: Any, z: Array) -> None:
        e = ops.exp(-ops.abs(z))  # in (0, 1]: never overflows
        lp1 = ops.log1p(e)
        inv = 1.0 / (1.0 + e)
        pos = z >= 0
        self.p = ops.where(pos, inv, e * inv)  # sigmoid(z)
        self.pm = ops.where(pos, e * inv, inv)  # 1 - sigmoid(z), accurate in both tails
        self.nlog_p = ops.where(pos, lp1, lp1 - z)  # -log p      (softplus(-z))
        self.nlog_pm = ops.where(pos, lp1 + z, lp1)  # -log(1 - p) (softplus(z))
        # c = log1p(e)/e -> 1 as e -> 0; r1 = -log p / (1-p), r0 = -log(1-p) / p.
        safe_e = ops.where(e > 0, e, 1.0)
        c = ops.where(e > 0, lp1 / safe_e, 1.0)
        scale = 1.0 + e
        self.r1 = scale * ops.where(pos, c, lp1 - z)
        self.r0 = scale * ops.where(pos, lp1 + z, c)


def _side_loss(q_pow: Array, nlog_pt: Array) -> Array:
    return q_pow * nlog_pt


def _side_weight(q_pow: Array, p_t: Array, r: Array, gamma: Any) -> Array:
    """Weight w = q^gamma (1 + gamma p_t r), so that dL/dz = w (p - y) on this side."""
    return q_pow * (1.0 + gamma * p_t * r)


def _side_hessian(
    q_pow: Array, q: Array, p_t: Array, r: Array, gamma: Any, kind: str, w: Array
) -> Array:
    if kind == "irls":
        return w * p_t * q
    # exact: p_t q^(gamma+1) [(1 + 2 gamma) - gamma (1 - (1 + gamma) p_t) r]
    return p_t * q * q_pow * ((1.0 + 2.0 * gamma) - gamma * (1.0 - (1.0 + gamma) * p_t) * r)


def _compute(
    z: Array,
    y: Array,
    *,
    gamma: Any,
    alpha: Any,
    pos_weight: Any,
    loss: bool = False,
    grad: bool = False,
    hessian: str | None = None,
    hessian_floor: float = 1e-6,
) -> tuple[Any, Any, Any]:
    ops = get_ops(z)
    y = ops.asarray(y, like=z)
    g = _gamma(ops, gamma, z)
    a1, a0 = _coefficients(ops, z, alpha, pos_weight)
    parts = _Parts(ops, z)
    q1_pow = ops.pow(parts.pm, g)  # (1-p)^gamma: positive side
    q0_pow = ops.pow(parts.p, g)  # p^gamma: negative side
    y1, y0 = y * a1, (1.0 - y) * a0
    out_loss = out_grad = out_hess = None
    if loss:
        out_loss = y1 * _side_loss(q1_pow, parts.nlog_p) + y0 * _side_loss(q0_pow, parts.nlog_pm)
    if grad or hessian is not None:
        w1 = _side_weight(q1_pow, parts.p, parts.r1, g)
        w0 = _side_weight(q0_pow, parts.pm, parts.r0, g)
        if grad:
            # positive side: w1 (p - 1) = -w1 (1-p); negative side: w0 p
            out_grad = y0 * w0 * parts.p - y1 * w1 * parts.pm
        if hessian is not None:
            kind = "irls" if hessian == "irls" else "exact"
            h1 = _side_hessian(q1_pow, parts.pm, parts.p, parts.r1, g, kind, w1)
            h0 = _side_hessian(q0_pow, parts.p, parts.pm, parts.r0, g, kind, w0)
            out_hess = y1 * h1 + y0 * h0
            if hessian == "clipped":
                out_hess = ops.maximum(out_hess, ops.asarray(hessian_floor, like=out_hess))
    return out_loss, out_grad, out_hess


def binary_focal_loss(
    z: Array, y: Array, *, gamma: Any = 2.0, alpha: Any = None, pos_weight: Any = None
) -> Array:
    r"""Elementwise sigmoid focal loss of margins ``z`` against targets ``y``.

    .. math:: L = -a_t (1 - p_t)^\gamma \log p_t

    Parameters
    ----------
    z : array_like or torch.Tensor
        Margins (logits), any shape.
    y : array_like or torch.Tensor
        Targets in [0, 1] broadcastable to ``z``; values between are soft targets.
    gamma : float or array, default=2.0
        Focusing parameter, >= 0; an array broadcasts (e.g. one value per label).
    alpha : float, array or None, default=None
        Weight of positives (negatives get ``1 - alpha``); None weighs both by 1.
    pos_weight : float, array or None, default=None
        Extra factor on the positive term, as in PyTorch's BCE.

    Returns
    -------
    array or torch.Tensor
        The loss, same shape and dtype as ``z``.

    Notes
    -----
    ``gamma=0`` with ``alpha=None`` gives binary cross-entropy (log-loss) exactly.

    References
    ----------
    Lin, Goyal, Girshick, He, Dollar. Focal Loss for Dense Object Detection. ICCV 2017.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(binary_focal_loss(np.array(0.0), np.array(1.0), gamma=2.0)), 4)
    0.1733
    """
    out, _, _ = _compute(z, y, gamma=gamma, alpha=alpha, pos_weight=pos_weight, loss=True)
    return out


def binary_focal_grad(
    z: Array, y: Array, *, gamma: Any = 2.0, alpha: Any = None, pos_weight: Any = None
) -> Array:
    r"""Elementwise derivative of :func:`binary_focal_loss` with respect to ``z``.

    .. math:: \partial_z L = a_t (1-p_t)^\gamma (1 + \gamma p_t r) (p - y)

    Parameters are those of :func:`binary_focal_loss`.

    Returns
    -------
    array or torch.Tensor
        The gradient, finite for every ``gamma >= 0`` and every finite ``z``.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(binary_focal_grad(np.array(0.0), np.array(1.0), gamma=2.0)), 4)
    -0.2983
    """
    _, out, _ = _compute(z, y, gamma=gamma, alpha=alpha, pos_weight=pos_weight, grad=True)
    return out


def binary_focal_hessian(
    z: Array,
    y: Array,
    *,
    gamma: Any = 2.0,
    alpha: Any = None,
    pos_weight: Any = None,
    hessian: str = "exact",
    hessian_floor: float = 1e-6,
) -> Array:
    r"""Second derivative of :func:`binary_focal_loss` in ``z``, or a positive surrogate.

    Parameters
    ----------
    z, y, gamma, alpha, pos_weight
        As in :func:`binary_focal_loss`.
    hessian : {"exact", "irls", "clipped"}, default="exact"
        ``"exact"`` is the true second derivative, negative on confidently wrong samples
        (``p_t < 0.058`` at ``gamma=2``); ``"irls"`` is ``w p (1-p)``, always positive and
        exact at ``gamma=0``; ``"clipped"`` is ``max(exact, hessian_floor)``.
    hessian_floor : float, default=1e-6
        Floor for ``"clipped"``.

    Returns
    -------
    array or torch.Tensor

    Examples
    --------
    >>> import numpy as np
    >>> round(float(binary_focal_hessian(np.array(-4.0), np.array(1.0))), 4)
    -0.0467
    """
    _, _, out = _compute(
        z, y, gamma=gamma, alpha=alpha, pos_weight=pos_weight,
        hessian=hessian, hessian_floor=hessian_floor,
    )
    return out


def binary_focal_grad_hess(
    z: Array,
    y: Array,
    *,
    gamma: Any = 2.0,
    alpha: Any = None,
    pos_weight: Any = None,
    hessian: str = "irls",
    hessian_floor: float = 1e-6,
) -> tuple[Array, Array]:
    """Gradient and Hessian (see :func:`binary_focal_hessian`) in one pass; for boosters.

    Returns
    -------
    grad, hess : arrays shaped like ``z``
    """
    _, g, h = _compute(
        z, y, gamma=gamma, alpha=alpha, pos_weight=pos_weight,
        grad=True, hessian=hessian, hessian_floor=hessian_floor,
    )
    return g, h


def binary_focal_loss_grad(
    z: Array, y: Array, *, gamma: Any = 2.0, alpha: Any = None, pos_weight: Any = None
) -> tuple[Array, Array]:
    """Loss and gradient in one pass.

    Returns
    -------
    loss, grad : arrays shaped like ``z``
    """
    loss, g, _ = _compute(
        z, y, gamma=gamma, alpha=alpha, pos_weight=pos_weight, loss=True, grad=True
    )
    return loss, g
