"""Sigmoid focal loss for PyTorch: a drop-in for ``F.binary_cross_entropy_with_logits``."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from focalkit._core import binary_focal_grad, binary_focal_loss
from focalkit.exceptions import InvalidParameterError
from focalkit.torch import _checks, _chunks, _compiled, _deferred, _dispatch

__all__ = ["BinaryFocalLossWithLogits", "binary_focal_loss_with_logits"]

_FUNC = "binary_focal_loss_with_logits"
_MODULE = "BinaryFocalLossWithLogits"


def _cast(v: Any, dtype: torch.dtype) -> Any:
    return v.to(dtype) if isinstance(v, torch.Tensor) else v


def _elementwise_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    pos_weight: Any,
    gamma: Any,
    alpha: Any,
) -> torch.Tensor:
    """Weighted elementwise loss in the compute dtype (the ``_core`` reference)."""
    cd = _checks.compute_dtype(input)
    loss = binary_focal_loss(
        input.to(cd), target.to(cd),
        gamma=_cast(gamma, cd), alpha=_cast(alpha, cd), pos_weight=_cast(pos_weight, cd),
    )
    return loss if weight is None else loss * weight.to(cd)


def _elementwise_grad(
    wrt: str,
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    pos_weight: Any,
    gamma: Any,
    alpha: Any,
    scale: torch.Tensor,
) -> torch.Tensor:
    """``scale`` times the elementwise derivative w.r.t. the input or the target."""
    cd = _checks.compute_dtype(input)
    z = input.to(cd)
    kw = {"gamma": _cast(gamma, cd), "alpha": _cast(alpha, cd),
          "pos_weight": _cast(pos_weight, cd)}
    if wrt == "input":
        g = binary_focal_grad(z, target.to(cd), **kw)
    else:  # the loss is linear in the target: dL/dy = L(z, 1) - L(z, 0)
        g = binary_focal_loss(z, torch.ones_like(z), **kw)
        g = g - binary_focal_loss(z, torch.zeros_like(z), **kw)
    if weight is not None:
        g = g * weight.to(cd)
    return g * scale


def _reference_forward(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    pos_weight: torch.Tensor | None,
    gamma: Any,
    alpha: Any,
    reduction: str,
) -> torch.Tensor:
    cd = _checks.compute_dtype(input)
    args = (input, target, weight, pos_weight, gamma, alpha)
    blocks = _chunks.row_blocks(input)
    if blocks is None:
        loss = _elementwise_loss(*args)
        if reduction == "none":
            return loss
        total = loss.sum()
    else:
        nd = input.ndim
        out = torch.empty(input.shape, dtype=cd, device=input.device)
        total = torch.zeros((), dtype=cd, device=input.device)
        for b in blocks:
            loss = _elementwise_loss(*(_chunks.rows(a, nd, b) for a in args))
            if reduction == "none":
                out[b] = loss
            else:
                total = total + loss.sum()
        if reduction == "none":
            return out
    return total / input.numel() if reduction == "mean" else total


def _reference_backward(
    grad_output: torch.Tensor,
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    pos_weight: torch.Tensor | None,
    gamma: Any,
    alpha: Any,
    reduction: str,
    wrt: str,
) -> torch.Tensor:
    """Gradient w.r.t. ``input`` (``wrt="input"``) or ``target``, in that tensor's dtype."""
    dtype = input.dtype if wrt == "input" else target.dtype
    scale = grad_output.to(_checks.compute_dtype(input))
    if reduction == "mean":
        scale = scale / input.numel()
    args = (input, target, weight, pos_weight, gamma, alpha, scale)
    blocks = _chunks.row_blocks(input)
    if blocks is None:
        return _elementwise_grad(wrt, *args).to(dtype)
    out = torch.empty(input.shape, dtype=dtype, device=input.device)
    for b in blocks:
        out[b] = _elementwise_grad(wrt, *(_chunks.rows(a, input.ndim, b) for a in args))
    return out


