"""Docstrings of the generated torch functions and modules, from the registry.

Every docstring is built from the spec (title, formula, parameters and their docs, the
neutral setting, the reference) and the torch conventions of its signature; an Examples
section shows the neutral setting against ``F.binary_cross_entropy_with_logits`` /
``F.cross_entropy`` where the spec has one with defaults for every parameter, and the
historic examples (printed values) of the names that had them are kept in
:data:`EXAMPLES`.
"""

from __future__ import annotations

import inspect
from typing import Any

from focalkit._core.losses import REQUIRED, LossSpec
from focalkit.torch._signatures import Signature

__all__ = ["EXAMPLES", "function_doc", "module_doc"]

_DATA_SIGMOID = """input : torch.Tensor
    Logits (margins), any shape, floating point.
target : torch.Tensor
    Targets in [0, 1] of ``input``'s shape{soft}; bool and integer 0/1 targets are
    accepted."""
_DATA_SOFTMAX = """input : torch.Tensor
    Logits of shape (N, C), (N, C, d1, ...) or (C,).
target : torch.Tensor
    Class indices (integer tensor of shape (N,), (N, d1, ...) or ()){dense}."""
_TORCH_ARGS = {
    ("sigmoid", "weight"): """weight : torch.Tensor, optional
    Rescaling weight broadcast to ``input``'s shape (sample or element weights), as in
    ``F.binary_cross_entropy_with_logits``.""",
    ("softmax", "weight"): """weight : torch.Tensor, optional
    Class weights, shape (C,), as in ``F.cross_entropy`` (the ``"mean"`` is weighted).""",
    ("sigmoid", "ignore_index"): """ignore_index : int, optional
    Elements whose target equals it count neither in the loss nor in the ``"mean"``
    denominator (the softmax losses' convention; e.g. ``-1`` for "ignore" anchors). Their
    loss and gradient are 0 whatever their logit. Default None: nothing is ignored.""",
    ("softmax", "ignore_index"): """ignore_index : int, default=-100
    Class-index targets equal to it count neither in the loss nor in the ``"mean"``
    denominator.""",
    ("sigmoid", "reduction"): """reduction : {"mean", "sum", "none"}, default="mean"
    ``"none"`` keeps ``input``'s shape; ``"mean"`` divides the (weighted) sum by the number
    of elements, as torch does.""",
    ("softmax", "reduction"): """reduction : {"mean", "sum", "none"}, default="mean"
    ``"none"``: one loss per position, shape (N, d1, ...); ``"mean"`` divides the sum by the
    summed class weights of the non-ignored targets (by their count without ``weight``; by
    the number of positions for probability targets), as ``F.cross_entropy``.""",
}
_NORMALIZER = """normalizer : float or one-element tensor, optional
    The summed loss divided by it, for reduction ``"sum"`` and ``"mean"`` alike
    (RetinaNet's sum / number of positive anchors; under DDP pass
    ``focalkit.torch.distributed.normalizer(num_pos)``). Not with ``"none"`` (raises)."""
_POS_WEIGHT = """pos_weight : torch.Tensor or float, optional
    Extra factor of the positive term, broadcast to ``input`` (one value per label along
    the last dimension), as in ``F.binary_cross_entropy_with_logits``."""

