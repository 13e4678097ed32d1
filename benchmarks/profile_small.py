"""Where the microseconds of one small focal-loss call go on the CPU, and what would save them.

This profiles the general path (``LossFunction`` and the hooks), which serves the calls
the small-call lane (``focalkit.torch._small``, switched off here) does not take: with
weights, ``pos_weight``, label smoothing, ... The lane itself is timed by
``bench_small.py`` (docs/performance.md, per-call overhead).

Binary n = 256 (float 0/1 targets, gamma = 2, alpha = 0.25, ``mean``) and softmax 256 x 10
(int64 labels, gamma = 2, ``mean``), forward + backward, fp32, 2 threads. Nothing in
``src/`` is changed: every measurement below is made from outside.

1. **Components** (``components``): one real call runs with recording wrappers on each
   layer (parameter binding, data checks, settings, the hook, the dispatch layers, the
   CPU wrapper, the numba kernels, the helpers inside the wrapper); each layer is then
   timed alone on the arguments it received (tight loop, minimum of repeats). Nested
   layers give inclusive times; the table also shows what a layer costs beyond the
   layers it calls. The autograd machinery is measured with do-nothing
   ``autograd.Function`` s taking the same arguments as focalkit's ``LossFunction``.
2. **Prototypes** (``prototypes``): stripped or changed variants installed by
   monkeypatching (a check answered from a cache keyed by tensor metadata, the numba
   overload resolved once, constant arrays cached, fewer layers, fewer
   ``autograd.Function`` arguments, a fused small-size forward that keeps the gradient),
   each timed in one interleaved run against the unchanged call and native torch
   (median of rounds). Every prototype keeps the user-protecting checks (target values,
   shapes) and is checked to give the same loss and gradient as the unchanged call.

Usage::

    python benchmarks/profile_small.py [--rounds 7] [--only components|prototypes]
        [--out bench-out/profile_small.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import bench_small as bs  # noqa: E402

import focalkit.torch as ft  # noqa: E402
from focalkit.torch import (  # noqa: E402
    _checks,
    _data,
    _dispatch,
    _function,
    _generate,
    _small,
    kernels,
)
from focalkit.torch.kernels import _cpu, _cpu_numba  # noqa: E402

GAMMA, ALPHA = bs.GAMMA, bs.ALPHA
N_BIN = 256
ROWS, C = 256, 10
#: "wall" or "cpu" (the process's CPU time: leaves out waits for a core on a loaded machine)
CLOCK = "wall"
_small.ENABLED = False  # the general path (module docstring)


# --------------------------------------------------------------------------- inputs
def binary_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = (torch.randn(N_BIN, generator=g) * 3).requires_grad_()
    y = (torch.rand(N_BIN, generator=g) < 0.1).float()
    return x, y


def softmax_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = (torch.randn(ROWS, C, generator=g) * 3).requires_grad_()
    t = torch.randint(0, C, (ROWS,), generator=g)
    return x, t


def fwd_bwd(loss: Callable[[], torch.Tensor], x: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        loss().backward()
        x.grad = None

    return run


# --------------------------------------------------------------------------- timing
def per_call_us(fn: Callable[[], Any], repeat: int = 5, target_s: float = 0.01) -> float:
    """Minimum over ``repeat`` loops of the time per call (us); loops last ~``target_s``."""
    t = timeit.Timer(fn, timer=time.process_time if CLOCK == "cpu" else time.perf_counter)
    n, elapsed = 1, 0.0
    while elapsed < target_s / 4 and n < 1 << 20:
        n *= 4
        elapsed = t.timeit(n)
    n = max(1, round(n * target_s / max(elapsed, 1e-9)))
    return min(t.repeat(repeat, n)) / n * 1e6


@contextmanager
def patched(*changes: tuple[Any, str, Any]) -> Iterator[None]:
    """Set ``owner.name = value`` for each change; restore (or delete) afterwards."""
    saved = []
    for owner, name, value in changes:
        had = name in getattr(owner, "__dict__", {})
        saved.append((owner, name, had, getattr(owner, name) if had else None))
        setattr(owner, name, value)
    try:
        yield
    finally:
        for owner, name, had, old in reversed(saved):
            if had:
                setattr(owner, name, old)
            else:
                delattr(owner, name)


class Recorder:
    """Wraps callables so that one real call records the arguments of each layer."""

    def __init__(self) -> None:
        self.calls: dict[str, list[tuple[Callable, tuple, dict]]] = {}
        self.changes: list[tuple[Any, str, Any]] = []
        self.active = True  # off after the recorded call (closures may keep a wrapper)

    def wrap(self, owner: Any, name: str, label: str) -> None:
        orig = getattr(owner, name)

        def wrapper(*a: Any, **k: Any) -> Any:
            if self.active:
                self.calls.setdefault(label, []).append((orig, a, k))
            return orig(*a, **k)

        self.changes.append((owner, name, wrapper))

    def timed(self, label: str, index: int = 0) -> float:
        orig, a, k = self.calls[label][index]
        return per_call_us(lambda: orig(*a, **k))


# --------------------------------------------------------------------------- autograd baselines
class NullFunction(torch.autograd.Function):
    """A do-nothing autograd.Function: a fresh scalar forward, a fresh gradient backward."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, *rest: Any) -> torch.Tensor:  # type: ignore[override]
        ctx.n = len(rest)
        ctx.save_for_backward(x)
        return x.new_empty(())

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return (torch.empty_like(x), *(None,) * ctx.n)


