"""Argument checks of the torch conventions, on top of :mod:`focalkit._core._validation`.

The loss parameters (``gamma``, ``alpha``, ...) are checked by their specs
(:mod:`._params`); here are the arguments that torch's own losses have (``weight``,
``reduction``, ``ignore_index``), the input, and shape helpers used by :mod:`._data`.
Parameter checks run once: in a module's ``__init__`` and at a function's entry (cached
for repeated plain values). Data checks run on every call; the ones that read tensor
values are skipped while :func:`torch.compile` traces.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import torch

from focalkit._core._validation import check_in, check_same_shape, param_error
from focalkit.exceptions import InvalidParameterError

REDUCTIONS = ("none", "mean", "sum")


def compiling() -> bool:
    """True while torch.compile traces (data-dependent checks are skipped then)."""
    return bool(torch.compiler.is_compiling())


def transforms_active() -> bool:
    """True inside a ``torch.func`` transform (grad, vmap, jacrev, ...)."""
    return bool(torch._C._are_functorch_transforms_active())


def unwrapped(t: torch.Tensor) -> torch.Tensor:
    """The plain tensor under ``torch.func`` wrappers (a vmapped tensor: the whole batch).

    Value checks read it: inside a transform ``.item()`` and ``bool()`` are refused, and
    checking the whole batch checks every sample.
    """
    functorch = torch._C._functorch
    while functorch.is_functorch_wrapped_tensor(t):
        t = functorch.get_unwrapped(t)
    return t


def compute_dtype(x: torch.Tensor) -> torch.dtype:
    """float64 stays float64; every other floating dtype computes in float32."""
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def reduction_param(reduction: Any, owner: str) -> str:
    """One of 'none', 'mean', 'sum'."""
    return str(check_in(reduction, REDUCTIONS, "reduction", owner))


def weight_param(weight: Any, name: str, owner: str) -> torch.Tensor | None:
    """None or a floating tensor that does not require grad (like torch's losses)."""
    if weight is None:
        return None
    if not isinstance(weight, torch.Tensor):
        if isinstance(weight, (str, bytes)):
            raise param_error(name, owner, "None or a tensor of floats", weight)
        try:
            weight = torch.as_tensor(weight, dtype=torch.float32)
        except (TypeError, ValueError, RuntimeError):
            raise param_error(name, owner, "None or a tensor of floats", weight) from None
    if not weight.is_floating_point():
        weight = weight.to(torch.float32)
    if weight.requires_grad:
        raise InvalidParameterError(
            f"The '{name}' parameter of {owner} cannot require grad: the loss is not "
            f"differentiated with respect to it (as in torch). Pass {name}.detach()."
        )
    return weight


def normalizer_param(normalizer: Any, reduction: str, owner: str) -> Any:
    """The divisor of the summed loss: a number > 0 or a one-element tensor without grad.

    A tensor's value is not read (no device sync): ``focalkit.torch.distributed.normalizer``
    clamps its count to at least ``min_count``.
    """
    if reduction == "none":
        raise InvalidParameterError(
            f"The 'normalizer' parameter of {owner} divides the summed loss, so it needs "
            f"reduction='sum' or 'mean' (both give sum / normalizer). Got reduction='none'."
        )
    if isinstance(normalizer, torch.Tensor):
        if normalizer.numel() != 1 or normalizer.is_complex():
            raise param_error("normalizer", owner, "a number > 0 or a one-element tensor",
                              normalizer)
        if normalizer.requires_grad:
            raise InvalidParameterError(
                f"The 'normalizer' parameter of {owner} cannot require grad: it is a count, "
                f"not differentiated. Pass normalizer.detach()."
            )
        return normalizer.reshape(())
    if isinstance(normalizer, Real) and not isinstance(normalizer, bool):
        if math.isfinite(float(normalizer)) and float(normalizer) > 0:
            return float(normalizer)
    raise param_error("normalizer", owner, "a number > 0 or a one-element tensor",
                      normalizer)


def ignore_index_param(value: Any, owner: str, allow_none: bool = False) -> int | None:
    """An int (class index to ignore; negative values never match a class).

    ``allow_none``: the sigmoid losses, where None (the default) ignores nothing.
    """
    if isinstance(value, Integral) and not isinstance(value, bool):
        return int(value)
    if value is None and allow_none:
        return None
    raise param_error("ignore_index", owner, "None or an int" if allow_none else "an int",
                      value)


def floating_input(input: Any, owner: str) -> torch.Tensor:
    """``input`` must be a floating-point tensor of logits."""
    if not isinstance(input, torch.Tensor) or not input.is_floating_point():
        got = input.dtype if isinstance(input, torch.Tensor) else type(input).__name__
        raise InvalidParameterError(
            f"input of {owner} must be a floating-point tensor of logits; got {got}."
        )
    return input


def broadcastable(tensor: torch.Tensor | None, shape: torch.Size, name: str) -> None:
    """``tensor`` must broadcast to ``shape`` without enlarging it."""
    if tensor is None:
        return
    try:
        ok = torch.broadcast_shapes(tensor.shape, shape) == shape
    except RuntimeError:
        ok = False
    if not ok:
        raise InvalidParameterError(
            f"{name} must broadcast to input's shape {tuple(shape)}; got {tuple(tensor.shape)}."
        )


def vector_broadcast(param: Any, shape: torch.Size, name: str, where: str) -> None:
    """A per-label/per-class vector (tensor or NumPy) must match the size of its axis."""
    if getattr(param, "ndim", 0) == 1 and len(shape) > 0:
        n = shape[-1] if where == "last" else shape[1]
        if param.shape[0] not in (1, n):
            axis = "the last dimension" if where == "last" else "the class dimension"
            raise InvalidParameterError(
                f"{name} must have one entry per element of {axis} ({n}); "
                f"got {param.shape[0]}."
            )


__all__ = [
    "REDUCTIONS",
    "broadcastable",
    "check_same_shape",
    "compiling",
    "compute_dtype",
    "InvalidParameterError",
    "floating_input",
    "ignore_index_param",
    "normalizer_param",
    "param_error",
    "reduction_param",
    "transforms_active",
    "unwrapped",
    "vector_broadcast",
    "weight_param",
]
