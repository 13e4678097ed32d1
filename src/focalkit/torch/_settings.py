"""Context-local settings of the torch losses (:mod:`contextvars`).

``use_fast_path`` and ``sync_target_checks`` set a :class:`contextvars.ContextVar`: the
setting belongs to the current thread (and asyncio task), so a ``with`` block in one
thread never changes what another thread sees, and blocks in two threads may exit in any
order. Called plainly, they set the value for the rest of the current context (the
thread); in a ``with`` block the previous value is restored on exit. New threads start
from the defaults, which the environment variables ``FOCALKIT_FAST_PATH`` (``0`` turns
the fused kernels off) and ``FOCALKIT_SYNC_TARGET_CHECKS`` (``1`` turns the synchronous
GPU target checks on) set at import.

The losses read the settings once per call, in the forward (the backward uses the same
path as its forward, even when autograd runs it on another thread). While
:func:`torch.compile` traces, the value at tracing time is compiled in (Dynamo cannot
guard on a context variable): switching it later does not recompile a compiled function
(``torch._dynamo.reset()`` does).
"""

from __future__ import annotations

import os
from contextvars import ContextVar, Token
from typing import Any, ClassVar

import torch

__all__ = ["fast_path_enabled", "sync_enabled", "sync_target_checks", "use_fast_path"]

_FALSE = ("0", "false", "no", "off")
_TRUE = ("1", "true", "yes", "on")

_FAST: ContextVar[bool] = ContextVar(
    "focalkit_fast_path",
    default=os.environ.get("FOCALKIT_FAST_PATH", "1").strip().lower() not in _FALSE,
)
_SYNC: ContextVar[bool] = ContextVar(
    "focalkit_sync_target_checks",
    default=os.environ.get("FOCALKIT_SYNC_TARGET_CHECKS", "0").strip().lower() in _TRUE,
)


class _Switch:
    """A boolean setting: a plain call sets it, a ``with`` block restores it on exit."""

    _var: ClassVar[ContextVar[bool]]

    def __init__(self, enabled: bool) -> None:
        if not isinstance(enabled, bool):
            from focalkit._core._validation import param_error

            raise param_error("enabled", type(self).__name__, "a bool", enabled)
        self._token: Token[bool] | None = self._var.set(enabled)

    def __enter__(self) -> _Switch:
        return self

    def __exit__(self, *exc: Any) -> None:
        token, self._token = self._token, None
        if token is None:
            return
        try:
            self._var.reset(token)
        except ValueError:  # entered in another context (e.g. another thread): leave it
            pass


class use_fast_path(_Switch):  # noqa: N801 - used like torch.set_grad_enabled
    """Switch the fused fast paths on or off; also a context manager that restores.

    The setting is context-local (this thread, or this asyncio task; see
    :mod:`focalkit.torch._settings`): called plainly, ``use_fast_path(False)`` switches
    the fast paths off for the rest of the current thread; in a ``with`` block the
    previous setting is restored on exit, whatever other threads do meanwhile.

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

    _var = _FAST


class sync_target_checks(_Switch):  # noqa: N801 - used like torch.set_grad_enabled
    """Raise target errors on CUDA in the call itself (one device sync per call).

    Context-local like :class:`use_fast_path`: called plainly it sets the mode for the
    current thread; in a ``with`` block the previous mode is restored on exit. Off by
    default: the GPU kernels count bad targets on the device and a later loss call raises
    (see :mod:`focalkit.torch._deferred`).

    Parameters
    ----------
    enabled : bool
        ``True``: wait for the device and raise at once.

    Examples
    --------
    >>> from focalkit.torch import sync_target_checks
    >>> with sync_target_checks(True):
    ...     pass
    """

    _var = _SYNC


@torch.compiler.assume_constant_result
def fast_path_enabled() -> bool:
    """Whether the losses try the fused fast paths before the ``_core`` reference.

    Returns
    -------
    bool
        The setting of the current context (see :class:`use_fast_path`).

    Examples
    --------
    >>> from focalkit.torch import fast_path_enabled, use_fast_path
    >>> with use_fast_path(False):
    ...     print(fast_path_enabled())
    False
    """
    return _FAST.get()


def sync_enabled() -> bool:
    """Whether GPU target checks wait for the device (see :class:`sync_target_checks`)."""
    return _SYNC.get()
