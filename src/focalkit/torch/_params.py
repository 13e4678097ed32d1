"""Parameters of a torch loss: a registry spec validated once, with its torch-side values.

A :class:`Binder` belongs to one generated function or module (one spec class, the
spec parameters it exposes, the owner named in errors). :meth:`Binder.bind` validates
the parameters through the spec's own checks (:class:`~focalkit.losses.Param`, so every
layer raises the same errors) and returns a :class:`Bound`: the validated spec, the
values the mathematics runs with, and the tensors among them.

The torch conventions on top of the spec's checks (the same for every spec):

* a 0-d floating tensor is a Python float;
* another tensor stays a tensor (on its device, a module buffer; validated on a CPU copy,
  not while :func:`torch.compile` traces) and is passed to the ``autograd.Function``;
* ``pos_weight`` follows ``F.binary_cross_entropy_with_logits``: a tensor that broadcasts
  to the input, never requiring grad, not checked for values (a Python float or sequence
  is checked by the spec; a sequence becomes a float64 tensor);
* softmax specs take their class weights as the call's ``weight`` (as ``F.cross_entropy``),
  so ``class_weight`` is not a parameter of their torch functions;
* a parameter that a spec computes from the training labels (``alpha="balanced"``,
  ``prior=None``, ...) is refused with a hint: a loss call never sees the labels.

Calls whose parameters are all plain Python values (floats, None, strings) are bound once
and reused from a small cache: the checks do not run again for repeated calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch.fx.experimental.symbolic_shapes import guard_scalar, statically_known_true

from focalkit._core.losses import REQUIRED, LossSpec
from focalkit.exceptions import InvalidParameterError
from focalkit.torch import _checks

__all__ = ["TORCH_WEIGHTS", "Binder", "Bound"]

#: Spec parameters with the tensor semantics of ``F.binary_cross_entropy_with_logits``.
TORCH_WEIGHTS = ("pos_weight",)
#: A call's arguments are cached when they are all of these types.
_PLAIN = (float, int, str, bool, type(None))
_CACHE_SIZE = 256
_TENSOR = object()  # a pos_weight tensor in a cache key

_RESOLVE_HINTS = {
    "alpha": "Compute it once with focalkit.resolve_alpha('balanced', y_train) and pass the "
             "float (or per-label vector) it returns.",
}


class Bound:
    """A spec at validated parameters, as one torch function call or module runs it.

    Attributes
    ----------
    spec : LossSpec
        The validated spec (NumPy / float values).
    values : dict
        The values the mathematics runs with: the spec's, with the tensors (``None``
        here, passed per call in the order of :attr:`tensor_names`).
    tensors : dict
        The tensors given (or made, for ``pos_weight``) when binding.
    tensor_names : tuple of str
    hook : object or None
        The spec's fast hook (:mod:`._hooks`).
    vectors : tuple of (str, object)
        Non-tensor vector values whose length is checked against the input.
    lane : tuple, False or None
        The small-call lane's arguments (:mod:`._small`), False where it does not apply,
        None until first asked.
    """

    __slots__ = ("has_class_weight", "hook", "kind", "lane", "linear_in_target", "owner",
                 "spec", "tensor_names", "tensors", "values", "vectors", "whole")

    def __init__(self, spec: LossSpec, tensors: Mapping[str, torch.Tensor], owner: str,
                 hook: Any) -> None:
        self.spec, self.owner, self.hook, self.kind = spec, owner, hook, spec.kind
        self.tensors = dict(tensors)
        self.tensor_names = tuple(self.tensors)
        self.values = {**spec.values, **dict.fromkeys(self.tensor_names)}
        self.whole = tuple(getattr(spec, "whole_vectors", ()))
        self.vectors = tuple((k, v) for k, v in spec.values.items()
                             if isinstance(v, np.ndarray) and v.ndim == 1
                             and k not in self.tensors and k not in self.whole)
        self.has_class_weight = "class_weight" in spec.values
        self.linear_in_target = bool(hook is not None and hook.linear_in_target)
        self.lane: Any = None

    def with_tensors(self, tensors: Mapping[str, torch.Tensor]) -> Bound:
        """The same bound with (unchecked) tensor parameters added."""
        return Bound(self.spec, {**self.tensors, **tensors}, self.owner, self.hook)

    def values_with(self, tensors: tuple[Any, ...]) -> dict[str, Any]:
        """:attr:`values` with the call's tensors filled in."""
        if not tensors:
            return self.values
        return {**self.values, **dict(zip(self.tensor_names, tensors, strict=True))}

    def math(self, values: Mapping[str, Any], weight: Any = None) -> LossSpec:
        """The spec at ``values`` (softmax: the call's class ``weight``), unchecked."""
        if self.kind == "softmax" and self.has_class_weight:
            return self.spec.with_arrays(**{**values, "class_weight": weight})
        return self.spec.with_arrays(**values)


