"""A loss spec as a differentiable function of Keras tensors, on each Keras back end.

The mathematics is ``_core``'s, run on the back end's own arrays (``_core`` is generic over
NumPy, torch, jax.numpy and TensorFlow); the gradient is the spec's analytic one on all
three back ends:

* JAX: the ``custom_jvp`` rules of :mod:`focalkit.jax` (also ``jax.hessian``-able);
* TensorFlow: ``keras.ops.custom_gradient`` (``tf.custom_gradient``), graph mode included;
* PyTorch: ``keras.ops.custom_gradient`` (a ``torch.autograd.Function``).

On TensorFlow and PyTorch the loss is not differentiable with respect to the targets
(``y_true``): their gradient is None there, never a wrong number.
"""

from __future__ import annotations

from typing import Any

import keras
from focalkit._core.losses import LossSpec
from keras import ops

__all__ = ["compute_dtype", "spec_loss", "standard_dtype"]

_HALF = ("float16", "bfloat16")


def standard_dtype(x: Any) -> str:
    """The dtype of ``x`` as Keras names it (``"float32"``, ...)."""
    return keras.backend.standardize_dtype(x.dtype)


def compute_dtype(x: Any) -> str:
    """float32 for half-precision tensors (the loss policy of mixed precision), else x's."""
    dtype = standard_dtype(x)
    return "float32" if dtype in _HALF else dtype


def spec_loss(spec: LossSpec, z: Any, y: Any, axis: int | None) -> Any:
    """Unreduced loss of ``spec`` (``axis=None``: elementwise; else per sample over ``axis``).

    ``z`` must already be in its compute dtype and ``y`` prepared (float targets shaped like
    ``z`` for sigmoid losses; integer labels or dense targets for softmax losses).
    """
    if keras.backend.backend() == "jax":
        from focalkit.jax._engine import loss_function

        return loss_function(spec, axis)(z, y)
    return _custom_gradient(spec, z, y, axis)


def _custom_gradient(spec: LossSpec, z: Any, y: Any, axis: int | None) -> Any:
    def loss_grad(logits: Any) -> tuple[Any, Any]:
        if axis is None:
            return spec.loss_grad(logits, y)
        return spec.loss_grad(logits, y, axis=axis)  # type: ignore[call-arg]

    @ops.custom_gradient
    def loss(logits: Any) -> Any:
        value, g = loss_grad(logits)

        def grad(*args: Any, upstream: Any = None) -> Any:
            if upstream is None:
                (upstream,) = args
            up = upstream if axis is None else ops.expand_dims(upstream, axis)
            return ops.cast(up, g.dtype) * g

        return value, grad

    return loss(z)
