r"""The alternatives to focal loss in margin form: value, gradient, Hessian in the margin.

Hessians are provided where a booster can use the loss.

Every function is elementwise (binary) or per sample (softmax), keyword-only and unreduced,
and accepts NumPy arrays or torch tensors (through :mod:`focalkit._core._backend`), exactly
like :mod:`focalkit._core.binary`. Where an alternative is a focal or cross-entropy loss at a
transformed margin, it calls :mod:`focalkit._core.binary` / :mod:`focalkit._core.softmax`
(``gamma=0`` is BCE / cross-entropy there), so no formula is written twice.

Notation: :math:`z` margin, :math:`p=\sigma(z)`, :math:`y\in[0,1]` (soft targets are the
linear mix :math:`y L(z,1) + (1-y) L(z,0)`), :math:`p_t` the probability of the true class.

=====================  =========================================================  ========
loss                   formula                                                    neutral
=====================  =========================================================  ========
weighted BCE           :math:`-w_1 y\log p - w_0 (1-y)\log(1-p)`                  w = 1
logit-adjusted BCE/CE  CE at :math:`z_k + \tau\log\pi_k`                          tau = 0
asymmetric (ASL)       :math:`-y(1-p)^{\gamma_+}\log p - (1-y)p_m^{\gamma_-}\log(1-p_m)`,
                       :math:`p_m=\max(p-m,0)`                                    0, 0, 0
Poly-1                 :math:`FL_\gamma + \epsilon (1-p_t)^{\gamma+1}`            eps = 0
FL*                    :math:`-\log\sigma(\gamma^* z_t + \beta^*)/\gamma^*`       1, 0
LDAM                   CE at :math:`s (z - \Delta_y e_y)`, :math:`\Delta_j\propto n_j^{-1/4}`
                                                                                  s=1, 0
FLSD-53                focal with :math:`\gamma = 5` if :math:`p_t<0.2` else 3    --
=====================  =========================================================  ========
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from focalkit._core._backend import get_ops
from focalkit._core._validation import (
    check_float,
    check_hessian,
    check_nonneg_float,
    param_error,
)
from focalkit._core.binary import (
    binary_focal_grad,
    binary_focal_grad_hess,
    binary_focal_loss,
)
from focalkit._core.softmax import _class_vector, softmax_focal_grad, softmax_focal_loss
from focalkit._core.weights import _weights, resolve_class_weight
from focalkit.exceptions import InvalidParameterError

__all__ = [
    "DeferredReweighting",
    "asymmetric_grad",
    "asymmetric_grad_hess",
    "asymmetric_loss",
    "flsd_binary_focal_grad",
    "flsd_binary_focal_loss",
    "flsd_gamma",
    "flsd_softmax_focal_grad",
    "flsd_softmax_focal_loss",
    "focal_star_grad",
    "focal_star_grad_hess",
    "focal_star_loss",
    "ldam_grad",
    "ldam_loss",
    "ldam_margins",
    "logit_adjusted_bce_grad",
    "logit_adjusted_bce_grad_hess",
    "logit_adjusted_bce_loss",
    "logit_adjusted_ce_grad",
    "logit_adjusted_ce_grad_hess",
    "logit_adjusted_ce_loss",
    "logit_adjustment",
    "poly1_binary_focal_grad",
    "poly1_binary_focal_loss",
    "poly1_softmax_focal_grad",
    "poly1_softmax_focal_loss",
    "prior_bias",
    "resolve_pos_weight",
    "smooth_binary_targets",
    "weighted_bce_grad",
    "weighted_bce_grad_hess",
    "weighted_bce_loss",
]

Array = Any


# --------------------------------------------------------------------------- helpers
def _sigmoid_parts(ops: Any, x: Array) -> tuple[Array, Array, Array, Array]:
    """(sigmoid(x), 1 - sigmoid(x), softplus(-x) = -log p, softplus(x) = -log(1-p))."""
    e = ops.exp(-ops.abs(x))
    inv = 1.0 / (1.0 + e)
    pos = x >= 0
    lp1 = ops.log1p(e)
    p = ops.where(pos, inv, e * inv)
    q = ops.where(pos, e * inv, inv)
    neg = ops.neg_part(x)  # min(x, 0)
    return p, q, lp1 - neg, lp1 + (x - neg)


def _hard_targets_check(target: Array, owner: str) -> None:
    if hasattr(target, "dtype") and getattr(target.dtype, "is_floating_point", False):
        raise InvalidParameterError(f"{owner} needs integer class labels as target.")


# --------------------------------------------------------------------------- weighted BCE
def resolve_pos_weight(
    pos_weight: Any, y: Any = None, *, sample_weight: Any = None,
    owner: str = "resolve_pos_weight",
) -> Any:
    """Turn a ``pos_weight`` specification into a float (or per-label vector).

    Parameters
    ----------
    pos_weight : float, vector, "balanced" or None
        ``"balanced"`` is the (weighted) ratio ``n_negative / n_positive`` of the training
        labels, per column for 2-D ``y``; None means 1.
    y : array_like, optional
        Binary labels (n,) or (n, K); needed for ``"balanced"``.
    sample_weight : array_like, optional
        Row weights for the counts.
    owner : str
        Name used in error messages.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> resolve_pos_weight("balanced", [0] * 9 + [1])
    9.0
    """
    if pos_weight is None:
        return 1.0
    if isinstance(pos_weight, str):
        if pos_weight != "balanced":
            raise param_error("pos_weight", owner, "a float > 0, a vector or 'balanced'",
                              pos_weight)
        if y is None:
            raise InvalidParameterError(
                f"pos_weight='balanced' in {owner} needs the training labels y."
            )
        arr = np.asarray(y, dtype=float)
        sw = _weights(sample_weight, arr.shape[0])
        n_pos = sw @ arr.reshape(arr.shape[0], -1)
        n_neg = sw.sum() - n_pos
        if np.any(n_pos <= 0) or np.any(n_neg <= 0):
            raise InvalidParameterError(
                f"pos_weight='balanced' in {owner} needs both classes in y."
            )
        ratio = n_neg / n_pos
        return float(ratio[0]) if arr.ndim == 1 else ratio
    if isinstance(pos_weight, (int, float, np.floating, np.integer)):
        return check_float(pos_weight, "pos_weight", owner, low=0.0, open_low=True)
    arr = np.asarray(pos_weight, dtype=float)
    if arr.ndim != 1 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise param_error("pos_weight", owner, "a float > 0, a vector or 'balanced'",
                          pos_weight)
    return arr


def _wbce_args(pos_weight: Any, neg_weight: Any) -> tuple[Any, Any]:
    # per-label weights given as Python sequences broadcast like arrays
    pos_weight, neg_weight = (np.asarray(v, dtype=float) if isinstance(v, (list, tuple)) else v
                              for v in (pos_weight, neg_weight))
    if isinstance(neg_weight, (int, float)) and neg_weight <= 0:
        raise param_error("neg_weight", "weighted_bce_loss", "a float in (0, inf)", neg_weight)
    pw = pos_weight / neg_weight if not isinstance(neg_weight, (int, float)) or neg_weight != 1 \
        else pos_weight
    return pw, neg_weight


def weighted_bce_loss(z: Array, y: Array, *, pos_weight: Any = 1.0,
                      neg_weight: Any = 1.0) -> Array:
    r"""Class-weighted binary cross-entropy.

    .. math:: L = -w_1\, y \log p - w_0\, (1-y) \log(1-p)

    Parameters
    ----------
    z : array_like or torch.Tensor
        Margins (logits).
    y : array_like or torch.Tensor
        Targets in [0, 1], broadcastable to ``z``.
    pos_weight : float or array, default=1.0
        :math:`w_1`; ``n_neg / n_pos`` ("balanced", see :func:`resolve_pos_weight`)
        makes both classes weigh the same in total.
    neg_weight : float or array, default=1.0
        :math:`w_0` (> 0).

    Returns
    -------
    array or torch.Tensor
        Same shape as ``z``.

    Notes
    -----
    ``pos_weight = neg_weight = 1`` is BCE. At the population optimum a weighted model's
    odds are the posterior odds times ``w_1 / w_0``; undo that with
    :func:`focalkit.calibration.correct_odds`. Written as ``w_0`` times the focal loss at
    ``gamma=0`` with PyTorch's ``pos_weight = w_1 / w_0``.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(weighted_bce_loss(np.array(0.0), np.array(1.0), pos_weight=9.0)), 4)
    6.2383
    """
    pw, nw = _wbce_args(pos_weight, neg_weight)
    return nw * binary_focal_loss(z, y, gamma=0.0, pos_weight=pw)


def weighted_bce_grad(z: Array, y: Array, *, pos_weight: Any = 1.0,
                      neg_weight: Any = 1.0) -> Array:
    r"""Derivative of :func:`weighted_bce_loss` in ``z``.

    For hard labels it is :math:`(w_1 y + w_0 (1-y))(p - y)`.

    Returns
    -------
    array or torch.Tensor
    """
    pw, nw = _wbce_args(pos_weight, neg_weight)
    return nw * binary_focal_grad(z, y, gamma=0.0, pos_weight=pw)


def weighted_bce_grad_hess(z: Array, y: Array, *, pos_weight: Any = 1.0,
                           neg_weight: Any = 1.0) -> tuple[Array, Array]:
    """Gradient and (exact, positive) Hessian of :func:`weighted_bce_loss`; for boosters.

    Returns
    -------
    grad, hess : arrays shaped like ``z``

    Examples
    --------
    >>> import numpy as np
    >>> g, h = weighted_bce_grad_hess(np.array(0.0), np.array(1.0), pos_weight=9.0)
    >>> round(float(g), 3), round(float(h), 3)
    (-4.5, 2.25)
    """
    pw, nw = _wbce_args(pos_weight, neg_weight)
    g, h = binary_focal_grad_hess(z, y, gamma=0.0, pos_weight=pw, hessian="exact")
    return nw * g, nw * h


# --------------------------------------------------------------------------- logit adjustment
def logit_adjustment(prior: Any, *, tau: float = 1.0) -> Any:
    r"""The additive logit adjustment of Menon et al. (2021).

    For a scalar positive-class prior :math:`\pi` (sigmoid models) it is
    :math:`\tau \log(\pi / (1-\pi))`; for a vector of class priors (softmax models)
    :math:`\tau \log \pi_k`.

    Parameters
    ----------
    prior : float or vector
        Class prior(s) in (0, 1), usually the training label frequencies.
    tau : float, default=1.0
        Strength (>= 0); 0 gives no adjustment.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(logit_adjustment(0.1), 4)
    -2.1972
    """
    tau = check_float(tau, "tau", "logit_adjustment")
    arr = np.asarray(prior, dtype=float)
    if arr.ndim == 0:
        if not 0.0 < float(arr) < 1.0:
            raise param_error("prior", "logit_adjustment", "a float in (0, 1)", prior)
        return tau * math.log(float(arr) / (1.0 - float(arr)))
    if arr.ndim != 1 or np.any(~np.isfinite(arr)) or np.any(arr <= 0):
        raise param_error("prior", "logit_adjustment", "a vector of class priors > 0", prior)
    return tau * np.log(arr)


def _binary_shift(prior: Any, tau: float) -> Any:
    """``tau * log(pi / (1 - pi))`` for a scalar prior or a per-label vector of priors."""
    tau = check_float(tau, "tau", "logit_adjusted_bce_loss")
    arr = np.asarray(prior, dtype=float)
    if arr.ndim > 1 or np.any(~np.isfinite(arr)) or np.any(arr <= 0) or np.any(arr >= 1):
        raise param_error("prior", "logit_adjusted_bce_loss",
                          "a float in (0, 1) or a vector of per-label priors in (0, 1)", prior)
    shift = tau * (np.log(arr) - np.log1p(-arr))
    return float(shift) if arr.ndim == 0 else shift


def _shifted(z: Array, prior: Any, tau: float) -> Array:
    shift = _binary_shift(prior, tau)
    if isinstance(shift, float):
        return z + shift
    return z + get_ops(z).asarray(shift, like=z)


def logit_adjusted_bce_loss(z: Array, y: Array, *, prior: Any, tau: float = 1.0) -> Array:
    r"""Logit-adjusted binary cross-entropy (Menon et al. 2021).

    .. math:: L = \mathrm{BCE}\big(z + \tau \log\tfrac{\pi}{1-\pi},\ y\big)

    Training on the adjusted margin makes the raw margin ``z`` estimate the
    *balanced* log-odds (the posterior under a uniform prior), so thresholding ``z`` at 0
    optimises balanced error.

    Parameters
    ----------
    z, y : array_like or torch.Tensor
        Margins and targets in [0, 1].
    prior : float or vector
        Training prevalence of the positive class, in (0, 1); a vector gives one prior per
        label (multi-label), broadcast along the last axis of ``z``.
    tau : float, default=1.0
        Strength; ``tau=0`` is BCE.

    Returns
    -------
    array or torch.Tensor

    References
    ----------
    Menon, Jayasumana, Rawat, Jain, Veit, Kumar. Long-tail learning via logit adjustment.
    ICLR 2021.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(logit_adjusted_bce_loss(np.array(0.0), np.array(1.0), prior=0.1)), 4)
    2.3026
    """
    return binary_focal_loss(_shifted(z, prior, tau), y, gamma=0.0)


def logit_adjusted_bce_grad(z: Array, y: Array, *, prior: Any, tau: float = 1.0) -> Array:
    """Derivative of :func:`logit_adjusted_bce_loss` in ``z``: ``sigmoid(z + shift) - y``.

    Returns
    -------
    array or torch.Tensor
    """
    return binary_focal_grad(_shifted(z, prior, tau), y, gamma=0.0)


def logit_adjusted_bce_grad_hess(z: Array, y: Array, *, prior: Any,
                                 tau: float = 1.0) -> tuple[Array, Array]:
    """Gradient and exact (positive) Hessian of :func:`logit_adjusted_bce_loss`; for boosters.

    Returns
    -------
    grad, hess
    """
    return binary_focal_grad_hess(_shifted(z, prior, tau), y, gamma=0.0, hessian="exact")


def _la_shift(ops: Any, logits: Array, prior: Any, tau: float, axis: int) -> Array:
    adj = logit_adjustment(np.asarray(prior, dtype=float).reshape(-1), tau=tau)
    if adj.shape[0] != logits.shape[axis]:
        raise InvalidParameterError(
            f"prior has {adj.shape[0]} classes but logits have {logits.shape[axis]} along "
            f"axis {axis}."
        )
    return logits + _class_vector(ops, adj, logits, axis % logits.ndim)


def logit_adjusted_ce_loss(logits: Array, target: Array, *, prior: Any, tau: float = 1.0,
                           class_weight: Any = None, axis: int = -1) -> Array:
    r"""Logit-adjusted softmax cross-entropy (Menon et al. 2021).

    .. math:: L = -\log \frac{e^{z_y + \tau\log\pi_y}}{\sum_k e^{z_k + \tau\log\pi_k}}

    Parameters
    ----------
    logits : array_like or torch.Tensor
        Scores, classes along ``axis``.
    target : array_like or torch.Tensor
        Integer labels or class probabilities (as :func:`~focalkit.softmax_focal_loss`).
    prior : vector
        Class priors (training frequencies), all > 0.
    tau : float, default=1.0
        ``tau=0`` is cross-entropy.
    class_weight : vector, optional
    axis : int, default=-1

    Returns
    -------
    array or torch.Tensor
        Loss per sample.

    References
    ----------
    Menon et al. Long-tail learning via logit adjustment. ICLR 2021.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.zeros((1, 2))
    >>> round(float(logit_adjusted_ce_loss(z, np.array([1]), prior=[0.9, 0.1])[0]), 4)
    2.3026
    """
    ops = get_ops(logits)
    shifted = _la_shift(ops, logits, prior, tau, axis)
    return softmax_focal_loss(shifted, target, gamma=0.0, class_weight=class_weight, axis=axis)


def logit_adjusted_ce_grad(logits: Array, target: Array, *, prior: Any, tau: float = 1.0,
                           class_weight: Any = None, axis: int = -1) -> Array:
    """Gradient of :func:`logit_adjusted_ce_loss` with respect to ``logits``.

    Returns
    -------
    array or torch.Tensor
    """
    ops = get_ops(logits)
    shifted = _la_shift(ops, logits, prior, tau, axis)
    return softmax_focal_grad(shifted, target, gamma=0.0, class_weight=class_weight, axis=axis)


def logit_adjusted_ce_grad_hess(logits: Array, target: Array, *, prior: Any, tau: float = 1.0,
                                class_weight: Any = None, axis: int = -1,
                                ) -> tuple[Array, Array]:
    """Gradient and diagonal Hessian (exact at gamma=0) of :func:`logit_adjusted_ce_loss`.

    Returns
    -------
    grad, hess
    """
    from focalkit._core.softmax import softmax_focal_grad_hess

    ops = get_ops(logits)
    shifted = _la_shift(ops, logits, prior, tau, axis)
    return softmax_focal_grad_hess(shifted, target, gamma=0.0, class_weight=class_weight,
                                   axis=axis, hessian="exact")


# --------------------------------------------------------------------------- asymmetric loss
def _asl_check(gamma_pos: Any, gamma_neg: Any, clip: Any) -> tuple[float, float, float]:
    owner = "asymmetric_loss"
    return (check_nonneg_float(gamma_pos, "gamma_pos", owner),
            check_nonneg_float(gamma_neg, "gamma_neg", owner),
            check_float(clip, "clip", owner, low=0.0, high=1.0))


def _asl_negative(ops: Any, z: Array, gamma: float, clip: float,
                  want: str) -> tuple[Array, Array, Array]:
    """Negative side with probability shifting: value, w0 (grad = w0 * p), exact hess."""
    p, q, _, _ = _sigmoid_parts(ops, z)
    zero = ops.asarray(0.0, like=z)
    pm = ops.maximum(p - clip, zero)  # shifted probability
    qm = q + clip  # 1 - pm = min(q + m, 1), from the accurate q: 1 - pm would cancel
    one_m = ops.where(qm < 1.0, qm, 1.0)  # when p is near 1 and m is tiny
    active = p > clip
    nlog = -ops.log(one_m)
    safe_pm = ops.where(active, pm, 1.0)
    ratio = ops.where(active, nlog / safe_pm, 1.0)  # -log(1-u)/u, bounded
    pow_g = ops.where(active, safe_pm**gamma, 0.0)
    value = pow_g * nlog
    if want == "loss":
        return value, None, None
    dl_du = pow_g * (gamma * ratio + 1.0 / one_m)  # d/du [u^g (-log(1-u))]
    w0 = ops.where(active, q * dl_du, 0.0)
    if want == "grad":
        return value, w0, None
    # d2/du2 = u^(g-1) (g (g-1) ratio + 2 g / (1-u)) + u^g / (1-u)^2
    pow_g1 = ops.where(active, safe_pm ** (gamma - 1.0), 0.0) if gamma != 0 else zero
    d2 = pow_g1 * (gamma * (gamma - 1.0) * ratio + 2.0 * gamma / one_m) + pow_g / one_m**2
    s = p * q
    hess = ops.where(active, d2 * s * s + dl_du * s * (1.0 - 2.0 * p), 0.0)
    return value, w0, hess


def asymmetric_loss(z: Array, y: Array, *, gamma_pos: float = 0.0, gamma_neg: float = 4.0,
                    clip: float = 0.05) -> Array:
    r"""Asymmetric loss (ASL) of Ridnik et al. (2021), elementwise.

    .. math::

        L = -y (1-p)^{\gamma_+} \log p - (1-y)\, p_m^{\gamma_-} \log(1-p_m),\qquad
        p_m = \max(p - m, 0)

    Negatives with :math:`p \le m` (easy negatives) are discarded entirely; the rest are
    focused with their own :math:`\gamma_-`.

    Parameters
    ----------
    z, y : array_like or torch.Tensor
        Margins and targets in [0, 1].
    gamma_pos : float, default=0.0
        Focusing parameter of the positives.
    gamma_neg : float, default=4.0
        Focusing parameter of the negatives.
    clip : float, default=0.05
        Probability margin :math:`m` in [0, 1).

    Returns
    -------
    array or torch.Tensor

    Notes
    -----
    ``gamma_pos = gamma_neg = clip = 0`` is BCE; ``clip = 0`` and
    ``gamma_pos = gamma_neg = gamma`` is focal loss (no alpha).

    References
    ----------
    Ridnik, Ben-Baruch, Zamir, Noy, Friedman, Protter, Zelnik-Manor. Asymmetric Loss for
    Multi-Label Classification. ICCV 2021.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(asymmetric_loss(np.array(1.0), np.array(0.0))), 4)
    0.2459
    """
    gp, gn, m = _asl_check(gamma_pos, gamma_neg, clip)
    ops = get_ops(z)
    y = ops.asarray(y, like=z)
    pos = binary_focal_loss(z, 1.0, gamma=gp)
    if m == 0:
        neg = binary_focal_loss(z, 0.0, gamma=gn)
    else:
        neg, _, _ = _asl_negative(ops, z, gn, m, "loss")
    return y * pos + (1.0 - y) * neg


def asymmetric_grad(z: Array, y: Array, *, gamma_pos: float = 0.0, gamma_neg: float = 4.0,
                    clip: float = 0.05) -> Array:
    """Derivative of :func:`asymmetric_loss` with respect to ``z``.

    Returns
    -------
    array or torch.Tensor
    """
    g, _ = asymmetric_grad_hess(z, y, gamma_pos=gamma_pos, gamma_neg=gamma_neg, clip=clip,
                                _grad_only=True)
    return g


def asymmetric_grad_hess(z: Array, y: Array, *, gamma_pos: float = 0.0,
                         gamma_neg: float = 4.0, clip: float = 0.05, hessian: str = "irls",
                         hessian_floor: float = 1e-6, _grad_only: bool = False,
                         ) -> tuple[Array, Array]:
    """Gradient and Hessian of :func:`asymmetric_loss`; for boosters.

    Parameters
    ----------
    z, y, gamma_pos, gamma_neg, clip
        As in :func:`asymmetric_loss`.
    hessian : {"irls", "exact", "clipped"}, default="irls"
        ``"irls"``: ``w p (1-p)`` with ``grad = w (p - y)``, always >= 0; ``"exact"``: the
        second derivative (negative on confidently wrong samples, infinite at ``p = m`` for
        ``gamma_neg < 1``); ``"clipped"``: ``max(exact, hessian_floor)``.
    hessian_floor : float, default=1e-6

    Returns
    -------
    grad, hess : arrays shaped like ``z`` (``hess`` is None for internal grad-only calls)
    """
    gp, gn, m = _asl_check(gamma_pos, gamma_neg, clip)
    ops = get_ops(z)
    y = ops.asarray(y, like=z)
    kind = check_hessian(hessian, "asymmetric_grad_hess")
    if _grad_only:
        g_pos = binary_focal_grad(z, 1.0, gamma=gp)
        h_pos = None
    else:
        g_pos, h_pos = binary_focal_grad_hess(z, 1.0, gamma=gp,
                                              hessian="irls" if kind == "irls" else "exact")
    if m == 0:
        if _grad_only:
            g_neg, h_neg = binary_focal_grad(z, 0.0, gamma=gn), None
        else:
            g_neg, h_neg = binary_focal_grad_hess(
                z, 0.0, gamma=gn, hessian="irls" if kind == "irls" else "exact")
    else:
        p, q, _, _ = _sigmoid_parts(ops, z)
        _, w0, h_exact = _asl_negative(ops, z, gn, m, "grad" if kind == "irls" or _grad_only
                                       else "hess")
        g_neg = w0 * p
        h_neg = None if _grad_only else (w0 * p * q if kind == "irls" else h_exact)
    grad = y * g_pos + (1.0 - y) * g_neg
    if _grad_only:
        return grad, None
    hess = y * h_pos + (1.0 - y) * h_neg
    if kind == "clipped":
        hess = ops.maximum(hess, ops.asarray(hessian_floor, like=hess))
    return grad, hess


# --------------------------------------------------------------------------- Poly-1
def poly1_binary_focal_loss(z: Array, y: Array, *, epsilon: float = 1.0, gamma: Any = 0.0,
                            alpha: Any = None) -> Array:
    r"""Poly-1 sigmoid loss (Leng et al. 2022): focal (or BCE) plus one polynomial term.

    .. math:: L = FL_\gamma(z, y) + \epsilon\,(1 - p_t)^{\gamma + 1}

    Parameters
    ----------
    z, y : array_like or torch.Tensor
        Margins and targets in [0, 1] (soft targets mix the two sides linearly).
    epsilon : float, default=1.0
        Coefficient of the first polynomial term (may be negative, >= -1).
    gamma : float, default=0.0
        Focal parameter; 0 gives Poly-1 cross-entropy.
    alpha : float or None, default=None
        Focal alpha (applies to the focal term only, as in the reference code).

    Returns
    -------
    array or torch.Tensor

    Notes
    -----
    ``epsilon=0`` is the focal loss (BCE at ``gamma=0``).

    References
    ----------
    Leng, Xu, Tan, Shen, Wang, Fang, Zhao, Wang, Wen, Dai, Huang. PolyLoss: A Polynomial
    Expansion Perspective of Classification Loss Functions. ICLR 2022.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(poly1_binary_focal_loss(np.array(0.0), np.array(1.0))), 4)
    1.1931
    """
    eps = check_float(epsilon, "epsilon", "poly1_binary_focal_loss", low=-1.0)
    ops = get_ops(z)
    y = ops.asarray(y, like=z)
    base = binary_focal_loss(z, y, gamma=gamma, alpha=alpha)
    if eps == 0:
        return base
    p, q, _, _ = _sigmoid_parts(ops, z)
    g1 = float(gamma) + 1.0
    return base + eps * (y * q**g1 + (1.0 - y) * p**g1)


def poly1_binary_focal_grad(z: Array, y: Array, *, epsilon: float = 1.0, gamma: Any = 0.0,
                            alpha: Any = None) -> Array:
    r"""Derivative of :func:`poly1_binary_focal_loss` in ``z``.

    The polynomial term adds :math:`(\gamma+1)\,p\,(1-p)\,[(1-y)p^\gamma - y (1-p)^\gamma]`.

    Returns
    -------
    array or torch.Tensor
    """
    eps = check_float(epsilon, "epsilon", "poly1_binary_focal_grad", low=-1.0)
    ops = get_ops(z)
    y = ops.asarray(y, like=z)
    base = binary_focal_grad(z, y, gamma=gamma, alpha=alpha)
    if eps == 0:
        return base
    p, q, _, _ = _sigmoid_parts(ops, z)
    g1 = float(gamma) + 1.0
    return base + eps * g1 * p * q * ((1.0 - y) * ops.pow(p, float(gamma))
                                      - y * ops.pow(q, float(gamma)))


def _dense_target(ops: Any, logits: Array, target: Array, axis: int) -> Array:
    if tuple(getattr(target, "shape", ())) == tuple(logits.shape):
        return ops.asarray(target, like=logits)
    return ops.one_hot(target, logits.shape[axis], axis, logits)


def poly1_softmax_focal_loss(logits: Array, target: Array, *, epsilon: float = 1.0,
                             gamma: float = 0.0, class_weight: Any = None,
                             axis: int = -1) -> Array:
    r"""Poly-1 softmax loss (Leng et al. 2022).

    .. math:: L = FL_\gamma + \epsilon \sum_k t_k (1 - p_k)^{\gamma+1}

    For a hard label this is :math:`FL_\gamma + \epsilon (1-p_y)^{\gamma+1}`; at
    ``gamma=0`` it is the paper's Poly-1 cross-entropy :math:`CE + \epsilon(1 - p_y)`.

    Parameters
    ----------
    logits : array_like or torch.Tensor
        Scores, classes along ``axis``.
    target : array_like or torch.Tensor
        Integer labels or class probabilities.
    epsilon : float, default=1.0
        Coefficient (>= -1); 0 gives the focal loss / cross-entropy.
    gamma : float, default=0.0
    class_weight : vector, optional
        Weights the focal term (as in the reference implementation).
    axis : int, default=-1

    Returns
    -------
    array or torch.Tensor
        Loss per sample.

    References
    ----------
    Leng et al. PolyLoss. ICLR 2022.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(poly1_softmax_focal_loss(np.zeros((1, 2)), np.array([0]))[0]), 4)
    1.1931
    """
    eps = check_float(epsilon, "epsilon", "poly1_softmax_focal_loss", low=-1.0)
    base = softmax_focal_loss(logits, target, gamma=gamma, class_weight=class_weight, axis=axis)
    if eps == 0:
        return base
    ops = get_ops(logits)
    ax = axis % logits.ndim
    logp = ops.log_softmax(logits, ax)
    q = -ops.expm1(logp)
    t = _dense_target(ops, logits, target, ax)
    return base + eps * ops.sum(t * q ** (float(gamma) + 1.0), ax)


def poly1_softmax_focal_grad(logits: Array, target: Array, *, epsilon: float = 1.0,
                             gamma: float = 0.0, class_weight: Any = None,
                             axis: int = -1) -> Array:
    r"""Gradient of :func:`poly1_softmax_focal_loss` with respect to ``logits``.

    The polynomial term adds :math:`(\gamma+1)\,(p_j V - v_j)` with
    :math:`v_k = t_k (1-p_k)^\gamma p_k`, :math:`V = \sum_k v_k`.

    Returns
    -------
    array or torch.Tensor
    """
    eps = check_float(epsilon, "epsilon", "poly1_softmax_focal_grad", low=-1.0)
    base = softmax_focal_grad(logits, target, gamma=gamma, class_weight=class_weight, axis=axis)
    if eps == 0:
        return base
    ops = get_ops(logits)
    ax = axis % logits.ndim
    logp = ops.log_softmax(logits, ax)
    p = ops.exp(logp)
    q = -ops.expm1(logp)
    t = _dense_target(ops, logits, target, ax)
    v = t * ops.pow(q, float(gamma)) * p
    big_v = ops.sum(v, ax, keepdims=True)
    return base + eps * (float(gamma) + 1.0) * (p * big_v - v)


# --------------------------------------------------------------------------- label smoothing
def smooth_binary_targets(y: Array, smoothing: float = 0.1) -> Array:
    r"""Binary label smoothing: :math:`y (1 - \epsilon) + \epsilon / 2`.

    Any sigmoid loss here takes soft targets (linear in ``y``), so
    ``binary_focal_loss(z, smooth_binary_targets(y, eps), gamma=0)`` is label-smoothed BCE.

    Parameters
    ----------
    y : array_like or torch.Tensor
        Targets in [0, 1].
    smoothing : float, default=0.1
        :math:`\epsilon` in [0, 1]; 0 returns ``y`` unchanged.

    Returns
    -------
    array or torch.Tensor

    References
    ----------
    Szegedy, Vanhoucke, Ioffe, Shlens, Wojna. Rethinking the Inception Architecture for
    Computer Vision. CVPR 2016.

    Examples
    --------
    >>> import numpy as np
    >>> smooth_binary_targets(np.array([0.0, 1.0]), 0.1).round(3).tolist()
    [0.05, 0.95]
    """
    eps = check_float(smoothing, "smoothing", "smooth_binary_targets", high=1.0, open_high=False)
    return y * (1.0 - eps) + 0.5 * eps


# --------------------------------------------------------------------------- FL*
def _fl_star_check(gamma_star: Any, beta_star: Any) -> tuple[float, float]:
    gs = check_float(gamma_star, "gamma_star", "focal_star_loss", low=0.0, open_low=True)
    bs = beta_star
    if not isinstance(bs, (int, float)) or isinstance(bs, bool) or not math.isfinite(bs):
        raise param_error("beta_star", "focal_star_loss", "a finite float", beta_star)
    return gs, float(bs)


def focal_star_loss(z: Array, y: Array, *, gamma_star: float = 1.0,
                    beta_star: float = 0.0) -> Array:
    r"""FL*, the alternative form of focal loss in the appendix of Lin et al. (2017).

    .. math::

        x_t = (2y - 1) z,\qquad p^*_t = \sigma(\gamma^* x_t + \beta^*),\qquad
        L = -\log(p^*_t) / \gamma^*

    :math:`\gamma^* > 1` (with :math:`\beta^*`) down-weights well-classified examples like
    focal loss does; the loss stays convex in ``z`` with a positive Hessian.

    Parameters
    ----------
    z, y : array_like or torch.Tensor
        Margins and targets in [0, 1] (soft targets mix the two sides linearly).
    gamma_star : float, default=1.0
        Slope, > 0.
    beta_star : float, default=0.0
        Offset.

    Returns
    -------
    array or torch.Tensor

    Notes
    -----
    ``gamma_star=1, beta_star=0`` is BCE. The paper reports ``gamma_star=2, beta_star=1``
    and ``gamma_star=4, beta_star=0`` as working settings.

    References
    ----------
    Lin, Goyal, Girshick, He, Dollar. Focal Loss for Dense Object Detection. ICCV 2017,
    Appendix A.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(focal_star_loss(np.array(0.0), np.array(1.0), gamma_star=2.0,
    ...                             beta_star=1.0)), 4)
    0.1566
    """
    gs, bs = _fl_star_check(gamma_star, beta_star)
    ops = get_ops(z)
    y = ops.asarray(y, like=z)
    _, _, nlog_pos, _ = _sigmoid_parts(ops, gs * z + bs)  # softplus(-(g z + b))
    _, _, nlog_neg, _ = _sigmoid_parts(ops, bs - gs * z)  # softplus(-(b - g z))
    return (y * nlog_pos + (1.0 - y) * nlog_neg) / gs


def focal_star_grad(z: Array, y: Array, *, gamma_star: float = 1.0,
                    beta_star: float = 0.0) -> Array:
    r"""Derivative of :func:`focal_star_loss`: :math:`-y(1-p^*_+) + (1-y)(1-p^*_-)`.

    Returns
    -------
    array or torch.Tensor
    """
    return focal_star_grad_hess(z, y, gamma_star=gamma_star, beta_star=beta_star)[0]


def focal_star_grad_hess(z: Array, y: Array, *, gamma_star: float = 1.0,
                         beta_star: float = 0.0) -> tuple[Array, Array]:
    r"""Gradient and exact Hessian of :func:`focal_star_loss` (the Hessian is > 0).

    :math:`H = \gamma^* [y\, p^*_+ (1-p^*_+) + (1-y)\, p^*_- (1-p^*_-)]`.

    Returns
    -------
    grad, hess
    """
    gs, bs = _fl_star_check(gamma_star, beta_star)
    ops = get_ops(z)
    y = ops.asarray(y, like=z)
    pp, qp, _, _ = _sigmoid_parts(ops, gs * z + bs)
    pn, qn, _, _ = _sigmoid_parts(ops, bs - gs * z)
    grad = -y * qp + (1.0 - y) * qn
    hess = gs * (y * pp * qp + (1.0 - y) * pn * qn)
    return grad, hess


# --------------------------------------------------------------------------- LDAM + DRW
def ldam_margins(class_counts: Any, *, max_margin: float = 0.5) -> np.ndarray:
    r"""LDAM class margins :math:`\Delta_j = C / n_j^{1/4}`.

    ``C`` is such that the largest margin (rarest class) is ``max_margin``.

    Parameters
    ----------
    class_counts : array_like
        Training count of each class (all > 0).
    max_margin : float, default=0.5
        The largest margin, >= 0 (0 gives cross-entropy with ``scale=1``).

    Returns
    -------
    ndarray

    References
    ----------
    Cao, Wei, Gaidon, Arechiga, Ma. Learning Imbalanced Datasets with Label-Distribution-
    Aware Margin Loss. NeurIPS 2019.

    Examples
    --------
    >>> ldam_margins([10000, 1]).round(3).tolist()
    [0.05, 0.5]
    """
    m = check_float(max_margin, "max_margin", "ldam_margins")
    counts = np.asarray(class_counts, dtype=float).reshape(-1)
    if counts.size < 2 or np.any(~np.isfinite(counts)) or np.any(counts <= 0):
        raise param_error("class_counts", "ldam_margins",
                          "a vector of at least 2 positive counts", class_counts)
    raw = counts**-0.25
    return raw * (m / raw.max())


def _ldam_logits(ops: Any, logits: Array, target: Array, margins: Any, scale: float,
                 axis: int) -> Array:
    ax = axis % logits.ndim
    marg = np.asarray(margins, dtype=float).reshape(-1)
    if marg.shape[0] != logits.shape[ax]:
        raise InvalidParameterError(
            f"margins has {marg.shape[0]} classes but logits have {logits.shape[ax]} along "
            f"axis {axis}."
        )
    _hard_targets_check(target, "ldam_loss")
    onehot = ops.one_hot(target, logits.shape[ax], ax, logits)
    return scale * (logits - onehot * _class_vector(ops, marg, logits, ax))


def ldam_loss(logits: Array, target: Array, *, margins: Any, scale: float = 30.0,
              class_weight: Any = None, axis: int = -1) -> Array:
    r"""Label-distribution-aware margin (LDAM) loss of Cao et al. (2019), per sample.

    .. math:: L = -\log \frac{e^{s(z_y - \Delta_y)}}{e^{s(z_y - \Delta_y)} +
              \sum_{k\ne y} e^{s z_k}}

    Parameters
    ----------
    logits : array_like or torch.Tensor
        Scores, classes along ``axis``.
    target : array_like or torch.Tensor
        Integer labels.
    margins : vector
        Per-class margins, usually :func:`ldam_margins` of the training counts.
    scale : float, default=30.0
        The logit scale ``s`` (> 0) of the reference implementation (which normalises
        features and weights; with an unnormalised head use a small scale such as 1-5).
    class_weight : vector, optional
        Per-class weights; deferred re-weighting switches these on late in training
        (:class:`DeferredReweighting`).
    axis : int, default=-1

    Returns
    -------
    array or torch.Tensor

    Notes
    -----
    ``margins = 0`` and ``scale = 1`` is cross-entropy.

    References
    ----------
    Cao, Wei, Gaidon, Arechiga, Ma. Learning Imbalanced Datasets with Label-Distribution-
    Aware Margin Loss. NeurIPS 2019.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.array([[1.0, 0.0]])
    >>> round(float(ldam_loss(z, np.array([1]), margins=[0.1, 0.5], scale=1.0)[0]), 4)
    1.7014
    """
    s = check_float(scale, "scale", "ldam_loss", low=0.0, open_low=True)
    ops = get_ops(logits)
    adj = _ldam_logits(ops, logits, target, margins, s, axis)
    return softmax_focal_loss(adj, target, gamma=0.0, class_weight=class_weight, axis=axis)


def ldam_grad(logits: Array, target: Array, *, margins: Any, scale: float = 30.0,
              class_weight: Any = None, axis: int = -1) -> Array:
    """Gradient of :func:`ldam_loss` with respect to ``logits``.

    It is ``scale`` times the cross-entropy gradient at the adjusted logits.

    Returns
    -------
    array or torch.Tensor
    """
    s = check_float(scale, "scale", "ldam_grad", low=0.0, open_low=True)
    ops = get_ops(logits)
    adj = _ldam_logits(ops, logits, target, margins, s, axis)
    return s * softmax_focal_grad(adj, target, gamma=0.0, class_weight=class_weight, axis=axis)


class DeferredReweighting:
    """Deferred re-weighting (DRW) schedule of Cao et al. (2019).

    Class weights are all 1 before ``start_epoch`` and the class-balanced weights of Cui
    et al. (2019), ``(1 - beta) / (1 - beta**n_k)`` scaled to sum to ``C``, from then on
    (computed with :func:`focalkit.resolve_class_weight`).

    Parameters
    ----------
    class_counts : array_like
        Training count per class.
    start_epoch : int
        First epoch (0-based) with re-weighting (the paper: 160 of 200).
    beta : float, default=0.9999
        Effective-number parameter in [0, 1).

    Examples
    --------
    >>> drw = DeferredReweighting([900, 100], start_epoch=5)
    >>> drw.class_weight(0).tolist(), drw.class_weight(5).round(2).tolist()
    ([1.0, 1.0], [0.21, 1.79])
    """

    def __init__(self, class_counts: Any, *, start_epoch: int, beta: float = 0.9999) -> None:
        if not isinstance(start_epoch, (int, np.integer)) or start_epoch < 0:
            raise param_error("start_epoch", "DeferredReweighting", "an int >= 0", start_epoch)
        counts = np.asarray(class_counts, dtype=float).reshape(-1)
        self.start_epoch = int(start_epoch)
        self.beta = beta
        self.weights_ = resolve_class_weight(
            "effective_number", np.arange(counts.shape[0]), n_classes=counts.shape[0],
            beta=beta, sample_weight=counts, owner="DeferredReweighting",
        )

    def class_weight(self, epoch: int) -> np.ndarray:
        """Class weights to use in ``epoch`` (0-based).

        Parameters
        ----------
        epoch : int

        Returns
        -------
        ndarray
        """
        assert self.weights_ is not None
        if epoch < self.start_epoch:
            return np.ones_like(self.weights_)
        return self.weights_.copy()


# --------------------------------------------------------------------------- FLSD-53
def flsd_gamma(p_t: Array, *, threshold: float = 0.2, gamma_low: float = 5.0,
               gamma_high: float = 3.0) -> Array:
    r"""Sample-dependent focusing parameter of FLSD-53 (Mukhoti et al. 2020).

    :math:`\gamma = 5` if :math:`p_t < 0.2` else 3 (the defaults).

    Parameters
    ----------
    p_t : array_like or torch.Tensor
        Probability of the true class.
    threshold : float, default=0.2
    gamma_low : float, default=5.0
        Gamma below the threshold (hard samples).
    gamma_high : float, default=3.0
        Gamma at or above it.

    Returns
    -------
    array or torch.Tensor
        Same shape and dtype as ``p_t`` (a constant w.r.t. the margin: no gradient).

    References
    ----------
    Mukhoti, Kulharia, Sanyal, Golodetz, Torr, Dokania. Calibrating Deep Neural Networks
    using Focal Loss. NeurIPS 2020.

    Examples
    --------
    >>> import numpy as np
    >>> flsd_gamma(np.array([0.1, 0.5])).tolist()
    [5.0, 3.0]
    """
    owner = "flsd_gamma"
    thr = check_float(threshold, "threshold", owner, high=1.0, open_high=False)
    gl = check_nonneg_float(gamma_low, "gamma_low", owner)
    gh = check_nonneg_float(gamma_high, "gamma_high", owner)
    ops = get_ops(p_t)
    p_t = ops.asarray(p_t) if not hasattr(p_t, "dtype") else p_t
    if hasattr(p_t, "detach"):
        p_t = p_t.detach()
    return ops.where(p_t < thr, ops.asarray(gl, like=p_t), ops.asarray(gh, like=p_t))


def _binary_p_t(ops: Any, z: Array, y: Array) -> Array:
    p, q, _, _ = _sigmoid_parts(ops, z)
    return y * p + (1.0 - y) * q


def flsd_binary_focal_loss(z: Array, y: Array, *, threshold: float = 0.2,
                           gamma_low: float = 5.0, gamma_high: float = 3.0,
                           alpha: Any = None) -> Array:
    r"""Sigmoid focal loss with the FLSD-53 sample-dependent gamma (see :func:`flsd_gamma`).

    .. math:: L = -a_t (1-p_t)^{\gamma(p_t)} \log p_t

    ``gamma_low = gamma_high = 0`` is BCE. :math:`p_t = y p + (1-y)(1-p)` for soft targets.

    Returns
    -------
    array or torch.Tensor

    References
    ----------
    Mukhoti et al. Calibrating Deep Neural Networks using Focal Loss. NeurIPS 2020.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(flsd_binary_focal_loss(np.array(0.0), np.array(1.0))), 4)
    0.0866
    """
    ops = get_ops(z)
    y = ops.asarray(y, like=z)
    g = flsd_gamma(_binary_p_t(ops, z, y), threshold=threshold, gamma_low=gamma_low,
                   gamma_high=gamma_high)
    return binary_focal_loss(z, y, gamma=g, alpha=alpha)


def flsd_binary_focal_grad(z: Array, y: Array, *, threshold: float = 0.2,
                           gamma_low: float = 5.0, gamma_high: float = 3.0,
                           alpha: Any = None) -> Array:
    """Derivative of :func:`flsd_binary_focal_loss` (gamma piecewise constant).

    Returns
    -------
    array or torch.Tensor
    """
    ops = get_ops(z)
    y = ops.asarray(y, like=z)
    g = flsd_gamma(_binary_p_t(ops, z, y), threshold=threshold, gamma_low=gamma_low,
                   gamma_high=gamma_high)
    return binary_focal_grad(z, y, gamma=g, alpha=alpha)


def _softmax_p_y(ops: Any, logits: Array, target: Array, ax: int) -> Array:
    p = ops.exp(ops.log_softmax(logits, ax))
    t = _dense_target(ops, logits, target, ax)
    return ops.sum(t * p, ax)


def flsd_softmax_focal_loss(logits: Array, target: Array, *, threshold: float = 0.2,
                            gamma_low: float = 5.0, gamma_high: float = 3.0,
                            class_weight: Any = None, axis: int = -1) -> Array:
    r"""Softmax focal loss with the FLSD-53 gamma chosen per sample from :math:`p_y`.

    Returns
    -------
    array or torch.Tensor
        Loss per sample.

    References
    ----------
    Mukhoti et al. Calibrating Deep Neural Networks using Focal Loss. NeurIPS 2020.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(flsd_softmax_focal_loss(np.zeros((1, 2)), np.array([0]))[0]), 4)
    0.0866
    """
    ops = get_ops(logits)
    ax = axis % logits.ndim
    p_y = _softmax_p_y(ops, logits, target, ax)
    if hasattr(p_y, "detach"):
        p_y = p_y.detach()
    owner = "flsd_softmax_focal_loss"
    thr = check_float(threshold, "threshold", owner, high=1.0, open_high=False)
    lo = softmax_focal_loss(logits, target, gamma=check_nonneg_float(gamma_low, "gamma_low",
                                                                      owner),
                            class_weight=class_weight, axis=ax)
    hi = softmax_focal_loss(logits, target, gamma=check_nonneg_float(gamma_high, "gamma_high",
                                                                      owner),
                            class_weight=class_weight, axis=ax)
    return ops.where(p_y < thr, lo, hi)


def flsd_softmax_focal_grad(logits: Array, target: Array, *, threshold: float = 0.2,
                            gamma_low: float = 5.0, gamma_high: float = 3.0,
                            class_weight: Any = None, axis: int = -1) -> Array:
    """Gradient of :func:`flsd_softmax_focal_loss` with respect to ``logits``.

    Returns
    -------
    array or torch.Tensor
    """
    ops = get_ops(logits)
    ax = axis % logits.ndim
    p_y = _softmax_p_y(ops, logits, target, ax)
    thr = check_float(threshold, "threshold", "flsd_softmax_focal_grad", high=1.0, open_high=False)
    lo = softmax_focal_grad(logits, target, gamma=float(gamma_low), class_weight=class_weight,
                            axis=ax)
    hi = softmax_focal_grad(logits, target, gamma=float(gamma_high), class_weight=class_weight,
                            axis=ax)
    return ops.where(ops.expand(p_y < thr, ax), lo, hi)


# --------------------------------------------------------------------------- prior bias
def prior_bias(prior: Any) -> Any:
    r"""Initial output bias that makes an untrained head predict the prior.

    A scalar :math:`\pi` (sigmoid head) gives :math:`-\log((1-\pi)/\pi)` (Lin et al. 2017
    use :math:`\pi = 0.01`); a vector of class priors (softmax head) gives
    :math:`\log \pi_k` centred to mean zero.

    Parameters
    ----------
    prior : float or vector
        In (0, 1) (a vector is normalised to sum to 1).

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(prior_bias(0.01), 4)
    -4.5951
    """
    arr = np.asarray(prior, dtype=float)
    if arr.ndim == 0:
        if not 0.0 < float(arr) < 1.0:
            raise param_error("prior", "prior_bias", "a float in (0, 1)", prior)
        return -math.log((1.0 - float(arr)) / float(arr))
    if arr.ndim != 1 or np.any(~np.isfinite(arr)) or np.any(arr <= 0):
        raise param_error("prior", "prior_bias", "a float in (0, 1) or a vector of priors > 0",
                          prior)
    logp = np.log(arr / arr.sum())
    return logp - logp.mean()
