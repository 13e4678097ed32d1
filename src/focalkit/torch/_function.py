r"""The one ``autograd.Function`` of every focalkit torch loss, and the call that runs it.

:func:`run` checks the data (:mod:`._data`), then applies :class:`LossFunction`:

* **forward**: the spec's fast hook (the fused kernels, :mod:`._hooks`) when the fast path
  is on and the hook has a kernel for the call; otherwise the spec's reference mathematics
  (:mod:`._reference`), which computes the loss and, where autograd needs it, the analytic
  gradient in the same pass and keeps it for the backward;
* **backward** (first order): the kept gradient times the upstream gradient, or the hook's
  backward kernel (the hooks keep only their inputs);
* **backward with** ``create_graph=True``: the gradient recomputed from the spec's
  mathematics with differentiable torch ops (never a fused kernel, never a kept tensor),
  so second derivatives (gradient penalties, ``gradgradcheck``) are those of the loss.

The fast-path setting is read once, in the forward, and the backward takes the same path
(autograd may run the backward on another thread). Targets and parameters get no gradient,
except soft targets of a spec whose hook declares the loss linear in the target (focal
loss): ``dL/dy = L(z, 1) - L(z, 0)``. Half-precision inputs are computed in float32; the
loss and the gradients come back in the input's (target's) dtype.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch

from focalkit.torch import _checks, _data, _deferred, _ignore, _reference, _small
from focalkit.torch._params import Bound
from focalkit.torch._settings import fast_path_enabled

__all__ = ["LossFunction", "TransformLossFunction", "run"]

Tensor = torch.Tensor

_REFERENCE, _HOOK = 0, 1


def _reference_pass(bound: Bound, values: dict[str, Any], input: Tensor, target: Tensor,
                    weight: Tensor | None, reduction: str, ignore_index: Any, *, loss: bool,
                    grad_input: bool, grad_target: bool,
                    blocks: bool = True) -> tuple[Any, Any, Any, Any]:
    if bound.kind == "sigmoid":
        return _reference.sigmoid(bound, values, input, target, weight, reduction, loss=loss,
                                  grad_input=grad_input, grad_target=grad_target,
                                  blocks=blocks, ignore_index=ignore_index)
    out, g, den = _reference.softmax(bound, values, input, target, weight, ignore_index,
                                     reduction, loss=loss, grad_input=grad_input,
                                     blocks=blocks)
    return out, g, None, den


class LossFunction(torch.autograd.Function):
    """A spec's loss with its analytic backward (see the module docstring).

    ``forward(input, target, weight, bound, reduction, ignore_index, pending, fast,
    tensors)``: ``tensors`` is the tuple of the bound's tensor parameters (module buffers
    or the call's tensors) in ``bound.tensor_names`` order (one argument: Dynamo binds
    two or more variadic arguments of a traced Function wrongly, torch 2.13); ``pending``
    the owner's name when the target values still need checking; ``fast`` whether to try
    the hook.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        input: Tensor,
        target: Tensor,
        weight: Tensor | None,
        bound: Bound,
        reduction: str,
        ignore_index: int,
        pending: str | None,
        fast: bool,
        tensors: tuple[Tensor, ...],
    ) -> Tensor:
        values = bound.values_with(tensors)
        need_input, need_target = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        # a small first-order call may leave its gradient in state (the hook's kernels)
        state: dict = {"keep_grad": need_input and not need_target}
        out = None
        if fast:
            out = bound.hook.forward(input, target, weight, values, reduction, ignore_index,
                                     pending, state)
        kept: tuple[Any, ...] = ()
        if out is not None and "kept_grad" in state:
            ctx.mode, ctx.state, ctx.den = _REFERENCE, None, state["kept_den"]
            kept = (state["kept_grad"], None)
        elif out is None:
            if pending is not None:  # no kernel checked the target values
                if bound.kind == "sigmoid":
                    _data.check_targets(_ignore.valid_targets(target, ignore_index), pending,
                                        bound.spec.soft_targets)  # type: ignore[attr-defined]
                else:
                    _data.check_labels(target, input.shape[1], ignore_index, pending)
            out, g_in, g_t, ctx.den = _reference_pass(
                bound, values, input, target, weight, reduction, ignore_index, loss=True,
                grad_input=need_input, grad_target=need_target)
            ctx.mode, ctx.state = _REFERENCE, None
            kept = (g_in, g_t)
        else:
            # the GPU softmax forward's row statistics, reused by the backward kernel
            ctx.mode, ctx.state = _HOOK, (state if need_input else None)
        ctx.bound, ctx.reduction, ctx.ignore_index = bound, reduction, ignore_index
        ctx.n_tensors = len(tensors)
        ctx.save_for_backward(input, target, weight, *tensors, *kept)
        return out.to(input.dtype)

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        input, target, weight, *rest = ctx.saved_tensors
        n = ctx.n_tensors
        tensors, kept = tuple(rest[:n]), rest[n:]
        bound: Bound = ctx.bound
        reduction, ignore_index = ctx.reduction, ctx.ignore_index
        need_input, need_target = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        softmax = bound.kind == "softmax"
        g_in = g_t = den = None
        if torch.is_grad_enabled():  # create_graph=True: a differentiable gradient
            ctx.state = None
            _, g_in, g_t, den = _reference_pass(
                bound, bound.values_with(tensors), input, target, weight, reduction,
                ignore_index, loss=False, grad_input=need_input, grad_target=need_target,
                blocks=False)
        elif ctx.mode == _REFERENCE:
            g_in, g_t = kept
            den = ctx.den
        else:
            values = bound.values_with(tensors)
            if need_input:
                grad = bound.hook.backward(grad_output, input, target, weight, values,
                                           reduction, ignore_index, ctx.state)
                ctx.state = None
                if grad is not None:
                    return (grad, _target_grad(ctx, bound, values, grad_output, input, target,
                                               weight), *(None,) * 7)
            _, g_in, g_t, den = _reference_pass(
                bound, values, input, target, weight, reduction, ignore_index, loss=False,
                grad_input=need_input, grad_target=need_target)
        grad_input = None if g_in is None else _reference.apply_grad_output(
            g_in, grad_output, reduction, softmax, input.dtype, den)
        grad_target = None if g_t is None else _reference.apply_grad_output(
            g_t, grad_output, reduction, False, target.dtype, den)
        return (grad_input, grad_target, *(None,) * 7)


