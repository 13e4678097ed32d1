"""Array back ends for the mathematics in ``_core``.

The formulas in :mod:`focalkit._core.binary` and :mod:`focalkit._core.softmax` are written
once against the small interface below, so that NumPy arrays (boosters, scikit-learn) and
torch tensors (the analytic backward of :mod:`focalkit.torch`) run the same code. torch is
only imported when a torch tensor is passed in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import log_softmax as _np_log_softmax

__all__ = ["Ops", "get_ops"]


class Ops:
    """NumPy implementation of the primitives ``_core`` needs."""

    name = "numpy"

    @staticmethod
    def asarray(x: Any, like: Any = None) -> Any:
        if like is not None:  # a Python scalar ``like`` computes in float64
            return np.asarray(x, dtype=getattr(like, "dtype", np.float64))
        arr = np.asarray(x)
        return arr if arr.dtype.kind == "f" else arr.astype(np.float64)

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    log1p = staticmethod(np.log1p)
    expm1 = staticmethod(np.expm1)
    abs = staticmethod(np.abs)
    where = staticmethod(np.where)
    maximum = staticmethod(np.maximum)

    @staticmethod
    def neg_part(x: Any) -> Any:
        """min(x, 0)."""
        return np.minimum(x, 0)

    @staticmethod
    def log_softmax(x: Any, axis: int) -> Any:
        return _np_log_softmax(x, axis=axis)

    @staticmethod
    def take(x: Any, index: Any, axis: int) -> Any:
        """x[..., index, ...] along ``axis`` with ``index`` of x's shape minus that axis."""
        idx = np.expand_dims(np.asarray(index, dtype=np.intp), axis)
        return np.squeeze(np.take_along_axis(x, idx, axis=axis), axis=axis)

    @staticmethod
    def one_hot(index: Any, n: int, axis: int, like: Any) -> Any:
        idx = np.expand_dims(np.asarray(index, dtype=np.intp), axis)
        shape = [1] * like.ndim
        shape[axis] = n
        classes = np.arange(n).reshape(shape)
        return (idx == classes).astype(like.dtype)

    @staticmethod
    def sum(x: Any, axis: int, keepdims: bool = False) -> Any:
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def expand(x: Any, axis: int) -> Any:
        return np.expand_dims(x, axis)


class TorchOps:
    """torch implementation of the same primitives (imported lazily)."""

    name = "torch"

    def __init__(self) -> None:
        import torch

        self.torch = torch
        self.exp = torch.exp
        self.log = torch.log
        self.log1p = torch.log1p
        self.expm1 = torch.expm1
        self.abs = torch.abs
        self.where = torch.where
        self.maximum = torch.maximum

    def asarray(self, x: Any, like: Any = None) -> Any:
        if like is not None:
            return self.torch.as_tensor(x, dtype=like.dtype, device=like.device)
        return self.torch.as_tensor(x)

    def neg_part(self, x: Any) -> Any:
        return self.torch.clamp(x, max=0)

    def log_softmax(self, x: Any, axis: int) -> Any:
        return self.torch.log_softmax(x, dim=axis)

    def take(self, x: Any, index: Any, axis: int) -> Any:
        return self.torch.gather(x, axis, index.long().unsqueeze(axis)).squeeze(axis)

    def one_hot(self, index: Any, n: int, axis: int, like: Any) -> Any:
        oh = self.torch.nn.functional.one_hot(index.long(), n).to(like.dtype)
        return oh.movedim(-1, axis % like.ndim)

    def sum(self, x: Any, axis: int, keepdims: bool = False) -> Any:
        return self.torch.sum(x, dim=axis, keepdim=keepdims)

    def expand(self, x: Any, axis: int) -> Any:
        return x.unsqueeze(axis)


_NUMPY = Ops()
_TORCH: TorchOps | None = None


def get_ops(x: Any) -> Any:
    """Return the back end for ``x``: torch for tensors, NumPy otherwise."""
    global _TORCH
    if type(x).__module__.startswith("torch"):
        if _TORCH is None:
            _TORCH = TorchOps()
        return _TORCH
    return _NUMPY
