"""``ignore_index`` of the sigmoid (binary, multi-label) losses, as the softmax ones have.

An element whose target equals ``ignore_index`` counts neither in the loss nor in the
``"mean"`` denominator (the number of the other elements; every element ignored: NaN, as
``F.cross_entropy``). It is evaluated at logit 0 and target 0 with weight 0, so that its
loss and gradient are exactly 0 whatever its logit (NaN and infinite ones included), and
every path (fused kernels, reference, compile, ``torch.func``) computes the same.
"""

from __future__ import annotations

from typing import Any

import torch

from focalkit.torch import _checks

__all__ = ["mask_sigmoid"]

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
    valid = target != ignore_index
    kept = valid.to(_checks.compute_dtype(input))
    target = torch.where(valid, target, torch.zeros((), dtype=target.dtype,
                                                    device=target.device))
    input = torch.where(valid, input, torch.zeros((), dtype=input.dtype, device=input.device))
    weight = kept if weight is None else weight.to(kept.dtype) * kept
    return input, target, weight, valid.sum()