def _target_grad(ctx: Any, bound: Bound, values: dict[str, Any], grad_output: Tensor,
                 input: Tensor, target: Tensor, weight: Tensor | None) -> Tensor | None:
    """The soft-target gradient next to a hook's input gradient (reference formula)."""
    if not ctx.needs_input_grad[1]:
        return None
    _, _, g_t, den = _reference.sigmoid(bound, values, input, target, weight, ctx.reduction,
                                        loss=False, grad_target=True,
                                        ignore_index=ctx.ignore_index)
    return _reference.apply_grad_output(g_t, grad_output, ctx.reduction, False, target.dtype,
                                        den)


class TransformLossFunction(torch.autograd.Function):
    """The loss inside ``torch.func`` transforms (grad, vmap, jacrev, functional_call).

    The same reference mathematics as :class:`LossFunction`, in the form functorch asks
    for: ``forward`` without ``ctx``, :meth:`setup_context`, and a vmap rule generated
    from the torch ops of both passes (``generate_vmap_rule``). No fused kernel runs here
    (they read raw memory, which a vmapped tensor does not have) and nothing is chunked
    (the blocks are written in place). The backward recomputes the gradient with
    differentiable ops, so a transform of a transform (``grad(grad(...))``) is exact.
    Forward-mode AD (``jvp``, ``jacfwd``, ``hessian``) is not provided: torch raises.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input: Tensor, target: Tensor, weight: Tensor | None,  # type: ignore[override]
                bound: Bound, reduction: str, ignore_index: int, *tensors: Tensor) -> Tensor:
        out = _reference_pass(bound, bound.values_with(tensors), input, target, weight,
                              reduction, ignore_index, loss=True, grad_input=False,
                              grad_target=False, blocks=False)[0]
        return out.to(input.dtype)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        input, target, weight, bound, reduction, ignore_index, *tensors = inputs
        ctx.bound, ctx.reduction, ctx.ignore_index = bound, reduction, ignore_index
        ctx.n_tensors = len(tensors)
        ctx.save_for_backward(input, target, weight, *tensors)

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        input, target, weight, *tensors = ctx.saved_tensors
        bound: Bound = ctx.bound
        need_input, need_target = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        _, g_in, g_t, den = _reference_pass(
            bound, bound.values_with(tuple(tensors)), input, target, weight, ctx.reduction,
            ctx.ignore_index, loss=False, grad_input=need_input, grad_target=need_target,
            blocks=False)
        grad_input = None if g_in is None else _reference.apply_grad_output(
            g_in, grad_output, ctx.reduction, bound.kind == "softmax", input.dtype, den)
        grad_target = None if g_t is None else _reference.apply_grad_output(
            g_t, grad_output, ctx.reduction, False, target.dtype, den)
        return (grad_input, grad_target, *(None,) * (4 + ctx.n_tensors))


_HALF = (torch.float16, torch.bfloat16)
_trace_warned = False


def _autocast_float(input: Tensor, target: Any) -> tuple[Tensor, Any]:
    """Autocast's float32 policy for losses: half inputs computed and returned in float32.

    As ``F.binary_cross_entropy_with_logits`` and ``F.cross_entropy`` under
    ``torch.autocast``: the loss is float32, and the gradient reaches the half-precision
    input through the cast (in its dtype).
    """
    if input.dtype in _HALF and torch.is_autocast_enabled(input.device.type):
        input = input.to(torch.float32)
        if isinstance(target, Tensor) and target.dtype in _HALF:
            target = target.to(torch.float32)
    return input, target


def _warn_tracing() -> None:
    """``torch.jit.trace`` records torch ops only: the fused kernels are not traceable."""
    global _trace_warned
    if not _trace_warned:
        _trace_warned = True
        warnings.warn(
            "focalkit.torch: torch.jit.trace cannot record the fused kernels; the traced "
            "losses run the reference path (same values, torch ops). torch.compile keeps "
            "the fused kernels.", UserWarning, stacklevel=4)


def run(bound: Bound, input: Any, target: Any, weight: Tensor | None, reduction: str,
        ignore_index: int | None, tensors: tuple[Any, ...], owner: str) -> Tensor:
    """Check the data of one call, then run the loss (parameters already validated)."""
    if bound.lane is not False:  # a small training step: one kernel call (._small)
        out = _small.run(bound, input, target, weight, reduction, ignore_index, tensors,
                         owner)
        if out is not None:
            return out
    # sigmoid: None (nothing ignored) or the value of targets that count nowhere
    ii: Any = ignore_index if bound.kind == "sigmoid" or ignore_index is not None else -100
    tracing = _checks.compiling()
    transformed = torch._C._are_functorch_transforms_active()  # (cheaper than wrappers)
    jit_tracing = torch.jit.is_tracing()
    # no .item() on traced / functorch tensors (torch.jit.trace would bake the check in)
    skip_values = tracing or transformed or jit_tracing
    if bound.kind == "sigmoid":
        pending = _data.check_sigmoid(bound, input, target, weight, tensors, owner,
                                      skip_values)
        unbatched = False
    else:
        unbatched = isinstance(input, torch.Tensor) and input.ndim == 1
        if unbatched:  # (C,) logits with a scalar label or a (C,) distribution, like torch
            input = input.unsqueeze(0)
            target = target.unsqueeze(0) if isinstance(target, torch.Tensor) else target
        pending = _data.check_softmax(bound, input, target, weight, ii, tensors,
                                      owner, skip_values)
    if input.dtype in _HALF:
        input, target = _autocast_float(input, target)
    if transformed and not tracing:
        # the values of the whole (vmapped) batch, checked on the plain tensors
        _data.check_values(bound, input.shape, _checks.unwrapped(target), ii, owner)
        out = TransformLossFunction.apply(input, target, weight, bound, reduction,
                                          ii, *tensors)
        return out.squeeze(0) if unbatched and reduction == "none" else out
    hook = bound.hook
    out = None
    if tracing:
        if hook is not None:  # torch.compile: the fused kernels as custom ops
            out = hook.compiled(input, target, weight, bound.values_with(tensors), reduction,
                                ii)
        fast = False
    else:
        if input.device.type == "cuda":
            _deferred.poll()  # errors of earlier calls whose counts have reached the host
        fast = hook is not None and fast_path_enabled()
        if fast and jit_tracing:
            _warn_tracing()
            fast = False
    if out is None:
        # bool / integer labels go to the kernels (and the reference's ``target.to``) as
        # they are: no converted copy, and at most one pass that checks their values
        out = LossFunction.apply(input, target, weight, bound, reduction, ii,
                                 owner if pending else None, fast, tensors)
    return out.squeeze(0) if unbatched and reduction == "none" else out
