r"""Full (C x C) Hessians of softmax losses in the logits, for boosters that take them.

CatBoost's multi-class Newton step solves with the whole matrix (its ``MultiClass`` uses the
cross-entropy Hessian :math:`\operatorname{diag} p - p p^\top`); a diagonal in its place is
a different model. For every loss of the form
:math:`L = \sum_k c_k \phi_k(p_k)` with :math:`p = \operatorname{softmax}(z)` (softmax focal
loss and its gamma = 0 cases: cross-entropy, class weights, label smoothing, dense targets):

.. math::

    H = S\,(\operatorname{diag} p - p p^\top) - \sum_k d_k\, v_k v_k^\top,
    \qquad v_k = (e_k - p) / q_k,

with :math:`S = \sum_k c_k w_k` and :math:`d_k`, :math:`w_k`, :math:`q_k = 1 - p_k` as in
:mod:`focalkit._core.softmax` (whose diagonal Hessian is the diagonal of this matrix). The
first term is the ``"irls"`` policy (positive semi-definite, exact at gamma = 0); the second
comes from differentiating the focal weight. :math:`v_k` has entries 1 and
:math:`-p_l / q_k`, bounded by 1 (the :math:`p_l` with :math:`l \ne k` sum to :math:`q_k`),
and :math:`d_k \propto q_k^{\gamma + 1}`, so every term is finite for every gamma.

``"clipped"`` floors the eigenvalues of the exact matrix (the matrix form of
``max(h, floor)``). Losses without an analytic matrix use central differences of their
analytic gradient (:meth:`~focalkit._core.losses.SoftmaxLoss.grad_hess_matrix`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import log_softmax

__all__ = [
    "clip_eigenvalues",
    "focal_grad_hess_matrix",
    "matrix_policy",
    "numeric_hessian_matrix",
]


def clip_eigenvalues(h: np.ndarray, floor: float) -> np.ndarray:
    """Symmetric matrices (..., C, C) with their eigenvalues floored at ``floor``."""
    lam, vec = np.linalg.eigh(h)
    return np.einsum("...ij,...j,...kj->...ik", vec, np.maximum(lam, floor), vec)


def matrix_policy(fn: Any, z: Any, y: Any, hessian: str, floor: float,
                  **kw: Any) -> tuple[np.ndarray, np.ndarray]:
    """``fn(z, y, hessian=...)`` for ``"irls"`` / ``"exact"``; ``"clipped"`` from the exact."""
    g, h = fn(z, y, hessian="irls" if hessian == "irls" else "exact", **kw)
    return g, (clip_eigenvalues(h, floor) if hessian == "clipped" else h)


def focal_grad_hess_matrix(
    z: Any, target: Any, *, gamma: Any = 0.0, class_weight: Any = None,
    label_smoothing: float = 0.0, hessian: str = "irls",
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient (n, C) and Hessian matrices (n, C, C) of softmax focal loss, NumPy float64.

    ``target``: integer labels (n,) or class probabilities (n, C); ``hessian``: ``"irls"``
    or ``"exact"`` (``"clipped"`` is applied by the caller, :func:`clip_eigenvalues`).
    """
    z = np.asarray(z, dtype=np.float64)
    n, n_classes = z.shape
    logp = log_softmax(z, axis=1)
    p = np.exp(logp)
    q = -np.expm1(logp)
    pos = q > 0
    safe_q = np.where(pos, q, 1.0)
    r = np.where(pos, -logp / safe_q, 1.0)  # -log p / (1 - p), -> 1 as p -> 1
    g = gamma if np.ndim(gamma) == 0 else np.asarray(gamma, dtype=np.float64)[None, :]
    w = q**g * (1.0 + g * p * r)
    t = np.asarray(target)
    if t.shape != z.shape:
        t = np.eye(n_classes)[t.astype(np.intp).reshape(-1)]
    t = t.astype(np.float64)
    if label_smoothing:
        t = (1.0 - label_smoothing) * t + label_smoothing / n_classes
    c = t if class_weight is None else t * np.asarray(class_weight, dtype=np.float64)[None, :]
    cw = c * w
    s = cw.sum(axis=1)
    grad = p * s[:, None] - cw
    h = (np.einsum("ni,ij->nij", p, np.eye(n_classes)) - p[:, :, None] * p[:, None, :])
    h *= s[:, None, None]
    if hessian == "exact":
        d = c * p * g * q ** (g + 1.0) * (-2.0 + q * r - (g - 1.0) * p * r)
        inv_q = np.where(pos, 1.0 / safe_q, 0.0)  # d_k = 0 where q_k underflows to 0
        v = np.eye(n_classes)[None, :, :] - inv_q[:, :, None] * p[:, None, :]
        v[:, np.arange(n_classes), np.arange(n_classes)] = 1.0  # (1 - p_k) / q_k
        h -= np.einsum("nk,nki,nkj->nij", d, v, v)
    return grad, h


def numeric_hessian_matrix(grad: Any, z: np.ndarray) -> np.ndarray:
    """Central differences of ``grad(z)`` (n, C) along each logit, symmetrised: (n, C, C)."""
    z = np.asarray(z, dtype=np.float64)
    n, n_classes = z.shape
    h = np.empty((n, n_classes, n_classes))
    for k in range(n_classes):
        step = 1e-4 * np.maximum(1.0, np.abs(z[:, k]))
        up, down = z.copy(), z.copy()
        up[:, k] += step
        down[:, k] -= step
        diff = np.asarray(grad(up), dtype=np.float64) - np.asarray(grad(down), dtype=np.float64)
        h[:, :, k] = diff / (2.0 * step[:, None])
    return 0.5 * (h + np.swapaxes(h, 1, 2))
