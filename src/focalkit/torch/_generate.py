"""The torch function and ``nn.Module`` of every registered loss, generated from its spec.

For each spec with ``torch_function`` / ``torch_module`` names (:mod:`focalkit.losses`)
this builds a real Python function and a module class with explicit signatures
(:mod:`._signatures`) and docstrings (:mod:`._docs`), all running through the same
parameter binding (:mod:`._params`), data checks (:mod:`._data`) and
``autograd.Function`` (:mod:`._function`). A new spec file is all a new loss needs.

:func:`loss_function` and :func:`loss_module` look a loss up by registry name (aliases
accepted) for tools such as the MLP classifier; :func:`loss_from_spec` turns a spec
instance (e.g. resolved from training labels) into a module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from focalkit._core.losses import REQUIRED, LossSpec, get_loss, specs
from focalkit.exceptions import InvalidParameterError
from focalkit.torch import _checks, _docs, _signatures
from focalkit.torch._function import run
from focalkit.torch._hooks import hook_for
from focalkit.torch._params import Binder, Bound
from focalkit.torch._signatures import SIGMOID_DEFAULTS, TORCH_DEFAULTS, Signature

__all__ = [
    "FUNCTIONS",
    "MODULES",
    "LossModule",
    "loss_from_spec",
    "loss_function",
    "loss_module",
    "skipped",
]

Tensor = torch.Tensor
_PUBLIC_MODULE = "focalkit.torch"
_TORCH_ARGS = frozenset(TORCH_DEFAULTS)


def _defaults(spec_cls: type[LossSpec], sig: Signature) -> dict[str, Any]:
    """Default of every argument of ``sig`` (:data:`REQUIRED` where there is none)."""
    spec_defaults = {p.name: p.default for p in spec_cls.params}
    out = {}
    for name in sig.args:
        if name in sig.defaults:
            out[name] = sig.defaults[name]
        elif name in _TORCH_ARGS:
            if spec_cls.kind == "sigmoid" and name in SIGMOID_DEFAULTS:
                out[name] = SIGMOID_DEFAULTS[name]
            else:
                out[name] = TORCH_DEFAULTS[name]
        else:
            out[name] = spec_defaults[name]
    return out


def _arg_list(names: tuple[str, ...], defaults: dict[str, Any], positional: int) -> str:
    """``a, b=_d_b, *, c=_d_c``.

    A required argument after a defaulted one ends the positional part.
    """
    parts: list[str] = []
    seen_default = False
    star = False
    for i, name in enumerate(names):
        required = defaults[name] is REQUIRED
        if not star and (i >= positional or (required and seen_default)):
            parts.append("*")
            star = True
        parts.append(name if required else f"{name}=_d_{name}")
        seen_default = seen_default or not required
    return ", ".join(parts)


def _params_of(spec_cls: type[LossSpec], sig: Signature) -> tuple[str, ...]:
    return tuple(n for n in sig.args if n not in _TORCH_ARGS)


def _namespace(spec_cls: type[LossSpec], sig: Signature, binder: Binder) -> dict[str, Any]:
    # no __name__: Dynamo would look the globals up in the module of that name
    ns: dict[str, Any] = {"_binder": binder, "_call": call}
    for name, value in _defaults(spec_cls, sig).items():
        ns[f"_d_{name}"] = value
    return ns


def _compile(source: str, ns: dict[str, Any], name: str) -> Any:
    exec(compile(source, f"<focalkit.torch generated {name}>", "exec"), ns)  # noqa: S102
    return ns[name]


_ANNOTATIONS = {"input": "torch.Tensor", "target": "torch.Tensor",
                "weight": "torch.Tensor | None", "ignore_index": "int", "reduction": "str",
                "normalizer": "torch.Tensor | float | None"}


def _annotate(fn: Any, args: tuple[str, ...], returns: str) -> None:
    """String annotations, as ``from __future__ import annotations`` would give."""
    names = ("input", "target", *args) if fn.__name__ != "__init__" else args
    fn.__annotations__ = {**{a: _ANNOTATIONS.get(a, "Any") for a in names},
                          "return": returns}


# --------------------------------------------------------------------------- functions
def call(binder: Binder, input: Any, target: Any, params: tuple[Any, ...], weight: Any,
         reduction: Any, ignore_index: Any, normalizer: Any = None) -> Tensor:
    """One call of a generated function: bind (cached), check, run."""
    owner = binder.owner
    bound, tensors = binder.bind_call(params)
    if reduction not in _checks.REDUCTIONS or not isinstance(reduction, str):
        _checks.reduction_param(reduction, owner)
    if type(ignore_index) is not int:
        ignore_index = _checks.ignore_index_param(ignore_index, owner,
                                                  bound.kind == "sigmoid")
    w = None if weight is None else _checks.weight_param(weight, "weight", owner)
    if normalizer is None:
        return run(bound, input, target, w, reduction, ignore_index, tensors, owner)
    return _normalized(bound, input, target, w, reduction, ignore_index, tensors, owner,
                       normalizer)


def _normalized(bound: Bound, input: Any, target: Any, weight: Any, reduction: str,
                ignore_index: int | None, tensors: tuple[Any, ...], owner: str,
                normalizer: Any) -> Tensor:
    """The summed loss divided by ``normalizer`` (RetinaNet's sum / num_foreground)."""
    n = _checks.normalizer_param(normalizer, reduction, owner)
    total = run(bound, input, target, weight, "sum", ignore_index, tensors, owner)
    return total / n


def make_function(spec_cls: type[LossSpec], name: str, sig: Signature,
                  module_name: str | None = None, spec_override: type[LossSpec] | None = None,
                  public: bool = True, owner: str | None = None) -> Callable[..., Tensor]:
    """A real function ``name(input, target, *, ...)`` for ``spec_cls`` at ``sig``."""
    math_cls = spec_override or spec_cls
    params = _params_of(math_cls, sig)
    binder = Binder(math_cls, params, owner or name, sig.fixed, hook_for(math_cls))
    defaults = _defaults(math_cls, sig)
    ignore = "ignore_index" if "ignore_index" in sig.args else (
        "-100" if math_cls.kind == "softmax" else "None")
    weight = "weight" if "weight" in sig.args else "None"
    source = (
        f"def {name}(input, target, {_arg_list(sig.args, defaults, 0)}, normalizer=None):\n"
        f"    return _call(_binder, input, target, ({''.join(p + ', ' for p in params)}), "
        f"{weight}, reduction, {ignore}, normalizer)\n"
    )
    fn = _compile(source, _namespace(math_cls, sig, binder), name)
    _annotate(fn, (*sig.args, "normalizer"), "torch.Tensor")
    fn.__module__ = _PUBLIC_MODULE if public else __name__
    fn.__doc__ = _docs.HAND_WRITTEN.get(name) or _docs.function_doc(math_cls, sig, name,
                                                                     module_name)
    fn._focalkit_spec = spec_cls  # type: ignore[attr-defined]
    return fn  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------- modules
class LossModule(nn.Module):
    """Base of the generated loss modules: parameters validated once, buffers for tensors.

    A spec parameter is an attribute (a buffer when it is a tensor); setting it validates
    the new value. ``reduction`` and ``ignore_index`` are checked when set.
    """

    _binder: ClassVar[Binder]
    _param_names: ClassVar[tuple[str, ...]] = ()
    _forward_weight: ClassVar[bool] = False
    _bound: Bound
    weight: Tensor | None

    def _setup(self, params: tuple[Any, ...], weight: Any, reduction: Any,
               ignore_index: Any) -> None:
        owner = self._binder.owner
        w = _checks.weight_param(weight, "weight", owner)
        if w is not None and self._binder.spec_cls.kind == "softmax" and w.ndim != 1:
            raise _checks.param_error("weight", owner, "None or a 1-D tensor (C,)", weight)
        self.register_buffer("weight", w)
        self.reduction = reduction
        self.ignore_index = ignore_index
        self._bind(params)

    def _bind(self, params: tuple[Any, ...]) -> None:
        bound = self._binder.bind(params)
        old = self.__dict__.get("_bound")
        for name in old.tensor_names if old is not None else ():
            self._buffers.pop(name, None)
        for name, t in bound.tensors.items():
            self._buffers[name] = t
        object.__setattr__(self, "_bound", bound)

    def _param(self, name: str) -> Any:
        bound = self.__dict__.get("_bound")
        if bound is None:
            raise AttributeError(name)
        if name in bound.tensors:
            return self._buffers[name]
        return bound.spec.values[name]

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._param_names and "_bound" in self.__dict__:
            params = tuple(value if n == name else self._param(n) for n in self._param_names)
            self._bind(params)
            return
        if name == "reduction":
            value = _checks.reduction_param(value, self._binder.owner)
        elif name == "ignore_index":
            value = _checks.ignore_index_param(value, self._binder.owner,
                                               self._binder.spec_cls.kind == "sigmoid")
        super().__setattr__(name, value)

    def _loss(self, input: Tensor, target: Tensor, weight: Any = None,
              normalizer: Any = None) -> Tensor:
        d = self.__dict__  # (nn.Module's __getattr__ is slow for buffers)
        bound, buffers = d["_bound"], d["_buffers"]
        w = buffers["weight"] if weight is None else _checks.weight_param(
            weight, "weight", bound.owner)
        tensors = tuple(buffers[n] for n in bound.tensor_names)
        if normalizer is None:
            return run(bound, input, target, w, d["reduction"], d["ignore_index"], tensors,
                       bound.owner)
        return _normalized(bound, input, target, w, d["reduction"], d["ignore_index"],
                           tensors, bound.owner, normalizer)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args: Any,
                              **kwargs: Any) -> None:
        for name in self._param_names:  # checkpoints of the focal modules before 0.x
            old = f"{prefix}{name}_vector"
            if old in state_dict and f"{prefix}{name}" not in state_dict:
                state_dict[f"{prefix}{name}"] = state_dict.pop(old)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @property
    def spec(self) -> LossSpec:
        """The loss spec at this module's (validated) parameters."""
        bound = self._bound
        return bound.spec.with_arrays(**{n: self._buffers[n] for n in bound.tensor_names})

    def extra_repr(self) -> str:
        parts = [f"{n}={self._param(n)!r}" if isinstance(self._param(n), str)
                 else f"{n}={self._param(n)}" for n in self._param_names]
        if self._binder.spec_cls.kind == "softmax" or self.ignore_index is not None:
            parts.append(f"ignore_index={self.ignore_index}")
        parts.append(f"reduction={self.reduction!r}")
        return ", ".join(parts)


