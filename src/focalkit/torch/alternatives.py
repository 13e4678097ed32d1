r"""PyTorch losses for the alternatives to focal loss, with their ``nn.Module`` twins.

Each function computes the loss and its gradient with the margin-form mathematics of
:mod:`focalkit._core.alternatives` on tensors; a small ``autograd.Function`` returns that
analytic gradient in the backward pass (checked with float64 ``gradcheck`` in the tests).
Differentiating the ``_core`` expressions with autograd instead would give NaN gradients
for focusing parameters in (0, 1) once a probability rounds to 1 (DESIGN.md, "Known
failures"); the analytic form stays finite. Targets, weights and loss parameters are
constants (no gradient flows to them). Signatures follow
``torch.nn.functional``: sigmoid losses mirror ``binary_cross_entropy_with_logits``
(``input`` and ``target`` of the same shape, elementwise ``weight``, ``reduction``),
softmax losses mirror ``cross_entropy`` (classes on dim 1, integer targets,
``weight`` per class, ``ignore_index``, weighted ``"mean"``). Half-precision inputs are
computed in float32 and the loss is returned in float32.

Each loss reduces to BCE / cross-entropy at its neutral setting (see the docstrings).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from focalkit._core import alternatives as _alt
from focalkit._core._validation import check_in, check_same_shape, param_error
from focalkit._core.alternatives import DeferredReweighting, ldam_margins
from focalkit._core.binary import binary_focal_loss_grad
from focalkit._core.softmax import softmax_focal_loss_grad
from focalkit.exceptions import InvalidParameterError

__all__ = [
    "AsymmetricLossWithLogits",
    "DeferredReweighting",
    "FLSDBinaryFocalLossWithLogits",
    "FLSDSoftmaxFocalLoss",
    "FocalStarLossWithLogits",
    "LDAMLoss",
    "LabelSmoothingBCEWithLogitsLoss",
    "LogitAdjustedBCEWithLogitsLoss",
    "LogitAdjustedCrossEntropyLoss",
    "Poly1BinaryFocalLossWithLogits",
    "Poly1CrossEntropyLoss",
    "WeightedBCEWithLogitsLoss",
    "asymmetric_loss_with_logits",
    "flsd_binary_focal_loss_with_logits",
    "flsd_softmax_focal_loss",
    "focal_star_loss_with_logits",
    "label_smoothing_bce_with_logits",
    "ldam_loss",
    "ldam_margins",
    "logit_adjusted_bce_with_logits",
    "logit_adjusted_cross_entropy",
    "poly1_binary_focal_loss_with_logits",
    "poly1_cross_entropy",
    "poly1_softmax_focal_loss",
    "prior_bias_init_",
    "softmax_prior_bias_init_",
    "weighted_bce_with_logits",
]

_REDUCTIONS = ("none", "mean", "sum")


# --------------------------------------------------------------------------- plumbing
def _compute_dtype(x: Tensor) -> Tensor:
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def _binary_prepare(input: Tensor, target: Tensor, reduction: str, owner: str
                    ) -> tuple[Tensor, Tensor]:
    check_in(reduction, _REDUCTIONS, "reduction", owner)
    if not isinstance(input, Tensor):
        raise InvalidParameterError(f"{owner} needs a torch.Tensor input; got {type(input)}.")
    target = torch.as_tensor(target, device=input.device)
    check_same_shape(input, target)
    x = _compute_dtype(input)
    return x, target.to(x.dtype)


def _binary_reduce(loss: Tensor, weight: Any, reduction: str) -> Tensor:
    if weight is not None:
        loss = loss * torch.as_tensor(weight, dtype=loss.dtype, device=loss.device)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _softmax_call(core_fn: Any, core_grad: Any, input: Tensor, target: Tensor, *, weight: Any,
                  ignore_index: int, reduction: str, owner: str, **kw: Any) -> Tensor:
    """Run a per-sample ``_core`` softmax loss with ``F.cross_entropy``'s conventions."""
    check_in(reduction, _REDUCTIONS, "reduction", owner)
    if not isinstance(input, Tensor) or input.ndim < 2:
        raise InvalidParameterError(
            f"{owner} needs input of shape (N, C) or (N, C, d1, ...); got "
            f"{tuple(getattr(input, 'shape', ()))}."
        )
    x = _compute_dtype(input)
    target = torch.as_tensor(target, device=input.device)
    n_classes = x.shape[1]
    w = None
    if weight is not None:
        w = torch.as_tensor(weight, dtype=x.dtype, device=x.device).reshape(-1)
        if w.shape[0] != n_classes:
            raise param_error("weight", owner, f"a vector of {n_classes} class weights",
                              tuple(w.shape))
    dense = target.shape == x.shape
    if dense:
        loss = _apply(core_fn, core_grad, x, target.to(x.dtype), 1, class_weight=w, axis=1,
                      **kw)
        if reduction == "mean":
            return loss.sum() / max(loss.numel(), 1)
        return loss.sum() if reduction == "sum" else loss
    if target.dtype.is_floating_point:
        raise InvalidParameterError(
            f"{owner}: target must hold integer class labels (or class probabilities of "
            "input's shape)."
        )
    expected = (x.shape[0],) + tuple(x.shape[2:])
    if tuple(target.shape) != expected:
        raise InvalidParameterError(
            f"input and target must have matching shapes; got {tuple(x.shape)} and "
            f"{tuple(target.shape)} (expected target shape {expected})."
        )
    valid = target != ignore_index
    safe = torch.where(valid, target, torch.zeros_like(target))
    if bool(((safe < 0) | (safe >= n_classes)).any()):
        raise InvalidParameterError(
            f"{owner}: target labels must be in [0, {n_classes - 1}] or ignore_index."
        )
    loss = _apply(core_fn, core_grad, x, safe, 1, class_weight=w, axis=1, **kw)
    loss = torch.where(valid, loss, torch.zeros_like(loss))
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if w is None:
        denom = valid.sum().to(loss.dtype)
    else:
        denom = (w[safe] * valid.to(loss.dtype)).sum()
    return loss.sum() / denom


