"""Checks of the data of a torch loss call (every loss, every call): one path for all specs.

Sigmoid losses follow ``F.binary_cross_entropy_with_logits`` (input and target of the same
shape, an elementwise ``weight`` that broadcasts to it), softmax losses ``F.cross_entropy``
(classes on dimension 1, integer labels or, where the spec allows them, class
probabilities; a per-class ``weight``). Shapes and dtypes are checked here; the *values*
of the targets are checked in the forward, by the fused kernel that reads them or by
:func:`check_targets` / :func:`check_labels` when no kernel runs (CUDA kernels count bad
values on the device: :mod:`._deferred`). Nothing that reads values runs while
:func:`torch.compile` traces.
"""

from __future__ import annotations

from typing import Any

import torch

from focalkit.exceptions import InvalidParameterError
from focalkit.torch import _checks
from focalkit.torch._params import TORCH_WEIGHTS, Bound

__all__ = [
    "check_labels",
    "check_probabilities",
    "check_sigmoid",
    "check_softmax",
    "check_targets",
    "check_values",
    "label_message",
    "target_message",
]


def target_message(owner: str, soft: bool = True) -> str:
    """What a sigmoid loss expects of its targets."""
    if soft:
        return f"target of {owner} must hold values in [0, 1] (soft targets allowed)"
    return f"target of {owner} must hold values 0 or 1 (hard targets only)"


def label_message(owner: str, n_classes: int, ignore_index: int) -> str:
    """What a softmax loss expects of class-index targets."""
    return (
        f"class-index target of {owner} must hold values in [0, {n_classes}) or "
        f"ignore_index ({ignore_index})"
    )


def _not_differentiable(owner: str) -> InvalidParameterError:
    return InvalidParameterError(
        f"{owner} is not differentiable with respect to target; pass target.detach()."
    )


# ----------------------------------------------------------------------------- sigmoid
def check_sigmoid(bound: Bound, input: Any, target: Any, weight: torch.Tensor | None,
                  tensors: tuple[Any, ...], owner: str, tracing: bool = False) -> bool:
    """Shapes and dtypes of a sigmoid call; returns whether the target values need checking.

    Bool targets never need it, nor empty ones, nor any while compiling (``tracing``).
    """
    input = _checks.floating_input(input, owner)
    if not isinstance(target, torch.Tensor):
        raise InvalidParameterError(
            f"target of {owner} must be a tensor; got {type(target).__name__}."
        )
    _checks.check_same_shape(input, target)
    if target.is_complex():
        raise InvalidParameterError(
            f"{target_message(owner)}; got dtype {target.dtype}."
        )
    if target.requires_grad and not bound.linear_in_target:
        raise _not_differentiable(owner)
    shape = input.shape
    _checks.broadcastable(weight, shape, "weight")
    if tensors:
        for name, t in zip(bound.tensor_names, tensors, strict=True):
            if name in TORCH_WEIGHTS:
                _checks.broadcastable(t, shape, name)
            elif name not in bound.whole:
                _checks.vector_broadcast(t, shape, name, "last")
    for name, v in bound.vectors:
        _checks.vector_broadcast(v, shape, name, "last")
    return target.dtype != torch.bool and not tracing and target.numel() > 0


def check_targets(target: torch.Tensor, owner: str, soft: bool = True) -> None:
    """One aminmax pass over integer or float targets (NaN fails it)."""
    lo, hi = torch.aminmax(target)
    if not (lo.item() >= 0 and hi.item() <= 1):  # also False for NaN
        bad = target[~((target >= 0) & (target <= 1))][0].item()
        raise InvalidParameterError(f"{target_message(owner, soft)}; got {bad}.")
    if not soft and target.is_floating_point():
        hard = (target == 0) | (target == 1)
        if not bool(hard.all()):
            raise InvalidParameterError(
                f"{target_message(owner, soft)}; got {target[~hard][0].item()}."
            )


