"""CPU fast path: argument preparation and threading around :mod:`._cpu_numba`.

Work per element (:mod:`._cpu_numba`): every block of 8192 targets is first checked for
hardness (all exactly 0 or 1, an in-cache pass); hard blocks compute only the true class's
side (one exp, one log1p, one division), soft blocks both sides sharing them. Integer
gammas are multiplications. bool/uint8 targets are read in place; other integer targets
become one byte each. Large outputs (the gradient, ``reduction="none"``) are allocated on
transparent huge pages (:func:`_empty`): with 4 KiB pages their first-touch faults cost
more than the arithmetic on this kind of VM.

Threads: the work is split into ``torch.get_num_threads()`` contiguous ranges of blocks
(rows for softmax), each run by a numba kernel compiled with ``nogil=True`` on a small
thread pool. Below the measured thresholds (``BINARY_MIN_NUMEL``, ``SOFTMAX_MIN_NUMEL``)
the functions return None and the reference path runs.
"""

from __future__ import annotations

import math
import mmap
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import torch

__all__ = [
    "BINARY_MIN_NUMEL",
    "SOFTMAX_MIN_NUMEL",
    "available",
    "binary",
    "softmax",
]

#: Smallest number of logits for which the fused kernel is used. Measured with
#: ``bench_speed.py --thresholds`` (docs/performance.md): the fast path was faster than the
#: reference at every size tried, 2^6 to 2^16 (1.2x to 4x), so only sizes below those
#: measured go to the reference.
BINARY_MIN_NUMEL = 64
#: Small first-order calls (at most this many logits) compute the gradient in the forward.
KEEP_GRAD_MAX_NUMEL = 1 << 16
SOFTMAX_MIN_NUMEL = 64
#: Elements per block of the binary kernel (one partial sum per block).
_BLOCK = 8192
#: Fewest elements per thread worth a thread hand-off.
_MIN_PER_THREAD = 65536
#: :func:`binary_small` runs on one thread up to this many logits, and splits larger
#: calls into threads of at least as many (measured on a 2-vCPU VM, docs/performance.md:
#: below it a second thread competes with torch's spinning OpenMP workers and loses).
SMALL_ONE_THREAD_MAX = 1 << 20

_FLOATS = (torch.float32, torch.float64)
# half precision: computed in float32 on a float32 copy of the logits (numba has no bf16)
_HALF = (torch.float16, torch.bfloat16)
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_pid = 0  # a forked child must not reuse its parent's (thread-less) pool
_numba: Any = None


def available() -> bool:
    """Whether numba (the ``cpu`` extra) can be imported."""
    global _numba
    if _numba is None:
        try:
            from focalkit.torch.kernels import _cpu_numba

            _numba = _cpu_numba
        except ImportError:
            _numba = False
    return _numba is not False


