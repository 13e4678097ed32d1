"""GPU fast path: launchers for the Triton kernels of :mod:`._triton_kernels`.

Used for CUDA tensors when Triton is importable. The same launchers drive an interpreted
copy of the kernels (``TRITON_INTERPRET=1``) on CPU tensors, which is how they are tested
without a GPU (:func:`interpreted_kernels`).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import torch

__all__ = ["apply_tuning", "available", "binary", "interpreted_kernels", "softmax",
           "softmax_applies"]

# float64 takes the reference path: Triton materialises Python float literals (the series
# coefficients) as float32, which would cap float64 accuracy near 1e-10.
_FLOATS = (torch.float16, torch.bfloat16, torch.float32)
#: Elements per program and warps of the binary kernel, for 4-byte and 2-byte logits
#: (chosen by benchmarks/gpu_sweep.py on an H100, docs/performance.md).
BINARY_BLOCK = {4: 1024, 2: 2048}
BINARY_WARPS = {4: 4, 2: 4}
#: Logits per program of the softmax kernel (whole rows), and warps (None: by size).
SOFTMAX_TILE = 2048
SOFTMAX_WARPS: int | None = 4
#: Largest class count held in registers by the label-smoothing softmax kernel.
SOFTMAX_MAX_CLASSES = 8192
#: Statistics kernel (forward without smoothing), by class-count range ("small": C <= 256)
#: and element size: (widest column tile, logits per program, warps). Wider rows than the
#: column tile loop over tiles. Chosen by benchmarks/gpu_sweep.py on an H100.
STATS_CONFIG = {("small", 4): (128, 4096, 4), ("small", 2): (128, 4096, 4),
                ("large", 4): (1024, 4096, 4), ("large", 2): (256, 4096, 4)}
#: Rows per program of the per-row kernel.
SOFTMAX_ROWS_BLOCK = 1024
#: Gradient kernel (backward without smoothing): logits per program and warps, by
#: element size.
SOFTMAX_GRAD_BLOCK = {4: 1024, 2: 1024}
SOFTMAX_GRAD_WARPS = {4: 4, 2: 4}
_kernels: Any = None


def available() -> bool:
    """Whether Triton (the ``gpu`` extra) is importable."""
    global _kernels
    if _kernels is None:
        try:
            from focalkit.torch.kernels import _triton_kernels

            _kernels = _triton_kernels
        except ImportError:
            _kernels = False
    return _kernels is not False


def apply_tuning(tuning: dict) -> None:
    """Set tile configurations from ``benchmarks/gpu_sweep.py --out`` (benchmarks only).

    Parameters
    ----------
    tuning : dict
        Keys ``binary`` ({element size: [block, warps]}), ``stats`` ({"small-4": [bc_max,
        tile, warps], ...}) and ``grad`` ({element size: [block, warps]}), any subset.
    """
    for es, (block, warps) in tuning.get("binary", {}).items():
        BINARY_BLOCK[int(es)], BINARY_WARPS[int(es)] = int(block), int(warps)
    for key, cfg in tuning.get("stats", {}).items():
        cls, es = key.split("-")
        STATS_CONFIG[cls, int(es)] = tuple(int(v) for v in cfg)  # type: ignore[assignment]
    for es, (block, warps) in tuning.get("grad", {}).items():
        SOFTMAX_GRAD_BLOCK[int(es)], SOFTMAX_GRAD_WARPS[int(es)] = int(block), int(warps)


def interpreted_kernels() -> ModuleType:
    """The kernels module when the process runs Triton's interpreter, for CPU tensors.

    ``TRITON_INTERPRET=1`` must be set before triton is first imported (triton's own
    helpers are built in one mode per process); the tests run in a subprocess for that.

    Returns
    -------
    module
        Pass it as ``km=`` to :func:`binary` / :func:`softmax`.
    """
    from triton import knobs

    if not knobs.runtime.interpret:
        raise RuntimeError("set TRITON_INTERPRET=1 before importing triton")
    from focalkit.torch.kernels import _triton_kernels

    return _triton_kernels


def _strip(t: torch.Tensor) -> torch.Tensor:
    while t.ndim > 0 and t.shape[0] == 1:
        t = t[0]
    return t


def _operand(t: torch.Tensor | None, shape: torch.Size, n: int) -> tuple[Any, int, int]:
    """(tensor, mode, period) for the kernel's ``_operand``."""
    if t is None:
        return None, 0, 1
    s = _strip(t)
    if s.numel() == 1:
        return s.reshape(1).contiguous(), 3, 1
    if s.ndim <= len(shape) and tuple(s.shape) == tuple(shape[len(shape) - s.ndim :]):
        s = s.contiguous()
        return s, (1 if s.numel() == n else 2), s.numel()
    return t.expand(shape).contiguous(), 1, n


