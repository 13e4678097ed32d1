"""Fused fast paths for the focal losses (CPU and Triton GPU), chosen automatically.

Contract with :mod:`focalkit.torch` (the reference path): each function returns ``None``
when it has no fast path for the given tensors/arguments, and the caller then runs the
reference implementation from ``_core``. Results must match the reference (tested).

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
"""

from __future__ import annotations

from typing import Any

__all__ = ["binary_backward", "binary_forward", "softmax_backward", "softmax_forward"]


def binary_forward(*args: Any, **kwargs: Any) -> Any:
    """No fast path yet: use the reference."""
    return None


def binary_backward(*args: Any, **kwargs: Any) -> Any:
    """No fast path yet: use the reference."""
    return None


def softmax_forward(*args: Any, **kwargs: Any) -> Any:
    """No fast path yet: use the reference."""
    return None


def softmax_backward(*args: Any, **kwargs: Any) -> Any:
    """No fast path yet: use the reference."""
    return None