class NullLike(torch.autograd.Function):
    """Does nothing, but with LossFunction's ctx work: needs_input_grad, 3 saved, 5 attrs."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, y: torch.Tensor, *rest: Any) -> torch.Tensor:  # type: ignore[override]
        ctx.n_args = 2 + len(rest)
        need = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.mode, ctx.state, ctx.bound, ctx.reduction = 1, need, rest[1], rest[2]
        ctx.ignore_index, ctx.n_tensors = rest[3], 0
        ctx.save_for_backward(x, y, rest[0])
        return x.new_empty(()).to(x.dtype)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        x, y, w, *rest = ctx.saved_tensors
        return (torch.empty_like(x), *(None,) * (ctx.n_args - 1))


def function_args(x: torch.Tensor, y: torch.Tensor) -> tuple[Any, ...]:
    """The arguments focalkit passes to LossFunction.apply for the binary call."""
    rec = Recorder()
    rec.wrap(_function.LossFunction, "apply", "apply")
    with patched(*rec.changes):
        ft.binary_focal_loss_with_logits(x, y, alpha=ALPHA, gamma=GAMMA).backward()
    x.grad = None
    return rec.calls["apply"][0][1]


# --------------------------------------------------------------------------- components
BINARY_LAYERS = [
    # (owner, attribute, label); nested layers are listed outside-in
    (_generate, "run", "run (checks + autograd forward)"),
    (_data, "check_sigmoid", "check_sigmoid (shapes, dtypes)"),
    (_checks, "compiling", "torch.compiler.is_compiling"),
    (_function, "fast_path_enabled", "fast_path_enabled"),
    (_dispatch, "binary_forward", "_dispatch.binary_forward"),
    (_dispatch, "binary_backward", "_dispatch.binary_backward"),
    (kernels, "binary_forward", "kernels.binary_forward"),
    (kernels, "binary_backward", "kernels.binary_backward"),
    (_cpu, "binary", "_cpu.binary"),
    (_cpu_numba, "binary_hard_blocks", "numba binary_hard_blocks"),
    (_cpu, "_target_array", "_cpu._target_array"),
    (_cpu, "_operand", "_cpu._operand"),
    (_cpu, "_block_for", "_cpu._block_for"),
    (_cpu, "_np", "_cpu._np (detach().numpy())"),
    (_cpu, "_empty", "_cpu._empty (gradient)"),
    (_cpu, "_parallel", "_cpu._parallel (incl. kernel)"),
]
SOFTMAX_LAYERS = [
    (_generate, "run", "run (checks + autograd forward)"),
    (_data, "check_softmax", "check_softmax (shapes, dtypes)"),
    (_checks, "compiling", "torch.compiler.is_compiling"),
    (_function, "fast_path_enabled", "fast_path_enabled"),
    (_dispatch, "softmax_forward", "_dispatch.softmax_forward"),
    (_dispatch, "softmax_backward", "_dispatch.softmax_backward"),
    (kernels, "softmax_forward", "kernels.softmax_forward"),
    (kernels, "softmax_backward", "kernels.softmax_backward"),
    (_cpu, "softmax", "_cpu.softmax"),
    (_cpu, "_softmax_hard", "_cpu._softmax_hard"),
    (_cpu_numba, "softmax_hard_rows", "numba softmax_hard_rows"),
    (_cpu, "_np", "_cpu._np (detach().numpy())"),
    (_cpu, "_empty", "_cpu._empty (gradient)"),
    (_cpu, "_softmax_grad_output", "_cpu._softmax_grad_output"),
    (_cpu, "_parallel", "_cpu._parallel (incl. kernel)"),
]


def _hook_of(fn: Callable) -> Any:
    return fn.__globals__["_binder"].hook


def record(kind: str) -> Recorder:
    """One real fwd+bwd call with every layer of ``kind`` recorded."""
    rec = Recorder()
    if kind == "binary":
        x, y = binary_inputs()
        fn = ft.binary_focal_loss_with_logits
        layers = BINARY_LAYERS

        def call() -> torch.Tensor:
            return fn(x, y, alpha=ALPHA, gamma=GAMMA)
    else:
        x, y = softmax_inputs()
        fn = ft.focal_loss
        layers = SOFTMAX_LAYERS

        def call() -> torch.Tensor:
            return fn(x, y, gamma=GAMMA)

    binder = fn.__globals__["_binder"]
    rec.wrap(binder, "bind_call", "Binder.bind_call (cached)")
    hook = _hook_of(fn)
    rec.wrap(hook, "forward", "hook.forward")
    rec.wrap(hook, "backward", "hook.backward")
    for owner, name, label in layers:
        rec.wrap(owner, name, label)
    call().backward()  # warm (compiles nothing new: the kernels are cached on disk)
    x.grad = None
    with patched(*rec.changes):
        call().backward()
    rec.active = False
    x.grad = None
    rec.x, rec.y, rec.call = x, y, call  # type: ignore[attr-defined]
    return rec


def numba_dispatch_cost(rec: Recorder, label: str) -> dict[str, float]:
    """A kernel call through numba's dispatcher against its resolved overload's entry point.

    ``entry_point`` skips the dispatcher's type matching (the argument types of a call
    select the overload; here they are those recorded), not the unboxing of arguments.
    """
    disp, a, k = rec.calls[label][0]
    entry = None
    types = tuple(disp.typeof_pyval(v) for v in a)
    for s, cres in disp.overloads.items():
        if tuple(s) == types:
            entry = cres.entry_point
    out = {"dispatcher": per_call_us(lambda: disp(*a, **k))}
    if entry is not None:
        out["entry_point"] = per_call_us(lambda: entry(*a))
    return out


def components(kind: str) -> dict[str, Any]:
    rec = record(kind)
    res: dict[str, Any] = {"layers": {}}
    for label, calls in rec.calls.items():
        each = [rec.timed(label, i) for i in range(len(calls))]
        res["layers"][label] = {"calls": len(calls), "each": each, "total": sum(each)}
    kern = "numba binary_hard_blocks" if kind == "binary" else "numba softmax_hard_rows"
    res["numba_dispatch"] = numba_dispatch_cost(rec, kern)
    x, y = rec.x, rec.y  # type: ignore[attr-defined]
    whole: dict[str, Callable[[], None]] = {}
    if kind == "binary":
        mod = ft.BinaryFocalLossWithLogits(alpha=ALPHA, gamma=GAMMA)
        whole["fk-fn"] = fwd_bwd(rec.call, x)  # type: ignore[attr-defined]
        whole["fk-mod"] = fwd_bwd(lambda: mod(x, y), x)
        whole["native"] = fwd_bwd(lambda: F.binary_cross_entropy_with_logits(x, y), x)
        args = function_args(x, y)
    else:
        mod = ft.FocalLoss(gamma=GAMMA)
        whole["fk-fn"] = fwd_bwd(rec.call, x)  # type: ignore[attr-defined]
        whole["fk-mod"] = fwd_bwd(lambda: mod(x, y), x)
        whole["native"] = fwd_bwd(lambda: F.cross_entropy(x, y), x)
        args = (x, y, None, None, "mean", -100, None, True)
    whole["null Function (1 arg)"] = fwd_bwd(lambda: NullFunction.apply(x), x)
    whole["null Function (LossFunction's 8 args)"] = fwd_bwd(lambda: NullFunction.apply(*args), x)
    whole["null Function (8 args, LossFunction's ctx work)"] = fwd_bwd(
        lambda: NullLike.apply(*args), x)
    # forward only (the graph is built, then dropped): fwd+bwd minus this is the backward
    whole["fk-fn forward only"] = rec.call  # type: ignore[attr-defined]
    whole["fk-mod forward only"] = lambda: mod(x, y)
    whole["null Function (8 args, ctx work) forward only"] = lambda: NullLike.apply(*args)
    with torch.no_grad():
        xd = x.detach()
        whole["x.new_empty(()) + empty_like(x) (no autograd)"] = lambda: (
            xd.new_empty(()), torch.empty_like(xd))
    res["whole"] = {k: per_call_us(v) for k, v in whole.items()}
    # small helpers inside the CPU wrapper, timed on their own
    one = torch.ones(())
    res["helpers"] = {
        "torch.tensor(float, dtype)": per_call_us(lambda: torch.tensor(0.5, dtype=torch.float32)),
        "torch.scalar_tensor(float, dtype)": per_call_us(
            lambda: torch.scalar_tensor(0.5, dtype=torch.float32)),
        "float(go.reshape(-1)[0])": per_call_us(lambda: float(one.reshape(-1)[0])),
        "go.item()": per_call_us(lambda: one.item()),
        "np.full(8192, 1.0, float32)": per_call_us(lambda: np.full(8192, 1.0, np.float32)),
        "np.full(256, 1.0, float32)": per_call_us(lambda: np.full(256, 1.0, np.float32)),
        "np.zeros(1, int64)": per_call_us(lambda: np.zeros(1, dtype=np.int64)),
        "torch.empty(256)": per_call_us(lambda: torch.empty(256)),
        "out.to(same dtype)": per_call_us(lambda: one.to(torch.float32)),
        "torch.ones(10)": per_call_us(lambda: torch.ones(10)),
        "t.detach().to(int64).contiguous()": per_call_us(
            lambda: y.detach().to(torch.int64).contiguous()),
        "torch.from_numpy(arr)": per_call_us(lambda: torch.from_numpy(np.empty(1))),
        "x.detach().numpy()": per_call_us(lambda: x.detach().numpy()),
        "torch.compiler.is_compiling()": per_call_us(torch.compiler.is_compiling),
        "tuple(x.shape) == tuple(y.shape)": per_call_us(
            lambda: tuple(x.shape) == tuple(y.shape)),
        "meta key (shape, dtype, shape, dtype) lookup": _meta_key_cost(x, y),
        # per-call checks that issue 10 (torch.func / autocast / jit.trace) adds to run()
        "torch._C._are_functorch_transforms_active()": per_call_us(
            torch._C._are_functorch_transforms_active),
        "torch.is_autocast_enabled('cpu')": per_call_us(
            lambda: torch.is_autocast_enabled("cpu")),
        "torch.jit.is_tracing()": per_call_us(torch.jit.is_tracing),
    }
    return res


def _meta_key_cost(x: torch.Tensor, y: torch.Tensor) -> float:
    cache = {(x.shape, x.dtype, y.shape, y.dtype, None): True}
    return per_call_us(lambda: cache.get((x.shape, x.dtype, y.shape, y.dtype, None)))


def print_components(kind: str, res: dict[str, Any]) -> None:
    print(f"\n## {kind}: components, us per call (alone, on the arguments of a real call; "
          "min of 5 loops)")
    for k, v in res["layers"].items():
        each = ", ".join(f"{e:.2f}" for e in v["each"])
        print(f"  {k:<46}{v['total']:>8.2f}  ({v['calls']} calls: {each})")
    print("  -- numba kernel call: " + ", ".join(
        f"{k} {v:.2f}" for k, v in res["numba_dispatch"].items()))
    print("  -- whole calls (fwd+bwd):")
    for k, v in res["whole"].items():
        print(f"     {k:<49}{v:>8.2f}")
    print("  -- helpers:")
    for k, v in res["helpers"].items():
        print(f"     {k:<49}{v:>8.2f}")


# --------------------------------------------------------------------------- prototypes
def cached_check(orig: Callable, softmax: bool) -> Callable:
    """check_sigmoid / check_softmax answered from a cache keyed by the tensors' metadata.

    The shape and dtype checks depend only on (bound, shapes, dtypes, weight's shape,
    ignore_index, tracing): a hit returns the same answer without running them. Calls that
    need the values (softmax probability targets), a target requiring grad, tensor
    parameters or non-tensors always run the full check.
    """
    cache: dict[Any, Any] = {}

    def check(bound: Any, input: Any, target: Any, weight: Any, *rest: Any) -> Any:
        tensors = rest[-3]  # (ignore_index,) tensors, owner, tracing
        if (type(input) is not torch.Tensor or type(target) is not torch.Tensor or tensors
                or target.requires_grad or (softmax and target.is_floating_point())):
            return orig(bound, input, target, weight, *rest)
        key = (id(bound), input.shape, input.dtype, target.shape, target.dtype,
               None if weight is None else (weight.shape, weight.dtype), *rest[:-3],
               rest[-1])
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = orig(bound, input, target, weight, *rest)
        return hit

    return check


class Resolved:
    """A numba kernel called through the entry point of its overload, found once per key.

    ``key(args)`` must name every argument type that can vary between calls (the CPU
    wrapper makes all the others itself, with fixed types and layouts).
    """

    def __init__(self, disp: Any, key: Callable[[tuple], Any]) -> None:
        self.disp, self.key, self.entries = disp, key, {}

    def __call__(self, *a: Any) -> Any:
        k = self.key(a)
        entry = self.entries.get(k)
        if entry is not None:
            return entry(*a)
        out = self.disp(*a)
        types = tuple(self.disp.typeof_pyval(v) for v in a)
        for sig, cres in self.disp.overloads.items():
            if tuple(sig) == types:
                self.entries[k] = cres.entry_point
        return out


def binary_kernel_key(a: tuple) -> Any:
    return a[0].dtype, a[1].dtype, type(a[10])  # x, y, ig


def softmax_kernel_key(a: tuple) -> Any:
    return a[0].dtype, type(a[7]), a[12].dtype  # x, ig, wrow (the backward passes float64)


def cached_operand(orig: Callable) -> Callable:
    """_cpu._operand with the constant tiles (no tensor / a Python scale) made once."""
    tiles: dict[Any, tuple[np.ndarray, bool]] = {}

    def operand(t: Any, shape: Any, n: int, block: int, dtype: Any, scale: float) -> Any:
        if t is not None:
            return orig(t, shape, n, block, dtype, scale)
        key = (block, dtype, scale)
        hit = tiles.get(key)
        if hit is None:  # the kernels only read these arrays
            hit = tiles[key] = orig(t, shape, n, block, dtype, scale)
        return hit

    return operand


def small_block(orig: Callable) -> Callable:
    """_cpu._block_for, but never longer than the input (one block of n, not of 8192)."""
    def block_for(periods: list[int], n: int) -> int | None:
        b = orig(periods, n)
        return b if b is None or n >= b else n  # every period divides n

    return block_for


def direct_hook(hook: Any, kind: str) -> tuple[Callable, Callable]:
    """hook.forward / backward calling the CPU wrapper directly (no dispatch layers).

    Stands for: the backend resolved once per device type, gamma / alpha / pos_weight
    resolved once per Bound (they are validated there), no per-call ``_as_tensor``,
    ``_dispatch._scalar`` (is_compiling) and ``kernels._scalar_ok`` / ``_backend`` (an
    import statement).
    """
    fwd0, bwd0 = hook.forward, hook.backward
    if kind == "binary":
        def fwd(input: Any, target: Any, weight: Any, values: Any, reduction: str,
                ignore_index: int, pending: Any, state: dict) -> Any:
            g, a = values["gamma"], values["alpha"]
            if (input.device.type != "cpu" or values.get("pos_weight") is not None
                    or type(g) is not float):
                return fwd0(input, target, weight, values, reduction, ignore_index, pending,
                            state)
            return _cpu.binary(input, target, weight, None, gamma=g, alpha=a,
                               reduction=reduction)

        def bwd(grad_output: Any, input: Any, target: Any, weight: Any, values: Any,
                reduction: str, ignore_index: int, state: Any) -> Any:
            g, a = values["gamma"], values["alpha"]
            if (input.device.type != "cpu" or values.get("pos_weight") is not None
                    or type(g) is not float):
                return bwd0(grad_output, input, target, weight, values, reduction,
                            ignore_index, state)
            return _cpu.binary(input, target, weight, None, gamma=g, alpha=a,
                               reduction=reduction, grad_output=grad_output)
    else:
        def fwd(input: Any, target: Any, weight: Any, values: Any, reduction: str,
                ignore_index: int, pending: Any, state: dict) -> Any:
            g = values["gamma"]
            if input.device.type != "cpu" or type(g) is not float:
                return fwd0(input, target, weight, values, reduction, ignore_index, pending,
                            state)
            return _cpu.softmax(input, target, weight, gamma=g, ignore_index=ignore_index,
                                label_smoothing=float(values.get("label_smoothing", 0.0)),
                                reduction=reduction, state=state)

        def bwd(grad_output: Any, input: Any, target: Any, weight: Any, values: Any,
                reduction: str, ignore_index: int, state: Any) -> Any:
            g = values["gamma"]
            if input.device.type != "cpu" or type(g) is not float:
                return bwd0(grad_output, input, target, weight, values, reduction,
                            ignore_index, state)
            return _cpu.softmax(input, target, weight, gamma=g, ignore_index=ignore_index,
                                label_smoothing=float(values.get("label_smoothing", 0.0)),
                                reduction=reduction, grad_output=grad_output, state=state)
    return fwd, bwd


class _Packed:
    """The non-tensor arguments of LossFunction in one pytree leaf."""

    __slots__ = ("bound", "fast", "ignore_index", "pending", "reduction")

    def __init__(self, bound: Any, reduction: str, ignore_index: int, pending: Any,
                 fast: bool) -> None:
        self.bound, self.reduction, self.ignore_index = bound, reduction, ignore_index
        self.pending, self.fast = pending, fast


class PackedFunction(torch.autograd.Function):
    """LossFunction with its five non-tensor arguments packed into one object.

    ``Function.apply`` maps ``unwrap_dead_wrappers`` over its arguments (a pytree pass)
    and the C++ side wraps each of them; fewer arguments cost less.
    """

    @staticmethod
    def forward(ctx: Any, input: torch.Tensor, target: torch.Tensor, weight: Any,  # type: ignore[override]
                packed: _Packed, *tensors: Any) -> torch.Tensor:
        return _function.LossFunction.forward(ctx, input, target, weight, packed.bound,
                                              packed.reduction, packed.ignore_index,
                                              packed.pending, packed.fast, *tensors)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        res = _function.LossFunction.backward(ctx, grad_output)
        return res[:4 + ctx.n_tensors]


def packed_run(bound: Any, input: Any, target: Any, weight: Any, reduction: str,
               ignore_index: int, tensors: tuple, owner: str) -> torch.Tensor:
    """_function.run (CPU, eager) applying PackedFunction: the same checks, in the same order."""
    tracing = _checks.compiling()
    if tracing or not isinstance(input, torch.Tensor):
        return _function.run(bound, input, target, weight, reduction, ignore_index, tensors,
                             owner)
    if bound.kind == "sigmoid":
        pending = _data.check_sigmoid(bound, input, target, weight, tensors, owner, tracing)
        unbatched = False
    else:
        unbatched = input.ndim == 1
        if unbatched:
            input = input.unsqueeze(0)
            target = target.unsqueeze(0) if isinstance(target, torch.Tensor) else target
        pending = _data.check_softmax(bound, input, target, weight, ignore_index, tensors,
                                      owner, tracing)
    if input.device.type == "cuda":
        return _function.run(bound, input, target, weight, reduction, ignore_index, tensors,
                             owner)
    fast = bound.hook is not None and _function.fast_path_enabled()
    out = PackedFunction.apply(input, target, weight,
                               _Packed(bound, reduction, ignore_index,
                                       owner if pending else None, fast), *tensors)
    return out.squeeze(0) if unbatched and reduction == "none" else out


# the small-size path: one fused pass in the forward computes the loss and the gradient
_FUSED: Any = None


def fused_kernel() -> Any:
    """A prototype kernel: loss sum and gradient of hard targets in one pass (one call)."""
    global _FUSED
    if _FUSED is None:
        from numba import njit

        hard_elem = _cpu_numba._hard_elem

        @njit(nogil=True, cache=False, fastmath=False, error_model="numpy")
        def fused_hard(x, y, a1, a0, g, ig, scale, grad, status):  # type: ignore[no-untyped-def]
            one = x.dtype.type(1.0)
            zero = x.dtype.type(0.0)
            acc = 0.0
            for k in range(x.size):
                v = y[k]
                if not ((v == 0) | (v == 1)):  # soft or bad: the general path decides
                    status[0] = 1
                    return 0.0
                yk = one if v != 0 else zero
                acc += hard_elem(x[k], yk, a1, a0, g, ig, False)
                grad[k] = hard_elem(x[k], yk, a1, a0, g, ig, True) * scale
            return acc

        _FUSED = fused_hard
    return _FUSED


class FusedSmall(torch.autograd.Function):
    """Binary focal on the CPU at small n: the forward keeps the gradient, the backward scales it.

    One kernel call per step instead of two, and the backward is one torch multiply. Only
    the prototype's case: float gamma, no weight / pos_weight, hard targets (float or
    uint8) that the kernel checks (status: anything else falls back).
    """

    @staticmethod
    def forward(ctx: Any, input: torch.Tensor, target: torch.Tensor, a1: float, a0: float,  # type: ignore[override]
                gamma: float, reduction: str) -> torch.Tensor:
        n = input.numel()
        grad = torch.empty_like(input)
        status = np.zeros(1, dtype=np.int64)
        g, ig = _cpu._gamma_args(gamma, np.float32)
        total = fused_kernel()(input.detach().numpy().reshape(-1),
                               target.detach().numpy().reshape(-1), np.float32(a1),
                               np.float32(a0), g, ig, np.float32(1.0 / n if reduction == "mean"
                                                                 else 1.0),
                               grad.numpy().reshape(-1), status)
        if status[0]:
            raise RuntimeError("prototype: not a hard-target case")
        ctx.save_for_backward(grad)
        return torch.scalar_tensor(total / n if reduction == "mean" else total,
                                   dtype=input.dtype)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        (grad,) = ctx.saved_tensors
        return grad * grad_output, None, None, None, None, None


def fused_run(orig_run: Callable, max_numel: int) -> Callable:
    """run() taking FusedSmall for float32 CPU binary calls of at most ``max_numel``."""
    def run(bound: Any, input: Any, target: Any, weight: Any, reduction: str,
            ignore_index: int, tensors: tuple, owner: str) -> torch.Tensor:
        v = bound.values
        if (bound.kind != "sigmoid" or tensors or weight is not None
                or type(input) is not torch.Tensor or input.dtype != torch.float32
                or input.device.type != "cpu" or input.numel() > max_numel
                or reduction == "none" or type(v.get("gamma")) is not float
                or v.get("pos_weight") is not None or _checks.compiling()
                or not _function.fast_path_enabled()):
            return orig_run(bound, input, target, weight, reduction, ignore_index, tensors,
                            owner)
        # the same shape/dtype checks as the general path (cached when prototyped so)
        _data.check_sigmoid(bound, input, target, weight, tensors, owner, False)
        if target.dtype not in (torch.float32, torch.uint8):
            return orig_run(bound, input, target, weight, reduction, ignore_index, tensors,
                            owner)
        a = v.get("alpha")
        return FusedSmall.apply(input, target, 1.0 if a is None else a,
                                1.0 if a is None else 1.0 - a, v["gamma"], reduction)

    return run


_ONE = torch.ones(())


class FusedSoftmaxSmall(torch.autograd.Function):
    """Softmax focal on the CPU at small sizes: the forward keeps the gradient too.

    Prototype without a new kernel: the forward runs the existing row kernel twice (the
    loss, then the gradient for grad_output = 1 from the kept row statistics), so it
    measures what leaving out the backward's layers saves, not a fused row pass (which
    would save the second kernel call too).
    """

    @staticmethod
    def forward(ctx: Any, input: torch.Tensor, target: torch.Tensor, gamma: float,  # type: ignore[override]
                ignore_index: int, reduction: str) -> torch.Tensor:
        state: dict = {}
        kw = {"gamma": gamma, "ignore_index": ignore_index, "label_smoothing": 0.0,
              "reduction": reduction, "state": state}
        out = _cpu.softmax(input, target, None, **kw)
        if out is None:
            raise RuntimeError("prototype: no kernel for this call")
        grad = _cpu.softmax(input, target, None, grad_output=_ONE, **kw)
        ctx.save_for_backward(grad)
        return out

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        (grad,) = ctx.saved_tensors
        return grad * grad_output, None, None, None, None


def fused_softmax_run(orig_run: Callable, max_numel: int) -> Callable:
    """run() taking FusedSoftmaxSmall for float32 (N, C) CPU calls with labels, mean/sum."""
    def run(bound: Any, input: Any, target: Any, weight: Any, reduction: str,
            ignore_index: int, tensors: tuple, owner: str) -> torch.Tensor:
        v = bound.values
        if (bound.kind != "softmax" or tensors or weight is not None
                or type(input) is not torch.Tensor or input.ndim != 2
                or input.dtype != torch.float32 or input.device.type != "cpu"
                or input.numel() > max_numel or reduction == "none"
                or type(v.get("gamma")) is not float or v.get("label_smoothing", 0.0)
                or _checks.compiling() or not _function.fast_path_enabled()):
            return orig_run(bound, input, target, weight, reduction, ignore_index, tensors,
                            owner)
        # the same shape/dtype checks; the kernel checks the label values
        _data.check_softmax(bound, input, target, weight, ignore_index, tensors, owner, False)
        return FusedSoftmaxSmall.apply(input, target, v["gamma"], ignore_index, reduction)

    return run


def prototype_changes(kind: str, fn: Callable) -> dict[str, list[tuple[Any, str, Any]]]:
    """The monkeypatches of each prototype, by name (applied around each timed sample)."""
    hook = _hook_of(fn)
    if kind == "binary":
        checks = [(_data, "check_sigmoid", cached_check(_data.check_sigmoid, False))]
        numba_ = [(_cpu_numba, "binary_hard_blocks",
                   Resolved(_cpu_numba.binary_hard_blocks, binary_kernel_key))]
        tiles = [(_cpu, "_operand", cached_operand(_cpu._operand)),
                 (_cpu, "_block_for", small_block(_cpu._block_for))]
    else:
        checks = [(_data, "check_softmax", cached_check(_data.check_softmax, True))]
        numba_ = [(_cpu_numba, "softmax_hard_rows",
                   Resolved(_cpu_numba.softmax_hard_rows, softmax_kernel_key))]
        tiles = []
    fwd, bwd = direct_hook(hook, kind)
    layers = [(hook, "forward", fwd), (hook, "backward", bwd)]
    packed = [(_generate, "run", packed_run)]
    out = {"checks cached by metadata": checks, "numba overload resolved once": numba_}
    if tiles:
        out["constant tiles cached, block <= n"] = tiles
    out["dispatch layers skipped"] = layers
    out["LossFunction args packed"] = packed
    out["all of the above"] = checks + numba_ + tiles + layers + packed
    if kind == "binary":
        out["all + fused small path"] = checks + numba_ + tiles + [
            (_generate, "run", fused_run(packed_run, 1 << 16))]
    else:
        out["all + fused small path"] = checks + numba_ + [
            (_generate, "run", fused_softmax_run(packed_run, 1 << 16))]
    return out


def interleaved_patched(items: dict[str, tuple[Callable[[], Any], list]], rounds: int,
                        sample_s: float) -> dict[str, dict[str, float]]:
    """bench_small.interleaved with each item's monkeypatches applied around its samples."""
    keys = list(items)
    reps = {}
    for k in keys:
        fn, changes = items[k]
        with patched(*changes):
            reps[k] = bs.calibrate(fn, sample_s)
    times: dict[str, list[float]] = {k: [] for k in keys}
    for r in range(rounds):
        shift = (r * 3) % len(keys)
        for k in keys[shift:] + keys[:shift]:
            fn, changes = items[k]
            with patched(*changes):
                times[k].append(bs.sample(fn, reps[k])[2 if CLOCK == "cpu" else 1])
    return {k: {"us": float(np.median(v)) * 1e6, "us_min": min(v) * 1e6} for k, v in
            times.items()}