def _grad_output_arg(go: torch.Tensor, reduction: str, shape: Any) -> tuple[torch.Tensor, int]:
    """(tensor, GO_MODE) of the kernels: 1 = one value per element (row), 3 = a scalar."""
    if reduction == "none" and go.numel() > 1 and any(go.stride()):
        return go.reshape(shape).contiguous(), 1
    return go.reshape(-1)[:1].contiguous(), 3


def _gamma(gamma: float) -> tuple[float, int]:
    g = float(gamma)
    return g, (int(g) if g.is_integer() and g < 16 else -1)


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
    state: dict | None = None,
    km: Any = None,
) -> torch.Tensor | None:
    """Loss (``grad_output`` None) or gradient on the GPU; None when no fast path applies.

    A target outside [0, 1] gets a NaN loss and gradient. With ``state["bad_counter"]``
    (an int32 device scalar) the forward also adds to it the number of blocks holding
    such a target, with an atomic that runs only then. Nothing here waits for the device.
    """
    if km is None:
        if input.device.type != "cuda" or not available():
            return None
        km = _kernels
    n = input.numel()
    if input.dtype not in _FLOATS or target.shape != input.shape or n == 0:
        return None
    shape = input.shape
    dev = input.device
    x = input.contiguous()  # Triton reads data pointers: no detach needed
    y = target
    hard = y.dtype in (torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32,
                       torch.int64)
    if y.dtype == torch.bool:
        y = y.view(torch.uint8)
    elif not hard and y.dtype not in _FLOATS:
        return None
    y = y.contiguous()
    w, w_mode, p_w = _operand(None if weight is None else weight.detach(), shape, n)
    pw, pw_mode, p_pw = _operand(None if pos_weight is None else pos_weight.detach(), shape, n)
    g, ig = _gamma(gamma)
    a_pos = 1.0 if alpha is None else float(alpha)
    a_neg = 1.0 if alpha is None else 1.0 - float(alpha)
    is64 = input.dtype == torch.float64
    cdt = torch.float64 if is64 else torch.float32
    es = min(x.element_size(), 4)
    block = BINARY_BLOCK[es]
    grid = (triton_cdiv(n, block),)
    dummy = x
    common = {"IG": ig, "HARD": hard, "IS64": is64, "BLOCK": block,
              "FAST": input.device.type == "cuda", "W_MODE": w_mode, "PW_MODE": pw_mode,
              "num_warps": BINARY_WARPS[es]}
    counter = None if state is None or grad_output is not None else state.get("bad_counter")
    check = counter is not None
    if grad_output is not None:
        scale = 1.0 / n if reduction == "mean" else 1.0
        go_t, go_mode = _grad_output_arg(grad_output, reduction, shape)
        out = torch.empty(shape, dtype=input.dtype, device=dev)
        km.binary_kernel[grid](
            x, y, w if w is not None else dummy, pw if pw is not None else dummy, go_t,
            out, out, out, n, a_pos, a_neg, g, scale, p_w, p_pw,
            GO_MODE=go_mode, MODE=2, CHECK=False, **common,
        )
        return out
    w_arg = w if w is not None else dummy
    pw_arg = pw if pw is not None else dummy
    bad = counter if counter is not None else dummy
    if reduction == "none":
        out = torch.empty(shape, dtype=cdt, device=dev)
        km.binary_kernel[grid](
            x, y, w_arg, pw_arg, dummy, out, out, bad, n, a_pos, a_neg, g, 1.0, p_w, p_pw,
            GO_MODE=0, MODE=1, CHECK=check, **common,
        )
        return out
    part = torch.empty(grid[0], dtype=cdt, device=dev)
    km.binary_kernel[grid](
        x, y, w_arg, pw_arg, dummy, part, part, bad, n, a_pos, a_neg, g,
        1.0 / n if reduction == "mean" else 1.0, p_w, p_pw, GO_MODE=0, MODE=0, CHECK=check,
        **common,
    )
    return part.sum()