#: The hand-written docstrings of the focal losses (the headline API), kept as they were.
HAND_WRITTEN: dict[str, str] = {
    "binary_focal_loss_with_logits":
    r"""Sigmoid focal loss of logits; a drop-in for ``F.binary_cross_entropy_with_logits``.

.. math::

    \ell = w \left[ y\,\alpha\,\text{pw}\,(1-p)^\gamma (-\log p)
           + (1-y)(1-\alpha)\,p^\gamma (-\log(1-p)) \right],\qquad p = \sigma(z)

For a hard target this is :math:`-\alpha_t (1-p_t)^\gamma \log p_t` (Lin et al.).
Binary and multi-label, any shape.

Parameters
----------
input : torch.Tensor
    Logits (margins), any shape, floating point.
target : torch.Tensor
    Targets in [0, 1], same shape as ``input``. Values in between are soft targets,
    with the loss linear in the target: ``y L(z, 1) + (1 - y) L(z, 0)``. bool and
    integer 0/1 targets are accepted.
alpha : float, 1-D tensor or None, default=None
    Weight of the positive term (RetinaNet convention); negatives get ``1 - alpha``.
    ``None`` weighs both by 1. A vector broadcasts along the last dimension (one value
    per label). ``"balanced"`` is refused here: compute it from the training labels
    with :func:`focalkit.resolve_alpha`.
gamma : float or 1-D tensor, default=2.0
    Focusing parameter ``>= 0``; a vector broadcasts along the last dimension.
weight : torch.Tensor, optional
    Rescaling weight broadcast to ``input``'s shape (sample or element weights), exactly
    as in ``F.binary_cross_entropy_with_logits``.
pos_weight : torch.Tensor, optional
    Extra factor of the positive term, broadcast along the last dimension, as in
    ``F.binary_cross_entropy_with_logits`` (``pos_weight = n_neg / n_pos`` balances).
reduction : {"mean", "sum", "none"}, default="mean"
    ``"none"`` returns the loss with ``input``'s shape; ``"mean"`` averages over all
    elements (weights included in the numerator only, as in torch).
ignore_index : int, optional
    Elements whose target equals it count neither in the loss nor in the ``"mean"``
    denominator (the softmax losses' convention; e.g. ``-1`` for "ignore" anchors). Their
    loss and gradient are 0 whatever their logit. Default None: nothing is ignored.
normalizer : float or one-element tensor, optional
    The summed loss divided by it, for reduction ``"sum"`` and ``"mean"`` alike
    (RetinaNet's sum / number of positive anchors; under DDP pass
    ``focalkit.torch.distributed.normalizer(num_pos)``). Not with ``"none"`` (raises).

Returns
-------
torch.Tensor
    The loss, in ``input``'s dtype. Half-precision inputs are computed and reduced in
    float32 and the result is cast back; float64 is computed in float64.

Notes
-----
``gamma=0`` and ``alpha=None`` give ``F.binary_cross_entropy_with_logits`` exactly
(value and gradient). The gradient is analytic (from :mod:`focalkit._core`), finite for
every ``gamma >= 0`` and every finite logit; only the inputs are kept for the backward.
NaN logits give NaN (propagated like torch); NaN or out-of-range targets raise.

References
----------
Lin, Goyal, Girshick, He, Dollar. Focal Loss for Dense Object Detection. ICCV 2017.

Examples
--------
>>> import torch
>>> z = torch.tensor([2.0, -1.0, 0.5])
>>> y = torch.tensor([1.0, 0.0, 1.0])
>>> round(binary_focal_loss_with_logits(z, y, gamma=2.0).item(), 4)
0.0307
>>> round(binary_focal_loss_with_logits(z, y, alpha=0.25, reduction="sum").item(), 4)
0.0343
""",
    "BinaryFocalLossWithLogits":
    r"""Module form of :func:`binary_focal_loss_with_logits` (a drop-in for ``BCEWithLogitsLoss``).

Parameters are validated here, once; ``forward(input, target)`` only delegates.

Parameters
----------
alpha : float, 1-D tensor or None, default=None
    Weight of the positive term; see :func:`binary_focal_loss_with_logits`.
gamma : float or 1-D tensor, default=2.0
    Focusing parameter ``>= 0``.
weight : torch.Tensor, optional
    Rescaling weight broadcast to the input's shape (a buffer: follows ``.to()``).
pos_weight : torch.Tensor, optional
    Extra factor of the positive term (a buffer).
reduction : {"mean", "sum", "none"}, default="mean"
    How to reduce the elementwise loss.
ignore_index : int, optional
    Elements whose target equals it count neither in the loss nor in the ``"mean"``
    denominator (the softmax losses' convention; e.g. ``-1`` for "ignore" anchors). Their
    loss and gradient are 0 whatever their logit. Default None: nothing is ignored.

Examples
--------
>>> import torch
>>> criterion = BinaryFocalLossWithLogits(alpha=0.25, gamma=2.0)
>>> z = torch.tensor([2.0, -1.0, 0.5], requires_grad=True)
>>> loss = criterion(z, torch.tensor([1.0, 0.0, 1.0]))
>>> loss.backward()
>>> round(loss.item(), 4)
0.0114
""",
    "focal_loss":
    r"""Softmax focal loss; a drop-in for ``F.cross_entropy`` (equal to it at ``gamma=0``).

.. math:: \ell_n = \sum_k w_k\, t_{nk}\, (1 - p_{nk})^{\gamma} (-\log p_{nk})

with :math:`p = \operatorname{softmax}(z)` over the class dimension (1) and :math:`t`
the one-hot label (or the given distribution), label-smoothed as in
``F.cross_entropy``. For a hard label this is :math:`-w_y (1-p_y)^\gamma \log p_y`.

Parameters
----------
input : torch.Tensor
    Logits of shape (N, C), (N, C, d1, ...) or (C,).
target : torch.Tensor
    Class indices (integer tensor of shape (N,), (N, d1, ...) or ()) or class
    probabilities (floating, ``input``'s shape).
gamma : float or 1-D tensor, default=2.0
    Focusing parameter ``>= 0``, or one value per class.
weight : torch.Tensor, optional
    Class weights, shape (C,), as in ``F.cross_entropy``.
ignore_index : int, default=-100
    Class-index targets equal to it contribute neither to the loss nor to the
    ``"mean"`` denominator. Setting it when no target equals it changes nothing.
reduction : {"mean", "sum", "none"}, default="mean"
    ``"none"`` returns one loss per position, shape (N, d1, ...). ``"mean"`` divides the
    sum by the summed class weights of the non-ignored targets (by their count without
    ``weight``; by the number of positions for class-probability targets), exactly as
    ``F.cross_entropy``.
label_smoothing : float in [0, 1], default=0.0
    Mixes the target with the uniform distribution, as ``F.cross_entropy`` does.
normalizer : float or one-element tensor, optional
    The summed loss divided by it, for reduction ``"sum"`` and ``"mean"`` alike
    (RetinaNet's sum / number of positive anchors; under DDP pass
    ``focalkit.torch.distributed.normalizer(num_pos)``). Not with ``"none"`` (raises).

Returns
-------
torch.Tensor
    The loss in ``input``'s dtype (half inputs are computed and reduced in float32).

Notes
-----
``gamma=0`` gives ``F.cross_entropy`` exactly, value and gradient, for every
combination of ``weight``, ``ignore_index``, ``label_smoothing`` and ``reduction``. The
gradient is analytic (from :mod:`focalkit._core`) and only the inputs are kept for the
backward. NaN logits give NaN for their position (ignored positions give 0).

References
----------
Lin, Goyal, Girshick, He, Dollar. Focal Loss for Dense Object Detection. ICCV 2017.

Examples
--------
>>> import torch
>>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
>>> labels = torch.tensor([0, 2])
>>> round(focal_loss(logits, labels, gamma=2.0).item(), 4)
0.4872
>>> round(focal_loss(logits, labels, gamma=0.0).item(), 4)  # cross-entropy
0.8955
""",
    "FocalLoss": r"""Module form of :func:`focal_loss` (drop-in for ``nn.CrossEntropyLoss``).

Parameters are validated here, once; ``forward(input, target)`` only delegates.

Parameters
----------
gamma : float or 1-D tensor, default=2.0
    Focusing parameter ``>= 0``, or one per class.
weight : torch.Tensor, optional
    Class weights (C,) (a buffer: follows ``.to()``).
ignore_index : int, default=-100
    Target value excluded from the loss and from the mean's denominator.
reduction : {"mean", "sum", "none"}, default="mean"
    How to reduce the per-position loss.
label_smoothing : float in [0, 1], default=0.0
    Label smoothing, as in ``nn.CrossEntropyLoss``.

Examples
--------
>>> import torch
>>> criterion = FocalLoss(gamma=2.0)
>>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]], requires_grad=True)
>>> loss = criterion(logits, torch.tensor([0, 2]))
>>> loss.backward()
>>> round(loss.item(), 4)
0.4872
""",
}