#: How many bounds were made while torch.compile traced (each is an attribute of its
#: binder, ``_traced_<index>``: Dynamo reads a new attribute from the live object, while
#: a list it has already read in the frame would be a stale copy).
_TRACED = [0]


@torch.compiler.assume_constant_result
def _traced_index(binder: Binder, args: tuple[Any, ...], given: tuple[str, ...]) -> int:
    """:meth:`Binder.bind` run outside the traced graph; the index of its result.

    ``given``: the parameters passed as tensors; their placeholders are read here, not
    in the trace (where Dynamo may turn a float read from an object into a symbol).
    """
    key = ("traced", given, *((type(a), a) for a in args))
    index = binder._cache_index.get(key)
    if index is None:
        args = tuple(binder._placeholder(n) if n in given else a
                     for n, a in zip(binder.names, args, strict=True))
        index = _TRACED[0]
        _TRACED[0] += 1
        setattr(binder, f"_traced_{index}", binder._bind(args))
        binder._cache_index[key] = index
    return index


def _constant_float(value: float) -> bool:
    """Whether a float is a constant of the trace (not a Dynamo symbol).

    Dynamo shows a symbolic float as a ``float`` to ``isinstance``; only a constant
    has a sign known at trace time.
    """
    return bool(statically_known_true(value >= 0.0) or statically_known_true(value < 0.0))


def _specialize(value: float) -> float:
    """A symbolic float as a constant (Dynamo guards on its value)."""
    return float(guard_scalar(value))


def _takes_vectors(param: Any) -> bool:
    """Whether a spec parameter takes a per-label vector (so a 0-d tensor works)."""
    try:
        param.check(np.array([0.5]), "probe")
    except (ValueError, TypeError):
        return False
    return True


def _bind_constant(binder: Binder, args: tuple[Any, ...],
                   given: tuple[str, ...] = ()) -> Bound:
    bound: Bound = getattr(binder, f"_traced_{_traced_index(binder, args, given)}")
    return bound


