r"""Softmax (multi-class) focal loss: value, gradient and diagonal Hessian in the logits.

With :math:`\log p = \operatorname{log\_softmax}(z)`, a target distribution :math:`t`
(one-hot for hard labels) and class weights :math:`a_k`:

.. math::

    L = \sum_k c_k (1 - p_k)^\gamma (-\log p_k),\quad c_k = a_k t_k,\qquad
    \partial_{z_j} L = p_j S - c_j w_j,\quad S = \sum_k c_k w_k,

with :math:`w_k = (1-p_k)^\gamma (1 + \gamma p_k r_k)` and the bounded ratio
:math:`r_k = -\log p_k / (1 - p_k)`. For a hard label ``y`` this is docs/math.md's
:math:`g_k = w_y (p_k - [k=y])`. Label smoothing ``eps`` uses
:math:`t = (1-\epsilon)\,\text{onehot} + \epsilon / C`, so that ``gamma=0`` reproduces
``torch.nn.functional.cross_entropy`` (per sample, before reduction).

Hessians (diagonal, what boosters use): ``"irls"`` is the surrogate :math:`S p_j (1-p_j)`
(docs/math.md), ``"exact"`` the true diagonal of the Hessian (it can be
negative), ``"clipped"`` is ``max(exact, floor)``.
"""

from __future__ import annotations

from typing import Any

from focalkit._core._backend import get_ops

__all__ = [
    "softmax_focal_grad",
    "softmax_focal_grad_hess",
    "softmax_focal_loss",
    "softmax_focal_loss_grad",
]

Array = Any


def _is_dense_target(logits: Array, target: Array) -> bool:
    return tuple(getattr(target, "shape", ())) == tuple(logits.shape)


def _class_vector(ops: Any, v: Any, like: Array, axis: int) -> Any:
    """A per-class vector reshaped to broadcast along ``axis`` of ``like``."""
    vec = ops.asarray(v, like=like)
    shape = [1] * like.ndim
    shape[axis] = -1
    return ops.reshape(vec, shape)


def _compute(
    logits: Array,
    target: Array,
    *,
    gamma: Any,
    class_weight: Any,
    label_smoothing: float,
    axis: int,
    loss: bool = False,
    grad: bool = False,
    hessian: str | None = None,
    hessian_floor: float = 1e-6,
) -> tuple[Any, Any, Any]:
    ops = get_ops(logits)
    axis = axis % logits.ndim
    n_classes = logits.shape[axis]
    logp = ops.log_softmax(logits, axis)
    p = ops.exp(logp)
    q = -ops.expm1(logp)  # 1 - p_k, accurate when p_k is small
    safe_q = ops.where(q > 0, q, 1.0)
    r = ops.where(q > 0, -logp / safe_q, 1.0)  # -> 1 as q -> 0
    g = gamma if isinstance(gamma, (int, float)) else _class_vector(ops, gamma, logits, axis)
    q_pow = ops.pow(q, g)
    w = q_pow * (1.0 + g * p * r)

    dense = _is_dense_target(logits, target)
    if dense:
        t = ops.asarray(target, like=logits)
    else:
        t = ops.one_hot(target, n_classes, axis, logits)
    if label_smoothing:
        t = (1.0 - label_smoothing) * t + label_smoothing / n_classes
    c = t if class_weight is None else t * _class_vector(ops, class_weight, logits, axis)

    out_loss = out_grad = out_hess = None
    if loss:
        out_loss = ops.sum(c * q_pow * (-logp), axis)
    if grad or hessian is not None:
        cw = c * w
        s = ops.sum(cw, axis, keepdims=True)
        if grad:
            out_grad = p * s - cw
        if hessian is not None:
            irls = s * p * q
            if hessian == "irls":
                out_hess = irls
            else:
                out_hess = irls - _curvature_of_weight(ops, p, q, r, c, g, axis)
                if hessian == "clipped":
                    floor = ops.asarray(hessian_floor, like=out_hess)
                    out_hess = ops.maximum(out_hess, floor)
    return out_loss, out_grad, out_hess