def _param_property(name: str) -> property:
    def get(self: LossModule) -> Any:
        return self._param(name)

    return property(get, doc=f"The ``{name}`` parameter (setting it validates the value).")


def make_module(spec_cls: type[LossSpec], name: str, sig: Signature,
                function_name: str | None = None,
                spec_override: type[LossSpec] | None = None,
                public: bool = True, owner: str | None = None) -> type[LossModule]:
    """A module class ``name(...)`` for ``spec_cls`` at ``sig``."""
    math_cls = spec_override or spec_cls
    params = _params_of(math_cls, sig)
    binder = Binder(math_cls, params, owner or name, sig.fixed, hook_for(math_cls))
    defaults = _defaults(math_cls, sig)
    ignore = "ignore_index" if "ignore_index" in sig.args else (
        "-100" if math_cls.kind == "softmax" else "None")
    weight = "weight" if "weight" in sig.args else "None"
    ns = _namespace(math_cls, sig, binder)
    init = _compile(
        f"def __init__(self, {_arg_list(sig.args, defaults, sig.positional)}):\n"
        f"    _LossModule.__init__(self)\n"
        f"    self._setup(({''.join(p + ', ' for p in params)}), {weight}, reduction, "
        f"{ignore})\n", {**ns, "_LossModule": LossModule}, "__init__")
    if sig.forward_weight:
        forward = _compile(
            "def forward(self, input, target, weight=None, *, normalizer=None):\n"
            "    return self._loss(input, target, weight, normalizer)\n", dict(ns), "forward")
    else:
        forward = _compile("def forward(self, input, target, *, normalizer=None):\n"
                           "    return self._loss(input, target, None, normalizer)\n",
                           dict(ns), "forward")
    _annotate(init, sig.args, "None")
    _annotate(forward, ("weight", "normalizer") if sig.forward_weight else ("normalizer",),
              "torch.Tensor")
    forward.__doc__ = ("Loss of ``input`` logits against ``target``"
                       + (f"; see :func:`{function_name}`." if function_name else ".")
                       + " ``normalizer``: the summed loss divided by it (RetinaNet's "
                       "sum / number of positives), whatever the reduction but "
                       "``'none'``.")
    init.__doc__ = None
    attrs: dict[str, Any] = {
        "__init__": init, "forward": forward, "_binder": binder, "_param_names": params,
        "_forward_weight": sig.forward_weight,
        "__module__": _PUBLIC_MODULE if public else __name__,
        "__doc__": _docs.HAND_WRITTEN.get(name) or _docs.module_doc(math_cls, sig, name,
                                                                    function_name),
        "_focalkit_spec": spec_cls,
    }
    for p in params:
        attrs[p] = _param_property(p)
    cls = type(name, (LossModule,), attrs)
    cls.__qualname__ = name
    return cls