class _CoreLossFunction(torch.autograd.Function):
    """Unreduced loss with the analytic ``_core`` gradient as its backward."""

    @staticmethod
    def forward(ctx: Any, input: Tensor, target: Tensor, loss_grad: Any,  # type: ignore[override]
                kwargs: dict[str, Any], class_dim: int) -> Tensor:
        loss, grad = loss_grad(input.detach(), target.detach(), **kwargs)
        ctx.save_for_backward(grad)
        ctx.class_dim = class_dim
        return loss

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> Any:  # type: ignore[override]
        (grad,) = ctx.saved_tensors
        if ctx.class_dim is not None:
            grad_output = grad_output.unsqueeze(ctx.class_dim)
        return grad_output * grad, None, None, None, None


def _apply(loss_fn: Any, grad_fn: Any, x: Tensor, t: Tensor, class_dim: Any = None,
           **kw: Any) -> Tensor:
    def loss_grad(z: Tensor, y: Tensor, **k: Any) -> tuple[Tensor, Tensor]:
        return loss_fn(z, y, **k), grad_fn(z, y, **k)

    return _CoreLossFunction.apply(x, t, loss_grad, kw, class_dim)


def _core_binary_focal_loss(input: Tensor, target: Tensor, *, gamma: Any = 2.0,
                            alpha: Any = None) -> Tensor:
    """Unreduced sigmoid focal loss with the analytic ``_core`` backward (internal).

    Used by :class:`focalkit.sklearn.FocalMLPClassifier`; the public focal losses are in
    :mod:`focalkit.torch`.
    """
    return _CoreLossFunction.apply(input, target.to(input.dtype), binary_focal_loss_grad,
                                   {"gamma": gamma, "alpha": alpha}, None)


def _core_softmax_focal_loss(input: Tensor, target: Tensor, *, gamma: Any = 2.0,
                             class_weight: Any = None) -> Tensor:
    """Per-sample softmax focal loss of ``(N, C)`` logits with the ``_core`` backward."""
    return _CoreLossFunction.apply(input, target, softmax_focal_loss_grad,
                                   {"gamma": gamma, "class_weight": class_weight, "axis": 1}, 1)


# --------------------------------------------------------------------------- functions
def weighted_bce_with_logits(input: Tensor, target: Tensor, *, pos_weight: Any = 1.0,
                             neg_weight: Any = 1.0, weight: Any = None,
                             reduction: str = "mean") -> Tensor:
    r"""Class-weighted BCE: :math:`-w_1 y\log p - w_0 (1-y)\log(1-p)`.

    Parameters
    ----------
    input : Tensor
        Logits, any shape.
    target : Tensor
        Targets in [0, 1], same shape.
    pos_weight : float or Tensor, default=1.0
        :math:`w_1`; use :func:`focalkit._core.alternatives.resolve_pos_weight` for
        ``"balanced"`` (``n_neg / n_pos``). Broadcasts (e.g. one per label).
    neg_weight : float or Tensor, default=1.0
        :math:`w_0`, > 0.
    weight : Tensor, optional
        Elementwise weight, as in ``F.binary_cross_entropy_with_logits``.
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    Tensor

    Notes
    -----
    ``pos_weight=1, neg_weight=1`` is ``F.binary_cross_entropy_with_logits``; ``neg_weight=1``
    equals its ``pos_weight`` argument.

    Examples
    --------
    >>> import torch
    >>> x, y = torch.tensor([0.0, 2.0]), torch.tensor([1.0, 0.0])
    >>> round(weighted_bce_with_logits(x, y, pos_weight=9.0).item(), 4)
    4.1826
    """
    x, t = _binary_prepare(input, target, reduction, "weighted_bce_with_logits")
    loss = _apply(_alt.weighted_bce_loss, _alt.weighted_bce_grad, x, t,
                  pos_weight=pos_weight, neg_weight=neg_weight)
    return _binary_reduce(loss, weight, reduction)