def _curvature_of_weight(ops: Any, p: Array, q: Array, r: Array, c: Array, g: Any, axis: int):
    r"""The term of the exact diagonal Hessian that comes from differentiating ``w_k``.

    Differentiating :math:`S` and :math:`w_j` in :math:`g_j = p_j S - c_j w_j` gives
    :math:`H_{jj} = S p_j q_j - D_j q_j^2 - p_j^2 \sum_{k \ne j} D_k`, with
    :math:`D_k = c_k p_k w'(p_k)` and
    :math:`w'(p) = \gamma q^{\gamma-1} (-2 + q r - (\gamma-1) p r)`. We return the last two
    terms, written with :math:`d_k = D_k q_k^2 \propto q_k^{\gamma+1}` (finite for every
    gamma) and :math:`p_j^2 D_k = p_j^2 d_k / q_k^2` (``p_j <= q_k`` for ``k != j``).
    """
    # d_k = c_k p_k gamma q_k^(gamma+1) (-2 + q r - (gamma - 1) p r): one value per class k
    d = c * p * g * q ** (g + 1.0) * (-2.0 + q * r - (g - 1.0) * p * r)
    safe_q = ops.where(q > 0, q, 1.0)
    inv_q2 = ops.where(q > 0, 1.0 / (safe_q * safe_q), 0.0)
    total_off = ops.sum(d * inv_q2, axis, keepdims=True)  # sum_k d_k / q_k^2
    off = (total_off - d * inv_q2) * p * p
    return d + off


def softmax_focal_loss(
    logits: Array,
    target: Array,
    *,
    gamma: Any = 2.0,
    class_weight: Any = None,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Array:
    r"""Per-sample softmax focal loss.

    .. math:: L = -a_y (1 - p_y)^\gamma \log p_y

    Parameters
    ----------
    logits : array_like or torch.Tensor
        Scores with classes along ``axis``.
    target : array_like or torch.Tensor
        Integer labels (``logits``' shape without ``axis``) or class probabilities
        (``logits``' shape).
    gamma : float or vector, default=2.0
        Focusing parameter (>= 0), or one per class.
    class_weight : vector or None, default=None
        Weight per class (``a_k``); None weighs every class by 1.
    label_smoothing : float, default=0.0
        Mixes the target with the uniform distribution, as ``F.cross_entropy`` does.
    axis : int, default=-1
        The class axis.

    Returns
    -------
    array or torch.Tensor
        Loss per sample (the class axis removed).

    Notes
    -----
    ``gamma=0`` with no class weight is cross-entropy exactly.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(softmax_focal_loss(np.array([[2.0, 0.0, 0.0]]), np.array([0]))[0]), 4)
    0.0109
    """
    out, _, _ = _compute(
        logits, target, gamma=gamma, class_weight=class_weight,
        label_smoothing=label_smoothing, axis=axis, loss=True,
    )
    return out


def softmax_focal_grad(
    logits: Array,
    target: Array,
    *,
    gamma: Any = 2.0,
    class_weight: Any = None,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Array:
    """Gradient of :func:`softmax_focal_loss` with respect to ``logits`` (same shape).

    Parameters are those of :func:`softmax_focal_loss`.

    Returns
    -------
    array or torch.Tensor
    """
    _, out, _ = _compute(
        logits, target, gamma=gamma, class_weight=class_weight,
        label_smoothing=label_smoothing, axis=axis, grad=True,
    )
    return out


def softmax_focal_loss_grad(
    logits: Array,
    target: Array,
    *,
    gamma: Any = 2.0,
    class_weight: Any = None,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> tuple[Array, Array]:
    """Per-sample loss and gradient in one pass.

    Returns
    -------
    loss, grad
    """
    loss, g, _ = _compute(
        logits, target, gamma=gamma, class_weight=class_weight,
        label_smoothing=label_smoothing, axis=axis, loss=True, grad=True,
    )
    return loss, g


def softmax_focal_grad_hess(
    logits: Array,
    target: Array,
    *,
    gamma: Any = 2.0,
    class_weight: Any = None,
    label_smoothing: float = 0.0,
    axis: int = -1,
    hessian: str = "irls",
    hessian_floor: float = 1e-6,
) -> tuple[Array, Array]:
    """Gradient and diagonal Hessian (``"irls"``, ``"exact"`` or ``"clipped"``); for boosters.

    Returns
    -------
    grad, hess : arrays shaped like ``logits``
    """
    _, g, h = _compute(
        logits, target, gamma=gamma, class_weight=class_weight,
        label_smoothing=label_smoothing, axis=axis, grad=True,
        hessian=hessian, hessian_floor=hessian_floor,
    )
    return g, h