# --------------------------------------------------------------------------- the registry
#: Public generated functions and modules, by name (what :mod:`focalkit.torch` exports).
FUNCTIONS: dict[str, Callable[..., Tensor]] = {}
MODULES: dict[str, type[LossModule]] = {}
_SKIPPED: list[tuple[str, str]] = []
_PRIVATE: dict[tuple[str, str, str, str | None], Any] = {}


def _build() -> None:
    for cls in specs():
        fname, mname = cls.torch_function, cls.torch_module
        if fname is None and mname is None:
            _SKIPPED.append((cls.name, cls.kind))
            continue
        if fname is not None:
            sig = _signatures.LEGACY.get(fname) or _signatures.default_signature(cls, False)
            FUNCTIONS[fname] = make_function(cls, fname, sig, mname,
                                             _signatures.legacy_spec(fname))
        if mname is not None:
            sig = _signatures.LEGACY.get(mname) or _signatures.default_signature(cls, True)
            MODULES[mname] = make_module(cls, mname, sig, fname,
                                         _signatures.legacy_spec(mname))
    for fname, ((name, kind), sig) in _signatures.EXTRA.items():
        cls = get_loss(name, kind)
        FUNCTIONS[fname] = make_function(cls, fname, sig, cls.torch_module)


def skipped() -> tuple[tuple[str, str], ...]:
    """Registered (name, kind) pairs without public torch names.

    ``bce`` / ``ce`` are torch's own losses; the others are reached through
    :func:`loss_function` / :func:`loss_module` only.
    """
    return tuple(_SKIPPED)


