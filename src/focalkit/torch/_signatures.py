"""The signatures of the generated torch functions and modules.

A spec's torch names come from the registry (``spec.torch_function`` and
``spec.torch_module``); their arguments are, by default (:func:`default_signature`):

* function: ``f(input, target, *, <spec parameters>, weight=None, [ignore_index=-100,]
  reduction="mean")``, everything after ``target`` keyword-only, like
  ``F.binary_cross_entropy_with_logits`` / ``F.cross_entropy``;
* module: ``M(<spec parameters>, *, weight=None, [ignore_index=-100,] reduction="mean")``
  with ``forward(input, target)``.

Softmax specs take their class weights as ``weight`` (``F.cross_entropy``), so their
``class_weight`` is not an argument. A new spec needs nothing here.

:data:`LEGACY` keeps the exact signatures of the names that existed before the registry
(argument order, defaults, the ``forward(input, target, weight=None)`` of the older
modules, ``ldam_loss(margins=...)``, ``poly1_cross_entropy``): the same calls keep
working with the same values. Their spec classes are still the registry's, except where a
historic signature parametrises a loss differently (:mod:`._legacy`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from focalkit._core.losses import LossSpec

__all__ = ["EXTRA", "LEGACY", "SIGMOID_DEFAULTS", "Signature", "default_signature", "exposed"]

SIGMOID_ARGS = ("weight", "ignore_index", "reduction")
SOFTMAX_ARGS = ("weight", "ignore_index", "reduction")
#: The torch arguments that are not spec parameters, with their defaults.
TORCH_DEFAULTS: Mapping[str, Any] = {"weight": None, "ignore_index": -100, "reduction": "mean"}
#: ... except the sigmoid losses' ``ignore_index``: None, nothing ignored (BCE's behaviour).
SIGMOID_DEFAULTS: Mapping[str, Any] = {"ignore_index": None}


@dataclass(frozen=True)
class Signature:
    """How one generated function or module takes its arguments.

    Attributes
    ----------
    args : tuple of str
        Argument names after ``(input, target)`` (functions) or ``self`` (modules): spec
        parameters and the torch arguments ``weight``, ``ignore_index``, ``reduction``.
    positional : int
        Modules: how many leading ``args`` may be positional (the rest are keyword-only).
        Functions take every argument after ``target`` by keyword.
    defaults : mapping
        Defaults that differ from the spec's.
    fixed : mapping
        Spec parameters fixed (not exposed).
    forward_weight : bool
        The module's ``forward(input, target, weight=None)`` takes a per-call ``weight``
        (the older modules; it replaces the module's own for that call).
    """

    args: tuple[str, ...]
    positional: int = 0
    defaults: Mapping[str, Any] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    forward_weight: bool = False


def exposed(spec_cls: type[LossSpec]) -> tuple[str, ...]:
    """The spec parameters a torch function or module of ``spec_cls`` takes by default."""
    names = tuple(p.name for p in spec_cls.params)
    if spec_cls.kind == "softmax":
        names = tuple(n for n in names if n != "class_weight")
    return names


def default_signature(spec_cls: type[LossSpec], module: bool) -> Signature:
    """The signature of a spec without a :data:`LEGACY` entry (see the module docstring)."""
    params = exposed(spec_cls)
    torch_args = SOFTMAX_ARGS if spec_cls.kind == "softmax" else SIGMOID_ARGS
    return Signature(params + torch_args, positional=len(params) if module else 0)


def _older_binary(*params: str) -> tuple[Signature, Signature]:
    """(function, module) of an alternative from before the registry (sigmoid)."""
    return (Signature((*params, "weight", "reduction", "ignore_index")),
            Signature((*params, "weight", "reduction", "ignore_index"),
                      positional=len(params), forward_weight=True))


def _older_softmax(*params: str, positional: int | None = None,
                   **kw: Any) -> tuple[Signature, Signature]:
    """(function, module) of a softmax alternative from before the registry."""
    args = (*params, "weight", "ignore_index", "reduction")
    n = len(params) if positional is None else positional
    return Signature(args, **kw), Signature(args, positional=n)


_WBCE = _older_binary("pos_weight", "neg_weight")
_LABCE = _older_binary("prior", "tau")
_LACE = _older_softmax("prior", "tau")
_ASL = _older_binary("gamma_pos", "gamma_neg", "clip")
_POLY1 = _older_binary("epsilon", "gamma", "alpha")
_POLY1CE = _older_softmax("epsilon", "gamma", defaults={"gamma": 2.0})
_STAR = _older_binary("gamma_star", "beta_star")
_FLSD = _older_binary("threshold", "gamma_low", "gamma_high", "alpha")
_FLSDCE = _older_softmax("threshold", "gamma_low", "gamma_high")
_SMOOTH = _older_binary("smoothing")


def _legacy_specs() -> dict[str, type[LossSpec]]:
    from focalkit.torch import _legacy

    return {"ldam_loss": _legacy.GivenMarginsLDAM,
            "label_smoothing_bce_with_logits": _legacy.PosWeightLabelSmoothing}


#: Signatures of the torch names that existed before the registry, by name.
LEGACY: dict[str, Signature] = {
    "binary_focal_loss_with_logits": Signature(
        ("alpha", "gamma", "weight", "pos_weight", "reduction", "ignore_index")),
    "BinaryFocalLossWithLogits": Signature(
        ("alpha", "gamma", "weight", "pos_weight", "reduction", "ignore_index"),
        positional=5),
    "focal_loss": Signature(
        ("gamma", "weight", "ignore_index", "reduction", "label_smoothing")),
    "FocalLoss": Signature(
        ("gamma", "weight", "ignore_index", "reduction", "label_smoothing"), positional=5),
    "weighted_bce_with_logits": _WBCE[0],
    "WeightedBCEWithLogitsLoss": _WBCE[1],
    "logit_adjusted_bce_with_logits": _LABCE[0],
    "LogitAdjustedBCEWithLogitsLoss": _LABCE[1],
    "logit_adjusted_cross_entropy": _LACE[0],
    "LogitAdjustedCrossEntropyLoss": _LACE[1],
    "asymmetric_loss_with_logits": _ASL[0],
    "AsymmetricLossWithLogits": _ASL[1],
    "poly1_binary_focal_loss_with_logits": _POLY1[0],
    "Poly1BinaryFocalLossWithLogits": _POLY1[1],
    "poly1_softmax_focal_loss": _POLY1CE[0],
    "Poly1CrossEntropyLoss": _POLY1CE[1],
    "focal_star_loss_with_logits": _STAR[0],
    "FocalStarLossWithLogits": _STAR[1],
    "flsd_binary_focal_loss_with_logits": _FLSD[0],
    "FLSDBinaryFocalLossWithLogits": _FLSD[1],
    "flsd_softmax_focal_loss": _FLSDCE[0],
    "FLSDSoftmaxFocalLoss": _FLSDCE[1],
    "label_smoothing_bce_with_logits": Signature(
        ("smoothing", "weight", "pos_weight", "reduction", "ignore_index")),
    "LabelSmoothingBCEWithLogitsLoss": _SMOOTH[1],
    "ldam_loss": Signature(("margins", "scale", "weight", "ignore_index", "reduction")),
    "LDAMLoss": Signature(("class_counts", "max_margin", "scale", "weight", "ignore_index",
                           "reduction"), positional=3, forward_weight=True),
}

#: Further historic functions: name -> ((spec name, kind), signature).
EXTRA: dict[str, tuple[tuple[str, str], Signature]] = {
    "poly1_cross_entropy": (("poly1", "softmax"), Signature(
        ("epsilon", "weight", "ignore_index", "reduction"), fixed={"gamma": 0.0})),
}


def legacy_spec(name: str) -> type[LossSpec] | None:
    """The historic spec class of a torch name, where it is not the registry's."""
    return _legacy_specs().get(name)
