"""Optional fast hooks of loss specs: the fused CPU / GPU kernels of :mod:`.kernels`.

A hook is tried first by the ``autograd.Function`` (:mod:`._function`) when the fast path
is on; it returns ``None`` whenever its kernels have nothing for the call (per-label
tensors, probability targets, small inputs, a target value out of range on
the CPU, ...), and the spec's reference mathematics runs instead (:mod:`._reference`). A
new spec needs no hook: it gets the reference path, with the same checks and conventions.

Today the focal losses have kernels: the sigmoid focal spec (and its subclasses that keep
its mathematics, such as ``bce``) the binary kernels, the softmax focal spec (and ``ce``,
class-weighted and class-balanced cross-entropy) the softmax kernels. A hook is found
through the spec's class hierarchy, and only while the subclass keeps the hooked class's
``loss_grad`` (a subclass with other mathematics gets the reference path).

Hook interface: ``kind``; ``linear_in_target`` (the loss of a soft target is
``y L(z, 1) + (1 - y) L(z, 0)``, so the reference path may differentiate with respect to
the target); ``forward(input, target, weight, values, reduction, ignore_index, pending,
state)`` and ``backward(grad_output, input, target, weight, values, reduction,
ignore_index, state)`` returning a tensor or None; ``compiled(...)`` returning the loss
through the custom ops of :mod:`._compiled` while :func:`torch.compile` traces, or None.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from focalkit._core.losses import LossSpec, get_loss
from focalkit.torch import _checks, _compiled, _deferred, _dispatch
from focalkit.torch._data import label_message, target_message

__all__ = ["hook_for"]

Tensor = torch.Tensor

_SCALARS: dict[tuple[float, torch.device], Tensor] = {}


def _as_tensor(v: Any, like: Tensor) -> Tensor | None:
    """``pos_weight`` as the kernels take it: None or a tensor on ``like``'s device."""
    if v is None or isinstance(v, Tensor):
        return v
    if isinstance(v, np.ndarray) or _checks.compiling():
        return torch.as_tensor(v, dtype=torch.float64, device=like.device)
    key = (float(v), like.device)
    t = _SCALARS.get(key)
    if t is None:
        if len(_SCALARS) > 64:
            _SCALARS.clear()
        t = _SCALARS[key] = torch.tensor(float(v), dtype=torch.float64, device=like.device)
    return t


class _BinaryFocalHook:
    """The sigmoid focal spec on the fused binary kernels (float gamma and alpha)."""

    kind = "sigmoid"
    linear_in_target = True

    @staticmethod
    def _args(values: dict[str, Any], input: Tensor) -> tuple[Any, Any, Any]:
        return (values.get("gamma", 0.0), values.get("alpha"),
                _as_tensor(values.get("pos_weight"), input))

    @staticmethod
    def small_args(values: dict[str, Any]) -> tuple[float, float | None] | None:
        """(gamma, alpha) for the small-call lane (:mod:`._small`): scalars, no pos_weight."""
        gamma, alpha = values.get("gamma", 0.0), values.get("alpha")
        if values.get("pos_weight") is not None or not _dispatch.scalar_ok(gamma, alpha):
            return None
        return float(gamma), None if alpha is None else float(alpha)

    def forward(self, input: Tensor, target: Tensor, weight: Tensor | None,
                values: dict[str, Any], reduction: str, ignore_index: int,
                pending: str | None, state: dict) -> Tensor | None:
        gamma, alpha, pos_weight = self._args(values, input)
        message = None
        if pending is not None and input.device.type == "cuda":
            # the GPU kernel counts blocks holding bad targets on the device (not values)
            message = target_message(pending)
            state["bad_counter"] = _deferred.counter(input.device, message, exact=False)
        extra = {} if ignore_index is None else {"ignore_index": ignore_index}
        out = _dispatch.binary_forward(input, target, weight, pos_weight, gamma=gamma,
                                       alpha=alpha, reduction=reduction, state=state, **extra)
        if out is not None and message is not None:
            _deferred.reported(input.device, message)
        state.pop("bad_counter", None)
        return out

    def backward(self, grad_output: Tensor, input: Tensor, target: Tensor,
                 weight: Tensor | None, values: dict[str, Any], reduction: str,
                 ignore_index: int, state: dict | None) -> Tensor | None:
        gamma, alpha, pos_weight = self._args(values, input)
        extra = {} if ignore_index is None else {"ignore_index": ignore_index}
        return _dispatch.binary_backward(grad_output, input, target, weight, pos_weight,
                                         gamma=gamma, alpha=alpha, reduction=reduction,
                                         **extra)

    def compiled(self, input: Tensor, target: Tensor, weight: Tensor | None,
                 values: dict[str, Any], reduction: str, ignore_index: int) -> Tensor | None:
        gamma, alpha, pos_weight = self._args(values, input)
        if ignore_index is not None or not _compiled.binary_usable(input, target, gamma,
                                                                   alpha):
            return None  # the reference is traced (ignore_index: torch.where)
        return _compiled.binary_focal(input, target, weight, pos_weight, gamma, alpha,
                                      reduction)


