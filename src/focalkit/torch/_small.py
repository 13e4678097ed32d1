r"""The small-call lane of the focal losses on the CPU: one kernel call per training step.

A training step calls the loss on a batch of a few thousand logits, where the time goes to
the Python around the kernel, not to the kernel (docs/performance.md, per-call overhead).
:func:`run` takes the common calls of that kind, before
:func:`focalkit.torch._function.run` checks anything:

* plain CPU tensors, float32/float64 contiguous logits of ``BINARY_MIN_NUMEL`` (binary) or
  ``SOFTMAX_MIN_NUMEL`` (softmax) to :data:`MAX_NUMEL` elements
  (:data:`MAX_NUMEL_FEW_THREADS` on at most 2 threads) and any size above
  ``_cpu.SMALL_ONE_THREAD_MAX`` (in threads), that need a gradient (grad mode on), in no
  transform, trace or compilation, the fast path on;
* **binary** (the sigmoid focal spec's hook: ``focal``, ``bce``, ...): contiguous targets
  of the logits' shape, bool, uint8 or the logits' dtype, needing no gradient; a scalar
  gamma and alpha, no ``weight``, ``pos_weight`` or ``ignore_index``;
* **softmax** (the softmax focal spec's hook: ``focal``, ``ce``, ...): ``(N, C)`` logits
  and contiguous int64 labels ``(N,)``; a scalar gamma, no ``weight`` (class weight) or
  label smoothing; any ``ignore_index``;
* any reduction.

What the lane requires implies that the data checks of :mod:`._data` pass (plain tensors
of matching shapes, float logits, targets that are not complex and need no gradient,
nothing to broadcast), so they are not run again. One kernel call
(:func:`focalkit.torch.kernels._cpu.binary_small` / ``softmax_small``) checks the target
values (a bad one raises the public loss's error) and writes the loss and the gradient of
the reduced loss; :class:`SmallLossFunction` keeps that gradient, and its first-order
backward returns it (an upstream gradient of 1) or multiplies it once (in place when the
graph is freed). A backward with
``create_graph=True`` recomputes the gradient from the spec's mathematics with
differentiable torch ops, as :class:`~._function.LossFunction` does, so second derivatives
are exact. Every other call takes ``LossFunction``.
"""

from __future__ import annotations

from typing import Any

import torch

from focalkit.torch import _data, _reference
from focalkit.torch._params import Bound
from focalkit.torch._settings import fast_path_enabled
from focalkit.torch.kernels import _cpu

__all__ = ["MAX_NUMEL", "MAX_NUMEL_FEW_THREADS", "SmallLossFunction", "run"]

Tensor = torch.Tensor

#: The lane takes calls up to ``MAX_NUMEL`` logits, up to ``MAX_NUMEL_FEW_THREADS`` on at
#: most 2 threads, and every call above ``_cpu.SMALL_ONE_THREAD_MAX`` (then split into
#: threads). Measured on a 2-vCPU VM (docs/performance.md): the lane's one thread beats
#: the two-pass kernels split over 2 threads up to 2^20 logits (their threads compete with
#: torch's spinning OpenMP workers), and above it the lane's threads take half the time
#: of the two passes (binary). With more threads, calls of 2^16 to 2^20 logits take the
#: threaded two-pass kernels (not measured here).
MAX_NUMEL = 1 << 16
MAX_NUMEL_FEW_THREADS = 1 << 20
#: False: every call takes ``LossFunction`` (for profiling the general path).
ENABLED = True
_FLOATS = (torch.float32, torch.float64)
_BYTE_TARGETS = (torch.bool, torch.uint8)


def _plan(bound: Bound) -> tuple[Any, ...] | None:
    """The hook's scalar arguments of the lane (``small_args``), or None."""
    hook = bound.hook
    if hook is None or bound.tensor_names:
        return None
    small_args = getattr(hook, "small_args", None)
    return None if small_args is None else small_args(bound.values)


def _plain_call(input: Any, target: Any, weight: Any, tensors: tuple[Any, ...]) -> bool:
    """Whether the call is plain: the lane's conditions shared by both kinds.

    Plain CPU tensors, float32/float64 contiguous logits needing a gradient, outside every
    transform and trace, the fast path on (compilation: checked before).
    """
    return (type(input) is Tensor and type(target) is Tensor and weight is None
            and not tensors and input.requires_grad and not target.requires_grad
            and input.dtype in _FLOATS and input.device.type == "cpu"
            and torch.is_grad_enabled() and input.is_contiguous() and target.is_contiguous()
            and fast_path_enabled() and not torch._C._are_functorch_transforms_active()
            and not torch.jit.is_tracing())


