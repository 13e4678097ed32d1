"""The fused kernels as ``torch.library`` custom ops: the fast paths under ``torch.compile``.

Dynamo cannot trace into numba or Triton launches, so while ``torch.compile`` traces a
loss the public functions call these ops instead of the ``autograd.Function``: the graph
holds one opaque call for the forward and one for the backward (no graph break), and they
run the same fused kernels as eager mode, falling back to the ``_core`` reference inside
the op where no kernel applies. Value checks of the targets are skipped while compiling,
as on the reference path; on CUDA the kernels still make bad targets' losses NaN.

The softmax forward also returns the row statistics and the ``mean`` denominator that
the GPU backward reuses (two float32 per row; an empty tensor where there are none,
decided from shapes and dtypes when tracing), so that the ops' outputs stay tensors.
"""

# No ``from __future__ import annotations``: torch.library reads the annotations at
# runtime to build the ops' schemas.
from typing import Any, Optional

import torch

from focalkit._core.losses import get_loss
from focalkit.torch import _dispatch, _reference, kernels
from focalkit.torch._params import Binder

__all__ = ["binary_focal", "binary_usable", "softmax_focal", "softmax_usable"]

# the focal specs, for the reference inside the ops where no kernel applies
_BINARY = Binder(get_loss("focal", "sigmoid"), ("gamma", "alpha"), "binary_focal_forward")
_SOFTMAX = Binder(get_loss("focal", "softmax"), ("gamma", "label_smoothing"),
                  "softmax_focal_forward")


def _binary_bound(gamma: float, alpha: Optional[float],  # noqa: UP045
                  pos_weight: Optional[torch.Tensor]) -> tuple[Any, dict]:  # noqa: UP045
    bound = _BINARY.bind((gamma, alpha))
    return bound, {**bound.values, "pos_weight": pos_weight}

_FAST_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def _fresh(t: torch.Tensor) -> torch.Tensor:
    """``t`` as a tensor of its own (a copy if it is a view).

    A custom op's outputs may not be views, and Inductor asserts that they are 16-byte
    aligned: a view at offset 1 of a float32 pair is not (seen failing on an H100).
    """
    return t.clone() if t._base is not None or t.storage_offset() != 0 else t


def binary_usable(input: torch.Tensor, target: torch.Tensor, gamma: Any, alpha: Any) -> bool:
    """Whether a compiled call should use the custom op (the fast path can apply)."""
    return (
        _dispatch.fast_path_enabled()
        and isinstance(gamma, float)
        and (alpha is None or isinstance(alpha, float))
        and input.device.type in ("cpu", "cuda")
        and input.dtype in _FAST_DTYPES
        and not target.requires_grad
        and target.shape == input.shape
    )


def softmax_usable(
    input: torch.Tensor, target: torch.Tensor, gamma: Any, label_smoothing: float
) -> bool:
    """Whether a compiled call should use the custom op (class indices, (N, C) logits)."""
    return (
        _dispatch.fast_path_enabled()
        and isinstance(gamma, float)
        and input.device.type in ("cpu", "cuda")
        and input.dtype in _FAST_DTYPES
        and input.ndim == 2
        and target.ndim == 1
        and not target.is_floating_point()
    )


# ------------------------------------------------------------------------------- binary
@torch.library.custom_op("focalkit::binary_focal_forward", mutates_args=())
def _binary_forward(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: Optional[torch.Tensor],  # noqa: UP045 - read by torch.library at runtime
    pos_weight: Optional[torch.Tensor],  # noqa: UP045
    gamma: float,
    alpha: Optional[float],  # noqa: UP045
    reduction: str,
) -> torch.Tensor:
    out = kernels.binary_forward(input, target, weight, pos_weight, gamma=gamma, alpha=alpha,
                                 reduction=reduction)
    if out is None:
        bound, values = _binary_bound(gamma, alpha, pos_weight)
        out = _reference.sigmoid(bound, values, input, target, weight, reduction)[0]
    return _fresh(out.to(input.dtype))