def _loss_and_grad(call: Callable[[], torch.Tensor], x: torch.Tensor) -> tuple:
    loss = call()
    loss.backward()
    g = x.grad.clone()
    x.grad = None
    return loss.detach().clone(), g


def prototypes(kind: str, rounds: int, sample_s: float, shape: tuple[int, ...] | None = None
               ) -> dict[str, Any]:
    """Every prototype against the unchanged call and native torch, one interleaved run."""
    g = torch.Generator().manual_seed(0)
    if kind == "binary":
        n = shape[0] if shape else N_BIN
        x = (torch.randn(n, generator=g) * 3).requires_grad_()
        y = (torch.rand(n, generator=g) < 0.1).float()
        fn = ft.binary_focal_loss_with_logits
        mod = ft.BinaryFocalLossWithLogits(alpha=ALPHA, gamma=GAMMA)

        def call() -> torch.Tensor:
            return fn(x, y, alpha=ALPHA, gamma=GAMMA)

        def native() -> torch.Tensor:
            return F.binary_cross_entropy_with_logits(x, y)
    else:
        rows, c = shape if shape else (ROWS, C)
        x = (torch.randn(rows, c, generator=g) * 3).requires_grad_()
        y = torch.randint(0, c, (rows,), generator=g)
        fn = ft.focal_loss
        mod = ft.FocalLoss(gamma=GAMMA)

        def call() -> torch.Tensor:
            return fn(x, y, gamma=GAMMA)

        def native() -> torch.Tensor:
            return F.cross_entropy(x, y)

    changes = prototype_changes(kind, fn)
    ref_loss, ref_grad = _loss_and_grad(call, x)
    agree: dict[str, float] = {}
    for name, ch in changes.items():
        with patched(*ch):
            for which, c_ in (("fn", call), ("mod", lambda: mod(x, y))):
                loss, grad = _loss_and_grad(c_, x)
                err = max(abs(float(loss - ref_loss)) / max(abs(float(ref_loss)), 1e-30),
                          float((grad - ref_grad).abs().max() / ref_grad.abs().max()))
                agree[f"{name} ({which})"] = err
    items: dict[str, tuple[Callable[[], Any], list]] = {
        "unchanged fk-fn": (fwd_bwd(call, x), []),
        "unchanged fk-mod": (fwd_bwd(lambda: mod(x, y), x), []),
        "native": (fwd_bwd(native, x), []),
    }
    for name, ch in changes.items():
        items[f"{name} (fn)"] = (fwd_bwd(call, x), ch)
        items[f"{name} (mod)"] = (fwd_bwd(lambda: mod(x, y), x), ch)
    res = interleaved_patched(items, rounds, sample_s)
    return {"times": res, "agreement": agree}