def _rows(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor] | None:
    """``(N, C, d1, ...)`` logits as ``(N * d1 * ..., C)`` rows and their labels, or None.

    The rows are a view of channels-last logits and a copy otherwise: one pass, against
    the reference path's many (10x slower at 8 x 19 x 512 x 512).
    """
    if input.ndim <= 2:
        return input, target
    if tuple(target.shape) != (input.shape[0], *input.shape[2:]):
        return None  # the reference path says what is wrong
    return input.movedim(1, -1).reshape(-1, input.shape[1]), target.reshape(-1)


def _unrows(grad: Tensor, input: Tensor) -> Tensor:
    """A gradient of :func:`_rows`'s ``(N * d1 * ..., C)`` rows in ``input``'s shape.

    ``(N, C, d1, ...)``: a channels-last view, no copy.
    """
    return grad.reshape(input.shape[0], *input.shape[2:], input.shape[1]).movedim(-1, 1)


class _SoftmaxFocalHook:
    """The softmax focal spec on the fused softmax kernels.

    ``(N, C)`` logits and labels; ``(N, C, d1, ...)`` logits (segmentation) on the strided
    CPU kernel, else as rows of ``C`` (:func:`_rows`).
    """

    kind = "softmax"
    linear_in_target = False

    @staticmethod
    def _args(values: dict[str, Any]) -> tuple[Any, float]:
        return values.get("gamma", 0.0), float(values.get("label_smoothing", 0.0))

    @staticmethod
    def small_args(values: dict[str, Any]) -> tuple[float] | None:
        """(gamma,) for the small-call lane (:mod:`._small`): no smoothing or class weight."""
        gamma = values.get("gamma", 0.0)
        if (float(values.get("label_smoothing", 0.0)) != 0.0
                or values.get("class_weight") is not None
                or not _dispatch.scalar_ok(gamma, None)):
            return None
        return (float(gamma),)

    def forward(self, input: Tensor, target: Tensor, weight: Tensor | None,
                values: dict[str, Any], reduction: str, ignore_index: int,
                pending: str | None, state: dict) -> Tensor | None:
        gamma, smoothing = self._args(values)
        if input.ndim > 2:  # the kernel on the layout as stored, else rows of a view
            out = self._forward(input, target, weight, gamma, smoothing, reduction,
                                ignore_index, pending, state)
            if out is not None:
                return out
            rows = _rows(input, target)
            if rows is None:
                return None
            state["nd_rows"] = True
            out = self._forward(*rows, weight, gamma, smoothing, reduction, ignore_index,
                                pending, state)
            kept = state.get("kept_grad")
            if kept is not None:  # a small call's gradient, in the rows' layout
                state["kept_grad"] = _unrows(kept, input)
            return out if out is None or reduction != "none" else out.reshape(target.shape)
        return self._forward(input, target, weight, gamma, smoothing, reduction, ignore_index,
                             pending, state)

    @staticmethod
    def _forward(input: Tensor, target: Tensor, weight: Tensor | None, gamma: Any,
                 smoothing: float, reduction: str, ignore_index: int, pending: str | None,
                 state: dict) -> Tensor | None:
        message = None
        if pending is not None and input.device.type == "cuda":  # counted by the kernel
            message = label_message(pending, input.shape[1], ignore_index)
            state["bad_counter"] = _deferred.counter(input.device, message)
        out = _dispatch.softmax_forward(input, target, weight, gamma=gamma,
                                        ignore_index=ignore_index, label_smoothing=smoothing,
                                        reduction=reduction, state=state)
        if out is not None and message is not None:
            _deferred.reported(input.device, message)
        state.pop("bad_counter", None)
        return out

    def backward(self, grad_output: Tensor, input: Tensor, target: Tensor,
                 weight: Tensor | None, values: dict[str, Any], reduction: str,
                 ignore_index: int, state: dict | None) -> Tensor | None:
        gamma, smoothing = self._args(values)
        if input.ndim > 2 and (state is None or state.get("nd_rows")):
            rows = _rows(input, target)
            if rows is None:
                return None
            go = grad_output.reshape(-1) if reduction == "none" else grad_output
            grad = _dispatch.softmax_backward(go, *rows, weight, gamma=gamma,
                                              ignore_index=ignore_index,
                                              label_smoothing=smoothing, reduction=reduction,
                                              state=state)
            if grad is None:
                return None
            return _unrows(grad, input)
        return _dispatch.softmax_backward(grad_output, input, target, weight, gamma=gamma,
                                          ignore_index=ignore_index,
                                          label_smoothing=smoothing, reduction=reduction,
                                          state=state)

    def compiled(self, input: Tensor, target: Tensor, weight: Tensor | None,
                 values: dict[str, Any], reduction: str, ignore_index: int) -> Tensor | None:
        gamma, smoothing = self._args(values)
        if not _compiled.softmax_usable(input, target, gamma, smoothing):
            return None
        return _compiled.softmax_focal(input, target, weight, gamma, ignore_index, smoothing,
                                       reduction)


_HOOKS: dict[type[LossSpec], Any] = {
    get_loss("focal", "sigmoid"): _BinaryFocalHook(),
    get_loss("focal", "softmax"): _SoftmaxFocalHook(),
}


def hook_for(spec_cls: type[LossSpec]) -> Any:
    """The fast hook of a spec class, or None (then the reference path runs)."""
    for base in spec_cls.__mro__:
        hook = _HOOKS.get(base)
        if hook is not None:
            same_math = getattr(spec_cls, "loss_grad", None) is getattr(base, "loss_grad", None)
            return hook if same_math else None
    return None
