"""Bad target values found by the GPU kernels, raised without waiting for the device.

The CUDA kernels check the targets in the pass that reads them: a value out of range
makes its loss and gradient NaN at once, and the kernel adds to an int32 counter on the
device (an atomic that runs only when a block holds such a value). Reading that counter
on the host after every call would stall the GPU (the host waits for the kernel, then
the device waits for the host's next launches), and even an asynchronous copy costs
CUDA calls that were measured at ~0.25 ms of host time per loss call on a virtualised
H100 host. So by default the counter is copied to pinned host memory behind a CUDA event
at most every ``INTERVAL_S`` seconds (one copy in flight per counter), and the first
focalkit loss call after the copy has landed (or :func:`check_pending_targets`, which
waits) raises the error. Nothing is silently wrong in between: the loss of the bad call
is NaN.

``sync_target_checks(True)`` (or the environment variable
``FOCALKIT_SYNC_TARGET_CHECKS=1``) raises in the call itself instead, at the cost of one
device sync per call; the setting is context-local (:mod:`focalkit.torch._settings`).
CPU tensors are always checked in the call itself (by the CPU kernel, or by the
reference path).
"""

from __future__ import annotations

import time
from typing import Any

import torch

from focalkit.exceptions import InvalidParameterError
from focalkit.torch._settings import sync_enabled, sync_target_checks

__all__ = ["check_pending_targets", "counter", "poll", "reported", "sync_target_checks"]

#: Seconds between two copies of a counter to the host (and between two looks at one).
INTERVAL_S = 0.05


class _Check:
    """One counter of bad values (per device and error message) and its host mirror."""

    def __init__(self, device: torch.device, message: str, exact: bool) -> None:
        self.message, self.exact = message, exact
        self.counter = torch.zeros((), dtype=torch.int32, device=device)
        self.host = torch.zeros((), dtype=torch.int32, pin_memory=True)
        self.event = torch.cuda.Event()
        self.in_flight = False
        self.issued = -INTERVAL_S  # time of the last copy
        self.seen = 0  # counter value already reported

    def error(self, value: int, deferred: bool) -> InvalidParameterError:
        new, self.seen = value - self.seen, value
        if self.exact:
            text = f"{self.message}; found {new} such value{'s' if new != 1 else ''}"
        else:
            text = f"{self.message}; found values that are not"
        if deferred:
            text += (
                " in an earlier call on the GPU (checked without waiting for the device; "
                "that call's loss and gradient are NaN). "
                "focalkit.torch.sync_target_checks(True) raises in the call itself."
            )
        return InvalidParameterError(text + ("" if deferred else "."))

    def landed(self, now: float) -> int | None:
        """The mirrored counter once its copy has landed (None while in flight or idle)."""
        if not self.in_flight or now - self.issued < INTERVAL_S:
            return None
        if torch.cuda.is_current_stream_capturing() or not self.event.query():
            return None  # no event queries inside a CUDA graph capture
        self.in_flight = False
        return int(self.host.item())


_checks: dict[tuple[Any, str], _Check] = {}


def counter(device: torch.device, message: str, *, exact: bool = True) -> torch.Tensor:
    """The int32 device counter that the kernels add bad values to, for this message.

    Parameters
    ----------
    device : torch.device
        A CUDA device.
    message : str
        What was expected, naming the argument and its owner.
    exact : bool, default=True
        Whether the kernels count values (else: blocks holding some).

    Returns
    -------
    torch.Tensor
        Pass it to the kernels as ``state["bad_counter"]``, then call :func:`reported`.
    """
    key = (device, message)
    check = _checks.get(key)
    if check is None:
        check = _checks[key] = _Check(device, message, exact)
    return check.counter


def reported(device: torch.device, message: str) -> None:
    """After a kernel call: raise now (sync mode), or start the counter's copy to the host."""
    check = _checks[device, message]
    if sync_enabled():
        value = int(check.counter.item())
        if value > check.seen:
            raise check.error(value, deferred=False)
        return
    now = time.perf_counter()
    if check.in_flight or now - check.issued < INTERVAL_S:
        return  # one copy at a time, at most one per interval
    with torch.cuda.device(check.counter.device):  # the counter's device and stream
        if torch.cuda.is_current_stream_capturing():
            return  # no copies inside a graph capture: the NaN marks the values
        check.host.copy_(check.counter, non_blocking=True)
        check.event.record()
    check.in_flight, check.issued = True, now


def poll(wait: bool = False) -> None:
    """Raise the error of a counter whose copy has landed and grown (``wait``: all, now)."""
    now = time.perf_counter()
    for check in _checks.values():
        if wait:
            value: int | None = int(check.counter.item())
            check.in_flight = False
        else:
            value = check.landed(now)
        if value is not None and value > check.seen:
            raise check.error(value, deferred=True)


def check_pending_targets() -> None:
    """Wait for the GPU's target checks and raise the first error not yet reported.

    Losses on CUDA tensors check their targets without waiting for the device and raise
    from a later call; call this after the last step (or before a checkpoint) to be sure
    that no bad target went unreported.

    Examples
    --------
    >>> from focalkit.torch import check_pending_targets
    >>> check_pending_targets()  # nothing pending on the CPU
    """
    poll(wait=True)