class _BinaryFocalFunction(torch.autograd.Function):
    """Sigmoid focal loss with the analytic backward of ``_core``; saves only its inputs."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        input: torch.Tensor,
        target: torch.Tensor,
        weight: torch.Tensor | None,
        pos_weight: torch.Tensor | None,
        gamma: Any,
        alpha: Any,
        reduction: str,
        pending: str | None = None,
    ) -> torch.Tensor:
        ctx.save_for_backward(
            input, target, weight, pos_weight,
            gamma if isinstance(gamma, torch.Tensor) else None,
            alpha if isinstance(alpha, torch.Tensor) else None,
        )
        ctx.gamma, ctx.alpha, ctx.reduction = gamma, alpha, reduction
        state: dict = {}
        if pending is not None and input.device.type == "cuda":
            # the GPU kernel counts blocks holding bad targets on the device (not values)
            state["bad_counter"] = _deferred.counter(
                input.device, _target_message(pending), exact=False
            )
        out = _dispatch.binary_forward(
            input, target, weight, pos_weight, gamma=gamma, alpha=alpha, reduction=reduction,
            state=state,
        )
        if out is None:
            if pending is not None:  # no kernel checked the target values
                _check_target_values(target, pending)
            out = _reference_forward(input, target, weight, pos_weight, gamma, alpha, reduction)
        elif "bad_counter" in state:
            _deferred.reported(input.device, _target_message(pending))  # type: ignore[arg-type]
        return out.to(input.dtype)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        input, target, weight, pos_weight, gamma_t, alpha_t = ctx.saved_tensors
        gamma = gamma_t if gamma_t is not None else ctx.gamma
        alpha = alpha_t if alpha_t is not None else ctx.alpha
        reduction = ctx.reduction
        grad_input = grad_target = None
        args = (input, target, weight, pos_weight, gamma, alpha, reduction)
        if ctx.needs_input_grad[0]:
            grad_input = _dispatch.binary_backward(
                grad_output, input, target, weight, pos_weight,
                gamma=gamma, alpha=alpha, reduction=reduction,
            )
            if grad_input is None:
                grad_input = _reference_backward(grad_output, *args, wrt="input")
        if ctx.needs_input_grad[1]:
            grad_target = _reference_backward(grad_output, *args, wrt="target")
        return grad_input, grad_target, None, None, None, None, None, None


def _check_data(
    input: Any,
    target: Any,
    weight: torch.Tensor | None,
    pos_weight: torch.Tensor | None,
    gamma: Any,
    alpha: Any,
    owner: str,
) -> tuple[torch.Tensor, torch.Tensor]:
    input = _checks.floating_input(input, owner)
    if not isinstance(target, torch.Tensor):
        raise InvalidParameterError(
            f"target of {owner} must be a tensor; got {type(target).__name__}."
        )
    _checks.check_same_shape(input, target)
    if target.is_complex():
        raise InvalidParameterError(
            f"target of {owner} must hold values in [0, 1]; got dtype {target.dtype}."
        )
    _checks.broadcastable(weight, input.shape, "weight")
    _checks.broadcastable(pos_weight, input.shape, "pos_weight")
    _checks.vector_broadcast(gamma, input.shape, "gamma", "last")
    _checks.vector_broadcast(alpha, input.shape, "alpha", "last")
    return input, target


def _value_check_pending(input: torch.Tensor, target: torch.Tensor) -> bool:
    """Whether the target values still need checking (bool targets never do).

    The check happens in the forward: the fused kernels check the values in the pass that
    reads them (the CPU kernel declines when one is bad, the GPU kernel counts them, see
    :mod:`._deferred`); only when no kernel ran does :func:`_check_target_values` read
    the targets.
    """
    return target.dtype != torch.bool and not _checks.compiling() and target.numel() > 0


def _target_message(owner: str) -> str:
    return f"target of {owner} must hold values in [0, 1] (soft targets allowed)"


def _check_target_values(target: torch.Tensor, owner: str) -> None:
    """One aminmax pass over integer or float targets (NaN fails it)."""
    lo, hi = torch.aminmax(target)
    if not bool((lo >= 0) & (hi <= 1)):  # also False for NaN
        bad = target[~((target >= 0) & (target <= 1))][0].item()
        raise InvalidParameterError(f"{_target_message(owner)}; got {bad}.")


def _binary_focal(
    input: Any,
    target: Any,
    weight: torch.Tensor | None,
    pos_weight: torch.Tensor | None,
    gamma: Any,
    alpha: Any,
    reduction: str,
    owner: str,
) -> torch.Tensor:
    """Checks the data, then runs the autograd Function (parameters already validated)."""
    input, target = _check_data(input, target, weight, pos_weight, gamma, alpha, owner)
    if _checks.compiling() and _compiled.binary_usable(input, target, gamma, alpha):
        # torch.compile: the fused kernels as custom ops (no target value checks)
        return _compiled.binary_focal(input, target, weight, pos_weight, gamma, alpha,
                                      reduction)
    if input.device.type == "cuda":
        _deferred.poll()  # errors of earlier calls whose counts have reached the host
    # bool / integer labels go to the kernels (and the reference's ``target.to``) as they
    # are: no converted copy, and at most one pass that checks their values (the kernel's)
    pending = owner if _value_check_pending(input, target) else None
    out: torch.Tensor = _BinaryFocalFunction.apply(
        input, target, weight, pos_weight, gamma, alpha, reduction, pending
    )
    return out


def binary_focal_loss_with_logits(
    input: torch.Tensor,
    target: torch.Tensor,
    *,
    alpha: Any = None,
    gamma: Any = 2.0,
    weight: torch.Tensor | None = None,
    pos_weight: torch.Tensor | None = None,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Sigmoid focal loss of logits; a drop-in for ``F.binary_cross_entropy_with_logits``.

    .. math::

        \ell = w \left[ y\,\alpha\,\text{pw}\,(1-p)^\gamma (-\log p)
               + (1-y)(1-\alpha)\,p^\gamma (-\log(1-p)) \right],\qquad p = \sigma(z)

    For a hard target this is :math:`-\alpha_t (1-p_t)^\gamma \log p_t` (Lin et al.).
    Binary and multi-label, any shape.

    Parameters
    ----------
    input : torch.Tensor
        Logits (margins), any shape, floating point.
    target : torch.Tensor
        Targets in [0, 1], same shape as ``input``. Values in between are soft targets,
        with the loss linear in the target: ``y L(z, 1) + (1 - y) L(z, 0)``. bool and
        integer 0/1 targets are accepted.
    alpha : float, 1-D tensor or None, default=None
        Weight of the positive term (RetinaNet convention); negatives get ``1 - alpha``.
        ``None`` weighs both by 1. A vector broadcasts along the last dimension (one value
        per label). ``"balanced"`` is refused here: compute it from the training labels
        with :func:`focalkit.resolve_alpha`.
    gamma : float or 1-D tensor, default=2.0
        Focusing parameter ``>= 0``; a vector broadcasts along the last dimension.
    weight : torch.Tensor, optional
        Rescaling weight broadcast to ``input``'s shape (sample or element weights), exactly
        as in ``F.binary_cross_entropy_with_logits``.
    pos_weight : torch.Tensor, optional
        Extra factor of the positive term, broadcast along the last dimension, as in
        ``F.binary_cross_entropy_with_logits`` (``pos_weight = n_neg / n_pos`` balances).
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` returns the loss with ``input``'s shape; ``"mean"`` averages over all
        elements (weights included in the numerator only, as in torch).

    Returns
    -------
    torch.Tensor
        The loss, in ``input``'s dtype. Half-precision inputs are computed and reduced in
        float32 and the result is cast back; float64 is computed in float64.

    Notes
    -----
    ``gamma=0`` and ``alpha=None`` give ``F.binary_cross_entropy_with_logits`` exactly
    (value and gradient). The gradient is analytic (from :mod:`focalkit._core`), finite for
    every ``gamma >= 0`` and every finite logit; only the inputs are kept for the backward.
    NaN logits give NaN (propagated like torch); NaN or out-of-range targets raise.

    References
    ----------
    Lin, Goyal, Girshick, He, Dollar. Focal Loss for Dense Object Detection. ICCV 2017.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([2.0, -1.0, 0.5])
    >>> y = torch.tensor([1.0, 0.0, 1.0])
    >>> round(binary_focal_loss_with_logits(z, y, gamma=2.0).item(), 4)
    0.0307
    >>> round(binary_focal_loss_with_logits(z, y, alpha=0.25, reduction="sum").item(), 4)
    0.0343
    """
    return _binary_focal(
        input,
        target,
        _checks.weight_param(weight, "weight", _FUNC),
        _checks.weight_param(pos_weight, "pos_weight", _FUNC),
        _checks.gamma_param(gamma, _FUNC),
        _checks.alpha_param(alpha, _FUNC),
        _checks.reduction_param(reduction, _FUNC),
        _FUNC,
    )