def _spec_conformant(obj: Any, cls: type[LossSpec]) -> bool:
    """Whether a public function/module takes ``cls``'s parameters under their names."""
    name = getattr(obj, "__name__", "")
    if _signatures.legacy_spec(name) is not None or name in _signatures.EXTRA:
        return False
    sig = _signatures.LEGACY.get(name)
    return sig is None or not sig.fixed


def _private(cls: type[LossSpec], what: str, alias: str | None = None) -> Any:
    """A generated function / module of ``cls`` at the default signature.

    An alias that stands for a setting (such as ``poly1_focal``) gives those defaults.
    """
    key = (cls.name, cls.kind, what, alias)
    if key not in _PRIVATE:
        label = alias or cls.name
        ident = f"_{label}_{cls.kind}_{what}"
        owner = f"loss_{what}({label!r}, {cls.kind!r})"
        sig = _signatures.default_signature(cls, what == "module")
        if alias:
            sig = Signature(sig.args, sig.positional, dict(cls.alias_defaults[alias]))
        obj: Any
        if what == "function":
            obj = make_function(cls, ident, sig, public=False, owner=owner)
        else:
            obj = make_module(cls, ident, sig, public=False, owner=owner)
        globals()[ident] = obj  # importable under its name: modules pickle
        _PRIVATE[key] = obj
    return _PRIVATE[key]


def _lookup(name: Any, kind: str | None, owner: str) -> tuple[type[LossSpec], str | None]:
    """(spec class, the alias if it stands for a setting of the loss)."""
    cls = get_loss(name, kind, owner=owner)
    alias = name if isinstance(name, str) and name in cls.alias_defaults else None
    return cls, alias


