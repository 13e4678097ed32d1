"""The fused fast paths (:mod:`focalkit.torch.kernels`) behind the fast-path switch.

The reference path is the ``_core`` mathematics of a loss spec run with torch ops
(:mod:`._reference`). A spec's fast hook (:mod:`._hooks`) calls these functions first;
each returns ``None`` when it has nothing for the given tensors, and the reference runs
instead. :func:`use_fast_path` switches the fast paths off (for tests and benchmarks that
compare the two); the environment variable ``FOCALKIT_FAST_PATH=0`` does the same for
every thread (:mod:`._settings`).

While :func:`torch.compile` traces a loss, the kernels (numba, Triton launches) are not
called from here: the public losses call them through the custom ops of
:mod:`focalkit.torch._compiled` where they apply, and Inductor fuses the traced reference
otherwise.
"""

from __future__ import annotations

from typing import Any

import torch

from focalkit.torch import kernels
from focalkit.torch._settings import fast_path_enabled, use_fast_path

__all__ = [
    "binary_backward",
    "binary_forward",
    "fast_path_enabled",
    "scalar_ok",
    "softmax_backward",
    "softmax_forward",
    "use_fast_path",
]


def _scalar(gamma: Any, alpha: Any = None) -> bool:
    """Python-float parameters (per-label / per-class tensors take the reference path)."""
    return (isinstance(gamma, float) and not torch.is_tensor(alpha)
            and not torch.compiler.is_compiling())


def scalar_ok(gamma: Any, alpha: Any) -> bool:
    """Whether the binary kernels take ``gamma`` and ``alpha`` (floats, gamma >= 0)."""
    return _scalar(gamma, alpha) and kernels.scalar_ok(gamma, alpha)


def binary_forward(input: Any, target: Any, weight: Any, pos_weight: Any, **kw: Any) -> Any:
    """Fast binary forward, or None (then the caller runs the reference)."""
    if not _scalar(kw["gamma"], kw["alpha"]):
        return None
    return kernels.binary_forward(input, target, weight, pos_weight, **kw)


def binary_backward(
    grad_output: Any, input: Any, target: Any, weight: Any, pos_weight: Any, **kw: Any
) -> Any:
    """Fast binary backward (gradient w.r.t. ``input``), or None."""
    if not _scalar(kw["gamma"], kw["alpha"]):
        return None
    return kernels.binary_backward(grad_output, input, target, weight, pos_weight, **kw)


def softmax_forward(input: Any, target: Any, weight: Any, **kw: Any) -> Any:
    """Fast softmax forward, or None."""
    if not _scalar(kw["gamma"]):
        return None
    return kernels.softmax_forward(input, target, weight, **kw)


def softmax_backward(grad_output: Any, input: Any, target: Any, weight: Any, **kw: Any) -> Any:
    """Fast softmax backward (gradient w.r.t. ``input``), or None."""
    if not _scalar(kw["gamma"]):
        return None
    return kernels.softmax_backward(grad_output, input, target, weight, **kw)
