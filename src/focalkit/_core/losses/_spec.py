r"""The loss spec: one class per loss, holding everything every adapter needs.

A spec *class* describes a loss (its name, kind, parameters with their checks and
defaults, the neutral setting at which it equals BCE / cross-entropy, its Hessian
policies); a spec *instance* is that loss at validated parameter values, with the
mathematics in the margin (elementwise for sigmoid losses, per sample for softmax losses):
value, gradient, Hessian policy, the optimal constant initial score and, where one exists,
the map from the model's output to a posterior probability.

Adapters (torch, boosters, the MLP, the bench) never branch on a loss's name: they read
these attributes and call these methods (scikit-learn's ``sklearn/_loss`` design).

Parameters that depend on the training labels (``alpha="balanced"``, ``prior=None``, LDAM's
class counts, ...) are resolved by :meth:`LossSpec.resolve` before training.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from focalkit._core._validation import HESSIAN_KINDS, _is_real, param_error
from focalkit.exceptions import InvalidParameterError

__all__ = [
    "REQUIRED",
    "LossSpec",
    "Param",
    "SigmoidLoss",
    "SoftmaxLoss",
    "float_in",
]

Array = Any


class _Required:
    def __repr__(self) -> str:
        return "<required>"


#: Default of a parameter that has none (the user must pass it, or it comes from labels).
REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Param:
    """One parameter of a loss.

    Attributes
    ----------
    name : str
    default : object
        :data:`REQUIRED` when it has none.
    check : callable
        ``check(value, owner) -> value``: validates and normalises; raises
        :class:`~focalkit.exceptions.InvalidParameterError` naming the parameter.
    doc : str
        One line for the docs table and ``help``.
    """

    name: str
    default: Any
    check: Callable[[Any, str], Any]
    doc: str = ""


def float_in(name: str, low: float = 0.0, high: float = math.inf, *,
             open_low: bool = False, open_high: bool = True,
             vector: bool = False) -> Callable[[Any, str], Any]:
    """A checker: a finite float in the given interval (or, with ``vector``, a 1-D array)."""
    lo, hi = ("(" if open_low else "["), ("]" if not open_high else ")")
    expected = f"a float in {lo}{low:g}, {high:g}{hi}" + (
        " or a 1-D vector of them" if vector else "")

    def ok(v: np.ndarray) -> bool:
        return bool(np.all(np.isfinite(v))
                    and np.all(v > low if open_low else v >= low)
                    and np.all(v < high if open_high else v <= high))

    def check(value: Any, owner: str) -> Any:
        if _is_real(value) and ok(np.asarray(float(value))):
            return float(value)
        if vector and not isinstance(value, (str, bool)) and value is not None:
            if hasattr(value, "detach"):
                value = value.detach().cpu().numpy()
            try:
                arr = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                arr = None
            if arr is not None and arr.ndim == 1 and arr.size > 0 and ok(arr):
                return arr
        raise param_error(name, owner, expected, value)

    return check


class LossSpec:
    """Base of every loss spec (see the module docstring).

    Subclasses set the class attributes and implement :meth:`loss_grad` (and, where the
    loss has one, :meth:`grad_hess`); everything else has a generic implementation.
    """

    #: Registry name (one name everywhere: torch, boosters, MLP, bench).
    name: ClassVar[str]
    #: ``"sigmoid"`` (elementwise, binary / multi-label) or ``"softmax"`` (per sample).
    kind: ClassVar[str]
    #: Human title and the paper, for docs and reports.
    title: ClassVar[str] = ""
    reference: ClassVar[str] = ""
    #: Other names accepted for this loss (older names of the layers).
    aliases: ClassVar[tuple[str, ...]] = ()
    #: Parameter defaults an alias stands for (applied by ``make_loss(alias, ...)``).
    alias_defaults: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    params: ClassVar[tuple[Param, ...]] = ()
    #: The parameter values at which the loss equals BCE / cross-entropy (None: never).
    neutral: ClassVar[Mapping[str, Any] | None] = None
    #: Hessian policies of :meth:`grad_hess`; the first is the default for boosters.
    hessians: ClassVar[tuple[str, ...]] = ("clipped", "exact")
    #: Parameters that are resolved from the training labels by :meth:`resolve`.
    from_labels: ClassVar[tuple[str, ...]] = ()
    #: Names of the torch function / module generated for this spec (None: not generated).
    torch_function: ClassVar[str | None] = None
    torch_module: ClassVar[str | None] = None

    def __init__(self, *, owner: str | None = None, **params: Any) -> None:
        owner = owner or type(self).__name__
        known = {p.name: p for p in self.params}
        unknown = sorted(set(params) - set(known))
        if unknown:
            allowed = ", ".join(known) or "none"
            raise InvalidParameterError(
                f"{owner}: the loss {self.name!r} has no parameter "
                f"{', '.join(map(repr, unknown))}; its parameters are: {allowed}."
            )
        values: dict[str, Any] = {}
        for p in self.params:
            value = params.get(p.name, p.default)
            if value is REQUIRED or (value is None and p.default is REQUIRED):
                if p.name in self.from_labels:
                    values[p.name] = None  # resolved from the labels later
                    continue
                raise InvalidParameterError(
                    f"{owner}: the loss {self.name!r} needs the parameter {p.name!r} "
                    f"({p.doc})."
                )
            values[p.name] = p.check(value, owner)
        self.owner = owner
        self.values: dict[str, Any] = values
        self._validate(owner)

    # ---------------------------------------------------------------- parameters
    def _validate(self, owner: str) -> None:
        """Cross-parameter checks (override)."""

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """The declared defaults (:data:`REQUIRED` where there is none)."""
        return {p.name: p.default for p in cls.params}

    def with_values(self, **changes: Any) -> LossSpec:
        """A copy with some parameters changed (validated again)."""
        return type(self)(owner=self.owner, **{**self.values, **changes})

    def with_arrays(self, **values: Any) -> LossSpec:
        """A copy whose values are replaced as given, *without* validation.

        For adapters that run the mathematics on another array type: ``values`` are the
        already validated parameters converted (e.g. to tensors on the data's device), not
        new settings; use :meth:`with_values` for those.
        """
        new = copy.copy(self)
        new.values = {**self.values, **values}
        return new

    @property
    def needs_labels(self) -> bool:
        """True while a label-dependent parameter is unresolved."""
        return any(self._unresolved(k) for k in self.from_labels)

    def _unresolved(self, key: str) -> bool:
        v = self.values.get(key)
        required = any(p.name == key and p.default is REQUIRED for p in self.params)
        return isinstance(v, str) or (v is None and required)

    def resolve(self, y: Any, *, sample_weight: Any = None,
                n_classes: int | None = None) -> LossSpec:
        """Resolve label-dependent parameters from training labels ``y`` (override)."""
        if self.needs_labels:
            raise AssertionError(f"{type(self).__name__} must implement resolve()")
        return self

    def _ready(self) -> None:
        if self.needs_labels:
            missing = [k for k in self.from_labels if self._unresolved(k)]
            raise InvalidParameterError(
                f"{self.owner}: the loss {self.name!r} has parameters computed from the "
                f"training labels ({', '.join(missing)}); call resolve(y) first or pass them."
            )

    def at_epoch(self, epoch: int) -> LossSpec:
        """The loss to use in training epoch ``epoch`` (schedules such as DRW override)."""
        return self

    # ---------------------------------------------------------------- mathematics
    def loss_grad(self, z: Array, y: Array) -> tuple[Array, Array]:  # pragma: no cover
        """Loss and gradient in the margin (unreduced)."""
        raise NotImplementedError

    def loss(self, z: Array, y: Array) -> Array:
        """The unreduced loss."""
        return self.loss_grad(z, y)[0]

    def grad(self, z: Array, y: Array) -> Array:
        """Gradient of the unreduced loss in the margin."""
        return self.loss_grad(z, y)[1]

    def grad_hess(self, z: Array, y: Array, *, hessian: str | None = None,
                  hessian_floor: float = 1e-6) -> tuple[Array, Array]:
        """Gradient and Hessian policy (``"exact"``, ``"clipped"``, ``"irls"``), NumPy.

        The generic version differentiates the analytic gradient numerically (central
        differences in float64) for ``"exact"``; ``"clipped"`` floors it. Specs with an
        analytic Hessian override this.
        """
        hessian = self.check_hessian(hessian)
        z = np.asarray(z, dtype=np.float64)
        g = np.asarray(self.grad(z, y), dtype=np.float64)
        h = self._numeric_hessian(z, y)
        if hessian == "clipped":
            h = np.maximum(h, hessian_floor)
        return g, h

    def check_hessian(self, hessian: str | None) -> str:
        """Validate a Hessian policy against :attr:`hessians` (None: the default)."""
        if hessian is None:
            return self.hessians[0]
        if isinstance(hessian, str) and hessian in self.hessians:
            return hessian
        if isinstance(hessian, str) and hessian in HESSIAN_KINDS:
            raise InvalidParameterError(
                f"{self.owner}: the loss {self.name!r} has no {hessian!r} Hessian; use one "
                f"of {', '.join(map(repr, self.hessians))}."
            )
        raise param_error("hessian", self.owner,
                          "one of " + ", ".join(map(repr, self.hessians)), hessian)

    def _numeric_hessian(self, z: np.ndarray, y: Any) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def init_score(self, y: Any, *, sample_weight: Any = None,
                   n_classes: int | None = None) -> Any:  # pragma: no cover
        """The constant margin minimising the (weighted) loss on labels ``y``."""
        raise NotImplementedError

    def posterior_map(self) -> tuple[str, dict[str, Any]] | None:
        """How a model's output maps to a posterior (None: no map known).

        ``("odds", {"pos_weight": w, "alpha": a})`` (odds inflated by a known factor) or
        ``("focal", {"gamma": ..., "alpha": ..., "pos_weight": ...})``.
        """
        return None

    # ---------------------------------------------------------------- description
    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_short(v)}" for k, v in self.values.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(_same(self.values[k], other.values[k]) for k in self.values)  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """A JSON-able description: name, kind, parameters and defaults, neutral setting."""
        return {
            "name": cls.name, "kind": cls.kind, "title": cls.title,
            "reference": cls.reference, "aliases": list(cls.aliases),
            "params": {p.name: {"default": None if p.default is REQUIRED else p.default,
                                "required": p.default is REQUIRED, "doc": p.doc}
                       for p in cls.params},
            "neutral": None if cls.neutral is None else dict(cls.neutral),
            "hessians": list(cls.hessians),
        }


def _short(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return np.array2string(v, precision=4, separator=", ")
    return repr(v)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.shape(a) == np.shape(b) and np.all(np.asarray(a) == np.asarray(b)))
    return bool(a == b)


# ----------------------------------------------------------------------- sigmoid losses
class SigmoidLoss(LossSpec):
    """Elementwise loss of a margin ``z`` against a target ``y`` in [0, 1]."""

    kind = "sigmoid"
    #: True: targets may be soft (any value in [0, 1]); False: only 0 and 1.
    soft_targets: ClassVar[bool] = True
    #: True: a soft target mixes the two sides, ``L(z, y) = y L(z, 1) + (1 - y) L(z, 0)``.
    linear_in_target: ClassVar[bool] = True
    #: Vector parameters that are not one value per label (all others may be).
    whole_vectors: ClassVar[tuple[str, ...]] = ()

    def _numeric_hessian(self, z: np.ndarray, y: Any) -> np.ndarray:
        step = 1e-4 * np.maximum(1.0, np.abs(z))
        up = np.asarray(self.grad(z + step, y), dtype=np.float64)
        down = np.asarray(self.grad(z - step, y), dtype=np.float64)
        return (up - down) / (2.0 * step)

    def init_score(self, y: Any, *, sample_weight: Any = None,
                   n_classes: int | None = None) -> Any:
        """Constant margin(s) minimising the weighted loss: one per label for 2-D ``y``.

        The loss of a constant margin depends on the targets only through the weight of
        each distinct target value, so the root of the summed gradient is found with
        ``brentq`` over those few values (any sigmoid loss, soft targets included).
        """
        from focalkit._core._generic_init import constant_margin, label_params

        self._ready()

        def grad_of_label(j: int) -> Callable[..., Any]:
            per_label = {k: v for k, v in self.values.items() if k not in self.whole_vectors}
            fixed = {k: self.values[k] for k in self.whole_vectors}
            return type(self)(owner=self.owner, **label_params(per_label, j), **fixed).grad

        return constant_margin(grad_of_label, y, sample_weight=sample_weight)


# ----------------------------------------------------------------------- softmax losses
class SoftmaxLoss(LossSpec):
    """Per-sample loss of a logit vector (classes on ``axis``) against an integer label."""

    kind = "softmax"
    #: True: the loss also accepts class-probability targets shaped like the logits.
    dense_targets: ClassVar[bool] = False

    def loss_grad(self, z: Array, y: Array, *, axis: int = -1) -> tuple[Array, Array]:  # type: ignore[override]  # pragma: no cover
        raise NotImplementedError

    def loss(self, z: Array, y: Array, *, axis: int = -1) -> Array:  # type: ignore[override]
        """Per-sample loss (the class axis removed)."""
        return self.loss_grad(z, y, axis=axis)[0]

    def grad(self, z: Array, y: Array, *, axis: int = -1) -> Array:  # type: ignore[override]
        """Gradient in the logits (shaped like ``z``)."""
        return self.loss_grad(z, y, axis=axis)[1]

    def grad_hess(self, z: Array, y: Array, *, hessian: str | None = None,  # type: ignore[override]
                  hessian_floor: float = 1e-6, axis: int = -1) -> tuple[Array, Array]:
        """Gradient and diagonal Hessian policy (generic: central differences)."""
        hessian = self.check_hessian(hessian)
        z = np.moveaxis(np.asarray(z, dtype=np.float64), axis, -1)
        g = np.asarray(self.grad(z, y), dtype=np.float64)
        h = np.empty_like(z)
        for k in range(z.shape[-1]):
            step = 1e-4 * np.maximum(1.0, np.abs(z[..., k]))
            zu, zd = z.copy(), z.copy()
            zu[..., k] += step
            zd[..., k] -= step
            h[..., k] = (np.asarray(self.grad(zu, y))[..., k]
                         - np.asarray(self.grad(zd, y))[..., k]) / (2.0 * step)
        if hessian == "clipped":
            h = np.maximum(h, hessian_floor)
        return np.moveaxis(g, -1, axis), np.moveaxis(h, -1, axis)

    def grad_hess_matrix(self, z: Array, y: Array, *, hessian: str | None = None,
                         hessian_floor: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
        """Gradient (n, C) and full Hessian policy (n, C, C) of (n, C) logits, NumPy.

        For boosters whose multi-class Newton step takes the whole matrix (CatBoost); its
        diagonal is :meth:`grad_hess`'s. Generic version: ``"exact"`` by central
        differences of the analytic gradient (symmetrised); ``"clipped"`` floors the
        eigenvalues of that (:mod:`._hessian_matrix`). Specs with an analytic matrix
        override this.
        """
        from focalkit._core.losses._hessian_matrix import clip_eigenvalues, numeric_hessian_matrix

        hessian = self.check_hessian(hessian)
        z = np.asarray(z, dtype=np.float64)
        g = np.asarray(self.grad(z, y), dtype=np.float64)
        h = numeric_hessian_matrix(lambda zz: self.grad(zz, y), z)
        if hessian == "irls":  # pragma: no cover - a spec listing "irls" overrides this
            raise AssertionError(f"{type(self).__name__} must implement grad_hess_matrix()")
        return g, (clip_eigenvalues(h, hessian_floor) if hessian == "clipped" else h)

    def init_score(self, y: Any, *, sample_weight: Any = None,
                   n_classes: int | None = None) -> np.ndarray:
        """Constant logit vector minimising the weighted loss (centred to mean 0).

        A constant vector's loss depends on the labels only through the class totals, so
        L-BFGS minimises ``sum_k n_k L(c, k)`` with the analytic gradient.
        """
        from focalkit._core._generic_init import constant_logits

        self._ready()
        return constant_logits(self.loss_grad, y, n_classes=n_classes,
                               sample_weight=sample_weight)