#: The historic examples (printed values) of the names that had them.
EXAMPLES: dict[str, str] = {
    "weighted_bce_with_logits": """>>> x, y = torch.tensor([0.0, 2.0]), torch.tensor([1.0, 0.0])
>>> round(weighted_bce_with_logits(x, y, pos_weight=9.0).item(), 4)
4.1826""",
    "logit_adjusted_bce_with_logits": """>>> x, y = torch.tensor([0.0]), torch.tensor([1.0])
>>> round(logit_adjusted_bce_with_logits(x, y, prior=0.1).item(), 4)
2.3026""",
    "logit_adjusted_cross_entropy": """>>> x, y = torch.zeros(1, 2), torch.tensor([1])
>>> round(logit_adjusted_cross_entropy(x, y, prior=[0.9, 0.1]).item(), 4)
2.3026""",
    "asymmetric_loss_with_logits": """>>> x, y = torch.tensor([1.0]), torch.tensor([0.0])
>>> round(asymmetric_loss_with_logits(x, y).item(), 4)
0.2459""",
    "poly1_binary_focal_loss_with_logits": """>>> x, y = torch.tensor([0.0]), torch.tensor([1.0])
>>> round(poly1_binary_focal_loss_with_logits(x, y).item(), 4)
1.1931""",
    "poly1_softmax_focal_loss": """>>> x, y = torch.zeros(1, 2), torch.tensor([0])
>>> round(poly1_softmax_focal_loss(x, y).item(), 4)
0.2983""",
    "poly1_cross_entropy": """>>> x, y = torch.zeros(1, 2), torch.tensor([0])
>>> round(poly1_cross_entropy(x, y).item(), 4)
1.1931""",
    "label_smoothing_bce_with_logits": """>>> x, y = torch.tensor([4.0]), torch.tensor([1.0])
>>> round(label_smoothing_bce_with_logits(x, y).item(), 4)
0.2181""",
    "focal_star_loss_with_logits": """>>> x, y = torch.tensor([0.0]), torch.tensor([1.0])
>>> round(focal_star_loss_with_logits(x, y, gamma_star=2.0, beta_star=1.0).item(), 4)
0.1566""",
    "ldam_loss": """>>> x, y = torch.tensor([[1.0, 0.0]]), torch.tensor([1])
>>> round(ldam_loss(x, y, margins=[0.1, 0.5], scale=1.0).item(), 4)
1.7014""",
    "LDAMLoss": """>>> loss = LDAMLoss([900, 100], scale=1.0)
>>> round(loss(torch.zeros(2, 2), torch.tensor([0, 1])).item(), 4)
0.911""",
    "flsd_binary_focal_loss_with_logits": """>>> x, y = torch.tensor([0.0]), torch.tensor([1.0])
>>> round(flsd_binary_focal_loss_with_logits(x, y).item(), 4)
0.0866""",
    "flsd_softmax_focal_loss": """>>> x, y = torch.zeros(1, 2), torch.tensor([0])
>>> round(flsd_softmax_focal_loss(x, y).item(), 4)
0.0866""",
}