def _parallel(fn: Any, n_items: int, cost_per_item: int,
              min_per_thread: int = _MIN_PER_THREAD) -> None:
    """Run ``fn(a, b)`` over [0, n_items) split into torch.get_num_threads() ranges."""
    global _pool, _pool_size, _pool_pid
    n_threads = max(1, torch.get_num_threads())
    n_threads = min(n_threads, max(1, (n_items * cost_per_item) // min_per_thread), n_items)
    if n_threads <= 1:
        fn(0, n_items)
        return
    with _lock:
        pid = os.getpid()
        if _pool is None or _pool_size < n_threads or _pool_pid != pid:
            if _pool is not None and _pool_pid == pid:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="focalkit")
            _pool_size, _pool_pid = n_threads, pid
        pool = _pool
    bounds = [n_items * i // n_threads for i in range(n_threads + 1)]
    futures = [pool.submit(fn, bounds[i], bounds[i + 1]) for i in range(1, n_threads)]
    fn(bounds[0], bounds[1])
    for f in futures:
        f.result()


class _Memory:
    """A tensor's memory as NumPy sees it (``__array_interface__``), keeping it alive.

    ``Tensor.numpy()`` would make the tensor's storage unresizable for good (torch cannot
    know when NumPy lets go): the caller's logits and targets, and the gradients made
    here, must stay ordinary tensors.
    """

    __slots__ = ("__array_interface__", "tensor")

    def __init__(self, t: torch.Tensor) -> None:
        self.tensor = t
        self.__array_interface__ = {
            "data": (t.data_ptr(), False), "shape": t.shape,  # a tuple subclass
            "typestr": _TYPESTR[t.dtype], "version": 3,
        }


_TYPESTR = {dt: np.dtype(npdt).str for dt, npdt in (
    (torch.float32, np.float32), (torch.float64, np.float64), (torch.uint8, np.uint8),
    (torch.int64, np.int64))}


def _np(t: torch.Tensor) -> np.ndarray:
    """A NumPy array on a contiguous tensor's memory (no copy; see :class:`_Memory`).

    Every caller passes a contiguous tensor (``.contiguous()`` or a fresh one).
    """
    if t.requires_grad:
        t = t.detach()
    if not t.is_contiguous():  # pragma: no cover - the interface below assumes C order
        t = t.contiguous()
    return np.asarray(_Memory(t))


def _strip(t: torch.Tensor) -> torch.Tensor:
    while t.ndim > 0 and t.shape[0] == 1:
        t = t[0]
    return t


def _period(t: torch.Tensor | None, shape: torch.Size) -> int | None:
    """Period of a broadcast operand along the flat index: 1 scalar, n full, None other."""
    if t is None:
        return 1
    s = _strip(t)
    if s.numel() == 1:
        return 1
    if s.ndim <= len(shape) and tuple(s.shape) == tuple(shape[len(shape) - s.ndim :]):
        return s.numel()
    return None


def _operand(
    t: torch.Tensor | None, shape: torch.Size, n: int, block: int, dtype: torch.dtype, scale: float
) -> tuple[np.ndarray, bool]:
    """(array, full): full arrays are indexed by the flat index, tiles by the block offset."""
    if t is None:
        return _constant_tile(block, _np_dtype(dtype), scale), False
    t = t.detach().to(dtype)
    p = _period(t, shape)
    if p == 1:
        return _constant_tile(block, _np_dtype(dtype), float(t.reshape(-1)[0]) * scale), False
    if p is not None and p != n:
        tile = _strip(t).reshape(-1).repeat(block // p)
        return _np(tile * scale if scale != 1.0 else tile).copy(), False
    full = t.expand(shape).contiguous().reshape(-1)
    if scale != 1.0:
        full = full * scale
    return _np(full), True


_TILES: dict[tuple[int, Any, float], np.ndarray] = {}


def _constant_tile(block: int, npdt: Any, value: float) -> np.ndarray:
    """A block-long constant operand, made once per (length, dtype, value) and kept.

    The kernels only read their operands; at batch sizes making three 8192-long tiles per
    call cost about 15 us of a 110 us call (docs/performance.md, per-call overhead).
    """
    key = (block, npdt, value)
    tile = _TILES.get(key)
    if tile is None:
        if len(_TILES) >= 256:  # a new value per call (a changing grad scale): no growth
            _TILES.clear()
        tile = _TILES[key] = np.full(block, value, dtype=npdt)
    return tile


def _np_dtype(dtype: torch.dtype) -> Any:
    return np.float64 if dtype == torch.float64 else np.float32


def _block_for(periods: list[int], n: int) -> int | None:
    """Block length: a multiple of every per-label period, near ``_BLOCK``."""
    lcm = 1
    for p in periods:
        if 1 < p < n:
            lcm = lcm * p // math.gcd(lcm, p)
    if lcm > 1 << 20:
        return None
    if lcm == 1:  # constant operands only: no longer than the data (the same one block)
        return max(1, min(_BLOCK, n))
    return lcm * max(1, round(_BLOCK / lcm))


#: Outputs of at least this many bytes are allocated on transparent huge pages (Linux).
_HUGE_MIN_BYTES = 4 << 20
_HUGE = sys.platform.startswith("linux") and hasattr(mmap, "MADV_HUGEPAGE")


#: Most huge-page storages kept for reuse once their tensors are freed.
_POOL_MAX = 4
_pool_storages: list[torch.UntypedStorage] = []
_PAGE = 2 << 20


def _use_count(storage: torch.UntypedStorage) -> int:
    """How many tensors and storage objects hold ``storage`` (its StorageImpl)."""
    return int(torch._C._storage_Use_Count(storage._cdata))


def _calibrate() -> int | None:
    """The use count of a pooled storage that no tensor uses, or None (no pooling).

    The pool holds a storage object; every tensor made on it adds one use. That is checked
    here on this torch, so that a storage in use is never mistaken for an idle one
    (pooling is off if the check fails).
    """
    try:
        probe = torch.empty(4096, dtype=torch.uint8).untyped_storage()
        idle = _use_count(probe)
        t = torch.empty(0, dtype=torch.float32).set_(probe, 0, (16,), (1,))
        view = t[1:]
        del t
        used = _use_count(probe)
        del view
        again = _use_count(probe)
    except Exception:  # noqa: BLE001 - any failure: no pooling  # pragma: no cover
        return None
    return idle if used > idle and again == idle else None


_IDLE_USES = _calibrate() if _HUGE else None
_libc: Any = None


def _advise_huge(storage: torch.UntypedStorage) -> None:
    """``madvise(MADV_HUGEPAGE)`` over the whole 2 MiB pages of a fresh allocation.

    Large allocations come untouched from ``mmap``: their first-touch faults are then
    2 MiB at a time. Best effort (nothing happens where libc cannot be loaded).
    """
    global _libc
    if _libc is None:
        try:
            import ctypes

            _libc = ctypes.CDLL(None, use_errno=True)
            _libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        except (OSError, AttributeError):  # pragma: no cover - no libc symbols
            _libc = False
    if _libc is False:  # pragma: no cover
        return
    a = storage.data_ptr()
    lo, hi = -(-a // _PAGE) * _PAGE, (a + storage.nbytes()) // _PAGE * _PAGE
    if hi > lo:
        _libc.madvise(lo, hi - lo, mmap.MADV_HUGEPAGE)


_ITEMSIZE = {torch.float32: 4, torch.float64: 8, torch.float16: 2, torch.bfloat16: 2}


def _empty(shape: torch.Size | tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """An uninitialised output tensor; large ones on reused transparent huge pages.

    The kernels write every output element once into freshly allocated memory; with 4 KiB
    pages the first-touch page faults cost more than the loss itself (measured: a fresh
    64 MiB fill takes 40-60 ms here against 8-12 ms into touched memory). A large
    allocation advised ``MADV_HUGEPAGE`` faults in 2 MiB at a time, and a storage whose
    tensors have all been freed (typically last step's gradient, after ``zero_grad``) is
    reused without any fault: up to ``_POOL_MAX`` storages are kept. The tensor is an
    ordinary torch tensor on a torch-owned storage (resizable, not a view); a storage is
    reused only when no tensor refers to it any more (its use count,
    ``bench_speed.py --pool`` measures what the reuse buys).
    """
    n = 1
    for d in shape:
        n *= d
    itemsize = _ITEMSIZE.get(dtype) or torch.empty((), dtype=dtype).element_size()
    nbytes = n * itemsize
    if not _HUGE or nbytes < _HUGE_MIN_BYTES:
        return torch.empty(shape, dtype=dtype)
    size = -(-nbytes // _PAGE) * _PAGE  # whole huge pages
    storage = None
    with _lock:
        idle = ([i for i, st in enumerate(_pool_storages) if _use_count(st) == _IDLE_USES]
                if _IDLE_USES is not None else [])
        for i in idle:
            if _pool_storages[i].nbytes() == size:
                storage = _pool_storages[i]
                break
        if storage is None:
            storage = torch.empty(size, dtype=torch.uint8).untyped_storage()
            _advise_huge(storage)
            if _IDLE_USES is not None:
                if len(_pool_storages) >= _POOL_MAX and idle:
                    del _pool_storages[idle[0]]
                if len(_pool_storages) < _POOL_MAX:
                    _pool_storages.append(storage)
        strides, step = [], 1
        for d in reversed(tuple(shape)):  # contiguous, made directly: not a view
            strides.append(step)
            step *= d
        return torch.empty(0, dtype=dtype).set_(storage, 0, tuple(shape), strides[::-1])


def release_buffers() -> None:
    """Drop the huge-page storages kept for reuse (the memory of idle ones is returned)."""
    with _lock:
        _pool_storages.clear()


def _as_float(t: torch.Tensor) -> torch.Tensor:
    """float32 copy of a half-precision tensor (on huge pages when large)."""
    out = _empty(t.shape, torch.float32)
    out.copy_(t.detach())
    return out


def _cast_back(res: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    """A float32 gradient in ``dtype`` (on huge pages when large)."""
    if res is None:
        return None
    out = _empty(res.shape, dtype)
    out.copy_(res)
    return out


def _gamma_args(gamma: float, dtype: Any) -> tuple[Any, Any]:
    """(gamma, ig): ig an int for integer gammas below 16, a float otherwise.

    Integer ig: powers by multiplication. The kernels specialise on ig's type, so each
    compiles one branch.
    """
    if float(gamma).is_integer() and gamma < 16:
        return dtype(gamma), int(gamma)
    return dtype(gamma), -1.0


def _target_array(target: torch.Tensor, dtype: torch.dtype,
                  ignore: int | None = None) -> np.ndarray | None:
    """Targets as the kernel reads them: uint8 (hard) or ``dtype`` (soft).

    None for wider integer targets outside {0, 1} (the kernel checks the others); with an
    ``ignore`` value they are read as ``dtype`` (which holds it).
    """
    if target.dtype == torch.bool:
        target = target.view(torch.uint8)
    elif not target.dtype.is_floating_point and ignore is not None:
        if target.dtype != torch.uint8:
            target = target.to(dtype)
    elif not target.dtype.is_floating_point:
        if target.dtype != torch.uint8:
            lo, hi = torch.aminmax(target)
            if not bool((lo >= 0) & (hi <= 1)):
                return None
            target = target.to(torch.uint8)  # 0/1 labels: 1 byte each
    elif target.dtype != dtype:
        target = target.to(dtype)
    return _np(target.contiguous().reshape(-1))


def binary(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    pos_weight: torch.Tensor | None,
    *,
    gamma: float,
    alpha: float | None,
    reduction: str,
    grad_output: torch.Tensor | None = None,
    state: dict | None = None,  # the GPU path's saved state; unused on the CPU
    ignore_index: int | None = None,
) -> torch.Tensor | None:
    """Forward loss (``grad_output`` None) or gradient; None when no fast path applies.

    ``ignore_index``: targets equal to it give loss and gradient 0 and are out of the
    ``"mean"`` denominator (decided in the kernels' target pass).
    """
    if input.dtype in _HALF and input.device.type == "cpu":
        res = binary(_as_float(input), target, weight, pos_weight, gamma=gamma, alpha=alpha,
                     reduction=reduction, grad_output=grad_output, state=state,
                     ignore_index=ignore_index)
        return _cast_back(res, input.dtype) if grad_output is not None else res
    n = input.numel()
    if (
        input.device.type != "cpu"
        or input.dtype not in _FLOATS
        or n < BINARY_MIN_NUMEL
        or target.shape != input.shape
        or not available()
    ):
        return None
    shape = input.shape
    dt = input.dtype
    npdt = _np_dtype(dt)
    y = _target_array(target, dt, ignore_index)
    if y is None:
        return None
    ign = npdt(math.nan if ignore_index is None else ignore_index)
    # the "mean" denominator: the elements that count (a pass over the targets, so only
    # where it is used: "sum" with ignore_index costs what "sum" without it does)
    count = n if ignore_index is None or reduction != "mean" else int(
        np.count_nonzero(y != ign))
    periods = [_period(weight, shape), _period(pos_weight, shape)]
    go_t = None
    scale = 1.0
    if grad_output is not None:
        if reduction == "none" and grad_output.numel() > 1 and any(grad_output.stride()):
            go_t = grad_output.reshape(shape) if grad_output.shape != shape else grad_output
        else:
            scale = float(grad_output.reshape(-1)[0])
            if reduction == "mean":  # nothing counted: a zero gradient
                scale = scale / count if count else 0.0
    periods.append(_period(go_t, shape))
    block = _block_for([p for p in periods if p is not None], n)
    if block is None:
        return None
    x = _np(input.contiguous().reshape(-1))
    a_pos = 1.0 if alpha is None else float(alpha)
    a0 = npdt(1.0 if alpha is None else 1.0 - float(alpha))
    w, w_full = _operand(weight, shape, n, block, dt, 1.0)
    a1, a1_full = _operand(pos_weight, shape, n, block, dt, a_pos)
    go, go_full = _operand(go_t, shape, n, block, dt, scale)
    g, ig = _gamma_args(gamma, npdt)
    # a_t = 0 somewhere (alpha 0 or 1, a zero pos_weight): the kernel guards 0 * inf
    zero_coef = bool(a0 == 0 or (a_pos == 0 if pos_weight is None else not a1.all()))
    n_blocks = -(-n // block)
    # targets outside [0, 1] (or NaN): the forward kernel sets status, the caller checks
    status = np.zeros(1, dtype=np.int64)
    soft_flags = np.empty(n_blocks, dtype=np.uint8)
    # a small first-order call: the forward also writes the gradient, which the backward
    # only scales (no second kernel call and dispatch; docs/performance.md, per-call)
    keep = (grad_output is None and reduction != "none" and n <= KEEP_GRAD_MAX_NUMEL
            and state is not None and bool(state.get("keep_grad")))
    if keep:
        out_t = _empty(shape, dt)
        out = _np(out_t).reshape(-1)
        mode = 3
        partial = np.empty(n_blocks, dtype=np.float64)
    elif grad_output is not None or reduction == "none":
        out_t = _empty(shape, dt)
        out = _np(out_t).reshape(-1)
        mode = 2 if grad_output is not None else 1
        partial = np.empty(1, dtype=np.float64)
    else:
        out_t = None
        out = np.empty(1, dtype=npdt)
        mode = 0
        partial = np.empty(n_blocks, dtype=np.float64)
    args = (x, y, w, w_full, a1, a1_full, a0, go, go_full, g, ig, block)

    def run_hard(b0: int, b1: int) -> None:
        _numba.binary_hard_blocks(*args, b0, b1, out, partial, mode, status, soft_flags,
                                  ign, zero_coef)

    _parallel(run_hard, n_blocks, block)
    if status[0]:
        return None
    if soft_flags.any():  # blocks with soft targets: the soft kernel (compiled on first use)
        modes = (0, 2) if keep else (mode,)  # keep: the loss sums, then the gradient

        def run_soft(b0: int, b1: int) -> None:
            for md in modes:
                _numba.binary_soft_blocks(*args, b0, b1, out, partial, md, soft_flags, ign)

        _parallel(run_soft, n_blocks, block)
    if out_t is not None and not keep:
        return out_t
    total = math.fsum(partial) if n_blocks < 64 else float(partial.sum())
    if reduction == "mean":
        total = _mean(total, count)
    if keep:
        assert state is not None
        state["kept_grad"] = out_t
        state["kept_den"] = (count or None) if reduction == "mean" else None
    return torch.tensor(total, dtype=dt)


#: Empty arrays whose dtypes tell the small-call kernels what their addresses hold.
_WITNESS = {torch.float32: np.empty(0, np.float32), torch.float64: np.empty(0, np.float64),
            torch.uint8: np.empty(0, np.uint8), torch.bool: np.empty(0, np.uint8)}
#: The kernel and constant arguments of :func:`binary_small` per call key.
_SMALL_ARGS: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def _small_args(n: int, dt: torch.dtype, ydt: torch.dtype, reduction: str, gamma: float,
                alpha: float | None) -> tuple[Any, ...]:
    key = (n, dt, ydt, reduction, gamma, alpha)
    args = _SMALL_ARGS.get(key)
    if args is None:
        npdt = np.float64 if dt == torch.float64 else np.float32
        a0 = npdt(1.0 if alpha is None else 1.0 - alpha)
        args = (
            _WITNESS[dt], _WITNESS[ydt], 4 if reduction == "none" else 3,
            npdt(1.0 if alpha is None else alpha), a0,
            npdt(1.0 / n if reduction == "mean" else 1.0), *_gamma_args(gamma, npdt),
            bool(a0 == 0 or alpha == 0),  # a_t = 0: the kernel guards 0 * inf
        )
        if len(_SMALL_ARGS) >= 256:
            _SMALL_ARGS.clear()
        _SMALL_ARGS[key] = args
    return args


def binary_small(input: torch.Tensor, target: torch.Tensor, gamma: float, alpha: float | None,
                 reduction: str) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(loss, gradient) of a first-order call in one kernel pass, or None for a bad target.

    The lane of :mod:`focalkit.torch._small`, which has checked what this relies on: CPU
    float32/float64 contiguous logits of at least ``BINARY_MIN_NUMEL`` elements, targets
    of the same shape and contiguous (bool, uint8 or the input's dtype), no weight,
    ``pos_weight`` or ``ignore_index``. The gradient is that of the reduced loss
    (``"mean"``: divided by n) for an upstream gradient of 1. One thread up to
    ``SMALL_ONE_THREAD_MAX`` logits, threads above (large outputs on huge pages, as
    :func:`binary`). The same kernels and mathematics as :func:`binary`
    (:func:`._cpu_numba.binary_small_kernel`).
    """
    n = input.numel()
    xw, yw, mode, a1, a0, go, g, ig, zero_coef = _small_args(
        n, input.dtype, target.dtype, reduction, gamma, alpha)
    big = n > SMALL_ONE_THREAD_MAX
    grad = _empty(input.shape, input.dtype) if big else torch.empty_like(input)
    loss = None if mode != 4 else (_empty(input.shape, input.dtype) if big
                                   else torch.empty_like(input))
    xp, yp, gp = input.data_ptr(), target.data_ptr(), grad.data_ptr()
    lp = 0 if loss is None else loss.data_ptr()
    n_blocks = -(-n // _BLOCK)
    if not big:
        bad, total = _numba.binary_small_kernel(xp, yp, gp, lp, n, 0, n_blocks, mode, a1, a0,
                                                go, g, ig, zero_coef, xw, yw)
    else:  # thread ranges; their sums added in block order
        parts: dict[int, tuple[int, float]] = {}

        def run(b0: int, b1: int) -> None:
            parts[b0] = _numba.binary_small_kernel(xp, yp, gp, lp, n, b0, b1, mode, a1, a0,
                                                   go, g, ig, zero_coef, xw, yw)

        _parallel(run, n_blocks, _BLOCK, SMALL_ONE_THREAD_MAX)
        bad, total = 0, 0.0
        for b0 in sorted(parts):
            bad |= parts[b0][0]
            total += parts[b0][1]
    if bad:
        return None
    if loss is None:
        loss = torch.scalar_tensor(total / n if reduction == "mean" else total,
                                   dtype=input.dtype)
    return loss, grad


def softmax_small(input: torch.Tensor, target: torch.Tensor, gamma: float, ignore_index: int,
                  reduction: str) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(loss, gradient) of a softmax call in one kernel call, or None for a bad label.

    The lane of :mod:`focalkit.torch._small` (which has checked what this relies on:
    contiguous ``(N, C)`` float32/float64 logits, contiguous int64 labels ``(N,)``, no
    class weight or label smoothing). The gradient is that of the reduced loss for an
    upstream gradient of 1 (``"mean"``: divided by the number of counted labels). One
    thread up to ``SMALL_ONE_THREAD_MAX`` logits, threads of rows above
    (:func:`._cpu_numba.softmax_small_kernel`, on :func:`softmax`'s kernel).
    """
    n, c = input.shape
    dt = input.dtype
    npdt = np.float64 if dt == torch.float64 else np.float32
    g, ig = _gamma_args(gamma, npdt)
    big = n * c > SMALL_ONE_THREAD_MAX
    grad = _empty(input.shape, dt) if big else torch.empty_like(input)
    loss = torch.empty(n, dtype=dt) if reduction == "none" else None
    args = (input.data_ptr(), target.data_ptr(), grad.data_ptr(),
            0 if loss is None else loss.data_ptr(), n, c)
    mode, mean, xw = 4 if loss is not None else 3, reduction == "mean", _WITNESS[dt]
    if not big:
        bad, total, den = _numba.softmax_small_kernel(*args, 0, n, mode, mean, -1,
                                                      ignore_index, g, ig, xw)
    else:  # thread ranges of rows; the denominator counted first, the sums in row order
        den = int((target != ignore_index).sum()) if mean else 0
        parts: dict[int, tuple[int, float, float]] = {}

        def run(r0: int, r1: int) -> None:
            parts[r0] = _numba.softmax_small_kernel(*args, r0, r1, mode, mean, den,
                                                    ignore_index, g, ig, xw)

        _parallel(run, n, c, SMALL_ONE_THREAD_MAX)
        bad, total = 0, 0.0
        for r0 in sorted(parts):
            bad |= parts[r0][0]
            total += parts[r0][1]
    if bad:
        return None
    if loss is None:
        loss = torch.scalar_tensor(_mean(total, den) if reduction == "mean" else total,
                                   dtype=dt)
    return loss, grad


def softmax(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    *,
    gamma: float,
    ignore_index: int,
    label_smoothing: float,
    reduction: str,
    grad_output: torch.Tensor | None = None,
    state: dict | None = None,  # the GPU path's saved state; unused on the CPU
) -> torch.Tensor | None:
    """Softmax focal loss (``grad_output`` None) or its gradient for (N, C) logits."""
    if input.dtype in _HALF and input.device.type == "cpu":
        res = softmax(_as_float(input), target, weight, gamma=gamma,
                      ignore_index=ignore_index, label_smoothing=label_smoothing,
                      reduction=reduction, grad_output=grad_output, state=state)
        return _cast_back(res, input.dtype) if grad_output is not None else res
    if input.ndim > 2:
        return _softmax_planes(input, target, weight, gamma=gamma, ignore_index=ignore_index,
                               label_smoothing=label_smoothing, reduction=reduction,
                               grad_output=grad_output, state=state)
    if (
        input.device.type != "cpu"
        or input.dtype not in _FLOATS
        or input.ndim != 2
        or input.numel() < SOFTMAX_MIN_NUMEL
        or target.ndim != 1
        or target.shape[0] != input.shape[0]
        or target.dtype.is_floating_point
        or target.dtype == torch.bool
        or (weight is not None and weight.numel() != input.shape[1])
        or not available()
    ):
        return None
    n, c = input.shape
    t = target.detach().to(torch.int64).contiguous()
    # out-of-range labels: the kernel sets status and the reference raises the error
    # (the public loss checked them already; this costs nothing inside the row loop)
    status = np.zeros(1, dtype=np.int64)
    dt = input.dtype
    npdt = _np_dtype(dt)
    cw_t = (
        torch.ones(c, dtype=dt) if weight is None else weight.detach().to(dt).reshape(-1)
    ).contiguous()
    x = _np(input.contiguous())
    ta = _np(t)
    cw = _np(cw_t)
    eps = float(label_smoothing)
    g, ig = _gamma_args(gamma, npdt)
    if eps == 0.0:
        return _softmax_hard(x, ta, cw, t, cw_t, ignore_index, reduction, grad_output,
                             state, g, ig, status, dt)
    valid = t != ignore_index
    denom = 1.0
    if reduction == "mean":
        tv = t.clamp(0, c - 1)
        denom = float((cw_t[tv] * valid.to(dt)).sum())
    fe, fy = npdt(eps / c), npdt(1.0 - eps)
    kern = _numba.softmax_rows
    if grad_output is not None:
        go, go_full = _softmax_grad_output(grad_output, reduction, denom, dt, npdt)
        out_t = _empty((n, c), dt)
        out = _np(out_t)
        dummy = np.empty(1, dtype=np.float64)

        def run(r0: int, r1: int) -> None:
            kern(x, ta, cw, fe, fy, eps > 0, ignore_index, go, go_full, g, ig, r0, r1,
                 out, dummy, 2, status)

        _parallel(run, n, c)
        return None if status[0] else out_t
    partial = np.empty(n, dtype=np.float64)
    out = np.empty((1, 1), dtype=npdt)
    one = np.ones(1, dtype=npdt)

    def run_fwd(r0: int, r1: int) -> None:
        kern(x, ta, cw, fe, fy, eps > 0, ignore_index, one, False, g, ig, r0, r1,
             out, partial, 0, status)

    _parallel(run_fwd, n, c)
    if status[0]:
        return None
    return _reduced(partial, reduction, denom, dt)


def _softmax_grad_output(
    grad_output: torch.Tensor, reduction: str, denom: float, dt: torch.dtype, npdt: Any
) -> tuple[np.ndarray, bool]:
    """(go, go_full) of the softmax kernels: per-row values, or one scale (``mean``: / denom)."""
    if reduction == "none" and grad_output.numel() > 1 and any(grad_output.stride()):
        return _np(grad_output.detach().to(dt).contiguous().reshape(-1)), True
    s = float(grad_output.reshape(-1)[0])
    if reduction == "mean":  # nothing counted (every row ignored): a zero gradient
        s = s / denom if denom != 0 else 0.0
    return np.array([s], dtype=npdt), False


def _mean(total: float, denom: float) -> float:
    """``total / denom``; NaN when nothing counts (every row ignored or of weight 0).

    As ``F.cross_entropy``, also with label smoothing (whose other classes may add a
    non-zero sum over a zero denominator).
    """
    return total / denom if denom != 0 else math.nan


def _label_denom(t: torch.Tensor, cw_t: torch.Tensor, ignore_index: int, c: int) -> float:
    """The ``mean`` denominator from the labels: the class weights of the counted rows."""
    valid = t != ignore_index
    return float((cw_t.double()[t.clamp(0, c - 1)] * valid).sum())


def _reduced(partial: np.ndarray, reduction: str, denom: float,
             dt: torch.dtype) -> torch.Tensor:
    """The loss from per-row (per-position) partials: as they are, summed, or the mean."""
    if reduction == "none":
        return torch.from_numpy(partial).to(dt, copy=True)  # not NumPy's memory
    total = float(partial.sum())
    if reduction == "mean":
        total = _mean(total, denom)
    return torch.tensor(total, dtype=dt)


def _softmax_hard(
    x: np.ndarray, ta: np.ndarray, cw: np.ndarray, t: torch.Tensor, cw_t: torch.Tensor,
    ignore_index: int, reduction: str, grad_output: torch.Tensor | None,
    state: dict | None, g: Any, ig: Any, status: np.ndarray, dt: torch.dtype,
) -> torch.Tensor | None:
    """Softmax focal without label smoothing (:func:`._cpu_numba.softmax_hard_rows`).

    The forward leaves the row maxima, row sums and the ``mean`` denominator in ``state``
    (``state["cpu_rows"]``; 2 values per row, 2/C of the logits' size); the backward
    reuses them when given (the results are the same either way).
    """
    n, c = x.shape
    npdt = x.dtype.type
    kern = _numba.softmax_hard_rows
    saved = state.get("cpu_rows") if state is not None else None
    if grad_output is not None:
        if saved is not None and saved[0].shape[0] == n:
            smx, sss, denom = saved
            have = True
        else:
            smx = sss = np.empty(1, dtype=npdt)
            have = False
            denom = _label_denom(t, cw_t, ignore_index, c) if reduction == "mean" else 1.0
        go, go_full = _softmax_grad_output(grad_output, reduction, denom, dt, npdt)
        out_t = _empty((n, c), dt)
        out = _np(out_t)
        dummy = np.empty(1, dtype=np.float64)

        def run(r0: int, r1: int) -> None:
            kern(x, ta, cw, ignore_index, go, go_full, g, ig, r0, r1, out, dummy, dummy,
                 smx, sss, have, 2, status)

        _parallel(run, n, c)
        return None if status[0] else out_t
    partial = np.empty(n, dtype=np.float64)
    wrow = np.empty(n, dtype=npdt)  # the class weights themselves: exact in their dtype
    smx = np.empty(n, dtype=npdt)
    sss = np.empty(n, dtype=npdt)
    one = np.ones(1, dtype=npdt)
    # a small first-order call: the forward also writes the unscaled gradient (mode 3),
    # which the backward only scales (see binary)
    keep = (reduction != "none" and n * c <= KEEP_GRAD_MAX_NUMEL and state is not None
            and bool(state.get("keep_grad")))
    kept_t = _empty((n, c), dt) if keep else None
    out1 = _np(kept_t) if kept_t is not None else np.empty((1, 1), dtype=npdt)
    fwd_mode = 3 if keep else 0

    def run_fwd(r0: int, r1: int) -> None:
        kern(x, ta, cw, ignore_index, one, False, g, ig, r0, r1, out1, partial, wrow,
             smx, sss, False, fwd_mode, status)

    _parallel(run_fwd, n, c)
    if status[0]:
        return None
    denom = float(wrow.sum(dtype=np.float64)) if reduction == "mean" else 1.0
    if state is not None and keep:
        state["kept_grad"] = kept_t
        state["kept_den"] = (denom or None) if reduction == "mean" else None
    elif state is not None:
        state["cpu_rows"] = (smx, sss, denom)
    return _reduced(partial, reduction, denom, dt)


def _softmax_planes(
    input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None, *, gamma: float,
    ignore_index: int, label_smoothing: float, reduction: str,
    grad_output: torch.Tensor | None, state: dict | None,
) -> torch.Tensor | None:
    """Softmax focal of contiguous ``(N, C, d1, ...)`` logits and ``(N, d1, ...)`` labels.

    :func:`._cpu_numba.softmax_hard_planes`; None where it does not apply (label
    smoothing, other layouts: the caller then runs rows of a transposed view).

    ``"none"`` gives the per-position loss ``(N, d1, ...)``; the gradient is ``input``'s
    shape. The forward leaves the per-position maxima and sums in ``state["cpu_planes"]``.
    """
    n, c = input.shape[0], input.shape[1]
    if (
        input.device.type != "cpu"
        or input.dtype not in _FLOATS
        or label_smoothing != 0.0
        or not input.is_contiguous()
        or input.numel() < SOFTMAX_MIN_NUMEL
        or tuple(target.shape) != (n, *input.shape[2:])
        or target.dtype.is_floating_point
        or target.dtype == torch.bool
        or (weight is not None and weight.numel() != c)
        or not available()
    ):
        return None
    s_len = input.numel() // max(n * c, 1)
    dt = input.dtype
    npdt = _np_dtype(dt)
    x = _np(input.detach()).reshape(n, c, s_len)
    t = target.detach().to(torch.int64).contiguous()
    ta = _np(t).reshape(n, s_len)
    cw_t = (torch.ones(c, dtype=dt) if weight is None
            else weight.detach().to(dt).reshape(-1)).contiguous()
    cw = _np(cw_t)
    g, ig = _gamma_args(gamma, npdt)
    status = np.zeros(1, dtype=np.int64)
    kern = _numba.softmax_hard_planes
    units = n * -(-s_len // _numba.SOFTMAX_PLANE_BLOCK)
    per_unit = _numba.SOFTMAX_PLANE_BLOCK * c
    saved = state.get("cpu_planes") if state is not None else None
    if grad_output is not None:
        if saved is not None and saved[0].shape == (n, s_len):
            smx, sss, denom = saved
            have = True
        else:
            smx = sss = np.empty((1, 1), dtype=npdt)
            have = False
            denom = _label_denom(t, cw_t, ignore_index, c) if reduction == "mean" else 1.0
        go, go_full = _softmax_grad_output(grad_output, reduction, denom, dt, npdt)
        go = go.reshape(n, s_len) if go_full else go.reshape(1, 1)
        out_t = _empty(tuple(input.shape), dt)
        out = _np(out_t).reshape(n, c, s_len)

        def run(u0: int, u1: int) -> None:
            kern(x, ta, cw, ignore_index, go, go_full, g, ig, u0, u1, out, partial, wrow,
                 smx, sss, have, 2, status)

        partial = np.empty((1, 1), dtype=np.float64)  # not written in the backward
        wrow = np.empty((1, 1), dtype=npdt)

        _parallel(run, units, per_unit)
        return None if status[0] else out_t
    partial = np.empty((n, s_len), dtype=np.float64)
    wrow = np.empty((n, s_len), dtype=npdt)
    smx = np.empty((n, s_len), dtype=npdt)
    sss = np.empty((n, s_len), dtype=npdt)
    one = np.ones((1, 1), dtype=npdt)
    out3 = np.empty((1, 1, 1), dtype=npdt)

    def run_fwd(u0: int, u1: int) -> None:
        kern(x, ta, cw, ignore_index, one, False, g, ig, u0, u1, out3, partial, wrow, smx,
             sss, False, 0, status)

    _parallel(run_fwd, units, per_unit)
    if status[0]:
        return None
    denom = float(wrow.sum(dtype=np.float64)) if reduction == "mean" else 1.0
    if state is not None:
        state["cpu_planes"] = (smx, sss, denom)
    loss = _reduced(partial, reduction, denom, dt)
    return loss.reshape(target.shape) if reduction == "none" else loss