def logit_adjusted_bce_with_logits(input: Tensor, target: Tensor, *, prior: Any,
                                   tau: float = 1.0, weight: Any = None,
                                   reduction: str = "mean") -> Tensor:
    r"""Logit-adjusted BCE (Menon et al. 2021): BCE at :math:`z + \tau\log(\pi/(1-\pi))`.

    The raw logit then estimates the balanced log-odds; ``tau=0`` is BCE.

    Parameters
    ----------
    input, target : Tensor
        Logits and targets in [0, 1], same shape.
    prior : float or sequence of float
        Training prevalence of the positive class, in (0, 1); one per label (last dim) for
        multi-label targets.
    tau : float, default=1.0
    weight : Tensor, optional
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    Tensor

    References
    ----------
    Menon et al. Long-tail learning via logit adjustment. ICLR 2021.

    Examples
    --------
    >>> import torch
    >>> x, y = torch.tensor([0.0]), torch.tensor([1.0])
    >>> round(logit_adjusted_bce_with_logits(x, y, prior=0.1).item(), 4)
    2.3026
    """
    x, t = _binary_prepare(input, target, reduction, "logit_adjusted_bce_with_logits")
    loss = _apply(_alt.logit_adjusted_bce_loss, _alt.logit_adjusted_bce_grad, x, t,
                  prior=prior, tau=tau)
    return _binary_reduce(loss, weight, reduction)


def logit_adjusted_cross_entropy(input: Tensor, target: Tensor, *, prior: Any,
                                 tau: float = 1.0, weight: Any = None, ignore_index: int = -100,
                                 reduction: str = "mean") -> Tensor:
    r"""Logit-adjusted cross-entropy (Menon et al. 2021): CE at :math:`z_k + \tau\log\pi_k`.

    Parameters
    ----------
    input : Tensor
        Logits (N, C) or (N, C, d1, ...).
    target : Tensor
        Class indices (N, d1, ...) or class probabilities (input's shape).
    prior : sequence of float
        Class priors (training frequencies), all > 0.
    tau : float, default=1.0
        ``tau=0`` is ``F.cross_entropy``.
    weight : Tensor, optional
        Class weights (weighted mean, as ``F.cross_entropy``).
    ignore_index : int, default=-100
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    Tensor

    References
    ----------
    Menon et al. Long-tail learning via logit adjustment. ICLR 2021.

    Examples
    --------
    >>> import torch
    >>> x, y = torch.zeros(1, 2), torch.tensor([1])
    >>> round(logit_adjusted_cross_entropy(x, y, prior=[0.9, 0.1]).item(), 4)
    2.3026
    """
    return _softmax_call(_alt.logit_adjusted_ce_loss, _alt.logit_adjusted_ce_grad,
                         input, target, weight=weight,
                         ignore_index=ignore_index, reduction=reduction,
                         owner="logit_adjusted_cross_entropy", prior=prior, tau=tau)


def asymmetric_loss_with_logits(input: Tensor, target: Tensor, *, gamma_pos: float = 0.0,
                                gamma_neg: float = 4.0, clip: float = 0.05, weight: Any = None,
                                reduction: str = "mean") -> Tensor:
    r"""Asymmetric loss (Ridnik et al. 2021) for binary and multi-label logits.

    .. math:: L = -y(1-p)^{\gamma_+}\log p - (1-y)\,p_m^{\gamma_-}\log(1-p_m),\quad
              p_m = \max(p - m, 0)

    Parameters
    ----------
    input, target : Tensor
        Logits and targets in [0, 1], same shape.
    gamma_pos, gamma_neg : float, default=0.0, 4.0
    clip : float, default=0.05
        Probability margin ``m`` in [0, 1).
    weight : Tensor, optional
    reduction : {"mean", "sum", "none"}, default="mean"
        The reference implementation returns the sum; ``"mean"`` is the BCE convention.

    Returns
    -------
    Tensor

    Notes
    -----
    ``gamma_pos = gamma_neg = clip = 0`` is BCE.

    References
    ----------
    Ridnik et al. Asymmetric Loss for Multi-Label Classification. ICCV 2021.

    Examples
    --------
    >>> import torch
    >>> round(asymmetric_loss_with_logits(torch.tensor([1.0]), torch.tensor([0.0])).item(), 4)
    0.2459
    """
    x, t = _binary_prepare(input, target, reduction, "asymmetric_loss_with_logits")
    loss = _apply(_alt.asymmetric_loss, _alt.asymmetric_grad, x, t, gamma_pos=gamma_pos,
                  gamma_neg=gamma_neg, clip=clip)
    return _binary_reduce(loss, weight, reduction)