def print_prototypes(title: str, res: dict[str, Any]) -> None:
    t = res["times"]
    base_fn, base_mod = t["unchanged fk-fn"]["us"], t["unchanged fk-mod"]["us"]
    nat = t["native"]["us"]
    print(f"\n## {title}: prototypes, forward+backward us per call (median of rounds)")
    print(f"  {'variant':<44}{'us':>8}{'saved':>8}{'x native':>10}{'max rel diff':>14}")
    for k, v in t.items():
        base = base_mod if k.endswith("(mod)") or k == "unchanged fk-mod" else base_fn
        saved = "" if k == "native" else f"{base - v['us']:>8.1f}"
        diff = res["agreement"].get(k)
        d = "" if diff is None else f"{diff:>14.1e}"
        print(f"  {k:<44}{v['us']:>8.1f}{saved:>8}{v['us'] / nat:>10.2f}{d}")


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--sample-ms", type=float, default=20.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    ap.add_argument("--only", choices=["components", "prototypes"], default=None)
    ap.add_argument("--sizes", action="store_true",
                    help="prototypes also at binary 4096 / 65536 and softmax 256x1000 / "
                         "4096x100 (the small-size threshold)")
    ap.add_argument("--out", default="bench-out/profile_small.json")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    global CLOCK
    CLOCK = args.clock
    meta = bs.machine()
    meta["clock"] = CLOCK
    bs.print_machine(meta)
    result: dict[str, Any] = {"meta": meta}
    if args.only in (None, "components"):
        for kind in ("binary", "softmax"):
            res = components(kind)
            print_components(kind, res)
            result[f"components_{kind}"] = res
    if args.only in (None, "prototypes"):
        cases: list[tuple[str, tuple[int, ...]]] = [("binary", (N_BIN,)), ("softmax", (ROWS, C))]
        if args.sizes:
            cases += [("binary", (4096,)), ("binary", (65536,)), ("softmax", (256, 1000)),
                      ("softmax", (4096, 100))]
        for kind, shape in cases:
            res = prototypes(kind, args.rounds, args.sample_ms / 1e3, shape)
            title = bs.case_label(kind, shape)
            print_prototypes(title, res)
            result[f"prototypes {title}"] = res
    meta["loadavg_end"] = os.getloadavg()
    print(f"\n# load average at the end: {meta['loadavg_end']}")
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=1, default=str))
        print(f"# wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