def _summary(spec_cls: type[LossSpec]) -> tuple[str, str]:
    """(one-line summary, formula paragraph) from the spec class."""
    title = spec_cls.title or spec_cls.name
    doc = inspect.getdoc(spec_cls) or ""
    formula = doc.split("\n\n")[0].strip()
    return title[0].upper() + title[1:], formula


def _fmt_default(v: Any) -> str:
    return "required" if v is REQUIRED else f"default={v!r}"


def _params_section(spec_cls: type[LossSpec], sig: Signature, module: bool) -> str:
    kind = spec_cls.kind
    params = {p.name: p for p in spec_cls.params}
    lines = ["Parameters", "----------"]
    if not module:
        if kind == "sigmoid":
            lines.append(_DATA_SIGMOID.format(
                soft="; values in between are soft targets"
                if getattr(spec_cls, "soft_targets", True) else " (hard targets only)"))
        else:
            lines.append(_DATA_SOFTMAX.format(
                dense=", or class probabilities of ``input``'s shape"
                if getattr(spec_cls, "dense_targets", False) else ""))
    for name in sig.args:
        if name == "pos_weight":
            lines.append(_POS_WEIGHT)
        elif name in params:
            p = params[name]
            default = sig.defaults.get(name, p.default)
            lines.append(f"{name} : {_fmt_default(default)}\n    {p.doc or name}.")
        elif (kind, name) in _TORCH_ARGS:
            lines.append(_TORCH_ARGS[kind, name])
    if not module:  # modules take it in forward(..., normalizer=None)
        lines.append(_NORMALIZER)
    return "\n".join(lines)


def _neutral(spec_cls: type[LossSpec], sig: Signature) -> str:
    neutral = spec_cls.neutral
    if not neutral:
        return ""
    shown = {k: v for k, v in neutral.items() if k in sig.args or k == "class_weight"}
    if not shown:
        return ""
    ref = ("F.binary_cross_entropy_with_logits" if spec_cls.kind == "sigmoid"
           else "F.cross_entropy")
    setting = ", ".join(f"``{k}={v!r}``" for k, v in shown.items() if k != "class_weight")
    return (f"At {setting or 'its defaults'} it equals ``{ref}`` (value and gradient, every "
            "reduction, with ``weight``" + (" and ``ignore_index``" if spec_cls.kind ==
                                            "softmax" else "") + ").")