@_binary_forward.register_fake
def _(input, target, weight, pos_weight, gamma, alpha, reduction):  # type: ignore[no-untyped-def]
    return torch.empty_like(input) if reduction == "none" else input.new_empty(())


@torch.library.custom_op("focalkit::binary_focal_backward", mutates_args=())
def _binary_backward(
    grad_output: torch.Tensor,
    input: torch.Tensor,
    target: torch.Tensor,
    weight: Optional[torch.Tensor],  # noqa: UP045
    pos_weight: Optional[torch.Tensor],  # noqa: UP045
    gamma: float,
    alpha: Optional[float],  # noqa: UP045
    reduction: str,
) -> torch.Tensor:
    grad = kernels.binary_backward(grad_output, input, target, weight, pos_weight,
                                   gamma=gamma, alpha=alpha, reduction=reduction)
    if grad is None:
        bound, values = _binary_bound(gamma, alpha, pos_weight)
        _, g, _, den = _reference.sigmoid(bound, values, input, target, weight, reduction,
                                          loss=False, grad_input=True)
        grad = _reference.apply_grad_output(g, grad_output, reduction, False, input.dtype, den)
    return grad


@_binary_backward.register_fake
def _(grad_output, input, target, weight, pos_weight, gamma, alpha, reduction):  # type: ignore[no-untyped-def]
    return torch.empty_like(input)


def _binary_setup(ctx: Any, inputs: tuple, output: Any) -> None:
    input, target, weight, pos_weight, gamma, alpha, reduction = inputs
    ctx.save_for_backward(input, target, weight, pos_weight)
    ctx.args = (gamma, alpha, reduction)


def _no_double_backward() -> None:
    """The ops' backward kernels are first-order: refuse ``create_graph=True``."""
    if torch.is_grad_enabled() and not torch.compiler.is_compiling():
        raise RuntimeError(
            "focalkit: a double backward (create_graph=True) through the fused focal loss "
            "ops of a torch.compile'd function is not supported (their backward is a fused "
            "first-order kernel); compute the loss outside torch.compile, or with "
            "focalkit.torch.use_fast_path(False) while compiling, for second derivatives."
        )


def _binary_grad(ctx: Any, grad_output: torch.Tensor) -> tuple:
    _no_double_backward()
    input, target, weight, pos_weight = ctx.saved_tensors
    grad = None
    if ctx.needs_input_grad[0]:
        grad = _binary_backward(grad_output, input, target, weight, pos_weight, *ctx.args)
    return grad, None, None, None, None, None, None


_binary_forward.register_autograd(_binary_grad, setup_context=_binary_setup)


def binary_focal(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    pos_weight: torch.Tensor | None,
    gamma: float,
    alpha: float | None,
    reduction: str,
) -> torch.Tensor:
    """The sigmoid focal loss through the custom ops (arguments already validated)."""
    out: torch.Tensor = _binary_forward(input, target, weight, pos_weight, gamma, alpha,
                                        reduction)
    return out


