"""The optimal constant margin (initial score) of a loss on the training labels.

Boosters start from a constant; the right constant minimises the weighted loss. For
log-loss it is the log-odds of the prevalence; for focal loss there is no closed form, so
we solve the 1-D (binary) or C-D (softmax) problem numerically. Since a constant margin's
loss depends on the labels only through the (weighted) class totals, the solve costs
nothing in ``n``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import brentq

from focalkit._core._generic_init import minimize_centred
from focalkit._core.binary import binary_focal_grad
from focalkit._core.softmax import softmax_focal_grad, softmax_focal_loss
from focalkit._core.weights import _weights, class_counts
from focalkit.exceptions import InvalidParameterError

__all__ = ["binary_focal_init_score", "softmax_focal_init_score"]

_BRACKET = 60.0


def _per_label(v: Any, k: int) -> list[Any]:
    if v is None or np.ndim(v) == 0:
        return [v] * k
    return list(np.asarray(v, dtype=float))


def _binary_constant(w1: float, w0: float, gamma: float, alpha: Any, pos_weight: Any) -> float:
    if w1 <= 0 or w0 <= 0:
        which = "positive" if w1 <= 0 else "negative"
        raise InvalidParameterError(
            f"y has no {which} samples (after weighting), so the optimal constant margin "
            "is infinite; a binary objective needs both classes."
        )
    kw = {"gamma": gamma, "alpha": alpha, "pos_weight": pos_weight}

    def slope(c: float) -> float:
        z = np.array([c, c])
        g = binary_focal_grad(z, np.array([1.0, 0.0]), **kw)
        return float(w1 * g[0] + w0 * g[1])

    root = brentq(slope, -_BRACKET, _BRACKET, xtol=1e-12, rtol=1e-12, maxiter=200)
    return float(root)


def binary_focal_init_score(
    y: Any,
    *,
    gamma: Any = 2.0,
    alpha: Any = None,
    pos_weight: Any = None,
    sample_weight: Any = None,
) -> Any:
    """Constant margin minimising the weighted sigmoid focal loss on labels ``y``.

    Parameters
    ----------
    y : array_like
        Binary (or soft) targets, shape (n,) or (n, K) for multi-label.
    gamma, alpha, pos_weight : float or per-label vector
        As in :func:`~focalkit._core.binary.binary_focal_loss`; ``alpha`` must already be
        resolved (see :func:`~focalkit._core.weights.resolve_alpha`).
    sample_weight : array_like, optional
        Row weights, shape (n,).

    Returns
    -------
    float or ndarray
        A float for 1-D ``y``, a vector of K margins for 2-D ``y``.

    Notes
    -----
    ``gamma=0`` gives the log-odds of the weighted prevalence. With 10 % positives,
    ``gamma=2`` gives -0.820 where log-loss gives -2.197.

    Examples
    --------
    >>> round(binary_focal_init_score([1] + [0] * 9, gamma=2.0), 3)
    -0.82
    """
    arr = np.asarray(y, dtype=float)
    if arr.ndim not in (1, 2) or arr.shape[0] == 0:
        raise InvalidParameterError(f"y must be a non-empty 1-D or 2-D array; got {arr.shape}.")
    sw = _weights(sample_weight, arr.shape[0])
    cols = arr.reshape(arr.shape[0], -1)
    k = cols.shape[1]
    w1 = sw @ cols
    w0 = sw.sum() - w1
    out = np.array([
        _binary_constant(w1[j], w0[j], g, a, pw)
        for j, (g, a, pw) in enumerate(
            zip(_per_label(gamma, k), _per_label(alpha, k), _per_label(pos_weight, k), strict=True)
        )
    ])
    return float(out[0]) if arr.ndim == 1 else out


def softmax_focal_init_score(
    y: Any,
    n_classes: int | None = None,
    *,
    gamma: Any = 2.0,
    class_weight: Any = None,
    sample_weight: Any = None,
) -> np.ndarray:
    """Constant logit vector minimising the weighted softmax focal loss on labels ``y``.

    Parameters
    ----------
    y : array_like
        Integer labels in ``0..C-1``, shape (n,).
    n_classes : int, optional
        Number of classes C; defaults to ``max(y) + 1``.
    gamma : float or per-class vector
    class_weight : vector, optional
        Resolved class weights (see :func:`~focalkit._core.weights.resolve_class_weight`).
    sample_weight : array_like, optional

    Returns
    -------
    ndarray
        C logits, centred to mean zero (softmax is shift-invariant).

    Examples
    --------
    >>> softmax_focal_init_score([0, 0, 0, 1], gamma=0.0).round(3).tolist()
    [0.549, -0.549]
    """
    labels = np.asarray(y).reshape(-1)
    c = int(n_classes if n_classes is not None else labels.max() + 1)
    counts = class_counts(labels, c, sample_weight)
    if np.any(counts <= 0):
        missing = np.flatnonzero(counts <= 0).tolist()
        raise InvalidParameterError(
            f"classes {missing} have no training samples, so their optimal constant logit "
            "is -inf; pass every class at least once or drop the empty classes."
        )
    cw = np.ones(c) if class_weight is None else np.asarray(class_weight, dtype=float)
    totals = counts * cw
    start = np.log(totals) - np.log(totals).mean()  # exact at gamma=0
    if np.all(np.asarray(gamma) == 0):
        return start
    eye = np.arange(c)

    def objective(v: np.ndarray) -> tuple[float, np.ndarray]:
        tiled = np.broadcast_to(v, (c, c))
        loss = softmax_focal_loss(tiled, eye, gamma=gamma)
        grad = softmax_focal_grad(tiled, eye, gamma=gamma)
        return float(totals @ loss), totals @ grad

    return minimize_centred(objective, start)