# ----------------------------------------------------------------------------- softmax
def check_softmax(bound: Bound, input: Any, target: Any, weight: torch.Tensor | None,
                  ignore_index: int, tensors: tuple[Any, ...], owner: str,
                  tracing: bool = False) -> bool:
    """Shapes and dtypes of a softmax call; returns whether the labels need checking.

    ``input`` must already be batched (an unbatched ``(C,)`` call is unsqueezed first).
    Class-probability targets are checked here (values in [0, 1]), labels in the forward.
    """
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
    expected = (input.shape[0],) + tuple(input.shape[2:])
    pending = False
    if target.is_floating_point():
        dense = bound.spec.dense_targets  # type: ignore[attr-defined]
        if tuple(target.shape) != tuple(input.shape):
            if tuple(target.shape) == expected or not dense:
                what = (f"integer class labels (shape {expected})" + (
                    f" or class probabilities (input's shape {tuple(input.shape)})"
                    if dense else ""))
                raise InvalidParameterError(
                    f"target of {owner} must hold {what}; got {target.dtype} of shape "
                    f"{tuple(target.shape)}."
                )
            raise InvalidParameterError(
                f"class-probability target of {owner} must have input's shape "
                f"{tuple(input.shape)}; got {tuple(target.shape)}."
            )
        if not dense:
            raise InvalidParameterError(
                f"target of {owner} must hold integer class labels: the loss "
                f"{bound.spec.name!r} has no form for class-probability targets; got "
                f"{target.dtype}."
            )
        if ignore_index >= 0:
            raise InvalidParameterError(
                f"ignore_index of {owner} is not supported with class-probability targets "
                f"(as in F.cross_entropy); got {ignore_index}."
            )
        if not tracing and target.numel() > 0:
            check_probabilities(target, owner)
        if target.requires_grad:
            raise _not_differentiable(owner)
        if weight is not None and not bound.has_class_weight:
            raise InvalidParameterError(
                f"The 'weight' parameter of {owner} applies to class-index targets only: "
                f"the loss {bound.spec.name!r} has no class weights for probability targets."
            )
    else:
        if target.dtype == torch.bool or tuple(target.shape) != expected:
            raise InvalidParameterError(
                f"class-index target of {owner} must be an integer tensor of shape "
                f"{expected} for input of shape {tuple(input.shape)}; "
                f"got {target.dtype} of shape {tuple(target.shape)}."
            )
        pending = not tracing and target.numel() > 0
    if weight is not None and tuple(weight.shape) != (n_classes,):
        raise InvalidParameterError(
            f"The 'weight' parameter of {owner} must be a 1-D tensor with one entry per "
            f"class ({n_classes}); got shape {tuple(weight.shape)}."
        )
    for name, t in zip(bound.tensor_names, tensors, strict=True):
        if t.ndim == 1:
            _checks.vector_broadcast(t, input.shape, name, "class")
    return pending


def check_probabilities(target: torch.Tensor, owner: str) -> None:
    """Class probabilities must lie in [0, 1] (NaN fails)."""
    if not bool(((target >= 0) & (target <= 1)).all()):
        raise InvalidParameterError(
            f"class-probability target of {owner} must hold values in [0, 1]."
        )


def check_values(bound: Bound, shape: torch.Size, target: torch.Tensor,
                 ignore_index: int | None, owner: str) -> None:
    """The target value checks of a call, at once (used inside ``torch.func`` transforms).

    ``target`` may hold more values than ``shape`` (a vmapped batch, unwrapped): every
    value is checked.
    """
    if target.numel() == 0:
        return
    if bound.kind == "sigmoid":
        if target.dtype != torch.bool:
            if ignore_index is not None:  # the ignored targets: any value
                target = torch.where(target != ignore_index, target, torch.zeros_like(target))
            check_targets(target, owner, bound.spec.soft_targets)  # type: ignore[attr-defined]
    elif target.is_floating_point():
        check_probabilities(target, owner)
    else:
        check_labels(target, shape[1], -100 if ignore_index is None else ignore_index, owner)


def check_labels(target: torch.Tensor, n_classes: int, ignore_index: int, owner: str) -> None:
    """One aminmax pass over the labels; the full test only when one is outside [0, C)."""
    lo, hi = torch.aminmax(target)
    if bool((lo >= 0) & (hi < n_classes)):
        return
    bad = (target != ignore_index) & ((target < 0) | (target >= n_classes))
    if bool(bad.any()):
        raise InvalidParameterError(
            f"{label_message(owner, n_classes, ignore_index)}; got {target[bad][0].item()}."
        )