def _generic_example(spec_cls: type[LossSpec], sig: Signature, name: str,
                     module: bool) -> str:
    """The neutral setting against torch's own loss, as a doctest (no printed numbers)."""
    neutral = dict(spec_cls.neutral or {})
    params = {p.name: p for p in spec_cls.params}
    for arg in sig.args:  # every required parameter needs a neutral value
        if arg in params and sig.defaults.get(arg, params[arg].default) is REQUIRED \
                and arg not in neutral:
            return ""
    kw = ", ".join(f"{k}={v!r}" for k, v in neutral.items() if k in sig.args)
    if spec_cls.kind == "sigmoid":
        data = ">>> z, y = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([1.0, 0.0, 1.0])"
        ref = "F.binary_cross_entropy_with_logits(z, y)"
    else:
        data = ">>> z, y = torch.tensor([[2.0, 0.0, -1.0], [0.5, 1.0, 0.0]]), torch.tensor([0, 2])"
        ref = "F.cross_entropy(z, y)"
    call = f"{name}({kw})(z, y)" if module else f"{name}(z, y{', ' + kw if kw else ''})"
    return (f"{data}\n>>> import torch.nn.functional as F\n"
            f">>> bool(torch.allclose({call}, {ref}))\nTrue")


def _examples(spec_cls: type[LossSpec], sig: Signature, name: str, module: bool) -> str:
    body = EXAMPLES.get(name) or _generic_example(spec_cls, sig, name, module)
    if not body:
        return ""
    return "Examples\n--------\n>>> import torch\n" + body


def _join(*parts: str) -> str:
    return "\n\n".join(p for p in parts if p)


def function_doc(spec_cls: type[LossSpec], sig: Signature, name: str,
                 module_name: str | None) -> str:
    """The numpydoc docstring of a generated function."""
    title, formula = _summary(spec_cls)
    ref = ("F.binary_cross_entropy_with_logits" if spec_cls.kind == "sigmoid"
           else "F.cross_entropy")
    head = f"{title} of logits; arguments as ``{ref}``."
    twin = f"Module form: :class:`{module_name}`." if module_name else ""
    notes = _join(
        _neutral(spec_cls, sig),
        "The gradient is analytic (the spec's ``_core`` mathematics, "
        f":func:`focalkit.losses.get_loss` ``({spec_cls.name!r}, {spec_cls.kind!r})``), "
        "finite at any finite logit; second derivatives (``create_graph=True``) are "
        "differentiated from the same mathematics. Parameters and targets get no gradient"
        + (" (soft targets do, where the loss is linear in them)"
           if spec_cls.kind == "sigmoid" else "") + ".",
    )
    returns = ("Returns\n-------\ntorch.Tensor\n    The loss, in ``input``'s dtype "
               "(half-precision inputs are computed and reduced in float32).")
    refs = f"References\n----------\n{spec_cls.reference}" if spec_cls.reference else ""
    return _join(head, formula, twin, _params_section(spec_cls, sig, False), returns,
                 "Notes\n-----\n" + notes, refs, _examples(spec_cls, sig, name, False))


def module_doc(spec_cls: type[LossSpec], sig: Signature, name: str,
               function_name: str | None) -> str:
    """The numpydoc docstring of a generated module."""
    title, formula = _summary(spec_cls)
    of = f" of :func:`{function_name}`" if function_name else ""
    head = f"Module form{of}: {title[0].lower() + title[1:]}."
    body = ("Parameters are validated here, once; ``forward(input, target)`` only "
            "delegates." + (" ``forward(input, target, weight)`` also takes a per-call "
                            "``weight`` (it replaces the module's for that call), as the "
                            "module always did." if sig.forward_weight else "") +
            " Tensor parameters are buffers (they follow ``.to()``).")
    refs = f"References\n----------\n{spec_cls.reference}" if spec_cls.reference else ""
    return _join(head, formula, body, _params_section(spec_cls, sig, True), refs,
                 _examples(spec_cls, sig, name, True))