def triton_cdiv(a: int, b: int) -> int:
    """Ceiling division."""
    return -(-a // b)


def _softmax_tiles(c: int) -> tuple[int, int, int]:
    """(ROWS, BC, num_warps) of the label-smoothing kernel (whole rows in registers)."""
    bc = 1 << max(4, (c - 1).bit_length())
    rows = max(1, SOFTMAX_TILE // bc)
    warps = SOFTMAX_WARPS or (4 if bc * rows <= 2048 else 8)
    return rows, bc, max(warps, min(16, bc // 512))  # long rows: more threads per row


def _stats_tiles(c: int, element_size: int) -> tuple[int, int, int]:
    """(ROWS, BC, num_warps) of the statistics kernel (see ``STATS_CONFIG``)."""
    bc_max, tile, warps = STATS_CONFIG["small" if c <= 256 else "large", min(element_size, 4)]
    bc = min(1 << max(4, (c - 1).bit_length()), bc_max)
    return max(1, tile // bc), bc, warps


def softmax_applies(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    ignore_index: int,
    label_smoothing: float,
) -> bool:
    """Whether the softmax kernels take these tensors (shapes, dtypes and arguments only)."""
    return not (
        input.dtype not in _FLOATS
        or input.ndim != 2
        or input.shape[0] == 0
        or target.ndim != 1
        or target.shape[0] != input.shape[0]
        or target.dtype.is_floating_point
        or target.dtype == torch.bool
        or (weight is not None and weight.numel() != input.shape[1])
        or not -(2**31) <= ignore_index < 2**31
        or (label_smoothing > 0 and input.shape[1] > SOFTMAX_MAX_CLASSES)
    )


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
    state: dict | None = None,
    km: Any = None,
) -> torch.Tensor | None:
    """Softmax focal loss or its gradient for (N, C) logits on the GPU; None otherwise.

    Labels are checked in the kernels: a label outside [0, C) that is not ``ignore_index``
    makes its row's loss and gradient NaN, and with ``state["bad_counter"]`` (an int32
    device scalar) the forward adds the number of such rows to it. Without label smoothing
    the forward also leaves the row statistics in ``state`` for the backward, which then
    reads the logits once and reduces nothing (given no ``state``, the backward recomputes
    them).
    """
    if km is None:
        if input.device.type != "cuda" or not available():
            return None
        km = _kernels
    if not softmax_applies(input, target, weight, ignore_index, label_smoothing):
        return None
    n, c = input.shape
    t = target.contiguous()
    x = input.contiguous()
    cw = None if weight is None else weight.detach().reshape(-1).to(torch.float32).contiguous()
    g, ig = _gamma(gamma)
    fast = input.device.type == "cuda"
    if label_smoothing > 0:
        return _softmax_smoothed(x, t, cw, g, ig, ignore_index, float(label_smoothing),
                                 reduction, grad_output, state, km, fast)
    if grad_output is None:
        return _softmax_stats(x, t, cw, g, ig, ignore_index, reduction,
                              {} if state is None else state, km, fast)
    st: dict = {} if state is None else state
    if "stats" not in st:  # no forward state: recompute the row statistics (no check)
        st = {}
        _softmax_stats(x, t, cw, g, ig, ignore_index, reduction, st, km, fast)
    go_t, go_mode = _grad_output_arg(grad_output, reduction, (n,))
    out = torch.empty((n, c), dtype=input.dtype, device=x.device)
    es = min(x.element_size(), 4)
    den = st.get("den") if reduction == "mean" else None
    if den is not None:
        den = _nonzero(den)
    km.softmax_grad_kernel[(triton_cdiv(n * c, SOFTMAX_GRAD_BLOCK[es]),)](
        x, t, st["stats"], go_t, den if den is not None else go_t, out, n * c, n, 1.0,
        C=c, GO_MODE=go_mode, HAS_DEN=den is not None, FAST=x.device.type == "cuda",
        BLOCK=SOFTMAX_GRAD_BLOCK[es], num_warps=SOFTMAX_GRAD_WARPS[es],
    )
    return out


def _softmax_stats(
    x: torch.Tensor, t: torch.Tensor, cw: torch.Tensor | None, g: float, ig: int,
    ignore_index: int, reduction: str, state: dict, km: Any, fast: bool,
) -> torch.Tensor:
    """The forward without smoothing: loss, with the row statistics left in ``state``."""
    n, c = x.shape
    rows, bc, warps = _stats_tiles(c, x.element_size())
    stats = torch.empty(2 * n, dtype=torch.float32, device=x.device)
    km.softmax_stats_kernel[(triton_cdiv(n, rows),)](
        x, t, stats, n, int(ignore_index), C=c, NEG=_neg(x.dtype), ROWS=rows, BC=bc,
        FAST=fast, num_warps=warps,
    )
    grid = triton_cdiv(n, SOFTMAX_ROWS_BLOCK)
    part = torch.empty(2 * grid, dtype=torch.float32, device=x.device)
    out = torch.empty(n if reduction == "none" else 1, dtype=torch.float32, device=x.device)
    counter = state.get("bad_counter")
    km.softmax_rows_kernel[(grid,)](
        stats, t, cw if cw is not None else stats, out, part,
        counter if counter is not None else stats, n, c, int(ignore_index), g,
        HAS_CW=cw is not None, IG=ig, MODE=1 if reduction == "none" else 0, FAST=fast,
        CHECK=counter is not None, BLOCK=SOFTMAX_ROWS_BLOCK, num_warps=4,
    )
    state["stats"] = stats
    if reduction == "none":
        return out
    sums = part.view(2, grid).sum(1)
    state["den"] = sums[1]
    return sums[0] / sums[1] if reduction == "mean" else sums[0]


def _neg(dtype: torch.dtype) -> float:
    """A finite, very negative logit of ``dtype``: the padding of the softmax rows."""
    return -6.0e4 if dtype == torch.float16 else -3.0e38


def _softmax_smoothed(
    x: torch.Tensor, t: torch.Tensor, cw: torch.Tensor | None, g: float, ig: int,
    ignore_index: int, eps: float, reduction: str, grad_output: torch.Tensor | None,
    state: dict | None, km: Any, fast: bool,
) -> torch.Tensor:
    """Label smoothing: one kernel that holds whole rows, for the loss and the gradient."""
    n, c = x.shape
    rows, bc, warps = _softmax_tiles(c)
    grid = (triton_cdiv(n, rows),)
    common = {"HAS_CW": cw is not None, "SMOOTH": True, "IG": ig, "IS64": False,
              "FAST": fast, "ROWS": rows, "BC": bc, "num_warps": warps, "NEG": _neg(x.dtype)}
    cw_arg = cw if cw is not None else x
    args = (n, c, int(ignore_index), g, eps / c, 1.0 - eps)
    if grad_output is not None:
        go_t, go_mode = _grad_output_arg(grad_output, reduction, (n,))
        if go_mode == 3 and reduction == "mean":
            den = None if state is None else state.get("den")
            if den is None:
                den = _softmax_denominator(t, cw, ignore_index, c, torch.float32)
            go_t = go_t.to(torch.float32) / _nonzero(den)
        out = torch.empty((n, c), dtype=x.dtype, device=x.device)
        km.softmax_kernel[grid](
            x, t, cw_arg, go_t, out, out, out, out, *args, 1.0,
            GO_MODE=go_mode, MODE=2, CHECK=False, **common,
        )
        return out
    counter = None if state is None else state.get("bad_counter")
    bad = counter if counter is not None else x
    if reduction == "none":
        out = torch.empty(n, dtype=torch.float32, device=x.device)
        km.softmax_kernel[grid](
            x, t, cw_arg, x, out, out, out, bad, *args, 1.0,
            GO_MODE=0, MODE=1, CHECK=counter is not None, **common,
        )
        return out
    part = torch.empty(2 * grid[0], dtype=torch.float32, device=x.device)
    km.softmax_kernel[grid](
        x, t, cw_arg, x, part, part, part[grid[0]:], bad, *args, 1.0,
        GO_MODE=0, MODE=0, CHECK=counter is not None, **common,
    )
    sums = part.view(2, grid[0]).sum(1)
    if state is not None:
        state["den"] = sums[1]
    return sums[0] / sums[1] if reduction == "mean" else sums[0]


def _nonzero(den: torch.Tensor) -> torch.Tensor:
    """``mean``'s denominator for the gradient: 0 (nothing counted) becomes inf.

    Every row ignored (or of weight 0): the loss is 0 / 0 = NaN, as in torch, and the
    gradient zero, as on the CPU and the reference path.
    """
    return torch.where(den > 0, den, torch.full_like(den, float("inf")))


def _softmax_denominator(
    t: torch.Tensor, cw: torch.Tensor | None, ignore_index: int, c: int, dtype: torch.dtype
) -> torch.Tensor:
    """Sum of the target-class weights over the non-ignored rows (``mean``'s denominator)."""
    valid = (t != ignore_index) & (t >= 0) & (t < c)
    if cw is None:
        return valid.sum().to(dtype)
    return (cw[t.clamp(0, c - 1)] * valid.to(dtype)).sum()