def loss_function(name: str, kind: str | None = None) -> Callable[..., Tensor]:
    """The torch function of a registered loss, taking the spec's parameters by name.

    Parameters
    ----------
    name : str
        Registry name or alias (:func:`focalkit.losses.loss_names`); an alias that stands
        for a setting (``"poly1_focal"``: Poly-1 with ``gamma=2``) gives a function with
        those defaults.
    kind : {"sigmoid", "softmax"}, optional
        Needed when the loss has both forms.

    Returns
    -------
    callable
        ``f(input, target, *, <spec parameters>, weight=None, [ignore_index=-100,]
        reduction="mean")``: the public function (e.g. :func:`binary_focal_loss_with_logits`)
        where it takes the spec's parameters, else one generated for the spec (for a loss
        without public torch names, or whose public function has historic parameters,
        such as ``ldam_loss(margins=...)``). Softmax losses take their class weights as
        ``weight``.

    Examples
    --------
    >>> import torch
    >>> from focalkit.torch import loss_function
    >>> fn = loss_function("focal", "sigmoid")
    >>> fn.__name__
    'binary_focal_loss_with_logits'
    >>> round(float(fn(torch.zeros(2), torch.ones(2), gamma=0.0)), 4)
    0.6931
    """
    cls, alias = _lookup(name, kind, "loss_function")
    public = FUNCTIONS.get(cls.torch_function or "")
    if public is not None and alias is None and _spec_conformant(public, cls):
        return public
    return _private(cls, "function", alias)  # type: ignore[no-any-return]


def loss_module(name: str, kind: str | None = None) -> type[LossModule]:
    """The ``nn.Module`` class of a registered loss (see :func:`loss_function`).

    Examples
    --------
    >>> from focalkit.torch import loss_module
    >>> loss_module("focal", "softmax").__name__
    'FocalLoss'
    """
    cls, alias = _lookup(name, kind, "loss_module")
    public = MODULES.get(cls.torch_module or "")
    if public is not None and alias is None and _spec_conformant(public, cls):
        return public
    return _private(cls, "module", alias)  # type: ignore[no-any-return]


def loss_from_spec(spec: LossSpec, *, weight: Any = None, reduction: str = "mean",
                   ignore_index: int = -100) -> LossModule:
    """An ``nn.Module`` computing ``spec`` at its values (e.g. resolved from labels).

    The module is the loss's public module where it takes every parameter that differs
    from its default (so the fused kernels of focal loss are used), else a generated one.
    A softmax spec's ``class_weight`` becomes the module's ``weight`` (unless ``weight``
    is given).

    Parameters
    ----------
    spec : LossSpec
        A spec instance with no parameter left to resolve from labels.
    weight : torch.Tensor, optional
        Elementwise (sigmoid) or class (softmax) weights.
    reduction : {"mean", "sum", "none"}, default="mean"
    ignore_index : int, default=-100
        Softmax only.

    Returns
    -------
    LossModule

    Examples
    --------
    >>> import torch
    >>> from focalkit.losses import make_loss
    >>> from focalkit.torch import loss_from_spec
    >>> module = loss_from_spec(make_loss("focal", "sigmoid", gamma=2.0, alpha=0.25))
    >>> type(module).__name__
    'BinaryFocalLossWithLogits'
    """
    if not isinstance(spec, LossSpec):
        raise _checks.param_error("spec", "loss_from_spec", "a LossSpec instance", spec)
    spec._ready()
    cls = type(spec)
    values = dict(spec.values)
    if cls.kind == "softmax" and "class_weight" in values:
        cw = values.pop("class_weight")
        if weight is None and cw is not None:
            if isinstance(cw, (str, dict)):  # pragma: no cover - _ready() refused it
                raise InvalidParameterError(f"loss_from_spec: resolve {spec.name!r} first.")
            weight = torch.as_tensor(np.asarray(cw, dtype=float), dtype=torch.float32)
    module_cls = MODULES.get(cls.torch_module or "")
    if module_cls is not None and _spec_conformant(module_cls, cls):
        takes = set(module_cls._param_names)
        defaults = cls.defaults()
        if all(k in takes or _same(v, defaults.get(k)) for k, v in values.items()):
            kw = {k: v for k, v in values.items() if k in takes}
            return _instantiate(module_cls, kw, weight, reduction, ignore_index)
    return _instantiate(_private(cls, "module"), values, weight, reduction, ignore_index)


def _instantiate(module_cls: type[LossModule], kw: dict[str, Any], weight: Any,
                 reduction: str, ignore_index: int) -> LossModule:
    extra: dict[str, Any] = {"reduction": reduction}
    if weight is not None:
        extra["weight"] = weight
    if module_cls._binder.spec_cls.kind == "softmax":
        extra["ignore_index"] = ignore_index
    return module_cls(**kw, **extra)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.shape(a) == np.shape(b) and np.all(np.asarray(a) == np.asarray(b)))
    return bool(a == b)


_build()