class BinaryFocalLossWithLogits(nn.Module):
    r"""Module form of :func:`binary_focal_loss_with_logits` (drop-in for ``BCEWithLogitsLoss``).

    Parameters are validated here, once; ``forward(input, target)`` only delegates.

    Parameters
    ----------
    alpha : float, 1-D tensor or None, default=None
        Weight of the positive term; see :func:`binary_focal_loss_with_logits`.
    gamma : float or 1-D tensor, default=2.0
        Focusing parameter ``>= 0``.
    weight : torch.Tensor, optional
        Rescaling weight broadcast to the input's shape (a buffer: follows ``.to()``).
    pos_weight : torch.Tensor, optional
        Extra factor of the positive term (a buffer).
    reduction : {"mean", "sum", "none"}, default="mean"
        How to reduce the elementwise loss.

    Examples
    --------
    >>> import torch
    >>> criterion = BinaryFocalLossWithLogits(alpha=0.25, gamma=2.0)
    >>> z = torch.tensor([2.0, -1.0, 0.5], requires_grad=True)
    >>> loss = criterion(z, torch.tensor([1.0, 0.0, 1.0]))
    >>> loss.backward()
    >>> round(loss.item(), 4)
    0.0114
    """

    weight: torch.Tensor | None
    pos_weight: torch.Tensor | None
    gamma_vector: torch.Tensor | None
    alpha_vector: torch.Tensor | None

    def __init__(
        self,
        alpha: Any = None,
        gamma: Any = 2.0,
        weight: torch.Tensor | None = None,
        pos_weight: torch.Tensor | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        g = _checks.gamma_param(gamma, _MODULE)
        a = _checks.alpha_param(alpha, _MODULE)
        self.reduction = _checks.reduction_param(reduction, _MODULE)
        self.register_buffer("weight", _checks.weight_param(weight, "weight", _MODULE))
        self.register_buffer("pos_weight", _checks.weight_param(pos_weight, "pos_weight", _MODULE))
        self._gamma_float = g if isinstance(g, float) else None
        self._alpha_float = a if not isinstance(a, torch.Tensor) else None
        self.register_buffer("gamma_vector", g if isinstance(g, torch.Tensor) else None)
        self.register_buffer("alpha_vector", a if isinstance(a, torch.Tensor) else None)

    @property
    def gamma(self) -> float | torch.Tensor:
        """The focusing parameter (float or per-label tensor)."""
        if self.gamma_vector is not None:
            return self.gamma_vector
        return float(self._gamma_float)  # type: ignore[arg-type]  # set when no vector

    @property
    def alpha(self) -> float | torch.Tensor | None:
        """The positive-class weight (None, float or per-label tensor)."""
        return self._alpha_float if self.alpha_vector is None else self.alpha_vector

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Loss of ``input`` logits against ``target``; see the function's docs."""
        return _binary_focal(
            input, target, self.weight, self.pos_weight,
            self.gamma, self.alpha, self.reduction, _MODULE,
        )

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, gamma={self.gamma}, reduction={self.reduction!r}"