# ------------------------------------------------------------------------------ softmax
@torch.library.custom_op("focalkit::softmax_focal_forward", mutates_args=())
def _softmax_forward(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: Optional[torch.Tensor],  # noqa: UP045
    gamma: float,
    ignore_index: int,
    label_smoothing: float,
    reduction: str,
    save_stats: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    state: dict = {}
    if save_stats:  # decided when tracing from shapes and dtypes: the Triton path runs
        from focalkit.torch.kernels import _triton

        out = _triton.softmax(input, target, weight, gamma=gamma, ignore_index=ignore_index,
                              label_smoothing=label_smoothing, reduction=reduction,
                              state=state)
        if out is None or "stats" not in state:
            raise RuntimeError("focalkit: the GPU softmax kernels declined a traced call")
        den = state.get("den", input.new_zeros((), dtype=torch.float32))
        return _fresh(out.to(input.dtype)), _fresh(state["stats"]), _fresh(den)
    out = kernels.softmax_forward(input, target, weight, gamma=gamma,
                                  ignore_index=ignore_index, label_smoothing=label_smoothing,
                                  reduction=reduction, state=state)
    if out is None:
        bound = _SOFTMAX.bind((gamma, label_smoothing))
        out = _reference.softmax(bound, bound.values, input, target, weight, ignore_index,
                                 reduction)[0]
    empty = input.new_empty(0, dtype=torch.float32)
    return _fresh(out.to(input.dtype)), empty, input.new_zeros((), dtype=torch.float32)


@_softmax_forward.register_fake
def _(input, target, weight, gamma, ignore_index, label_smoothing, reduction, save_stats):  # type: ignore[no-untyped-def]
    loss = input.new_empty(input.shape[0]) if reduction == "none" else input.new_empty(())
    stats = input.new_empty(2 * input.shape[0] if save_stats else 0, dtype=torch.float32)
    return loss, stats, input.new_empty((), dtype=torch.float32)


@torch.library.custom_op("focalkit::softmax_focal_backward", mutates_args=())
def _softmax_backward(
    grad_output: torch.Tensor,
    input: torch.Tensor,
    target: torch.Tensor,
    weight: Optional[torch.Tensor],  # noqa: UP045
    stats: torch.Tensor,
    den: torch.Tensor,
    gamma: float,
    ignore_index: int,
    label_smoothing: float,
    reduction: str,
) -> torch.Tensor:
    state = {"stats": stats, "den": den} if stats.numel() > 0 else None
    grad = kernels.softmax_backward(grad_output, input, target, weight, gamma=gamma,
                                    ignore_index=ignore_index,
                                    label_smoothing=label_smoothing, reduction=reduction,
                                    state=state)
    if grad is None:
        bound = _SOFTMAX.bind((gamma, label_smoothing))
        _, g, den = _reference.softmax(bound, bound.values, input, target, weight,
                                       ignore_index, reduction, loss=False, grad_input=True)
        grad = _reference.apply_grad_output(g, grad_output, reduction, True, input.dtype, den)
    return grad


@_softmax_backward.register_fake
def _(grad_output, input, target, weight, stats, den, gamma, ignore_index,  # type: ignore[no-untyped-def]
      label_smoothing, reduction):
    return torch.empty_like(input)


def _softmax_setup(ctx: Any, inputs: tuple, output: Any) -> None:
    input, target, weight, gamma, ignore_index, label_smoothing, reduction, _ = inputs
    ctx.save_for_backward(input, target, weight, output[1], output[2])
    ctx.args = (gamma, ignore_index, label_smoothing, reduction)


def _softmax_grad(ctx: Any, grad_output: torch.Tensor, *_grad_state: Any) -> tuple:
    _no_double_backward()
    input, target, weight, stats, den = ctx.saved_tensors
    grad = None
    if ctx.needs_input_grad[0]:
        grad = _softmax_backward(grad_output, input, target, weight, stats, den, *ctx.args)
    return grad, None, None, None, None, None, None, None


_softmax_forward.register_autograd(_softmax_grad, setup_context=_softmax_setup)


def softmax_focal(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    gamma: float,
    ignore_index: int,
    label_smoothing: float,
    reduction: str,
) -> torch.Tensor:
    """The softmax focal loss through the custom ops (arguments already validated)."""
    save_stats = False
    if input.device.type == "cuda" and label_smoothing == 0.0:
        from focalkit.torch.kernels import _triton

        save_stats = _triton.available() and _triton.softmax_applies(
            input, target, weight, ignore_index, label_smoothing
        )
    out, _, _ = _softmax_forward(input, target, weight, gamma, ignore_index,
                                 label_smoothing, reduction, save_stats)
    return out
