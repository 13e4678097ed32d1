"""Blocks of rows for the reference path, so that its temporaries stay small.

The ``_core`` formulas create about a dozen input-sized temporaries. Run on the whole input
at once, the reference path's transient memory peaks at ~11-13x the logits (measured in
``benchmarks/memory_autograd.py``); run block by block along dimension 0 it is bounded by
that factor times one block. Nothing is chunked while ``torch.compile`` traces (Inductor
fuses the formula) or when the input fits in one block.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from focalkit.torch._checks import compiling

#: Elements per block of the reference path: CPU tensors, and other devices (where each
#: block costs kernel launches, so blocks are larger).
CPU_BLOCK_ELEMENTS = 1 << 18
DEVICE_BLOCK_ELEMENTS = 1 << 24


def row_blocks(x: torch.Tensor) -> list[slice] | None:
    """Slices of dimension 0 covering ``x`` in blocks; None when one block suffices."""
    if compiling() or x.ndim == 0 or x.shape[0] <= 1:
        return None
    limit = CPU_BLOCK_ELEMENTS if x.device.type == "cpu" else DEVICE_BLOCK_ELEMENTS
    if x.numel() <= limit:
        return None
    n = x.shape[0]
    rows = max(limit // max(x.numel() // n, 1), 1)
    return [slice(s, min(s + rows, n)) for s in range(0, n, rows)]


def rows(t: Any, ndim: int, block: slice) -> Any:
    """``t[block]`` when ``t`` has a dimension aligned with the input's dimension 0.

    A tensor (or NumPy array) broadcast against an ``ndim``-dimensional input lines up
    with the input's dimension 0 only when it has ``ndim`` dimensions and a size other than
    1 there.
    """
    if isinstance(t, (torch.Tensor, np.ndarray)) and t.ndim == ndim and t.shape[0] != 1:
        return t[block]
    return t
