"""GPU fast path: launchers for the Triton kernels of :mod:`._triton_kernels`.

Used for CUDA tensors when Triton is importable. The same launchers drive an interpreted
copy of the kernels (``TRITON_INTERPRET=1``) on CPU tensors, which is how they are tested
without a GPU (:func:`interpreted_kernels`).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import torch

__all__ = ["available", "binary", "interpreted_kernels", "softmax"]

# float64 takes the reference path: Triton materialises Python float literals (the series
# coefficients) as float32, which would cap float64 accuracy near 1e-10.
_FLOATS = (torch.float16, torch.bfloat16, torch.float32)
#: Elements per program and warps of the binary kernel, for 4-byte and 2-byte logits
#: (chosen by benchmarks/gpu_sweep.py on an H100, docs/performance.md).
BINARY_BLOCK = {4: 1024, 2: 4096}
BINARY_WARPS = {4: 4, 2: 8}
#: Logits per program of the softmax kernel (whole rows), and warps (None: by size).
SOFTMAX_TILE = 2048
SOFTMAX_WARPS: int | None = 4
#: Largest class count held in registers by the softmax kernel.
SOFTMAX_MAX_CLASSES = 8192
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
    km: Any = None,
) -> torch.Tensor | None:
    """Loss (``grad_output`` None) or gradient on the GPU; None when no fast path applies."""
    if km is None:
        if input.device.type != "cuda" or not available():
            return None
        km = _kernels
    n = input.numel()
    if input.dtype not in _FLOATS or target.shape != input.shape or n == 0:
        return None
    shape = input.shape
    dev = input.device
    x = input.detach().contiguous()
    y = target.detach()
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
    if grad_output is not None:
        go = grad_output.detach()
        scale = 1.0 / n if reduction == "mean" else 1.0
        if reduction == "none" and go.numel() > 1 and any(go.stride()):
            go_t, go_mode = go.reshape(shape).contiguous(), 1
        else:
            go_t, go_mode = go.reshape(-1)[:1].contiguous(), 3
        out = torch.empty(shape, dtype=input.dtype, device=dev)
        km.binary_kernel[grid](
            x, y, w if w is not None else dummy, pw if pw is not None else dummy, go_t,
            out, out, n, a_pos, a_neg, g, scale, p_w, p_pw,
            GO_MODE=go_mode, MODE=2, **common,
        )
        return out
    if reduction == "none":
        out = torch.empty(shape, dtype=cdt, device=dev)
        km.binary_kernel[grid](
            x, y, w if w is not None else dummy, pw if pw is not None else dummy, dummy,
            out, out, n, a_pos, a_neg, g, 1.0, p_w, p_pw, GO_MODE=0, MODE=1, **common,
        )
        return out
    part = torch.empty(grid[0], dtype=cdt, device=dev)
    km.binary_kernel[grid](
        x, y, w if w is not None else dummy, pw if pw is not None else dummy, dummy,
        part, part, n, a_pos, a_neg, g, 1.0, p_w, p_pw, GO_MODE=0, MODE=0, **common,
    )
    total = part.sum()
    return total / n if reduction == "mean" else total


def triton_cdiv(a: int, b: int) -> int:
    """Ceiling division."""
    return -(-a // b)


def _softmax_tiles(c: int) -> tuple[int, int, int]:
    """(ROWS, BC, num_warps) for ``c`` classes: about ``SOFTMAX_TILE`` logits per program."""
    bc = 1 << max(4, (c - 1).bit_length())
    rows = max(1, SOFTMAX_TILE // bc)
    warps = SOFTMAX_WARPS or (4 if bc * rows <= 2048 else 8)
    return rows, bc, max(warps, min(16, bc // 512))  # long rows: more threads per row


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
    km: Any = None,
) -> torch.Tensor | None:
    """Softmax focal loss or its gradient for (N, C) logits on the GPU; None otherwise."""
    if km is None:
        if input.device.type != "cuda" or not available():
            return None
        km = _kernels
    if (
        input.dtype not in _FLOATS
        or input.ndim != 2
        or input.shape[1] > SOFTMAX_MAX_CLASSES
        or input.shape[0] == 0
        or target.ndim != 1
        or target.shape[0] != input.shape[0]
        or target.dtype.is_floating_point
        or target.dtype == torch.bool
        or (weight is not None and weight.numel() != input.shape[1])
        or not -(2**31) <= ignore_index < 2**31
    ):
        return None
    n, c = input.shape
    t = target.detach().contiguous()
    if not torch.compiler.is_compiling():
        ok = ((t >= 0) & (t < c)) | (t == ignore_index)
        if not bool(ok.all()):
            return None  # out-of-range labels: the reference raises the error
    x = input.detach().contiguous()
    dev = x.device
    is64 = input.dtype == torch.float64
    cdt = torch.float64 if is64 else torch.float32
    cw = None if weight is None else weight.detach().reshape(-1).to(cdt).contiguous()
    rows, bc, warps = _softmax_tiles(c)
    grid = (triton_cdiv(n, rows),)
    g, ig = _gamma(gamma)
    eps = float(label_smoothing)
    common = {"HAS_CW": cw is not None, "SMOOTH": eps > 0, "IG": ig, "IS64": is64,
              "FAST": input.device.type == "cuda", "ROWS": rows, "BC": bc, "num_warps": warps,
              "NEG": -6.0e4 if input.dtype == torch.float16 else -3.0e38}
    cw_arg = cw if cw is not None else x
    args = (n, c, int(ignore_index), g, eps / c, 1.0 - eps)
    if grad_output is not None:
        go = grad_output.detach()
        if reduction == "none" and go.numel() > 1 and any(go.stride()):
            go_t, go_mode = go.reshape(-1).contiguous(), 1
        else:
            go_t, go_mode = go.reshape(-1)[:1].to(cdt), 3
            if reduction == "mean":
                go_t = go_t / _softmax_denominator(t, cw, ignore_index, c, cdt)
        out = torch.empty((n, c), dtype=input.dtype, device=dev)
        km.softmax_kernel[grid](
            x, t, cw_arg, go_t, out, out, out, *args, 1.0,
            GO_MODE=go_mode, MODE=2, **common,
        )
        return out
    if reduction == "none":
        out = torch.empty(n, dtype=cdt, device=dev)
        km.softmax_kernel[grid](
            x, t, cw_arg, x, out, out, out, *args, 1.0, GO_MODE=0, MODE=1, **common
        )
        return out
    part = torch.empty(grid[0], dtype=cdt, device=dev)
    partw = torch.empty(grid[0], dtype=cdt, device=dev)
    km.softmax_kernel[grid](
        x, t, cw_arg, x, part, part, partw, *args, 1.0, GO_MODE=0, MODE=0, **common
    )
    total = part.sum()
    return total / partw.sum() if reduction == "mean" else total


def _softmax_denominator(
    t: torch.Tensor, cw: torch.Tensor | None, ignore_index: int, c: int, dtype: torch.dtype
) -> torch.Tensor:
    """Sum of the target-class weights over the non-ignored rows (``mean``'s denominator)."""
    valid = t != ignore_index
    if cw is None:
        return valid.sum().to(dtype)
    return (cw[t.clamp(0, c - 1)] * valid.to(dtype)).sum()
