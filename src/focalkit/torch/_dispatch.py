"""Choose between the fused fast paths (:mod:`focalkit.torch.kernels`) and the reference.

The reference path is the ``_core`` mathematics run with torch ops. The fast paths are
tried first; each returns ``None`` when it has nothing for the given tensors, and the
reference runs instead. :func:`use_fast_path` switches the fast paths off (for tests and
benchmarks that compare the two); the environment variable ``FOCALKIT_FAST_PATH=0`` does
the same at import time.

While :func:`torch.compile` traces a loss, the public losses call the kernels through the
custom ops of :mod:`focalkit.torch._compiled` where they apply; what is traced here (the
``autograd.Function``) skips the fast paths, and Inductor fuses the reference, unless the
kernels module sets ``SUPPORTS_COMPILE = True``.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from focalkit.torch import kernels

__all__ = ["fast_path_enabled", "use_fast_path"]

_FALSE = ("0", "false", "no", "off")
_enabled: bool = os.environ.get("FOCALKIT_FAST_PATH", "1").strip().lower() not in _FALSE


def fast_path_enabled() -> bool:
    """Whether the losses try the fused fast paths before the ``_core`` reference.

    Returns
    -------
    bool

    Examples
    --------
    >>> from focalkit.torch import fast_path_enabled, use_fast_path
    >>> with use_fast_path(False):
    ...     print(fast_path_enabled())
    False
    """
    return _enabled


class use_fast_path:  # noqa: N801 - used like torch.set_grad_enabled
    """Switch the fused fast paths on or off; also a context manager that restores.

    Called plainly, ``use_fast_path(False)`` switches them off for the whole process. In a
    ``with`` block the previous setting is restored on exit.

    Parameters
    ----------
    enabled : bool
        ``False`` forces the ``_core`` reference path (forward and backward).

    Examples
    --------
    >>> import torch
    >>> from focalkit.torch import binary_focal_loss_with_logits, use_fast_path
    >>> with use_fast_path(False):
    ...     loss = binary_focal_loss_with_logits(torch.zeros(3), torch.ones(3))
    >>> round(float(loss), 4)
    0.1733
    """

    def __init__(self, enabled: bool) -> None:
        global _enabled
        if not isinstance(enabled, bool):
            from focalkit._core._validation import param_error

            raise param_error("enabled", "use_fast_path", "a bool", enabled)
        self._previous = _enabled
        _enabled = enabled

    def __enter__(self) -> use_fast_path:
        return self

    def __exit__(self, *exc: Any) -> None:
        global _enabled
        _enabled = self._previous


def _try_fast(scalar_params: bool) -> bool:
    if not _enabled or not scalar_params:
        return False
    if torch.compiler.is_compiling() and not getattr(kernels, "SUPPORTS_COMPILE", False):
        return False
    return True


def binary_forward(input: Any, target: Any, weight: Any, pos_weight: Any, **kw: Any) -> Any:
    """Fast binary forward, or None (then the caller runs the reference)."""
    if not _try_fast(isinstance(kw["gamma"], float) and not torch.is_tensor(kw["alpha"])):
        return None
    return kernels.binary_forward(input, target, weight, pos_weight, **kw)


def binary_backward(
    grad_output: Any, input: Any, target: Any, weight: Any, pos_weight: Any, **kw: Any
) -> Any:
    """Fast binary backward (gradient w.r.t. ``input``), or None."""
    if not _try_fast(isinstance(kw["gamma"], float) and not torch.is_tensor(kw["alpha"])):
        return None
    return kernels.binary_backward(grad_output, input, target, weight, pos_weight, **kw)


def softmax_forward(input: Any, target: Any, weight: Any, **kw: Any) -> Any:
    """Fast softmax forward, or None."""
    if not _try_fast(isinstance(kw["gamma"], float)):
        return None
    return kernels.softmax_forward(input, target, weight, **kw)


def softmax_backward(grad_output: Any, input: Any, target: Any, weight: Any, **kw: Any) -> Any:
    """Fast softmax backward (gradient w.r.t. ``input``), or None."""
    if not _try_fast(isinstance(kw["gamma"], float)):
        return None
    return kernels.softmax_backward(grad_output, input, target, weight, **kw)
