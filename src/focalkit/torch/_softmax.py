"""Softmax (multi-class) focal loss for PyTorch, matching ``F.cross_entropy`` at gamma=0."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from focalkit._core import softmax_focal_grad, softmax_focal_loss
from focalkit.exceptions import InvalidParameterError
from focalkit.torch import _checks, _chunks, _compiled, _deferred, _dispatch

__all__ = ["FocalLoss", "focal_loss"]

_FUNC = "focal_loss"
_MODULE = "FocalLoss"


def _cast(v: Any, dtype: torch.dtype) -> Any:
    return v.to(dtype) if isinstance(v, torch.Tensor) else v


def _is_dense(input: torch.Tensor, target: torch.Tensor) -> bool:
    return target.is_floating_point()


def _valid_and_safe(target: torch.Tensor, ignore_index: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mask of non-ignored targets, and the targets with ignored entries set to class 0."""
    valid = target != ignore_index
    return valid, torch.where(valid, target, torch.zeros_like(target))


def _denominator(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    ignore_index: int,
    cd: torch.dtype,
) -> torch.Tensor:
    """The divisor of ``reduction="mean"``, exactly as ``F.cross_entropy`` computes it."""
    if _is_dense(input, target):  # class probabilities: the number of positions
        return torch.tensor(input.numel() // input.shape[1], dtype=cd, device=input.device)
    valid, safe = _valid_and_safe(target, ignore_index)
    if weight is None:
        return valid.sum().to(cd)
    w = weight.to(cd)[safe]
    return torch.where(valid, w, torch.zeros_like(w)).sum()


def _per_position(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    gamma: Any,
    ignore_index: int,
    label_smoothing: float,
    scale: torch.Tensor | None = None,
) -> torch.Tensor:
    """Loss per position (``scale is None``) or ``scale`` times its gradient, in compute dtype.

    For the gradient, ``scale`` broadcasts against the logits (class dimension kept).
    """
    cd = _checks.compute_dtype(input)
    kw = {"gamma": _cast(gamma, cd), "class_weight": _cast(weight, cd),
          "label_smoothing": label_smoothing, "axis": 1}
    z = input.to(cd)
    fn = softmax_focal_loss if scale is None else softmax_focal_grad
    if _is_dense(input, target):
        out = fn(z, target.to(cd), **kw)
        return out if scale is None else out * scale
    valid, safe = _valid_and_safe(target, ignore_index)
    out = fn(z, safe, **kw)
    if scale is not None:
        out = out * scale
        valid = valid.unsqueeze(1)
    return torch.where(valid, out, torch.zeros_like(out))  # NaN logits ignored too


def _reference_forward(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    gamma: Any,
    ignore_index: int,
    label_smoothing: float,
    reduction: str,
) -> torch.Tensor:
    cd = _checks.compute_dtype(input)
    rest = (weight, gamma, ignore_index, label_smoothing)
    blocks = _chunks.row_blocks(input)
    if blocks is None:
        loss = _per_position(input, target, *rest)
        if reduction == "none":
            return loss
        total = loss.sum()
    else:
        out_shape = (input.shape[0],) + tuple(input.shape[2:])
        out = torch.empty(out_shape, dtype=cd, device=input.device)
        total = torch.zeros((), dtype=cd, device=input.device)
        for b in blocks:
            loss = _per_position(input[b], target[b], *rest)
            if reduction == "none":
                out[b] = loss
            else:
                total = total + loss.sum()
        if reduction == "none":
            return out
    if reduction == "sum":
        return total
    return total / _denominator(input, target, weight, ignore_index, cd)


class _SoftmaxFocalFunction(torch.autograd.Function):
    """Softmax focal loss with the analytic backward of ``_core``; saves only its inputs."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        input: torch.Tensor,
        target: torch.Tensor,
        weight: torch.Tensor | None,
        gamma: Any,
        ignore_index: int,
        label_smoothing: float,
        reduction: str,
        pending: str | None = None,
    ) -> torch.Tensor:
        ctx.save_for_backward(
            input, target, weight, gamma if isinstance(gamma, torch.Tensor) else None
        )
        ctx.gamma, ctx.ignore_index = gamma, ignore_index
        ctx.label_smoothing, ctx.reduction = label_smoothing, reduction
        state: dict = {}
        message = None
        if pending is not None and input.device.type == "cuda":  # counted by the kernel
            message = _label_message(pending, input.shape[1], ignore_index)
            state["bad_counter"] = _deferred.counter(input.device, message)
        out = _dispatch.softmax_forward(
            input, target, weight, gamma=gamma, ignore_index=ignore_index,
            label_smoothing=label_smoothing, reduction=reduction, state=state,
        )
        if out is None:
            if pending is not None:  # no kernel checked the labels
                _check_labels(target, input.shape[1], ignore_index, pending)
            out = _reference_forward(
                input, target, weight, gamma, ignore_index, label_smoothing, reduction
            )
        elif message is not None:
            _deferred.reported(input.device, message)
        state.pop("bad_counter", None)
        # the GPU forward's row statistics (two floats per row), reused by the backward
        ctx.state = state if ctx.needs_input_grad[0] else None
        return out.to(input.dtype)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        input, target, weight, gamma_t = ctx.saved_tensors
        gamma = gamma_t if gamma_t is not None else ctx.gamma
        ignore_index, label_smoothing = ctx.ignore_index, ctx.label_smoothing
        reduction = ctx.reduction
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = _dispatch.softmax_backward(
                grad_output, input, target, weight, gamma=gamma, ignore_index=ignore_index,
                label_smoothing=label_smoothing, reduction=reduction, state=ctx.state,
            )
            ctx.state = None
            if grad_input is None:
                grad_input = _reference_backward(
                    grad_output, input, target, weight, gamma,
                    ignore_index, label_smoothing, reduction,
                )
        return grad_input, None, None, None, None, None, None, None


def _label_message(owner: str, n_classes: int, ignore_index: int) -> str:
    return (
        f"class-index target of {owner} must hold values in [0, {n_classes}) or "
        f"ignore_index ({ignore_index})"
    )


def _check_labels(target: torch.Tensor, n_classes: int, ignore_index: int, owner: str) -> None:
    """One aminmax pass over the labels; the full test only when one is outside [0, C)."""
    lo, hi = torch.aminmax(target)
    if bool((lo >= 0) & (hi < n_classes)):
        return
    bad = (target != ignore_index) & ((target < 0) | (target >= n_classes))
    if bool(bad.any()):
        raise InvalidParameterError(
            f"{_label_message(owner, n_classes, ignore_index)}; got {target[bad][0].item()}."
        )


def _reference_backward(
    grad_output: torch.Tensor,
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    gamma: Any,
    ignore_index: int,
    label_smoothing: float,
    reduction: str,
) -> torch.Tensor:
    cd = _checks.compute_dtype(input)
    scale = grad_output.to(cd)
    if reduction == "none":
        scale = scale.unsqueeze(1)
    elif reduction == "mean":
        scale = scale / _denominator(input, target, weight, ignore_index, cd)
    rest = (weight, gamma, ignore_index, label_smoothing)
    blocks = _chunks.row_blocks(input)
    if blocks is None:
        return _per_position(input, target, *rest, scale=scale).to(input.dtype)
    out = torch.empty_like(input)
    for b in blocks:
        block_scale = scale[b] if reduction == "none" else scale
        out[b] = _per_position(input[b], target[b], *rest, scale=block_scale)
    return out


def _check_data(
    input: Any,
    target: Any,
    weight: torch.Tensor | None,
    gamma: Any,
    ignore_index: int,
    owner: str,
) -> None:
    input = _checks.floating_input(input, owner)
    if input.ndim < 2:
        raise InvalidParameterError(
            f"input of {owner} must have shape (N, C) or (N, C, d1, ...); "
            f"got {tuple(input.shape)}."
        )
    if not isinstance(target, torch.Tensor) or target.is_complex():
        got = target.dtype if isinstance(target, torch.Tensor) else type(target).__name__
        raise InvalidParameterError(
            f"target of {owner} must be a tensor of class indices or class probabilities; "
            f"got {got}."
        )
    n_classes = input.shape[1]
    if target.is_floating_point():
        if tuple(target.shape) != tuple(input.shape):
            raise InvalidParameterError(
                f"class-probability target of {owner} must have input's shape "
                f"{tuple(input.shape)}; got {tuple(target.shape)}."
            )
        if ignore_index >= 0:
            raise InvalidParameterError(
                f"ignore_index of {owner} is not supported with class-probability targets "
                f"(as in F.cross_entropy); got {ignore_index}."
            )
        if not _checks.compiling() and target.numel() > 0:
            if not bool(((target >= 0) & (target <= 1)).all()):
                raise InvalidParameterError(
                    f"class-probability target of {owner} must hold values in [0, 1]."
                )
        if target.requires_grad:
            raise InvalidParameterError(
                f"{owner} is not differentiable with respect to target; pass target.detach()."
            )
    else:
        expected = (input.shape[0],) + tuple(input.shape[2:])
        if target.dtype == torch.bool or tuple(target.shape) != expected:
            raise InvalidParameterError(
                f"class-index target of {owner} must be an integer tensor of shape "
                f"{expected} for input of shape {tuple(input.shape)}; "
                f"got {target.dtype} of shape {tuple(target.shape)}."
            )
        # the label values are checked in the forward: by the kernel that reads them, or
        # by _check_labels when no kernel runs
    if weight is not None and tuple(weight.shape) != (n_classes,):
        raise InvalidParameterError(
            f"weight of {owner} must be a 1-D tensor with one entry per class "
            f"({n_classes}); got shape {tuple(weight.shape)}."
        )
    _checks.vector_broadcast(gamma, input.shape, "gamma", "class")


def _focal(
    input: Any,
    target: Any,
    weight: torch.Tensor | None,
    gamma: Any,
    ignore_index: int,
    label_smoothing: float,
    reduction: str,
    owner: str,
) -> torch.Tensor:
    """Checks the data, then runs the autograd Function (parameters already validated)."""
    unbatched = isinstance(input, torch.Tensor) and input.ndim == 1
    if unbatched:  # (C,) logits with a scalar label or a (C,) distribution, like torch
        input = input.unsqueeze(0)
        target = target.unsqueeze(0) if isinstance(target, torch.Tensor) else target
    _check_data(input, target, weight, gamma, ignore_index, owner)
    if _checks.compiling() and _compiled.softmax_usable(input, target, gamma, label_smoothing):
        # torch.compile: the fused kernels as custom ops (no label value checks)
        fused = _compiled.softmax_focal(input, target, weight, gamma, ignore_index,
                                        label_smoothing, reduction)
        return fused.squeeze(0) if unbatched and reduction == "none" else fused
    if input.device.type == "cuda":
        _deferred.poll()  # errors of earlier calls whose counts have reached the host
    pending = None
    if not target.is_floating_point() and not _checks.compiling() and target.numel() > 0:
        pending = owner
    out: torch.Tensor = _SoftmaxFocalFunction.apply(
        input, target, weight, gamma, ignore_index, label_smoothing, reduction, pending
    )
    return out.squeeze(0) if unbatched and reduction == "none" else out


def focal_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    *,
    gamma: Any = 2.0,
    weight: torch.Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    r"""Softmax focal loss; a drop-in for ``F.cross_entropy`` (equal to it at ``gamma=0``).

    .. math:: \ell_n = \sum_k w_k\, t_{nk}\, (1 - p_{nk})^{\gamma} (-\log p_{nk})

    with :math:`p = \operatorname{softmax}(z)` over the class dimension (1) and :math:`t`
    the one-hot label (or the given distribution), label-smoothed as in
    ``F.cross_entropy``. For a hard label this is :math:`-w_y (1-p_y)^\gamma \log p_y`.

    Parameters
    ----------
    input : torch.Tensor
        Logits of shape (N, C), (N, C, d1, ...) or (C,).
    target : torch.Tensor
        Class indices (integer tensor of shape (N,), (N, d1, ...) or ()) or class
        probabilities (floating, ``input``'s shape).
    gamma : float or 1-D tensor, default=2.0
        Focusing parameter ``>= 0``, or one value per class.
    weight : torch.Tensor, optional
        Class weights, shape (C,), as in ``F.cross_entropy``.
    ignore_index : int, default=-100
        Class-index targets equal to it contribute neither to the loss nor to the
        ``"mean"`` denominator. Setting it when no target equals it changes nothing.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` returns one loss per position, shape (N, d1, ...). ``"mean"`` divides the
        sum by the summed class weights of the non-ignored targets (by their count without
        ``weight``; by the number of positions for class-probability targets), exactly as
        ``F.cross_entropy``.
    label_smoothing : float in [0, 1], default=0.0
        Mixes the target with the uniform distribution, as ``F.cross_entropy`` does.

    Returns
    -------
    torch.Tensor
        The loss in ``input``'s dtype (half inputs are computed and reduced in float32).

    Notes
    -----
    ``gamma=0`` gives ``F.cross_entropy`` exactly, value and gradient, for every
    combination of ``weight``, ``ignore_index``, ``label_smoothing`` and ``reduction``. The
    gradient is analytic (from :mod:`focalkit._core`) and only the inputs are kept for the
    backward. NaN logits give NaN for their position (ignored positions give 0).

    References
    ----------
    Lin, Goyal, Girshick, He, Dollar. Focal Loss for Dense Object Detection. ICCV 2017.

    Examples
    --------
    >>> import torch
    >>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> labels = torch.tensor([0, 2])
    >>> round(focal_loss(logits, labels, gamma=2.0).item(), 4)
    0.4872
    >>> round(focal_loss(logits, labels, gamma=0.0).item(), 4)  # cross-entropy
    0.8955
    """
    return _focal(
        input,
        target,
        _checks.weight_param(weight, "weight", _FUNC),
        _checks.gamma_param(gamma, _FUNC),
        _checks.ignore_index_param(ignore_index, _FUNC),
        _checks.label_smoothing_param(label_smoothing, _FUNC),
        _checks.reduction_param(reduction, _FUNC),
        _FUNC,
    )


class FocalLoss(nn.Module):
    r"""Module form of :func:`focal_loss` (drop-in for ``nn.CrossEntropyLoss``).

    Parameters are validated here, once; ``forward(input, target)`` only delegates.

    Parameters
    ----------
    gamma : float or 1-D tensor, default=2.0
        Focusing parameter ``>= 0``, or one per class.
    weight : torch.Tensor, optional
        Class weights (C,) (a buffer: follows ``.to()``).
    ignore_index : int, default=-100
        Target value excluded from the loss and from the mean's denominator.
    reduction : {"mean", "sum", "none"}, default="mean"
        How to reduce the per-position loss.
    label_smoothing : float in [0, 1], default=0.0
        Label smoothing, as in ``nn.CrossEntropyLoss``.

    Examples
    --------
    >>> import torch
    >>> criterion = FocalLoss(gamma=2.0)
    >>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]], requires_grad=True)
    >>> loss = criterion(logits, torch.tensor([0, 2]))
    >>> loss.backward()
    >>> round(loss.item(), 4)
    0.4872
    """

    weight: torch.Tensor | None
    gamma_vector: torch.Tensor | None

    def __init__(
        self,
        gamma: Any = 2.0,
        weight: torch.Tensor | None = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__()
        g = _checks.gamma_param(gamma, _MODULE)
        self.ignore_index = _checks.ignore_index_param(ignore_index, _MODULE)
        self.reduction = _checks.reduction_param(reduction, _MODULE)
        self.label_smoothing = _checks.label_smoothing_param(label_smoothing, _MODULE)
        w = _checks.weight_param(weight, "weight", _MODULE)
        if w is not None and w.ndim != 1:
            raise _checks.param_error("weight", _MODULE, "None or a 1-D tensor (C,)", weight)
        self.register_buffer("weight", w)
        self._gamma_float = g if isinstance(g, float) else None
        self.register_buffer("gamma_vector", g if isinstance(g, torch.Tensor) else None)

    @property
    def gamma(self) -> float | torch.Tensor:
        """The focusing parameter (float or per-class tensor)."""
        if self.gamma_vector is not None:
            return self.gamma_vector
        return float(self._gamma_float)  # type: ignore[arg-type]  # set when no vector

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Loss of ``input`` logits against ``target``; see :func:`focal_loss`."""
        return _focal(
            input, target, self.weight, self.gamma, self.ignore_index,
            self.label_smoothing, self.reduction, _MODULE,
        )

    def extra_repr(self) -> str:
        return (
            f"gamma={self.gamma}, ignore_index={self.ignore_index}, "
            f"reduction={self.reduction!r}, label_smoothing={self.label_smoothing}"
        )
