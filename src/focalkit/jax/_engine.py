r"""A loss spec as a differentiable JAX function: ``custom_jvp`` rules, analytic derivatives.

For a spec instance ``spec`` (validated, label-dependent parameters resolved), the
unreduced loss :math:`L(z, y)` gets the rule

.. math:: \dot L = g(z, y)\,\dot z \;(+\ \partial_y L\,\dot y),

with :math:`g` the spec's analytic gradient (never autodiff of the loss formula, which has
``0 * inf`` at saturation for :math:`0 < \gamma < 1`). The gradient itself is a second
``custom_jvp`` function whose rule is the spec's analytic, exact Hessian where the spec
has one (sigmoid losses with ``grad_hess``: the Hessian is diagonal); otherwise
``jax.hessian`` differentiates the analytic gradient's code.

A JVP rule (rather than a VJP pair) makes one definition serve ``jvp``/``jacfwd`` as well as
``grad``/``vjp`` (JAX transposes the linear tangent map), and therefore ``jax.hessian``
(forward over reverse). The label tangent :math:`\partial_y L\,\dot y` is only formed when
labels are actually differentiated (``symbolic_zeros``); integer labels have none.

Half-precision logits (``float16``, ``bfloat16``) are computed in ``float32`` (the loss
policy of PyTorch's autocast) and the loss is returned in the logits' dtype, as optax does.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

import jax
from focalkit._core.losses import LossSpec, SigmoidLoss
from focalkit.exceptions import InvalidParameterError
from focalkit.jax._fast import fast_loss_grad

__all__ = ["apply", "compute_dtype", "has_analytic_hessian", "loss_function"]

_HALF = (jnp.float16, jnp.bfloat16)


def has_analytic_hessian(spec: LossSpec | type[LossSpec]) -> bool:
    """True when the spec's class implements ``grad_hess`` itself (elementwise losses only)."""
    cls = spec if isinstance(spec, type) else type(spec)
    return cls.kind == "sigmoid" and cls.grad_hess is not SigmoidLoss.grad_hess


def compute_dtype(dtype: Any) -> Any:
    """float32 for half precision, the dtype itself otherwise."""
    return jnp.dtype(jnp.float32) if jnp.dtype(dtype) in map(jnp.dtype, _HALF) else dtype


def _is_zero(t: Any) -> bool:
    return isinstance(t, SymbolicZero) or getattr(t, "dtype", None) == jax.dtypes.float0


def _label_tangent(f: Any, z: Any, y: Any, dy: Any) -> Any:
    """The tangent of ``f(z, y)`` along ``dy``.

    Autodiff in the labels, which enter linearly or piecewise-constantly in every spec.
    """
    return jax.jvp(lambda t: f(z, t), (y,), (dy,))[1]


def _spec_loss_grad(spec: LossSpec, axis: int | None) -> Any:
    """``(z, y) -> (loss, grad)``: a fast hook of the spec, or ``_core``'s formulas."""
    if axis is None:
        return fast_loss_grad(spec) or spec.loss_grad
    fast = fast_loss_grad(spec, axis)
    if fast is not None:
        return fast

    def loss_grad(z: Any, y: Any) -> Any:
        return spec.loss_grad(z, y, axis=axis)  # type: ignore[call-arg]

    return loss_grad


def _gradient_function(spec: LossSpec, loss_grad: Any) -> Any:
    """``g(z, y)``: the spec's gradient, with the analytic Hessian as its JVP where known."""

    def grad(z: Any, y: Any) -> Any:
        return loss_grad(z, y)[1]

    if not has_analytic_hessian(spec):
        return grad

    analytic = jax.custom_jvp(grad)

    def grad_jvp(primals: Any, tangents: Any) -> Any:
        z, y = primals
        dz, dy = tangents
        g, h = spec.grad_hess(z, y, hessian="exact")
        out = jnp.zeros_like(g) if _is_zero(dz) else h * dz
        if not _is_zero(dy):
            out = out + _label_tangent(grad, z, y, dy)
        return g, out

    analytic.defjvp(grad_jvp, symbolic_zeros=True)
    return analytic


def loss_function(spec: LossSpec, axis: int | None) -> Any:
    """The custom_jvp function ``(z, y) -> loss`` of ``spec`` (``axis``: the class axis)."""
    loss_grad = _spec_loss_grad(spec, axis)
    grad = _gradient_function(spec, loss_grad)
    separate_grad = has_analytic_hessian(spec)

    @jax.custom_jvp
    def loss(z: Any, y: Any) -> Any:
        return loss_grad(z, y)[0]

    def loss_jvp(primals: Any, tangents: Any) -> Any:
        z, y = primals
        dz, dy = tangents
        value, g = loss_grad(z, y)
        if separate_grad:  # its own rule carries the analytic Hessian (XLA merges the work)
            g = grad(z, y)
        if _is_zero(dz):
            out = jnp.zeros_like(value)
        elif axis is None:
            out = g * dz
        else:
            out = jnp.sum(g * dz, axis=axis)
        if not _is_zero(dy):
            out = out + _label_tangent(lambda a, b: loss_grad(a, b)[0], z, y, dy)
        return value, out

    loss.defjvp(loss_jvp, symbolic_zeros=True)
    return loss


def apply(spec: LossSpec, logits: Any, labels: Any, *, axis: int = -1, owner: str) -> Any:
    """The unreduced loss of ``spec`` (elementwise for sigmoid, per example for softmax)."""
    z = jnp.asarray(logits)
    if not jnp.issubdtype(z.dtype, jnp.floating):
        raise InvalidParameterError(f"{owner}: logits must be floating point; got {z.dtype}.")
    out_dtype = z.dtype
    z = z.astype(compute_dtype(z.dtype))
    y = jnp.asarray(labels)
    if spec.kind == "sigmoid":
        y = y.astype(z.dtype)
        try:
            z, y = jnp.broadcast_arrays(z, y)
        except ValueError:
            raise InvalidParameterError(
                f"{owner}: labels must be broadcastable to logits; got {tuple(y.shape)} and "
                f"{tuple(z.shape)}.") from None
        return loss_function(spec, None)(z, y).astype(out_dtype)
    if z.ndim == 0:
        raise InvalidParameterError(f"{owner}: logits need a class axis; got a scalar.")
    ax = axis % z.ndim
    if tuple(y.shape) == tuple(z.shape):
        if not getattr(type(spec), "dense_targets", False):
            raise InvalidParameterError(
                f"{owner}: the loss {spec.name!r} takes integer labels (logits' shape without "
                f"the class axis), not class probabilities; got labels shaped like the logits "
                f"{tuple(z.shape)}.")
        y = y.astype(z.dtype)
    else:
        expected = tuple(z.shape[:ax] + z.shape[ax + 1:])
        if tuple(y.shape) != expected:
            raise InvalidParameterError(
                f"{owner}: integer labels must have the logits' shape without the class axis, "
                f"{expected}; got {tuple(y.shape)}.")
        if not jnp.issubdtype(y.dtype, jnp.integer):
            raise InvalidParameterError(
                f"{owner}: labels must be integer class indices; got {y.dtype}.")
    return loss_function(spec, ax)(z, y).astype(out_dtype)