def poly1_binary_focal_loss_with_logits(input: Tensor, target: Tensor, *, epsilon: float = 1.0,
                                        gamma: float = 0.0, alpha: Any = None,
                                        weight: Any = None, reduction: str = "mean") -> Tensor:
    r"""Poly-1 sigmoid loss (Leng et al. 2022): :math:`FL_\gamma + \epsilon(1-p_t)^{\gamma+1}`.

    ``gamma=0`` is Poly-1 BCE; ``epsilon=0`` is focal loss / BCE.

    Parameters
    ----------
    input, target : Tensor
        Logits and targets in [0, 1], same shape.
    epsilon : float, default=1.0
    gamma : float, default=0.0
    alpha : float or None, default=None
    weight : Tensor, optional
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    Tensor

    References
    ----------
    Leng et al. PolyLoss: A Polynomial Expansion Perspective of Classification Loss
    Functions. ICLR 2022.

    Examples
    --------
    >>> import torch
    >>> x, y = torch.tensor([0.0]), torch.tensor([1.0])
    >>> round(poly1_binary_focal_loss_with_logits(x, y).item(), 4)
    1.1931
    """
    x, t = _binary_prepare(input, target, reduction, "poly1_binary_focal_loss_with_logits")
    loss = _apply(_alt.poly1_binary_focal_loss, _alt.poly1_binary_focal_grad, x, t,
                  epsilon=epsilon, gamma=gamma, alpha=alpha)
    return _binary_reduce(loss, weight, reduction)


def poly1_softmax_focal_loss(input: Tensor, target: Tensor, *, epsilon: float = 1.0,
                             gamma: float = 2.0, weight: Any = None, ignore_index: int = -100,
                             reduction: str = "mean") -> Tensor:
    r"""Poly-1 softmax focal loss (Leng et al. 2022).

    .. math:: L = FL_\gamma + \epsilon (1-p_y)^{\gamma+1}

    Parameters
    ----------
    input : Tensor
        Logits (N, C, ...).
    target : Tensor
        Class indices or class probabilities.
    epsilon : float, default=1.0
    gamma : float, default=2.0
    weight : Tensor, optional
        Class weights (on the focal term).
    ignore_index : int, default=-100
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    Tensor

    References
    ----------
    Leng et al. PolyLoss. ICLR 2022.

    Examples
    --------
    >>> import torch
    >>> x, y = torch.zeros(1, 2), torch.tensor([0])
    >>> round(poly1_softmax_focal_loss(x, y).item(), 4)
    0.2983
    """
    return _softmax_call(_alt.poly1_softmax_focal_loss, _alt.poly1_softmax_focal_grad,
                         input, target, weight=weight,
                         ignore_index=ignore_index, reduction=reduction,
                         owner="poly1_softmax_focal_loss", epsilon=epsilon, gamma=gamma)


def poly1_cross_entropy(input: Tensor, target: Tensor, *, epsilon: float = 1.0,
                        weight: Any = None, ignore_index: int = -100,
                        reduction: str = "mean") -> Tensor:
    r"""Poly-1 cross-entropy (Leng et al. 2022): :math:`CE + \epsilon(1 - p_y)`.

    ``epsilon=0`` is ``F.cross_entropy``. Parameters as :func:`poly1_softmax_focal_loss`.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import torch
    >>> x, y = torch.zeros(1, 2), torch.tensor([0])
    >>> round(poly1_cross_entropy(x, y).item(), 4)
    1.1931
    """
    return poly1_softmax_focal_loss(input, target, epsilon=epsilon, gamma=0.0, weight=weight,
                                    ignore_index=ignore_index, reduction=reduction)


def label_smoothing_bce_with_logits(input: Tensor, target: Tensor, *, smoothing: float = 0.1,
                                    weight: Any = None, pos_weight: Any = None,
                                    reduction: str = "mean") -> Tensor:
    r"""BCE against smoothed targets :math:`y(1-\epsilon) + \epsilon/2`.

    ``smoothing=0`` is ``F.binary_cross_entropy_with_logits``.

    Parameters
    ----------
    input, target : Tensor
        Logits and targets in [0, 1], same shape.
    smoothing : float, default=0.1
        In [0, 1].
    weight, pos_weight : Tensor, optional
        As in ``F.binary_cross_entropy_with_logits``.
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    Tensor

    References
    ----------
    Szegedy et al. Rethinking the Inception Architecture for Computer Vision. CVPR 2016.

    Examples
    --------
    >>> import torch
    >>> x, y = torch.tensor([4.0]), torch.tensor([1.0])
    >>> round(label_smoothing_bce_with_logits(x, y).item(), 4)
    0.2181
    """
    x, t = _binary_prepare(input, target, reduction, "label_smoothing_bce_with_logits")
    ts = _alt.smooth_binary_targets(t, smoothing)
    from focalkit._core.binary import binary_focal_grad, binary_focal_loss

    loss = _apply(binary_focal_loss, binary_focal_grad, x, ts, gamma=0.0,
                  pos_weight=pos_weight)
    return _binary_reduce(loss, weight, reduction)