class Binder:
    """Validates one generated function's or module's parameters into a :class:`Bound`.

    Parameters
    ----------
    spec_cls : type of LossSpec
    names : tuple of str
        The spec parameters the caller exposes, in the order :meth:`bind` gets them.
    owner : str
        The public name, used in error messages.
    fixed : mapping
        Spec parameters fixed by the caller (not exposed).
    hook : object or None
        The spec's fast hook (:func:`focalkit.torch._hooks.hook_for`).
    """

    def __init__(self, spec_cls: type[LossSpec], names: tuple[str, ...], owner: str,
                 fixed: Mapping[str, Any] | None = None, hook: Any = None) -> None:
        self.spec_cls, self.names, self.owner = spec_cls, names, owner
        self.fixed = dict(fixed or {})
        self.hook = hook
        self.defaults = {p.name: p.default for p in spec_cls.params}
        self.from_labels = tuple(spec_cls.from_labels)
        self._cache: dict[Any, Bound] = {}
        self._cache_index: dict[Any, int] = {}
        self.tensor_capable = frozenset(
            p.name for p in spec_cls.params if p.name in names and _takes_vectors(p))

    def bind(self, args: tuple[Any, ...]) -> Bound:
        """Validate the exposed parameters ``args`` (in :attr:`names` order)."""
        return self.bind_call(args)[0]

    def bind_call(self, args: tuple[Any, ...]) -> tuple[Bound, tuple[torch.Tensor, ...]]:
        """:meth:`bind` for one call: the bound and the call's tensors (in its order).

        Plain values are bound once and reused; so are ``pos_weight`` tensors, whose
        values are never checked (only their presence changes the binding): the call's
        tensors are passed on, not the ones of the first call.
        """
        if _checks.compiling():
            bound = self._traced(args)
            return bound, tuple(bound.tensors.values())
        key: list[Any] = []
        tensors: list[torch.Tensor] = []
        for name, a in zip(self.names, args, strict=True):
            t = type(a)
            if t in _PLAIN:
                key.append((t, a))
            elif name in TORCH_WEIGHTS and isinstance(a, torch.Tensor):
                key.append(_TENSOR)
                tensors.append(_checks.weight_param(a, name, self.owner))  # type: ignore[arg-type]
            else:  # other tensors and arrays: checked every call
                bound = self._bind(args)
                return bound, tuple(bound.tensors.values())
        k = tuple(key)
        hit = self._cache.get(k)
        if hit is None:
            hit = self._bind(args)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[k] = hit
        return hit, tuple(tensors)

    def _traced(self, args: tuple[Any, ...]) -> Bound:
        """:meth:`bind` while torch.compile traces.

        The constant values are bound (checked) outside the graph, a constant of the
        trace; tensors are added unchecked. A float that Dynamo traces as a symbol
        (``dynamic=True``, or a value that changed between calls) is no constant: a
        parameter that takes per-label tensors gets it as a 0-d tensor of the graph (no
        recompilation when it changes), any other is specialised to its value (a guard).
        """
        tensors: dict[str, Any] = {}
        plain: list[Any] = []
        for n, a in zip(self.names, args, strict=True):
            if isinstance(a, float) and not _constant_float(a):
                if n in self.tensor_capable:
                    a = torch.tensor(a, dtype=torch.float64)
                else:
                    a = _specialize(a)
            if isinstance(a, torch.Tensor):
                tensors[n] = a
                a = None  # its placeholder, filled in outside the trace
            plain.append(a)
        bound = _bind_constant(self, tuple(plain), tuple(tensors))
        return bound.with_tensors(tensors) if tensors else bound

    def _bind(self, args: tuple[Any, ...]) -> Bound:
        owner = self.owner
        given = {**dict(zip(self.names, args, strict=True)), **self.fixed}
        kwargs: dict[str, Any] = {}
        tensors: dict[str, torch.Tensor] = {}
        for name, value in given.items():
            if isinstance(value, torch.Tensor):
                if name in TORCH_WEIGHTS:  # F.binary_cross_entropy_with_logits' pos_weight
                    tensors[name] = _checks.weight_param(value, name, owner)  # type: ignore[assignment]
                    kwargs[name] = self._placeholder(name)
                    continue
                if value.ndim == 0 and value.is_floating_point():
                    value = float(value)
                else:
                    tensors[name] = value
            elif name in TORCH_WEIGHTS and isinstance(value, str):
                self._refuse(name, value)
            kwargs[name] = value
        if self.spec_cls.kind == "softmax" and "class_weight" in self.defaults:
            kwargs["class_weight"] = None  # the call's weight (F.cross_entropy)
        spec = self.spec_cls(owner=owner, **kwargs)
        for name in TORCH_WEIGHTS:  # a validated sequence: a float64 tensor, as torch has it
            if name not in tensors and isinstance(spec.values.get(name), np.ndarray):
                tensors[name] = torch.as_tensor(spec.values[name], dtype=torch.float64)
        for name in self.from_labels:
            if name not in tensors and spec._unresolved(name):
                self._refuse(name, given.get(name, spec.values.get(name)))
        return Bound(spec, tensors, owner, self.hook)

    def _placeholder(self, name: str) -> Any:
        """What the spec holds for a parameter given as a tensor (its default, or None)."""
        default = self.defaults.get(name)
        return None if default is REQUIRED else default

    def _refuse(self, name: str, value: Any) -> None:
        hint = _RESOLVE_HINTS.get(name) or (
            f"Compute it once with focalkit.losses.make_loss({self.spec_cls.name!r}, "
            f"{self.spec_cls.kind!r}, ...).resolve(y_train) and pass the value it holds."
        )
        raise InvalidParameterError(
            f"The '{name}' parameter of {self.owner} cannot be {value!r} inside a loss: it "
            f"is computed from the training labels, which a loss call never sees. {hint} "
            f"Got {value!r}."
        )
