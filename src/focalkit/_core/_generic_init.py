"""Optimal constant margin of any elementwise binary loss, found numerically.

A constant margin's loss depends on the labels only through the (weighted) class totals
``w1 = sum(w * y)`` and ``w0 = sum(w * (1 - y))`` (the losses are linear in ``y``), so
the optimum is the root of ``w1 * g(c, 1) + w0 * g(c, 0)`` in ``c``, found with
:func:`scipy.optimize.brentq` exactly as :func:`~focalkit.binary_focal_init_score` does
for focal loss. Any gradient function from :mod:`focalkit._core` can be plugged in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy.optimize import brentq

from focalkit._core.weights import _weights
from focalkit.exceptions import InvalidParameterError

__all__ = ["binary_init_score", "constant_logits", "constant_margin", "label_params",
           "minimize_centred"]

_BRACKET = 60.0


def label_params(params: Mapping[str, Any], j: int) -> dict[str, Any]:
    """Keyword arguments of label ``j``: 1-D array values are taken per label."""
    return {
        k: (float(np.asarray(v, dtype=float)[j]) if not isinstance(v, str) and np.ndim(v) == 1
            else v)
        for k, v in params.items()
    }


def binary_init_score(
    grad: Callable[..., Any],
    y: Any,
    *,
    params: Mapping[str, Any] | None = None,
    sample_weight: Any = None,
) -> Any:
    """Constant margin minimising ``sum_i w_i L(c, y_i)`` for an elementwise binary loss.

    Parameters
    ----------
    grad : callable
        ``grad(z, y, **params)``: derivative of the loss in the margin (elementwise), e.g.
        :func:`focalkit._core.alternatives.asymmetric_grad`. The loss must be convex enough
        in a constant margin for the summed gradient to change sign once on [-60, 60].
    y : array_like
        Binary (or soft) targets, shape (n,) or (n, K) for multi-label.
    params : mapping, optional
        Keyword arguments of ``grad``; a 1-D array value gives one value per label.
    sample_weight : array_like, optional
        Row weights, shape (n,).

    Returns
    -------
    float or ndarray
        A float for 1-D ``y``, one margin per label for 2-D ``y``.

    Examples
    --------
    >>> from focalkit._core.alternatives import weighted_bce_grad
    >>> round(binary_init_score(weighted_bce_grad, [1] + [0] * 9), 4)  # log(1/9)
    -2.1972
    """
    arr = np.asarray(y, dtype=float)
    if arr.ndim not in (1, 2) or arr.shape[0] == 0:
        raise InvalidParameterError(f"y must be a non-empty 1-D or 2-D array; got {arr.shape}.")
    sw = _weights(sample_weight, arr.shape[0])
    cols = arr.reshape(arr.shape[0], -1)
    w1 = sw @ cols
    w0 = sw.sum() - w1
    kw = dict(params or {})
    out = np.empty(cols.shape[1])
    for j in range(cols.shape[1]):
        if w1[j] <= 0 or w0[j] <= 0:
            which = "positive" if w1[j] <= 0 else "negative"
            raise InvalidParameterError(
                f"y has no {which} samples (after weighting), so the optimal constant margin "
                "is infinite; a binary objective needs both classes."
            )
        kj = label_params(kw, j)
        a, b = float(w1[j]), float(w0[j])

        def slope(c: float, a: float = a, b: float = b, kj: dict[str, Any] = kj) -> float:
            g = np.asarray(grad(np.array([c, c]), np.array([1.0, 0.0]), **kj), dtype=float)
            return a * float(g[0]) + b * float(g[1])

        out[j] = brentq(slope, -_BRACKET, _BRACKET, xtol=1e-12, rtol=1e-12, maxiter=200)
    return float(out[0]) if arr.ndim == 1 else out


def _distinct_weights(col: np.ndarray, sw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values, inverse = np.unique(col, return_inverse=True)
    return values, np.bincount(inverse, weights=sw, minlength=values.size)


def constant_margin(
    grad_of_label: Callable[[int], Callable[..., Any]],
    y: Any,
    *,
    sample_weight: Any = None,
) -> Any:
    """Constant margin(s) minimising ``sum_i w_i L(c, y_i)`` for any elementwise loss.

    Parameters
    ----------
    grad_of_label : callable
        ``grad_of_label(j)`` returns ``grad(z, y)`` of label ``j`` (its parameters bound).
    y : array_like
        Targets in [0, 1] (hard or soft), shape (n,) or (n, K).
    sample_weight : array_like, optional

    Returns
    -------
    float or ndarray
        A float for 1-D ``y``, one margin per label for 2-D ``y``.

    Notes
    -----
    The summed loss of a constant margin depends on the targets only through the total
    weight of each distinct target value, so this costs a few gradient evaluations per
    ``brentq`` step whatever ``n`` is. It does not assume the loss is linear in ``y``.
    """
    arr = np.asarray(y, dtype=float)
    if arr.ndim not in (1, 2) or arr.shape[0] == 0:
        raise InvalidParameterError(f"y must be a non-empty 1-D or 2-D array; got {arr.shape}.")
    sw = _weights(sample_weight, arr.shape[0])
    cols = arr.reshape(arr.shape[0], -1)
    out = np.empty(cols.shape[1])
    for j in range(cols.shape[1]):
        values, weights = _distinct_weights(cols[:, j], sw)
        grad = grad_of_label(j)

        def slope(c: float, values: np.ndarray = values, weights: np.ndarray = weights,
                  grad: Callable[..., Any] = grad) -> float:
            g = np.asarray(grad(np.full(values.shape, c), values), dtype=float)
            return float(weights @ g)

        lo, hi = slope(-_BRACKET), slope(_BRACKET)
        if not (lo < 0 < hi):
            raise InvalidParameterError(
                "The optimal constant margin is infinite (the summed gradient does not "
                f"change sign on [-{_BRACKET:g}, {_BRACKET:g}]); a binary objective needs "
                "both classes in y (after weighting)."
            )
        out[j] = brentq(slope, -_BRACKET, _BRACKET, xtol=1e-12, rtol=1e-12, maxiter=200)
    return float(out[0]) if arr.ndim == 1 else out


def constant_logits(
    loss_grad: Callable[..., Any],
    y: Any,
    *,
    n_classes: int | None = None,
    sample_weight: Any = None,
) -> np.ndarray:
    """Constant logit vector minimising ``sum_i w_i L(c, y_i)`` for a softmax loss.

    ``loss_grad(logits, labels)`` is the per-sample loss and its gradient; the sum depends
    on the labels only through the class totals. The result is centred (mean 0), the
    softmax being invariant to a common shift.
    """
    labels = np.asarray(y)
    if labels.ndim != 1 or labels.size == 0:
        raise InvalidParameterError(
            f"y must be a non-empty 1-D array of labels; got {labels.shape}.")
    labels = labels.astype(np.int64)
    c = int(n_classes) if n_classes is not None else int(labels.max()) + 1
    sw = _weights(sample_weight, labels.shape[0])
    totals = np.bincount(labels, weights=sw, minlength=c)[:c]
    present = np.flatnonzero(totals > 0)
    eye = np.arange(c)

    def objective(v: np.ndarray) -> tuple[float, np.ndarray]:
        logits = np.broadcast_to(v, (present.size, c)).copy()
        loss, grad = loss_grad(logits, eye[present])
        return float(totals[present] @ np.asarray(loss)), totals[present] @ np.asarray(grad)

    start = np.log(np.maximum(totals / totals.sum(), 1e-12))
    return minimize_centred(objective, start)


def minimize_centred(objective: Callable[[np.ndarray], tuple[float, np.ndarray]],
                     start: np.ndarray) -> np.ndarray:
    """Minimiser, centred to mean 0, of a smooth shift-invariant ``objective(v) -> (f, grad)``.

    L-BFGS stops on the relative change of ``f``, which leaves ``v`` only accurate to about
    ``sqrt(ftol)`` (1e-8: the last digits then differ between machines). A few Newton steps
    on the gradient (Hessian by central differences; the ``ones`` direction, along which
    the objective is flat, pinned by adding ``ones ones^T``) take it to rounding level.
    """
    from scipy.optimize import minimize

    c = start.shape[0]
    res = minimize(objective, start - start.mean(), jac=True, method="L-BFGS-B",
                   options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 500})
    v = np.asarray(res.x, dtype=float)
    v = v - v.mean()
    ones = np.ones((c, c)) / c
    h = 1e-5
    for _ in range(4):
        grad = np.asarray(objective(v)[1], dtype=float)
        hess = np.empty((c, c))
        for j in range(c):
            step = np.zeros(c)
            step[j] = h
            up, down = objective(v + step)[1], objective(v - step)[1]
            hess[:, j] = (np.asarray(up) - np.asarray(down)) / (2 * h)
        hess = 0.5 * (hess + hess.T) + ones * max(np.abs(hess).max(), 1e-300)
        try:
            delta = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:  # a degenerate Hessian: keep the L-BFGS answer
            break
        delta = delta - delta.mean()
        # A step at rounding level is noise: skipping it keeps exact answers exact (equal
        # class totals give exactly equal logits, so predict and decision_function agree).
        if not np.all(np.isfinite(delta)) or np.abs(delta).max() <= 1e-13 * max(
                1.0, np.abs(v).max()):
            break
        v = v - delta
    return v - v.mean()