def focal_star_loss_with_logits(input: Tensor, target: Tensor, *, gamma_star: float = 1.0,
                                beta_star: float = 0.0, weight: Any = None,
                                reduction: str = "mean") -> Tensor:
    r"""FL* (Lin et al. 2017, appendix): :math:`-\log\sigma(\gamma^* x_t + \beta^*)/\gamma^*`.

    ``gamma_star=1, beta_star=0`` is BCE.

    Parameters
    ----------
    input, target : Tensor
        Logits and targets in [0, 1], same shape.
    gamma_star : float, default=1.0
    beta_star : float, default=0.0
    weight : Tensor, optional
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    Tensor

    References
    ----------
    Lin et al. Focal Loss for Dense Object Detection. ICCV 2017, Appendix A.

    Examples
    --------
    >>> import torch
    >>> x, y = torch.tensor([0.0]), torch.tensor([1.0])
    >>> round(focal_star_loss_with_logits(x, y, gamma_star=2.0, beta_star=1.0).item(), 4)
    0.1566
    """
    x, t = _binary_prepare(input, target, reduction, "focal_star_loss_with_logits")
    loss = _apply(_alt.focal_star_loss, _alt.focal_star_grad, x, t, gamma_star=gamma_star,
                  beta_star=beta_star)
    return _binary_reduce(loss, weight, reduction)


