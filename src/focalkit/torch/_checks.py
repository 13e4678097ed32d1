"""Argument checks for the torch losses, on top of :mod:`focalkit._core._validation`.

Parameter checks (``gamma``, ``alpha``, ``reduction``, ...) run once: in a module's
``__init__`` and at a function's entry. Data checks (shapes, target values) run on every
call; the ones that read tensor values are skipped while :func:`torch.compile` traces.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import torch

from focalkit._core._validation import (
    check_alpha,
    check_gamma,
    check_in,
    check_nonneg_float,
    check_same_shape,
    param_error,
)
from focalkit.exceptions import InvalidParameterError

REDUCTIONS = ("none", "mean", "sum")
_GAMMA_EXPECTED = "a float in [0, inf) or a 1-D vector of them"


def compiling() -> bool:
    """True while torch.compile traces (data-dependent checks are skipped then)."""
    return bool(torch.compiler.is_compiling())


def compute_dtype(x: torch.Tensor) -> torch.dtype:
    """float64 stays float64; every other floating dtype computes in float32."""
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def gamma_param(gamma: Any, owner: str) -> float | torch.Tensor:
    """A Python float >= 0, or a 1-D float tensor of them (per label / per class)."""
    if isinstance(gamma, Real) and not isinstance(gamma, bool):
        return check_nonneg_float(gamma, "gamma", owner)
    if isinstance(gamma, torch.Tensor):
        if gamma.ndim == 0 and gamma.is_floating_point():
            return check_nonneg_float(float(gamma), "gamma", owner)
        if gamma.ndim != 1 or not gamma.is_floating_point():
            raise param_error("gamma", owner, _GAMMA_EXPECTED, gamma)
        if not compiling() and not bool(((gamma >= 0) & torch.isfinite(gamma)).all()):
            raise param_error("gamma", owner, _GAMMA_EXPECTED, gamma)
        return gamma
    if isinstance(gamma, str):
        raise param_error("gamma", owner, _GAMMA_EXPECTED, gamma)
    return torch.as_tensor(check_gamma(gamma, owner), dtype=torch.float64)


def alpha_param(alpha: Any, owner: str) -> float | torch.Tensor | None:
    """None, a Python float in [0, 1], or a 1-D float tensor of them (per label)."""
    if isinstance(alpha, str) and alpha == "balanced":
        raise InvalidParameterError(
            f"The 'alpha' parameter of {owner} cannot be 'balanced' inside a loss: the "
            "class frequencies come from the training labels. Compute it once with "
            "focalkit.resolve_alpha('balanced', y_train) and pass the float (or per-label "
            "vector) it returns. Got 'balanced'."
        )
    expected = "None, a float in [0, 1], or a 1-D vector of such floats"
    if isinstance(alpha, torch.Tensor):
        if alpha.ndim == 0 and alpha.is_floating_point():
            alpha = float(alpha)
            if 0.0 <= alpha <= 1.0:
                return alpha
            raise param_error("alpha", owner, expected, alpha)
        if alpha.ndim != 1 or not alpha.is_floating_point():
            raise param_error("alpha", owner, expected, alpha)
        if not compiling() and not bool(((alpha >= 0) & (alpha <= 1)).all()):
            raise param_error("alpha", owner, expected, alpha)
        return alpha
    try:
        checked = check_alpha(alpha, owner, allow_balanced=False)
    except (ValueError, TypeError):
        raise param_error("alpha", owner, expected, alpha) from None
    if checked is None or isinstance(checked, float):
        return checked
    return torch.as_tensor(checked, dtype=torch.float64)


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


def label_smoothing_param(value: Any, owner: str) -> float:
    """A float in [0, 1]."""
    if isinstance(value, Real) and not isinstance(value, bool) and 0.0 <= float(value) <= 1.0:
        return float(value)
    raise param_error("label_smoothing", owner, "a float in [0, 1]", value)


def ignore_index_param(value: Any, owner: str) -> int:
    """An int (class index to ignore; negative values never match a class)."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        return int(value)
    raise param_error("ignore_index", owner, "an int", value)


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
    """A per-label/per-class vector must match the size of its axis."""
    if isinstance(param, torch.Tensor):
        n = shape[-1] if where == "last" else shape[1]
        if param.shape[0] not in (1, n):
            axis = "the last dimension" if where == "last" else "the class dimension"
            raise InvalidParameterError(
                f"{name} must have one entry per element of {axis} ({n}); "
                f"got {param.shape[0]}."
            )


__all__ = [
    "alpha_param",
    "broadcastable",
    "check_same_shape",
    "compiling",
    "compute_dtype",
    "floating_input",
    "gamma_param",
    "ignore_index_param",
    "label_smoothing_param",
    "param_error",
    "reduction_param",
    "vector_broadcast",
    "weight_param",
]
