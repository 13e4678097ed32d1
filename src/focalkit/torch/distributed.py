r"""Loss normalisers for data-parallel training (``torch.distributed``).

RetinaNet-style detectors divide the summed loss by the number of positive anchors. Under
``DistributedDataParallel`` every rank sees only its share of the batch, and DDP averages
the gradients over the ranks; dividing by the *local* count then gives a different
gradient than single-process training on the concatenated batch (FCOS issue 275).
:func:`normalizer` all-reduces the count so that it does not::

    num_pos = (labels > 0).sum()
    loss = binary_focal_loss_with_logits(logits, targets, alpha=0.25,
                                         reduction="sum") / normalizer(num_pos)
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import torch
import torch.distributed as dist

from focalkit._core._validation import check_float, param_error

__all__ = ["normalizer"]

_OWNER = "normalizer"


def _count_tensor(count: Any, device: Any) -> torch.Tensor:
    if isinstance(count, torch.Tensor):
        if count.numel() != 1 or count.is_complex():
            raise param_error("count", _OWNER, "a number or a one-element tensor", count)
        return count.detach().reshape(())
    if isinstance(count, Real) and not isinstance(count, bool):
        if device is None and _initialized() and dist.get_backend() == "nccl":
            device = torch.device("cuda", torch.cuda.current_device())
        return torch.tensor(float(count), device=device)
    raise param_error("count", _OWNER, "a number or a one-element tensor", count)


def _initialized() -> bool:
    return dist.is_available() and dist.is_initialized()


def normalizer(
    count: Any,
    *,
    min_count: float = 1.0,
    average_over_ranks: bool = True,
    group: Any = None,
    device: Any = None,
) -> torch.Tensor:
    r"""The divisor of a summed loss: the count of positives summed over every rank.

    .. math::

        \text{normalizer} = \frac{\max\left(\sum_{r} n_r,\ \text{min\_count}\right)}{W}

    where :math:`n_r` is ``count`` on rank ``r`` and :math:`W` the world size (1 when
    ``average_over_ranks=False``). With DDP averaging the gradients over the :math:`W`
    ranks, ``loss_sum / normalizer(n)`` gives exactly the gradient of single-process
    training on the concatenated batch with ``loss_sum / max(n_total, min_count)``, also
    when the total is below ``min_count``: the clamp applies to the global count, not to
    each rank's.

    Parameters
    ----------
    count : int, float or one-element tensor
        This rank's count (e.g. the number of positive anchors or foreground pixels;
        a float such as a summed IoU quality works too). Detached: never differentiated.
    min_count : float > 0, default=1.0
        Lower bound of the global count (batches without positives divide by it).
    average_over_ranks : bool, default=True
        Divide by the world size, for DDP's gradient averaging. Pass False when the
        gradients are summed over the ranks instead.
    group : ProcessGroup, optional
        The process group to reduce over (default: the world).
    device : torch.device, optional
        Where to create the count when ``count`` is a Python number (default: the CPU, or
        the current CUDA device with the NCCL backend). A tensor count stays on its device.

    Returns
    -------
    torch.Tensor
        A float32 scalar tensor without grad, on the count's device. Without
        ``torch.distributed`` initialised (or with one rank) it is
        ``max(count, min_count)``.

    Notes
    -----
    Every rank must call it (it is a collective ``all_reduce``), once per step, in the
    same order as the other collectives. A 0-dimensional float32 result keeps a float32
    loss in float32 (a float64 scalar tensor would promote it).

    Examples
    --------
    >>> import torch
    >>> normalizer(torch.tensor(0))  # no positives: divide by 1
    tensor(1.)
    >>> normalizer(37)
    tensor(37.)
    """
    low = check_float(min_count, "min_count", _OWNER, open_low=True)
    if not isinstance(average_over_ranks, bool):
        raise param_error("average_over_ranks", _OWNER, "a bool", average_over_ranks)
    c = _count_tensor(count, device)
    reduce_dtype = torch.float32 if c.device.type == "mps" else torch.float64
    total = c.to(reduce_dtype).clone()
    world = 1
    if _initialized():
        world = dist.get_world_size(group)
        if world > 1:
            dist.all_reduce(total, op=dist.ReduceOp.SUM, group=group)
    total = total.clamp_min(low)
    if average_over_ranks:
        total = total / world
    return total.to(torch.float32)
