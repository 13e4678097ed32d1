"""Small helpers of several spec modules: label priors and spec-to-function plumbing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from focalkit._core.weights import _weights

__all__ = ["class_prior", "positive_rate", "sigmoid_pair", "softmax_pair"]


def positive_rate(y: Any, sample_weight: Any = None) -> Any:
    """Weighted rate of positives: a float for 1-D ``y``, one per label for 2-D ``y``."""
    arr = np.asarray(y, dtype=float)
    sw = _weights(sample_weight, arr.shape[0])
    rate = (sw @ arr.reshape(arr.shape[0], -1)) / sw.sum()
    return float(rate[0]) if arr.ndim == 1 else rate


def class_prior(y: Any, n_classes: int | None, sample_weight: Any = None) -> np.ndarray:
    """Weighted class frequencies of integer labels ``y`` (floored away from 0)."""
    labels = np.asarray(y).astype(np.int64)
    c = int(n_classes) if n_classes is not None else int(labels.max()) + 1
    sw = _weights(sample_weight, labels.shape[0])
    counts = np.bincount(labels, weights=sw, minlength=c)[:c]
    return np.maximum(counts / counts.sum(), 1e-12)


def sigmoid_pair(loss: Callable[..., Any], grad: Callable[..., Any],
                 keys: tuple[str, ...]) -> Callable[..., tuple[Any, Any]]:
    """``loss_grad`` of a spec from a ``_core`` loss and gradient function."""

    def loss_grad(self: Any, z: Any, y: Any) -> tuple[Any, Any]:
        self._ready()
        kw = {k: self.values[k] for k in keys}
        return loss(z, y, **kw), grad(z, y, **kw)

    loss_grad.__doc__ = f"Loss and gradient (:func:`{loss.__module__}.{loss.__name__}`)."
    return loss_grad


def softmax_pair(loss: Callable[..., Any], grad: Callable[..., Any],
                 keys: tuple[str, ...]) -> Callable[..., tuple[Any, Any]]:
    """``loss_grad`` of a softmax spec from ``_core`` functions taking ``axis``."""

    def loss_grad(self: Any, z: Any, y: Any, *, axis: int = -1) -> tuple[Any, Any]:
        self._ready()
        kw = {k: self.values[k] for k in keys}
        return loss(z, y, axis=axis, **kw), grad(z, y, axis=axis, **kw)

    loss_grad.__doc__ = f"Loss and gradient (:func:`{loss.__module__}.{loss.__name__}`)."
    return loss_grad
