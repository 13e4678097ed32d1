"""Fused fast paths for the focal losses (CPU and Triton GPU), chosen automatically.

Contract with :mod:`focalkit.torch` (the reference path): each function returns ``None``
when it has no fast path for the given tensors/arguments, and the caller then runs the
reference implementation from ``_core``. Results match the reference (tested in
``tests/kernels`` against ``_core`` in float64).

* ``binary_forward(input, target, weight, pos_weight, *, gamma, alpha, reduction)``
  -> loss (reduced per ``reduction``; float32 for half inputs) or None.
* ``binary_backward(grad_output, input, target, weight, pos_weight, *, gamma, alpha,
  reduction)`` -> gradient w.r.t. ``input`` (``input``'s dtype and shape) or None.
* ``softmax_forward(input, target, weight, *, gamma, ignore_index, label_smoothing,
  reduction)`` -> loss or None (``weight`` is the class-weight vector or None).
* ``softmax_backward(grad_output, input, target, weight, *, gamma, ignore_index,
  label_smoothing, reduction)`` -> gradient or None.

``weight``/``pos_weight`` are already broadcast-compatible tensors or None; ``gamma`` is a
Python float (per-class gammas always take the reference path); ``alpha`` a float or None.

Which path runs:

* CPU tensors, float32/float64 (half precision through a float32 copy), numba installed
  (the ``cpu`` extra), at least
  ``_cpu.BINARY_MIN_NUMEL`` / ``_cpu.SOFTMAX_MIN_NUMEL`` logits: numba kernels
  (:mod:`._cpu_numba`), threads = ``torch.get_num_threads()``.
* CUDA tensors, float32/float16/bfloat16, Triton installed (the ``gpu`` extra): Triton
  kernels (:mod:`._triton_kernels`).
* Softmax: 2-D ``(N, C)`` logits with integer labels (``C <= 8192`` on the GPU).
* Everything else (float64 on the GPU, dense N-D softmax
  inputs, probability targets for softmax, per-class gamma or alpha tensors): ``None``.
* While ``torch.compile`` traces, the kernels are not called from Python: the public
  losses call them through the custom ops of :mod:`focalkit.torch._compiled`.
* Target values are checked in the pass that reads them. The CPU kernels return ``None``
  when a binary target lies outside [0, 1] (or is NaN) or a softmax label outside [0, C)
  and not ``ignore_index``, and the public losses then raise their errors at once. The
  GPU kernels make those elements (rows) NaN and, given ``state["bad_counter"]`` (an
  int32 device scalar), add their number to it without waiting for the device; the
  public losses raise from that counter (see :mod:`focalkit.torch._deferred`).
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = [
    "binary_backward",
    "binary_forward",
    "scalar_ok",
    "softmax_backward",
    "softmax_forward",
]


def scalar_ok(gamma: Any, alpha: Any = None) -> bool:
    """Whether the kernels take ``gamma`` (a number >= 0) and ``alpha`` (a number or None)."""
    ok_g = isinstance(gamma, (int, float)) and not isinstance(gamma, bool) and gamma >= 0
    ok_a = alpha is None or (isinstance(alpha, (int, float)) and not isinstance(alpha, bool))
    return ok_g and ok_a


_CPU: Any = None


def _backend(input: torch.Tensor) -> Any:
    global _CPU
    kind = input.device.type
    if kind == "cpu":
        if _CPU is None:  # imported once (an import statement per call costs ~1 us)
            from focalkit.torch.kernels import _cpu

            _CPU = _cpu
        return _CPU
    if kind == "cuda":
        from focalkit.torch.kernels import _triton

        return _triton
    return None


def binary_forward(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    pos_weight: torch.Tensor | None,
    *,
    gamma: Any,
    alpha: Any,
    reduction: str,
    state: dict | None = None,
    ignore_index: int | None = None,
) -> torch.Tensor | None:
    """Fused sigmoid focal loss, reduced per ``reduction``; None when no fast path applies.

    Parameters
    ----------
    input, target : torch.Tensor
        Logits and targets in [0, 1] (float, or bool/integer 0/1), same shape. Integer
        targets are read as they are (uint8/bool without a copy) and must be 0/1: the
        public losses check that once; the kernels do not check again.
    weight, pos_weight : torch.Tensor or None
        Broadcastable to ``input``; see :func:`focalkit.torch.binary_focal_loss_with_logits`.
    gamma : float
        Focusing parameter (a tensor gives None).
    alpha : float or None
        Positive-class weight (a tensor gives None).
    reduction : {"none", "mean", "sum"}
        ``"mean"`` divides the (weighted) sum by the number of elements.
    state : dict, optional
        GPU path: ``state["bad_counter"]`` (an int32 device scalar), if present, is
        increased by the number of blocks holding a target outside [0, 1] (such targets'
        loss is NaN); see the module docstring.
    ignore_index : int, optional
        Targets equal to it count nowhere (loss and gradient 0, out of the ``"mean"``
        denominator). CPU kernels only: the GPU path gives None then.

    Returns
    -------
    torch.Tensor or None

    Examples
    --------
    >>> import torch
    >>> z = torch.linspace(-3, 3, 4096)
    >>> y = (z > 0).float()
    >>> out = binary_forward(z, y, None, None, gamma=2.0, alpha=None, reduction="sum")
    >>> round(float(out), 2)  # None without numba: then the reference runs
    118.43
    """
    if not scalar_ok(gamma, alpha) or reduction not in ("none", "mean", "sum"):
        return None
    be = _backend(input)
    if be is None:
        return None
    if ignore_index is not None:  # the CPU kernels only
        if input.device.type != "cpu":
            return None
        return be.binary(
            input, target, weight, pos_weight, gamma=float(gamma),
            alpha=None if alpha is None else float(alpha), reduction=reduction,
            ignore_index=ignore_index, state=state,
        )
    return be.binary(
        input, target, weight, pos_weight, gamma=float(gamma),
        alpha=None if alpha is None else float(alpha), reduction=reduction, state=state,
    )


def binary_backward(
    grad_output: torch.Tensor,
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    pos_weight: torch.Tensor | None,
    *,
    gamma: Any,
    alpha: Any,
    reduction: str,
    ignore_index: int | None = None,
) -> torch.Tensor | None:
    """Gradient of :func:`binary_forward` w.r.t. ``input``, times ``grad_output``.

    Parameters
    ----------
    grad_output : torch.Tensor
        Gradient of the reduced loss (a scalar), or of the elementwise loss (``"none"``).
    input, target, weight, pos_weight, gamma, alpha, reduction
        As in :func:`binary_forward`.

    Returns
    -------
    torch.Tensor or None
        ``input``'s shape and dtype.
    """
    if not scalar_ok(gamma, alpha) or reduction not in ("none", "mean", "sum"):
        return None
    be = _backend(input)
    if be is None or (ignore_index is not None and input.device.type != "cpu"):
        return None
    extra = {} if ignore_index is None else {"ignore_index": ignore_index}
    return be.binary(
        input, target, weight, pos_weight, gamma=float(gamma),
        alpha=None if alpha is None else float(alpha), reduction=reduction,
        grad_output=grad_output, **extra,
    )


def softmax_forward(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    *,
    gamma: Any,
    ignore_index: int,
    label_smoothing: float,
    reduction: str,
    state: dict | None = None,
) -> torch.Tensor | None:
    """Fused softmax focal loss of ``(N, C)`` logits; None when no fast path applies.

    Parameters
    ----------
    input : torch.Tensor
        Logits ``(N, C)``.
    target : torch.Tensor
        Integer labels ``(N,)``; ``ignore_index`` rows count nowhere.
    weight : torch.Tensor or None
        Class weights ``(C,)``.
    gamma : float
        Focusing parameter.
    ignore_index : int
        Label to ignore.
    label_smoothing : float
        As in ``F.cross_entropy``.
    reduction : {"none", "mean", "sum"}
        ``"mean"`` divides by the sum of the target classes' weights (``F.cross_entropy``).
    state : dict, optional
        GPU path: ``state["bad_counter"]`` (an int32 device scalar), if present, is
        increased by the number of labels outside [0, C) that are not ``ignore_index``
        (their rows are NaN); the forward also leaves what the backward reuses (row
        statistics) in it: pass the same dict to :func:`softmax_backward`.

    Returns
    -------
    torch.Tensor or None
        Per-row loss (``"none"``, 0 on ignored rows) or a scalar.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(512, 4)
    >>> t = torch.zeros(512, dtype=torch.long)
    >>> out = softmax_forward(x, t, None, gamma=2.0, ignore_index=-100,
    ...                       label_smoothing=0.0, reduction="mean")
    >>> round(float(out), 4)
    0.7798
    """
    if not scalar_ok(gamma) or reduction not in ("none", "mean", "sum"):
        return None
    be = _backend(input)
    if be is None:
        return None
    return be.softmax(
        input, target, weight, gamma=float(gamma), ignore_index=int(ignore_index),
        label_smoothing=float(label_smoothing), reduction=reduction, state=state,
    )


def softmax_backward(
    grad_output: torch.Tensor,
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    *,
    gamma: Any,
    ignore_index: int,
    label_smoothing: float,
    reduction: str,
    state: dict | None = None,
) -> torch.Tensor | None:
    """Gradient of :func:`softmax_forward` w.r.t. ``input``, times ``grad_output``.

    Parameters
    ----------
    grad_output : torch.Tensor
        Scalar, or per-row ``(N,)`` for ``"none"``.
    input, target, weight, gamma, ignore_index, label_smoothing, reduction, state
        As in :func:`softmax_forward` (``state`` from that call, or None).

    Returns
    -------
    torch.Tensor or None
        ``(N, C)`` in ``input``'s dtype; zero rows for ignored labels.
    """
    if not scalar_ok(gamma) or reduction not in ("none", "mean", "sum"):
        return None
    be = _backend(input)
    if be is None:
        return None
    return be.softmax(
        input, target, weight, gamma=float(gamma), ignore_index=int(ignore_index),
        label_smoothing=float(label_smoothing), reduction=reduction,
        grad_output=grad_output, state=state,
    )
