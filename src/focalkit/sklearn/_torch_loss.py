"""A resolved loss spec as a per-sample torch loss, through :mod:`focalkit.torch`.

:func:`focalkit.torch.loss_from_spec` gives the module of a resolved spec: the loss's
public module where it takes the spec's values (focal loss with its fused kernels), else
one generated from the spec. Where that function is missing (a ``focalkit.torch`` from
before the registry), the spec's public torch function (``spec.torch_function``, e.g.
:func:`focalkit.torch.binary_focal_loss_with_logits` with its fused kernels) is called
with the spec's parameters as keywords (``class_weight`` is ``weight`` in the softmax
functions, as in ``F.cross_entropy``) and ``reduction="none"``. Where the spec has no
public function, or the function does not take one of the spec's (non-None) parameters,
the spec's own value and gradient are used: the loss is ``spec.loss_grad`` with the
gradient attached to the logits, so autograd sees the analytic gradient of ``_core``.
Nothing here names a loss. Imported inside ``fit`` only (it imports torch).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import focalkit.torch as fk_torch
from focalkit._core.losses import LossSpec

__all__ = ["torch_loss"]

Tensor = torch.Tensor


def torch_loss(spec: LossSpec) -> Callable[[Tensor, Tensor], Tensor]:
    """``fn(logits, target) -> per-sample losses`` of a resolved spec.

    Sigmoid specs take logits ``(n,)`` and float targets; softmax specs ``(n, C)`` logits
    and integer labels.
    """
    from_spec = getattr(fk_torch, "loss_from_spec", None)
    if from_spec is not None:
        module = from_spec(spec, reduction="none")
        return module  # type: ignore[no-any-return]
    public = _public_function(spec)
    return public if public is not None else _spec_function(spec)


def _public_function(spec: LossSpec) -> Callable[[Tensor, Tensor], Tensor] | None:
    name = spec.torch_function
    fn = getattr(fk_torch, name, None) if name else None
    if fn is None:
        return None
    accepted = inspect.signature(fn).parameters
    kw: dict[str, Any] = {}
    for key, value in spec.values.items():
        arg = "weight" if spec.kind == "softmax" and key == "class_weight" else key
        if arg in accepted:
            kw[arg] = value
        elif value is not None:
            return None  # the function cannot express this setting of the spec
    weight = kw.get("weight") if spec.kind == "softmax" else None

    def call(z: Tensor, t: Tensor) -> Tensor:
        if weight is not None:
            kw["weight"] = torch.as_tensor(np.asarray(weight), dtype=z.dtype, device=z.device)
        return fn(z, t, reduction="none", **kw)

    return call


def _spec_function(spec: LossSpec) -> Callable[[Tensor, Tensor], Tensor]:
    softmax = spec.kind == "softmax"

    def call(z: Tensor, t: Tensor) -> Tensor:
        with torch.no_grad():
            zd = z.detach()
            loss, grad = (spec.loss_grad(zd, t, axis=-1)  # type: ignore[call-arg]
                          if softmax else spec.loss_grad(zd, t))
        step = z - zd  # zero, with d(step)/dz = 1: the value is the loss, the gradient grad
        return loss + ((grad * step).sum(-1) if softmax else grad * step)

    return call
