"""Bad target values found by the GPU kernels, raised without waiting for the device.

The CUDA kernels check the targets in the pass that reads them: a value out of range
makes its loss and gradient NaN at once and is counted on the device. Reading that count
on the host would stall the GPU on every call (the host then waits for the kernel and the
device waits for the host's next launches), so by default the count is copied to pinned
host memory behind a CUDA event, and the next call of a focalkit loss (or
:func:`check_pending_targets`) raises the error once the copy has landed. Nothing is
silently wrong in between: the loss of that call is NaN.

``sync_target_checks(True)`` (or the environment variable
``FOCALKIT_SYNC_TARGET_CHECKS=1``) raises in the call itself instead, at the cost of one
device sync per call. CPU tensors are always checked in the call itself.
"""

from __future__ import annotations

import os
from collections import deque
from typing import Any

import torch

from focalkit.exceptions import InvalidParameterError

__all__ = ["check_pending_targets", "report", "sync_target_checks"]

_TRUE = ("1", "true", "yes", "on")
_sync: bool = os.environ.get("FOCALKIT_SYNC_TARGET_CHECKS", "0").strip().lower() in _TRUE
_pending: deque[tuple[torch.Tensor, Any, str, bool]] = deque()


class sync_target_checks:  # noqa: N801 - used like torch.set_grad_enabled
    """Raise target errors on CUDA in the call itself (one device sync per call).

    Called plainly it sets the mode for the process; in a ``with`` block the previous mode
    is restored on exit. Off by default: the GPU kernels' count of bad targets is read
    asynchronously and raised by the next loss call (see the module docstring).

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

    def __init__(self, enabled: bool) -> None:
        global _sync
        if not isinstance(enabled, bool):
            from focalkit._core._validation import param_error

            raise param_error("enabled", "sync_target_checks", "a bool", enabled)
        self._previous = _sync
        _sync = enabled

    def __enter__(self) -> sync_target_checks:
        return self

    def __exit__(self, *exc: Any) -> None:
        global _sync
        _sync = self._previous


def _error(message: str, count: int, exact: bool, deferred: bool) -> InvalidParameterError:
    if exact:
        text = f"{message}; found {count} such value{'s' if count != 1 else ''}"
    else:
        text = f"{message}; found values that are not"
    if deferred:
        text += (
            " in an earlier call on the GPU (checked without waiting for the device; that "
            "call's loss and gradient are NaN). focalkit.torch.sync_target_checks(True) "
            "raises in the call itself."
        )
    return InvalidParameterError(text + ("" if deferred else "."))


def report(count: torch.Tensor, message: str, *, exact: bool = True) -> None:
    """Raise ``message`` if the device scalar ``count`` is positive: now, or later on CUDA.

    Parameters
    ----------
    count : torch.Tensor
        Number of bad target values (a 0-d tensor, any device), or with ``exact=False``
        any positive number when there are some.
    message : str
        What was expected, naming the argument and its owner.
    exact : bool, default=True
        Whether ``count`` is the number of bad values (the error then gives it).
    """
    if count.device.type != "cuda" or _sync:
        n = int(count.item())
        if n:
            raise _error(message, n, exact, deferred=False)
        return
    if torch.cuda.is_current_stream_capturing():
        return  # no host copy inside a graph capture: the NaN marks the values
    host = torch.empty((), dtype=count.dtype, pin_memory=True)
    host.copy_(count, non_blocking=True)
    event = torch.cuda.Event()
    event.record()
    _pending.append((host, event, message, exact))


def poll(wait: bool = False) -> None:
    """Raise the first error whose count has reached the host (all of them if ``wait``)."""
    while _pending:
        host, event, message, exact = _pending[0]
        if wait:
            event.synchronize()
        elif not event.query():
            return
        _pending.popleft()
        n = int(host.item())
        if n:
            _pending.clear()
            raise _error(message, n, exact, deferred=True)


def check_pending_targets() -> None:
    """Wait for the GPU's pending target checks and raise the first error found.

    Losses on CUDA tensors check their targets without waiting for the device and raise
    from the next call; call this after the last step (or before a checkpoint) to be sure
    that no bad target went unreported.

    Examples
    --------
    >>> from focalkit.torch import check_pending_targets
    >>> check_pending_targets()  # nothing pending on the CPU
    """
    poll(wait=True)
