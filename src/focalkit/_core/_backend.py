"""Array back ends for the mathematics in ``_core``.

The formulas in :mod:`focalkit._core.binary` and :mod:`focalkit._core.softmax` are written
once against the small interface below, so that NumPy arrays (boosters, scikit-learn),
torch tensors (the analytic backward of :mod:`focalkit.torch`), JAX arrays
(:mod:`focalkit.jax`, Keras on JAX) and TensorFlow tensors (Keras on TensorFlow) run the
same code. torch, jax and tensorflow are only imported when one of their arrays is passed
in (jax tracers under ``jit``/``vmap``/``grad`` count as JAX arrays).
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

    @staticmethod
    def reshape(x: Any, shape: Any) -> Any:
        return np.reshape(x, shape)

    @staticmethod
    def pow(x: Any, g: Any) -> Any:
        """X ** g for x >= 0 (the focal factors); the autodiff back ends keep it finite."""
        return x**g


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
        torch = self.torch
        if torch._C._are_functorch_transforms_active():
            # F.one_hot checks the index range with .item(), which vmap refuses; the torch
            # losses check the labels of the whole batch before a transform runs them
            arange = torch.arange(n, device=index.device)
            oh = (index.long().unsqueeze(-1) == arange).to(like.dtype)
        else:
            oh = torch.nn.functional.one_hot(index.long(), n).to(like.dtype)
        return oh.movedim(-1, axis % like.ndim)

    def sum(self, x: Any, axis: int, keepdims: bool = False) -> Any:
        return self.torch.sum(x, dim=axis, keepdim=keepdims)

    def expand(self, x: Any, axis: int) -> Any:
        return x.unsqueeze(axis)

    def reshape(self, x: Any, shape: Any) -> Any:
        return x.reshape(shape)

    def pow(self, x: Any, g: Any) -> Any:
        return x**g


class JaxOps:
    """jax.numpy implementation of the same primitives (imported lazily).

    Every function is traceable: ``_core`` runs unchanged under ``jit``, ``vmap`` and the
    autodiff transforms (:mod:`focalkit.jax` wraps it in ``custom_jvp`` rules).
    """

    name = "jax"

    def __init__(self) -> None:
        import jax.numpy as jnp

        import jax

        self.jax = jax
        self.jnp = jnp
        self.exp = jnp.exp
        self.log = jnp.log
        self.log1p = jnp.log1p
        self.expm1 = jnp.expm1
        self.abs = jnp.abs
        self.where = jnp.where
        self.maximum = jnp.maximum
        self.pow = _jax_safe_pow(jax, jnp)

    def asarray(self, x: Any, like: Any = None) -> Any:
        if like is not None:
            return self.jnp.asarray(x, dtype=like.dtype)
        arr = self.jnp.asarray(x)
        if self.jnp.issubdtype(arr.dtype, self.jnp.floating):
            return arr
        return arr.astype(self.jnp.result_type(float))

    def neg_part(self, x: Any) -> Any:
        return self.jnp.minimum(x, 0)

    def log_softmax(self, x: Any, axis: int) -> Any:
        return self.jax.nn.log_softmax(x, axis=axis)

    def take(self, x: Any, index: Any, axis: int) -> Any:
        idx = self.jnp.expand_dims(self.jnp.asarray(index).astype(self.jnp.int32), axis)
        return self.jnp.squeeze(self.jnp.take_along_axis(x, idx, axis=axis), axis=axis)

    def one_hot(self, index: Any, n: int, axis: int, like: Any) -> Any:
        return self.jax.nn.one_hot(index, n, dtype=like.dtype, axis=axis)

    def sum(self, x: Any, axis: int, keepdims: bool = False) -> Any:
        return self.jnp.sum(x, axis=axis, keepdims=keepdims)

    def expand(self, x: Any, axis: int) -> Any:
        return self.jnp.expand_dims(x, axis)

    def reshape(self, x: Any, shape: Any) -> Any:
        return self.jnp.reshape(x, shape)


def _jax_safe_pow(jax: Any, jnp: Any) -> Any:
    r"""``x ** g`` (x >= 0) whose derivative is finite where x is exactly 0.

    ``jnp.power``'s rule gives ``g * 0 ** (g - 1) * dx = inf * 0 = nan`` at ``x = 0`` for
    ``g < 1`` (``g = 0`` included), which is where a saturated probability puts the focal
    factor; differentiating ``_core``'s analytic gradient (second derivatives) would then be
    NaN although the exact limit is finite. Here the derivative at ``x = 0`` is the one-sided
    value for ``g >= 1`` (0, or 1 at ``g = 1``) and 0 for ``g < 1``: the tangent ``dx`` of a
    saturated probability is itself 0, and the Hessian's exact limit there is 0.
    """

    @jax.custom_jvp
    def safe_pow(x: Any, g: Any) -> Any:
        return x**g

    def safe_pow_jvp(primals: Any, tangents: Any) -> Any:
        x, g = primals
        dx, dg = tangents
        positive = x > 0
        base = jnp.where(positive, x, 1.0)
        at_zero = jnp.where(g == 1.0, 1.0, 0.0)
        slope = jnp.where(positive, g * base ** (g - 1.0), at_zero)
        out = slope * dx
        if not isinstance(dg, jax.custom_derivatives.SymbolicZero):
            out = out + jnp.where(positive, base**g * jnp.log(base), 0.0) * dg
        return safe_pow(x, g), out

    safe_pow.defjvp(safe_pow_jvp, symbolic_zeros=True)

    def pow_(x: Any, g: Any) -> Any:
        return safe_pow(x, jnp.asarray(g, dtype=x.dtype))

    return pow_


class TensorFlowOps:
    """TensorFlow implementation of the same primitives (imported lazily; Keras on TF).

    TensorFlow does not promote Python scalars against float64 tensors in ``tf.where``, so
    scalar branches are cast to the other branch's dtype here.
    """

    name = "tensorflow"

    def __init__(self) -> None:
        import tensorflow as tf

        self.tf = tf
        self.exp = tf.exp
        self.log = tf.math.log
        self.log1p = tf.math.log1p
        self.expm1 = tf.math.expm1
        self.abs = tf.abs

    def _tensor(self, x: Any, like: Any) -> Any:
        if self.tf.is_tensor(x):
            return x if x.dtype == like.dtype else self.tf.cast(x, like.dtype)
        return self.tf.constant(np.asarray(x), dtype=like.dtype)

    def asarray(self, x: Any, like: Any = None) -> Any:
        if like is not None:
            return self._tensor(x, like)
        t = x if self.tf.is_tensor(x) else self.tf.convert_to_tensor(x)
        return t if t.dtype.is_floating else self.tf.cast(t, self.tf.float64)

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        like = a if self.tf.is_tensor(a) else b
        return self.tf.where(cond, self._tensor(a, like), self._tensor(b, like))

    def maximum(self, a: Any, b: Any) -> Any:
        like = a if self.tf.is_tensor(a) else b
        return self.tf.maximum(self._tensor(a, like), self._tensor(b, like))

    def neg_part(self, x: Any) -> Any:
        return self.tf.minimum(x, self.tf.zeros((), x.dtype))

    def log_softmax(self, x: Any, axis: int) -> Any:
        return self.tf.nn.log_softmax(x, axis=axis)

    def take(self, x: Any, index: Any, axis: int) -> Any:
        oh = self.one_hot(index, x.shape[axis], axis, x)
        return self.tf.reduce_sum(x * oh, axis=axis)

    def one_hot(self, index: Any, n: int, axis: int, like: Any) -> Any:
        idx = self.tf.cast(index, self.tf.int32)
        return self.tf.one_hot(idx, n, axis=axis % like.shape.rank, dtype=like.dtype)

    def sum(self, x: Any, axis: int, keepdims: bool = False) -> Any:
        return self.tf.reduce_sum(x, axis=axis, keepdims=keepdims)

    def expand(self, x: Any, axis: int) -> Any:
        return self.tf.expand_dims(x, axis)

    def reshape(self, x: Any, shape: Any) -> Any:
        return self.tf.reshape(x, shape)

    def pow(self, x: Any, g: Any) -> Any:
        return x**g


_NUMPY = Ops()
_TORCH: TorchOps | None = None
_JAX: JaxOps | None = None
_TF: TensorFlowOps | None = None


def get_ops(x: Any) -> Any:
    """Return the back end for ``x``: torch, jax or TensorFlow for their arrays, else NumPy."""
    global _TORCH, _JAX, _TF
    module = type(x).__module__
    if module.startswith("torch"):
        if _TORCH is None:
            _TORCH = TorchOps()
        return _TORCH
    if module.startswith(("jax", "jaxlib")):
        if _JAX is None:
            _JAX = JaxOps()
        return _JAX
    if module.startswith("tensorflow"):
        if _TF is None:
            _TF = TensorFlowOps()
        return _TF
    return _NUMPY
