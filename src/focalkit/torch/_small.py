r"""The small-call lane of the binary focal losses on the CPU: one kernel call per step.

A training step calls the loss on a batch of a few thousand logits, where the time goes to
the Python around the kernel, not to the kernel (docs/performance.md, per-call overhead).
:func:`run` takes the common call of that kind, after :func:`focalkit.torch._function.run`
has checked its shapes and dtypes:

* CPU float32/float64 contiguous logits of ``BINARY_MIN_NUMEL`` to :data:`MAX_NUMEL`
  elements (:data:`MAX_NUMEL_FEW_THREADS` on at most 2 threads) that need a gradient
  (grad mode on), in no transform, trace or compilation;
* contiguous targets of the same shape: bool, uint8 or the logits' dtype, needing no
  gradient;
* a binary focal spec (``bce`` and the other specs of its hook) at a scalar gamma and alpha,
  with no ``weight``, ``pos_weight`` or ``ignore_index``; any reduction.

One kernel pass (:func:`focalkit.torch.kernels._cpu.binary_small`) checks the target
values, writes the loss and the gradient of the reduced loss; :class:`SmallBinaryFunction`
keeps that gradient, and its first-order backward is one multiplication by the upstream
gradient. A backward with ``create_graph=True`` recomputes the gradient from the spec's
mathematics with differentiable torch ops, as :class:`~._function.LossFunction` does, so
second derivatives are exact. Every other call takes ``LossFunction``.
"""

from __future__ import annotations

from typing import Any

import torch

from focalkit.torch import _data, _reference
from focalkit.torch._params import Bound
from focalkit.torch._settings import fast_path_enabled
from focalkit.torch.kernels import _cpu

__all__ = ["SmallBinaryFunction", "run"]

Tensor = torch.Tensor

#: Largest call the lane takes; on at most 2 threads, ``MAX_NUMEL_FEW_THREADS``. Measured
#: on a 2-vCPU VM (docs/performance.md): the lane's one thread beats the two-pass kernels
#: split over 2 threads up to 2^20 logits and beyond (their threads compete with torch's
#: spinning OpenMP workers), and torch's own BCE is within 1.3x of it. With more threads
#: the threaded kernels take calls above 2^16 (not measured here).
MAX_NUMEL = 1 << 16
MAX_NUMEL_FEW_THREADS = 1 << 20
_FLOATS = (torch.float32, torch.float64)
_BYTE_TARGETS = (torch.bool, torch.uint8)


def _plan(bound: Bound) -> tuple[float, float | None] | None:
    """(gamma, alpha) when ``bound`` is a binary focal spec at scalar values, else None."""
    hook = bound.hook
    if hook is None or bound.kind != "sigmoid" or bound.tensor_names:
        return None
    small_args = getattr(hook, "small_args", None)
    return None if small_args is None else small_args(bound.values)


def run(bound: Bound, input: Any, target: Any, weight: Tensor | None, reduction: str,
        ignore_index: Any, tensors: tuple[Any, ...], owner: str) -> Tensor | None:
    """The loss through the lane, or None when the call is not one it takes.

    Tried first by :func:`focalkit.torch._function.run`. What the lane requires implies
    that the data checks of :func:`focalkit.torch._data.check_sigmoid` pass (plain
    tensors of one shape, float logits, targets that are not complex and need no
    gradient, nothing to broadcast), so they are not run again; a bad target value raises
    the public loss's error in the kernel's pass.
    """
    if (type(input) is not Tensor or type(target) is not Tensor or weight is not None
            or tensors or ignore_index is not None or not input.requires_grad
            or target.requires_grad or not torch.is_grad_enabled()
            or input.device.type != "cpu"):
        return None
    dt = input.dtype
    if dt not in _FLOATS or (target.dtype != dt and target.dtype not in _BYTE_TARGETS):
        return None
    n = input.numel()
    if n > MAX_NUMEL and (n > MAX_NUMEL_FEW_THREADS or torch.get_num_threads() > 2):
        return None
    if (n < _cpu.BINARY_MIN_NUMEL or target.shape != input.shape or not input.is_contiguous()
            or not target.is_contiguous() or not fast_path_enabled()
            or torch.compiler.is_compiling() or torch._C._are_functorch_transforms_active()
            or torch.jit.is_tracing() or not _cpu.available()):
        return None
    plan = bound.lane
    if plan is None:  # not yet known for this bound (False: the lane does not apply)
        plan = bound.lane = _plan(bound) or False
    if plan is False:
        return None
    out: Tensor = SmallBinaryFunction.apply(input, target, (bound, plan, reduction, owner))
    return out


class SmallBinaryFunction(torch.autograd.Function):
    """The lane's loss: ``forward(input, target, (bound, (gamma, alpha), reduction, owner))``.

    The forward keeps the gradient of the reduced loss; see the module docstring.
    """

    @staticmethod
    def forward(ctx: Any, input: Tensor, target: Tensor,  # type: ignore[override]
                call: tuple[Bound, tuple[float, float | None], str, str]) -> Tensor:
        bound, (gamma, alpha), reduction, owner = call
        res = _cpu.binary_small(input, target, gamma, alpha, reduction)
        if res is None:  # a target value outside [0, 1] (or NaN): the public error
            _data.check_targets(target, owner)
            raise AssertionError("the kernel flagged a target value that the check passed")
        loss, grad = res
        ctx.bound, ctx.reduction = bound, reduction
        ctx.save_for_backward(input, target, grad)
        return loss

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        input, target, grad = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: a differentiable gradient
            bound: Bound = ctx.bound
            _, g_in, _, den = _reference.sigmoid(
                bound, bound.values, input, target, None, ctx.reduction, loss=False,
                grad_input=True, grad_target=False, blocks=False, ignore_index=None)
            grad = _reference.apply_grad_output(g_in, grad_output, ctx.reduction, False,
                                                input.dtype, den)
            return grad, None, None
        if ctx.reduction != "none" and grad_output.item() == 1.0:
            # ``loss.backward()``: the kept gradient itself, no second tensor (autograd
            # takes it over once the graph is freed, and copies it for a retained graph)
            return grad, None, None
        return grad * grad_output, None, None
