r"""Optional fast paths of loss specs on JAX (hooks keyed by spec class, tested vs ``_core``).

The generic path runs ``_core``'s formulas, written for accuracy on every back end (bounded
ratios, one ``where`` per tail). XLA on CPU does not duplicate their transcendental
intermediates into several consumers, so that form materialises about ten arrays per call:
at :math:`2^{22}` logits it is memory-bound at ~2x optax's BCE. A hook gives the same loss
and gradient in a form that fuses into a few loops: everything from one
:math:`e = \exp(-|z|)` and :math:`\mathrm{sp}_\pm`, with the focal factors in log space,

.. math::

    (1-p)^\gamma = e^{-\gamma\,\mathrm{sp}(z)},\quad p^\gamma = e^{-\gamma\,\mathrm{sp}(-z)},

    \partial_z L = a_0 (1-y)\, p^\gamma (p + \gamma (1-p)\,\mathrm{sp}(z))
                 - a_1 y\, (1-p)^\gamma ((1-p) + \gamma p\,\mathrm{sp}(-z)),

finite at every margin and every :math:`\gamma \ge 0` (no power of a zero base, no
``log(sigmoid)``). The softmax focal / cross-entropy hook (integer labels, no label
smoothing) forms the focal weight once per row, so its per-element work is that of
cross-entropy. :func:`use_fast_path` switches hooks off (read when a function is traced).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

import jax.numpy as jnp

import jax
from focalkit._core.losses import LossSpec
from focalkit._core.losses.focal import (
    SigmoidBCELoss,
    SigmoidFocalLoss,
    SoftmaxCELoss,
    SoftmaxFocalLoss,
)

__all__ = ["fast_loss_grad", "fast_path_enabled", "use_fast_path"]

_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar("focalkit_jax_fast",
                                                                default=True)


def fast_path_enabled() -> bool:
    """Whether spec hooks are used (in this context)."""
    return _ENABLED.get()


@contextlib.contextmanager
def use_fast_path(enabled: bool = True) -> Iterator[None]:
    """Context manager: switch the JAX fast paths on or off (context-local).

    Under ``jit`` the setting is read when the function is traced.

    Examples
    --------
    >>> from focalkit.jax import use_fast_path, fast_path_enabled
    >>> with use_fast_path(False):
    ...     fast_path_enabled()
    False
    """
    token = _ENABLED.set(bool(enabled))
    try:
        yield
    finally:
        _ENABLED.reset(token)


def _sigmoid_focal(spec: LossSpec) -> Callable[[Any, Any], tuple[Any, Any]]:
    kw = spec._kw  # type: ignore[attr-defined]
    gamma, alpha, pos_weight = kw["gamma"], kw["alpha"], kw["pos_weight"]

    def loss_grad(z: Any, y: Any) -> tuple[Any, Any]:
        g = gamma if isinstance(gamma, float) else jnp.asarray(gamma, z.dtype)
        a1: Any = 1.0 if alpha is None else jnp.asarray(alpha, z.dtype)
        a0: Any = 1.0 if alpha is None else 1.0 - jnp.asarray(alpha, z.dtype)
        if pos_weight is not None:
            a1 = a1 * jnp.asarray(pos_weight, z.dtype)
        e = jnp.exp(-jnp.abs(z))
        sp_pos = jnp.log1p(e) + jnp.maximum(z, 0.0)  # -log(1 - p)
        sp_neg = sp_pos - z  # -log p
        inv = 1.0 / (1.0 + e)
        pos = z >= 0
        p = jnp.where(pos, inv, e * inv)
        q = jnp.where(pos, e * inv, inv)
        w1, w0 = y * a1, (1.0 - y) * a0
        if isinstance(g, float) and g == 0.0:
            return w1 * sp_neg + w0 * sp_pos, w0 * p - w1 * q
        f1 = jnp.exp(-g * sp_pos)  # (1 - p)^gamma
        f0 = jnp.exp(-g * sp_neg)  # p^gamma
        loss = w1 * f1 * sp_neg + w0 * f0 * sp_pos
        grad = w0 * f0 * (p + g * q * sp_pos) - w1 * f1 * (q + g * p * sp_neg)
        return loss, grad

    return loss_grad


def _softmax_focal(spec: LossSpec, axis: int) -> Any:
    r"""Softmax focal loss for integer labels without label smoothing.

    Per element there is one ``log_softmax`` and one ``exp``; the focal weight
    :math:`w_y = a_y (1-p_y)^\gamma (1 + \gamma p_y r_y)` (:mod:`focalkit._core.softmax`) is
    one number per row.
    """
    kw = spec._kw  # type: ignore[attr-defined]
    if kw["label_smoothing"]:
        return None
    gamma, class_weight = kw["gamma"], kw["class_weight"]
    fallback = spec.loss_grad

    def loss_grad(z: Any, y: Any) -> tuple[Any, Any]:
        if tuple(y.shape) == tuple(z.shape):  # dense targets: the _core path
            return fallback(z, y, axis=axis)  # type: ignore[call-arg]
        y = y.astype(jnp.int32)
        logp = jax.nn.log_softmax(z, axis=axis)
        idx = jnp.expand_dims(y, axis)
        logp_y = jnp.squeeze(jnp.take_along_axis(logp, idx, axis=axis), axis=axis)
        p_y = jnp.exp(logp_y)
        q = -jnp.expm1(logp_y)  # 1 - p_y, accurate when p_y is small
        safe_q = jnp.where(q > 0, q, 1.0)
        r = jnp.where(q > 0, -logp_y / safe_q, 1.0)  # -log p_y / (1 - p_y), -> 1 as q -> 0
        g = gamma if isinstance(gamma, float) else jnp.asarray(gamma, z.dtype)[y]
        a: Any = 1.0 if class_weight is None else jnp.asarray(class_weight, z.dtype)[y]
        if isinstance(g, float) and g == 0.0:
            q_pow: Any = 1.0
        else:  # q^g, with 0^0 = 1 as in _core
            q_pow = jnp.where(q > 0, jnp.exp(g * jnp.log(safe_q)), jnp.where(g == 0, 1.0, 0.0))
        loss = a * q_pow * (-logp_y)
        w = a * q_pow * (1.0 + g * p_y * r)
        onehot = jax.nn.one_hot(y, z.shape[axis], dtype=z.dtype, axis=axis)
        grad = jnp.expand_dims(w, axis) * (jnp.exp(logp) - onehot)
        return loss, grad

    return loss_grad


_SIGMOID_HOOKS: dict[type[LossSpec], Callable[[LossSpec], Any]] = {
    SigmoidFocalLoss: _sigmoid_focal,
    SigmoidBCELoss: _sigmoid_focal,
}
_SOFTMAX_HOOKS: dict[type[LossSpec], Callable[[LossSpec, Any], Any]] = {
    SoftmaxFocalLoss: _softmax_focal,
    SoftmaxCELoss: _softmax_focal,
}


def fast_loss_grad(spec: LossSpec,
                   axis: int | None = None) -> Callable[[Any, Any], tuple[Any, Any]] | None:
    """The hook's ``loss_grad(z, y)`` for this spec (``axis``: softmax), or None."""
    if not fast_path_enabled():
        return None
    if axis is None:
        hook = _SIGMOID_HOOKS.get(type(spec))
        return None if hook is None else hook(spec)
    soft = _SOFTMAX_HOOKS.get(type(spec))
    return None if soft is None else soft(spec, axis)
