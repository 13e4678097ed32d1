"""``ignore_index`` of the sigmoid (binary, multi-label) losses, as the softmax ones have.

An element whose target equals ``ignore_index`` counts neither in the loss nor in the
``"mean"`` denominator (the number of the other elements; every element ignored: NaN, as
``F.cross_entropy``); its loss and gradient are exactly 0 whatever its logit (NaN and
infinite ones included). The fused CPU kernels skip such elements in their target pass
(:mod:`.kernels._cpu_numba`); every other path (reference, GPU, compile, ``torch.func``)
evaluates them here at logit 0 and target 0 with weight 0, which gives the same.
"""

from __future__ import annotations

from typing import Any

import torch

from focalkit.torch import _checks

__all__ = ["mask_sigmoid", "neutralise", "valid_targets"]

Tensor = torch.Tensor


def mask_sigmoid(input: Any, target: Any, weight: Tensor | None, ignore_index: int,
                 owner: str) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(input, target, weight, count) with the ignored elements neutralised.

    ``weight`` becomes the elementwise weight with 0 at ignored elements (the given
    weight, broadcast, elsewhere); ``count`` is the number of elements that count.
    """
    input = _checks.floating_input(input, owner)
    if not isinstance(target, Tensor):
        raise _checks.InvalidParameterError(
            f"target of {owner} must be a tensor; got {type(target).__name__}.")
    _checks.check_same_shape(input, target)
    _checks.broadcastable(weight, input.shape, "weight")
    return neutralise(input, target, weight, ignore_index)


def neutralise(input: Tensor, target: Tensor, weight: Tensor | None,
               ignore_index: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """:func:`mask_sigmoid` without the checks (the reference path's, on checked data)."""
    valid = target != ignore_index
    kept = valid.to(_checks.compute_dtype(input))
    target = torch.where(valid, target, torch.zeros((), dtype=target.dtype,
                                                    device=target.device))
    input = torch.where(valid, input, torch.zeros((), dtype=input.dtype, device=input.device))
    weight = kept if weight is None else weight.to(kept.dtype) * kept
    return input, target, weight, valid.sum()


def valid_targets(target: Tensor, ignore_index: int | None) -> Tensor:
    """The targets whose values are checked: the ignored ones as 0."""
    if ignore_index is None:
        return target
    return torch.where(target != ignore_index, target, torch.zeros_like(target))