def run(bound: Bound, input: Any, target: Any, weight: Tensor | None, reduction: str,
        ignore_index: Any, tensors: tuple[Any, ...], owner: str) -> Tensor | None:
    """The loss through the lane, or None when the call is not one it takes."""
    if (torch.compiler.is_compiling()  # first: what follows is not for Dynamo to trace
            or not ENABLED or bound.lane is False
            or not _plain_call(input, target, weight, tensors)):
        return None
    n = input.numel()
    if (MAX_NUMEL < n <= _cpu.SMALL_ONE_THREAD_MAX and (n > MAX_NUMEL_FEW_THREADS
                                                       or torch.get_num_threads() > 2)):
        return None
    if bound.kind == "sigmoid":
        if (ignore_index is not None or n < _cpu.BINARY_MIN_NUMEL
                or (target.dtype != input.dtype and target.dtype not in _BYTE_TARGETS)
                or target.shape != input.shape):
            return None
        ii = None
    else:
        ii = -100 if ignore_index is None else ignore_index
        if (input.ndim != 2 or target.dtype != torch.int64 or n < _cpu.SOFTMAX_MIN_NUMEL
                or target.shape != input.shape[:1]):
            return None
    plan = bound.lane
    if plan is None:  # not yet known for this bound (False: the lane does not apply)
        plan = bound.lane = _plan(bound) or False
        if plan is False or not _cpu.available():
            bound.lane = False
            return None
    out: Tensor = SmallLossFunction.apply(input, target, (bound, plan, reduction, ii, owner))
    return out


class SmallLossFunction(torch.autograd.Function):
    """The lane's loss, keeping the gradient of the reduced loss (module docstring).

    ``forward(input, target, (bound, plan, reduction, ignore_index, owner))``.
    """

    @staticmethod
    def forward(ctx: Any, input: Tensor, target: Tensor,  # type: ignore[override]
                call: tuple[Bound, tuple[Any, ...], str, Any, str]) -> Tensor:
        bound, plan, reduction, ignore_index, owner = call
        if bound.kind == "sigmoid":
            res = _cpu.binary_small(input, target, plan[0], plan[1], reduction)
            if res is None:  # a target value outside [0, 1] (or NaN): the public error
                _data.check_targets(target, owner)
        else:
            res = _cpu.softmax_small(input, target, plan[0], ignore_index, reduction)
            if res is None:  # a label out of range: the public error
                _data.check_labels(target, input.shape[1], ignore_index, owner)
        if res is None:
            raise AssertionError("the kernel flagged a target that the check passed")
        loss, grad = res
        ctx.bound, ctx.reduction, ctx.ignore_index = bound, reduction, ignore_index
        ctx.save_for_backward(input, target, grad)
        return loss

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        input, target, grad = ctx.saved_tensors
        reduction = ctx.reduction
        softmax = ctx.bound.kind == "softmax"
        if torch.is_grad_enabled():  # create_graph=True: a differentiable gradient
            bound: Bound = ctx.bound
            if softmax:
                _, g_in, den = _reference.softmax(
                    bound, bound.values, input, target, None, ctx.ignore_index, reduction,
                    loss=False, grad_input=True, blocks=False)
            else:
                _, g_in, _, den = _reference.sigmoid(
                    bound, bound.values, input, target, None, reduction, loss=False,
                    grad_input=True, grad_target=False, blocks=False, ignore_index=None)
            return _reference.apply_grad_output(g_in, grad_output, reduction, softmax,
                                                input.dtype, den), None, None
        if reduction != "none":
            if grad_output.item() == 1.0:
                # ``loss.backward()``: the kept gradient itself, no second tensor (autograd
                # takes it over once the graph is freed, and copies it for a retained graph)
                return grad, None, None
        elif softmax:
            grad_output = grad_output.unsqueeze(1)
        if _graph_freed():  # nothing reads the kept gradient again: scaled in place
            return grad.mul_(grad_output), None, None
        return grad * grad_output, None, None


_keep_graph = getattr(torch._C._autograd, "_get_current_graph_task_keep_graph", None)


def _graph_freed() -> bool:
    """Whether the running backward frees the graph (``retain_graph=False``).

    A private torch function (present in torch 2.13); where it is missing, the graph is
    taken to be kept (the gradient is then scaled into a new tensor).
    """
    return _keep_graph is not None and not _keep_graph()