def ldam_loss(input: Tensor, target: Tensor, *, margins: Any, scale: float = 30.0,
              weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    r"""LDAM loss (Cao et al. 2019): cross-entropy at :math:`s(z - \Delta_y e_y)`.

    Parameters
    ----------
    input : Tensor
        Logits (N, C, ...).
    target : Tensor
        Class indices.
    margins : sequence of float
        Per-class margins, e.g. ``ldam_margins(class_counts, max_margin=0.5)``.
    scale : float, default=30.0
        Logit scale ``s``.
    weight : Tensor, optional
        Class weights, e.g. from :class:`DeferredReweighting`.
    ignore_index : int, default=-100
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    Tensor

    Notes
    -----
    ``margins=0, scale=1`` is ``F.cross_entropy``.

    References
    ----------
    Cao et al. Learning Imbalanced Datasets with Label-Distribution-Aware Margin Loss.
    NeurIPS 2019.

    Examples
    --------
    >>> import torch
    >>> x, y = torch.tensor([[1.0, 0.0]]), torch.tensor([1])
    >>> round(ldam_loss(x, y, margins=[0.1, 0.5], scale=1.0).item(), 4)
    1.7014
    """
    return _softmax_call(_alt.ldam_loss, _alt.ldam_grad, input, target, weight=weight,
                         ignore_index=ignore_index, reduction=reduction, owner="ldam_loss",
                         margins=margins, scale=scale)


def flsd_binary_focal_loss_with_logits(input: Tensor, target: Tensor, *,
                                       threshold: float = 0.2, gamma_low: float = 5.0,
                                       gamma_high: float = 3.0, alpha: Any = None,
                                       weight: Any = None, reduction: str = "mean") -> Tensor:
    r"""Sigmoid focal loss with the FLSD-53 gamma (Mukhoti et al. 2020).

    :math:`\gamma = 5` if :math:`p_t < 0.2` else 3.

    Parameters
    ----------
    input, target : Tensor
        Logits and targets in [0, 1], same shape.
    threshold, gamma_low, gamma_high : float, default=0.2, 5.0, 3.0
    alpha : float or None, default=None
    weight : Tensor, optional
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    Tensor

    References
    ----------
    Mukhoti et al. Calibrating Deep Neural Networks using Focal Loss. NeurIPS 2020.

    Examples
    --------
    >>> import torch
    >>> x, y = torch.tensor([0.0]), torch.tensor([1.0])
    >>> round(flsd_binary_focal_loss_with_logits(x, y).item(), 4)
    0.0866
    """
    x, t = _binary_prepare(input, target, reduction, "flsd_binary_focal_loss_with_logits")
    loss = _apply(_alt.flsd_binary_focal_loss, _alt.flsd_binary_focal_grad, x, t,
                  threshold=threshold, gamma_low=gamma_low, gamma_high=gamma_high,
                  alpha=alpha)
    return _binary_reduce(loss, weight, reduction)


def flsd_softmax_focal_loss(input: Tensor, target: Tensor, *, threshold: float = 0.2,
                            gamma_low: float = 5.0, gamma_high: float = 3.0,
                            weight: Any = None, ignore_index: int = -100,
                            reduction: str = "mean") -> Tensor:
    r"""Softmax focal loss with the FLSD-53 gamma chosen per sample from :math:`p_y`.

    Parameters
    ----------
    input : Tensor
        Logits (N, C, ...).
    target : Tensor
        Class indices or class probabilities.
    threshold, gamma_low, gamma_high : float, default=0.2, 5.0, 3.0
    weight : Tensor, optional
    ignore_index : int, default=-100
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    Tensor

    References
    ----------
    Mukhoti et al. Calibrating Deep Neural Networks using Focal Loss. NeurIPS 2020.

    Examples
    --------
    >>> import torch
    >>> round(flsd_softmax_focal_loss(torch.zeros(1, 2), torch.tensor([0])).item(), 4)
    0.0866
    """
    return _softmax_call(_alt.flsd_softmax_focal_loss, _alt.flsd_softmax_focal_grad,
                         input, target, weight=weight,
                         ignore_index=ignore_index, reduction=reduction,
                         owner="flsd_softmax_focal_loss", threshold=threshold,
                         gamma_low=gamma_low, gamma_high=gamma_high)


# --------------------------------------------------------------------------- prior bias init
def prior_bias_init_(linear: nn.Linear, prior: float = 0.01) -> nn.Linear:
    r"""Set a sigmoid head's bias to :math:`-\log((1-\pi)/\pi)` in place (Lin et al. 2017).

    An untrained network then predicts :math:`\pi` everywhere, which removes the large,
    majority-dominated loss of the first steps (use the training prevalence, or 0.01 as in
    RetinaNet). For focal loss the loss-optimal constant is
    :func:`focalkit.binary_focal_init_score`.

    Parameters
    ----------
    linear : torch.nn.Linear
        The output layer (its bias must exist).
    prior : float, default=0.01
        Prior probability of the positive class, in (0, 1).

    Returns
    -------
    torch.nn.Linear
        ``linear``, modified.

    Examples
    --------
    >>> import torch
    >>> head = prior_bias_init_(torch.nn.Linear(4, 1), prior=0.1)
    >>> round(head.bias.item(), 4)
    -2.1972
    """
    if not isinstance(linear, nn.Linear) or linear.bias is None:
        raise param_error("linear", "prior_bias_init_", "a torch.nn.Linear with a bias",
                          type(linear).__name__)
    value = _alt.prior_bias(prior)
    with torch.no_grad():
        linear.bias.fill_(value)
    return linear


def softmax_prior_bias_init_(linear: nn.Linear, priors: Any) -> nn.Linear:
    r"""Set a softmax head's bias to :math:`\log \pi_k` (centred) in place.

    Parameters
    ----------
    linear : torch.nn.Linear
        The output layer with ``out_features == len(priors)``.
    priors : sequence of float
        Class priors (> 0; normalised to sum to 1).

    Returns
    -------
    torch.nn.Linear

    Examples
    --------
    >>> import torch
    >>> head = softmax_prior_bias_init_(torch.nn.Linear(4, 2), [0.9, 0.1])
    >>> [round(v, 3) for v in torch.softmax(head.bias, 0).tolist()]
    [0.9, 0.1]
    """
    if not isinstance(linear, nn.Linear) or linear.bias is None:
        raise param_error("linear", "softmax_prior_bias_init_",
                          "a torch.nn.Linear with a bias", type(linear).__name__)
    value = _alt.prior_bias(list(priors) if not hasattr(priors, "shape") else priors)
    if not hasattr(value, "shape") or value.shape != (linear.out_features,):
        raise param_error("priors", "softmax_prior_bias_init_",
                          f"a vector of {linear.out_features} class priors > 0", priors)
    with torch.no_grad():
        linear.bias.copy_(torch.as_tensor(value, dtype=linear.bias.dtype))
    return linear


# --------------------------------------------------------------------------- modules
class _Loss(nn.Module):
    _fn: Any = None
    _owner = ""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = check_in(reduction, _REDUCTIONS, "reduction", self._owner)


class WeightedBCEWithLogitsLoss(_Loss):
    """Module twin of :func:`weighted_bce_with_logits`.

    Parameters
    ----------
    pos_weight, neg_weight : float, default=1.0
    reduction : {"mean", "sum", "none"}, default="mean"
    """

    _owner = "WeightedBCEWithLogitsLoss"

    def __init__(self, pos_weight: Any = 1.0, neg_weight: Any = 1.0, *,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.pos_weight = _alt.resolve_pos_weight(pos_weight, owner=self._owner)
        if not isinstance(neg_weight, (int, float)) or neg_weight <= 0:
            raise param_error("neg_weight", self._owner, "a float in (0, inf)", neg_weight)
        self.neg_weight = float(neg_weight)

    def forward(self, input: Tensor, target: Tensor, weight: Any = None) -> Tensor:
        """Compute the loss (see :func:`weighted_bce_with_logits`)."""
        return weighted_bce_with_logits(input, target, pos_weight=self.pos_weight,
                                        neg_weight=self.neg_weight, weight=weight,
                                        reduction=self.reduction)


class LogitAdjustedBCEWithLogitsLoss(_Loss):
    """Module twin of :func:`logit_adjusted_bce_with_logits`.

    Parameters
    ----------
    prior : float
    tau : float, default=1.0
    reduction : {"mean", "sum", "none"}, default="mean"
    """

    _owner = "LogitAdjustedBCEWithLogitsLoss"

    def __init__(self, prior: Any, tau: float = 1.0, *, reduction: str = "mean") -> None:
        super().__init__(reduction)
        _alt._binary_shift(prior, tau)  # validates
        self.prior = float(prior) if np.ndim(prior) == 0 else np.asarray(prior, dtype=float)
        self.tau = float(tau)

    def forward(self, input: Tensor, target: Tensor, weight: Any = None) -> Tensor:
        """Compute the loss (see :func:`logit_adjusted_bce_with_logits`)."""
        return logit_adjusted_bce_with_logits(input, target, prior=self.prior, tau=self.tau,
                                              weight=weight, reduction=self.reduction)


class LogitAdjustedCrossEntropyLoss(_Loss):
    """Module twin of :func:`logit_adjusted_cross_entropy`.

    Parameters
    ----------
    prior : sequence of float
    tau : float, default=1.0
    weight : Tensor, optional
    ignore_index : int, default=-100
    reduction : {"mean", "sum", "none"}, default="mean"
    """

    _owner = "LogitAdjustedCrossEntropyLoss"

    def __init__(self, prior: Any, tau: float = 1.0, *, weight: Any = None,
                 ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        _alt.logit_adjustment(list(prior), tau=tau)
        self.prior, self.tau = [float(p) for p in prior], float(tau)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss (see :func:`logit_adjusted_cross_entropy`)."""
        return logit_adjusted_cross_entropy(input, target, prior=self.prior, tau=self.tau,
                                            weight=self.weight, ignore_index=self.ignore_index,
                                            reduction=self.reduction)


class AsymmetricLossWithLogits(_Loss):
    """Module twin of :func:`asymmetric_loss_with_logits`.

    Parameters
    ----------
    gamma_pos, gamma_neg, clip : float, default=0.0, 4.0, 0.05
    reduction : {"mean", "sum", "none"}, default="mean"
    """

    _owner = "AsymmetricLossWithLogits"

    def __init__(self, gamma_pos: float = 0.0, gamma_neg: float = 4.0, clip: float = 0.05, *,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.gamma_pos, self.gamma_neg, self.clip = _alt._asl_check(gamma_pos, gamma_neg, clip)

    def forward(self, input: Tensor, target: Tensor, weight: Any = None) -> Tensor:
        """Compute the loss (see :func:`asymmetric_loss_with_logits`)."""
        return asymmetric_loss_with_logits(input, target, gamma_pos=self.gamma_pos,
                                           gamma_neg=self.gamma_neg, clip=self.clip,
                                           weight=weight, reduction=self.reduction)


class Poly1BinaryFocalLossWithLogits(_Loss):
    """Module twin of :func:`poly1_binary_focal_loss_with_logits`.

    Parameters
    ----------
    epsilon : float, default=1.0
    gamma : float, default=0.0
    alpha : float or None, default=None
    reduction : {"mean", "sum", "none"}, default="mean"
    """

    _owner = "Poly1BinaryFocalLossWithLogits"

    def __init__(self, epsilon: float = 1.0, gamma: float = 0.0, alpha: Any = None, *,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        from focalkit._core._validation import check_alpha, check_gamma

        self.epsilon = _alt._float(epsilon, "epsilon", self._owner, low=-1.0)
        self.gamma = check_gamma(gamma, self._owner)
        self.alpha = check_alpha(alpha, self._owner, allow_balanced=False)

    def forward(self, input: Tensor, target: Tensor, weight: Any = None) -> Tensor:
        """Compute the loss (see :func:`poly1_binary_focal_loss_with_logits`)."""
        return poly1_binary_focal_loss_with_logits(
            input, target, epsilon=self.epsilon, gamma=self.gamma, alpha=self.alpha,
            weight=weight, reduction=self.reduction)


class Poly1CrossEntropyLoss(_Loss):
    """Module twin of :func:`poly1_softmax_focal_loss` (``gamma=0``: Poly-1 cross-entropy).

    Parameters
    ----------
    epsilon : float, default=1.0
    gamma : float, default=0.0
    weight : Tensor, optional
    ignore_index : int, default=-100
    reduction : {"mean", "sum", "none"}, default="mean"
    """

    _owner = "Poly1CrossEntropyLoss"

    def __init__(self, epsilon: float = 1.0, gamma: float = 0.0, *, weight: Any = None,
                 ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        from focalkit._core._validation import check_nonneg_float

        self.epsilon = _alt._float(epsilon, "epsilon", self._owner, low=-1.0)
        self.gamma = check_nonneg_float(gamma, "gamma", self._owner)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss (see :func:`poly1_softmax_focal_loss`)."""
        return poly1_softmax_focal_loss(input, target, epsilon=self.epsilon, gamma=self.gamma,
                                        weight=self.weight, ignore_index=self.ignore_index,
                                        reduction=self.reduction)


class LabelSmoothingBCEWithLogitsLoss(_Loss):
    """Module twin of :func:`label_smoothing_bce_with_logits`.

    Parameters
    ----------
    smoothing : float, default=0.1
    reduction : {"mean", "sum", "none"}, default="mean"
    """

    _owner = "LabelSmoothingBCEWithLogitsLoss"

    def __init__(self, smoothing: float = 0.1, *, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.smoothing = _alt._float(smoothing, "smoothing", self._owner, high=1.0,
                                     open_high=False)

    def forward(self, input: Tensor, target: Tensor, weight: Any = None) -> Tensor:
        """Compute the loss (see :func:`label_smoothing_bce_with_logits`)."""
        return label_smoothing_bce_with_logits(input, target, smoothing=self.smoothing,
                                               weight=weight, reduction=self.reduction)


class FocalStarLossWithLogits(_Loss):
    """Module twin of :func:`focal_star_loss_with_logits`.

    Parameters
    ----------
    gamma_star : float, default=1.0
    beta_star : float, default=0.0
    reduction : {"mean", "sum", "none"}, default="mean"
    """

    _owner = "FocalStarLossWithLogits"

    def __init__(self, gamma_star: float = 1.0, beta_star: float = 0.0, *,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.gamma_star, self.beta_star = _alt._fl_star_check(gamma_star, beta_star)

    def forward(self, input: Tensor, target: Tensor, weight: Any = None) -> Tensor:
        """Compute the loss (see :func:`focal_star_loss_with_logits`)."""
        return focal_star_loss_with_logits(input, target, gamma_star=self.gamma_star,
                                           beta_star=self.beta_star, weight=weight,
                                           reduction=self.reduction)


class LDAMLoss(_Loss):
    """LDAM loss with margins from the class counts (Cao et al. 2019); see :func:`ldam_loss`.

    Parameters
    ----------
    class_counts : sequence of int
        Training count per class.
    max_margin : float, default=0.5
    scale : float, default=30.0
    weight : Tensor, optional
        Class weights used when ``forward`` gets none (for DRW pass
        ``weight=drw.class_weight(epoch)`` to ``forward``).
    ignore_index : int, default=-100
    reduction : {"mean", "sum", "none"}, default="mean"

    Examples
    --------
    >>> import torch
    >>> loss = LDAMLoss([900, 100], scale=1.0)
    >>> round(loss(torch.zeros(2, 2), torch.tensor([0, 1])).item(), 4)
    0.911
    """

    _owner = "LDAMLoss"

    def __init__(self, class_counts: Any, max_margin: float = 0.5, scale: float = 30.0, *,
                 weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margins = ldam_margins(class_counts, max_margin=max_margin).tolist()
        self.scale = _alt._float(scale, "scale", self._owner, low=0.0, open_low=True)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input: Tensor, target: Tensor, weight: Any = None) -> Tensor:
        """Compute the loss; ``weight`` overrides the module's class weights."""
        return ldam_loss(input, target, margins=self.margins, scale=self.scale,
                         weight=self.weight if weight is None else weight,
                         ignore_index=self.ignore_index, reduction=self.reduction)


class FLSDBinaryFocalLossWithLogits(_Loss):
    """Module twin of :func:`flsd_binary_focal_loss_with_logits`.

    Parameters
    ----------
    threshold, gamma_low, gamma_high : float, default=0.2, 5.0, 3.0
    alpha : float or None, default=None
    reduction : {"mean", "sum", "none"}, default="mean"
    """

    _owner = "FLSDBinaryFocalLossWithLogits"

    def __init__(self, threshold: float = 0.2, gamma_low: float = 5.0, gamma_high: float = 3.0,
                 alpha: Any = None, *, reduction: str = "mean") -> None:
        super().__init__(reduction)
        _alt.flsd_gamma(torch.zeros(1), threshold=threshold, gamma_low=gamma_low,
                        gamma_high=gamma_high)
        self.threshold, self.gamma_low, self.gamma_high = threshold, gamma_low, gamma_high
        self.alpha = alpha

    def forward(self, input: Tensor, target: Tensor, weight: Any = None) -> Tensor:
        """Compute the loss (see :func:`flsd_binary_focal_loss_with_logits`)."""
        return flsd_binary_focal_loss_with_logits(
            input, target, threshold=self.threshold, gamma_low=self.gamma_low,
            gamma_high=self.gamma_high, alpha=self.alpha, weight=weight,
            reduction=self.reduction)


class FLSDSoftmaxFocalLoss(_Loss):
    """Module twin of :func:`flsd_softmax_focal_loss`.

    Parameters
    ----------
    threshold, gamma_low, gamma_high : float, default=0.2, 5.0, 3.0
    weight : Tensor, optional
    ignore_index : int, default=-100
    reduction : {"mean", "sum", "none"}, default="mean"
    """

    _owner = "FLSDSoftmaxFocalLoss"

    def __init__(self, threshold: float = 0.2, gamma_low: float = 5.0, gamma_high: float = 3.0,
                 *, weight: Any = None, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        _alt.flsd_gamma(torch.zeros(1), threshold=threshold, gamma_low=gamma_low,
                        gamma_high=gamma_high)
        self.threshold, self.gamma_low, self.gamma_high = threshold, gamma_low, gamma_high
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss (see :func:`flsd_softmax_focal_loss`)."""
        return flsd_softmax_focal_loss(input, target, threshold=self.threshold,
                                       gamma_low=self.gamma_low, gamma_high=self.gamma_high,
                                       weight=self.weight, ignore_index=self.ignore_index,
                                       reduction=self.reduction)
