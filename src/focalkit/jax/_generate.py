"""The optax-style functions of :mod:`focalkit.jax`, one per registered loss spec.

Nothing here is specific to a loss: names come from :mod:`focalkit._names`, keyword
parameters, defaults and their documentation from the spec's ``params``, the mathematics
from the spec (through :mod:`focalkit.jax._engine`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

import jax
from focalkit._core.losses import REQUIRED, LossSpec, specs
from focalkit._names import jax_function_name
from focalkit.exceptions import InvalidParameterError
from focalkit.jax._engine import apply, has_analytic_hessian

__all__ = ["build_spec", "call", "describe", "has_schedule", "resolve_params"]


def has_schedule(cls: type[LossSpec]) -> bool:
    """True when the spec changes with the training epoch (``at_epoch``, e.g. DRW)."""
    return cls.at_epoch is not LossSpec.at_epoch


def build_spec(cls: type[LossSpec], owner: str, params: dict[str, Any],
               epoch: int | None = None) -> LossSpec:
    """A validated, resolved spec for one call; label-dependent values must be given."""
    for key, value in params.items():
        if isinstance(value, jax.core.Tracer):
            raise InvalidParameterError(
                f"The {key!r} parameter of {owner} must be a Python number or a NumPy array "
                "(a static hyper-parameter); got a traced JAX value. Close over it instead "
                "of passing it through jit/vmap/grad.")
    spec = cls(owner=owner, **params)
    if spec.needs_labels:
        missing = [k for k in cls.from_labels if spec._unresolved(k)]
        shown = ", ".join(f"{k}={spec.values[k]!r}" for k in missing)
        raise InvalidParameterError(
            f"{owner}: {shown} is computed from the training labels, not from a batch; "
            f"compute it once with focalkit.jax.resolve_params({owner}, y_train, ...) and "
            "pass the result.")
    if epoch is not None:
        if not isinstance(epoch, (int, np.integer)) or isinstance(epoch, bool) or epoch < 0:
            raise InvalidParameterError(
                f"The 'epoch' parameter of {owner} must be an int >= 0. Got {epoch!r}.")
        spec = spec.at_epoch(int(epoch))
    elif has_schedule(cls) and spec.at_epoch(2**31) != spec:
        raise InvalidParameterError(
            f"{owner}: these parameters define a schedule over training epochs; pass "
            "epoch=<the current epoch>.")
    return spec


def call(cls: type[LossSpec], owner: str, logits: Any, labels: Any, axis: int,
         epoch: int | None, params: dict[str, Any]) -> Any:
    """Body of every generated function."""
    spec = build_spec(cls, owner, params, epoch)
    return apply(spec, logits, labels, axis=axis, owner=owner)


def resolve_params(function: Callable[..., Any], y: Any, *, sample_weight: Any = None,
                   n_classes: int | None = None, **params: Any) -> dict[str, Any]:
    """The parameters of ``function`` with the label-dependent ones computed from ``y``.

    ``alpha="balanced"``, ``pos_weight="balanced"``, ``class_weight="balanced"`` or
    ``"effective_number"``, a missing ``prior`` or LDAM's ``class_counts`` are computed
    from the *training* labels once, as the spec's ``resolve`` does for every adapter.

    Parameters
    ----------
    function : callable
        A loss function of :mod:`focalkit.jax` (e.g. ``sigmoid_focal_loss``).
    y : array_like
        Training labels (0/1 for sigmoid losses, class indices for softmax losses).
    sample_weight : array_like, optional
    n_classes : int, optional
        Number of classes (softmax), when ``y`` may lack the last ones.
    **params
        The loss's parameters, as they would be passed to ``function``.

    Returns
    -------
    dict
        Every parameter of the loss with a value: pass it on as ``**kwargs``.

    Examples
    --------
    >>> import numpy as np
    >>> from focalkit.jax import resolve_params, sigmoid_focal_loss
    >>> kw = resolve_params(sigmoid_focal_loss, np.array([1, 0, 0, 0]), alpha="balanced")
    >>> round(kw["alpha"], 4), kw["gamma"]
    (0.75, 2.0)
    """
    cls = getattr(function, "spec", None)
    if cls is None:
        raise InvalidParameterError(
            f"resolve_params needs a loss function of focalkit.jax; got {function!r}.")
    spec = cls(owner=function.__name__, **params)
    labels = np.asarray(y)
    if hasattr(y, "__jax_array__") or type(y).__module__.startswith(("jax", "jaxlib")):
        labels = np.asarray(jax.device_get(y))
    resolved = spec.resolve(labels, sample_weight=None if sample_weight is None
                            else np.asarray(sample_weight), n_classes=n_classes)
    return dict(resolved.values)


# ---------------------------------------------------------------------------- docstrings
def _fmt(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return repr(np.round(value, 4).tolist())
    if isinstance(value, float):
        return repr(round(value, 4))
    return repr(value)


_SIGMOID_EXAMPLE = (np.array([2.0, -1.0, 0.5, -3.0]), np.array([1.0, 0.0, 0.0, 1.0]))
_SOFTMAX_EXAMPLE = (np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 1.0],
                              [1.0, 0.0, 0.0]]), np.array([0, 1, 2, 2]))


def _example(cls: type[LossSpec], name: str) -> str:
    z, y = _SIGMOID_EXAMPLE if cls.kind == "sigmoid" else _SOFTMAX_EXAMPLE
    spec = cls(owner=name)
    extra: dict[str, Any] = {}
    if spec.needs_labels:
        resolved = spec.resolve(y, n_classes=3 if cls.kind == "softmax" else None)
        for key in cls.from_labels:
            if not _same(spec.values[key], resolved.values[key]):
                v = resolved.values[key]
                extra[key] = np.round(v, 4) if isinstance(v, np.ndarray) else round(float(v), 4)
        spec = cls(owner=name, **extra)
    if has_schedule(cls) and spec.at_epoch(2**31) != spec:  # pragma: no cover
        return ""
    value = float(np.sum(spec.loss(z, y)))
    kw = "".join(f", {k}={_fmt(v)}" for k, v in extra.items())
    if cls.kind == "sigmoid":
        arrays = (">>> logits = jnp.array([2.0, -1.0, 0.5, -3.0])\n"
                  ">>> labels = jnp.array([1.0, 0.0, 0.0, 1.0])\n")
    else:
        arrays = (">>> logits = jnp.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 1.0],"
                  "\n...                     [1.0, 0.0, 0.0]])\n"
                  ">>> labels = jnp.array([0, 1, 2, 2])\n")
    return (f">>> import jax.numpy as jnp\n>>> from focalkit.jax import {name}\n{arrays}"
            f">>> round(float({name}(logits, labels{kw}).sum()), 4)\n{round(value, 4)}\n")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.shape(a) == np.shape(b) and np.all(np.asarray(a) == np.asarray(b)))
    return a is b or a == b


def _indent(text: str, pad: str = "    ") -> str:
    return "\n".join(pad + line if line else line for line in text.splitlines())


def describe(function: Callable[..., Any], cls: type[LossSpec], name: str) -> None:
    """Give a generated function its name, signature and numpydoc docstring."""
    softmax = cls.kind == "softmax"
    function.__name__ = function.__qualname__ = name
    function.__module__ = "focalkit.jax"
    function.spec = cls  # type: ignore[attr-defined]
    p = inspect.Parameter
    sig = [p("logits", p.POSITIONAL_OR_KEYWORD), p("labels", p.POSITIONAL_OR_KEYWORD)]
    doc_params = []
    for param in cls.params:
        default = None if param.default is REQUIRED else param.default
        sig.append(p(param.name, p.KEYWORD_ONLY, default=default))
        note = ""
        if param.name in cls.from_labels:
            note = ("; required: pass it, or compute it from the training labels with "
                    "resolve_params" if param.default is REQUIRED else
                    "; a string such as 'balanced' is computed from the training labels "
                    "with resolve_params")
        doc_params.append(f"{param.name} : default={default!r}\n    {param.doc}{note}.")
    if softmax:
        sig.append(p("axis", p.KEYWORD_ONLY, default=-1))
        doc_params.append("axis : int, default=-1\n    The class axis of ``logits``.")
    if has_schedule(cls):
        sig.append(p("epoch", p.KEYWORD_ONLY, default=None))
        doc_params.append("epoch : int, optional\n    The current training epoch, for "
                          "parameters that define a schedule (``at_epoch``).")
    function.__signature__ = inspect.Signature(sig)  # type: ignore[attr-defined]
    title = cls.title[:1].upper() + cls.title[1:]
    what = "per example (the class axis removed)" if softmax else "elementwise"
    first = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
    if softmax:
        dense = (" or class probabilities shaped like ``logits``"
                 if getattr(cls, "dense_targets", False) else "")
        labels = (f"labels : jax.Array\n    Integer class indices (``logits``' shape without "
                  f"``axis``){dense}.")
    else:
        labels = ("labels : jax.Array\n    Targets in [0, 1] broadcastable to ``logits`` "
                  "(soft targets allowed).")
    hess = ("the spec's analytic (exact) Hessian" if has_analytic_hessian(cls)
            else "autodiff of the analytic gradient")
    neutral = ("" if cls.neutral is None else
               f"At {', '.join(f'{k}={v!r}' for k, v in cls.neutral.items())} it is "
               f"{'cross-entropy' if softmax else 'binary cross-entropy'}, value and gradient. ")
    params_text = "\n".join(doc_params)
    refs = f"\nReferences\n----------\n{cls.reference}\n" if cls.reference else ""
    example = _example(cls, name)
    examples = f"\nExamples\n--------\n{example}" if example else ""
    function.__doc__ = (
        f"{title}, {what}, with the spec's analytic derivatives.\n\n{first}\n\n"
        f"Parameters\n----------\nlogits : jax.Array\n    Unnormalised scores"
        f"{' with classes along ``axis``' if softmax else ', any shape'}; float16, bfloat16 "
        f"(computed in float32), float32 or float64.\n{labels}\n{params_text}\n\n"
        f"Returns\n-------\njax.Array\n    The loss {what}, in the logits' dtype.\n\n"
        f"Notes\n-----\n{neutral}Generated from the loss spec "
        f"``focalkit.losses.get_loss({cls.name!r}, {cls.kind!r})``: the gradient is the spec's "
        f"analytic one (a ``jax.custom_jvp`` rule, so ``grad``, ``value_and_grad``, ``jvp``, "
        f"``vmap`` and ``jit`` all apply); second derivatives use {hess}.\n{refs}{examples}"
    )


def generated() -> dict[str, type[LossSpec]]:
    """Public name -> spec class, for every registered spec."""
    return {jax_function_name(cls.name, cls.kind): cls for cls in specs()}
