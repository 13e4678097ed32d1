"""The tiny fully-convolutional network of the dense experiment (torch inside)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["make_fcn"]


def make_fcn(width: int = 12, *, prior: float | None = None, seed: int = 0,
             norm: bool = True) -> Any:
    """Four 3x3 convolutions (dilations 1, 2, 4, 1; receptive field 17 px) and a 1x1 head.

    Parameters
    ----------
    width : int, default=12
        Channels of the hidden layers.
    prior : float, optional
        Initialise the head's bias to ``logit(prior)`` (RetinaNet's prior-bias init, so
        that training starts predicting the foreground rate instead of 0.5).
    seed : int, default=0
        Seed of the initial weights.
    norm : bool, default=True
        Batch normalisation after each hidden convolution (faster, steadier training).

    Returns
    -------
    torch.nn.Sequential
        Maps (N, 1, H, W) images to (N, 1, H, W) logits.

    Examples
    --------
    >>> import torch
    >>> net = make_fcn(prior=0.01)
    >>> net(torch.zeros(2, 1, 16, 16)).shape
    torch.Size([2, 1, 16, 16])
    """
    import torch
    from torch import nn

    gen_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        layers: list[nn.Module] = []
        c_in = 1
        for dilation in (1, 2, 4, 1):
            layers.append(nn.Conv2d(c_in, width, 3, padding=dilation, dilation=dilation))
            if norm:
                layers.append(nn.BatchNorm2d(width))
            layers.append(nn.ReLU())
            c_in = width
        head = nn.Conv2d(width, 1, 1)
        if prior is not None and head.bias is not None:
            with torch.no_grad():
                head.bias.fill_(math.log(prior / (1.0 - prior)))
        net = nn.Sequential(*layers, head)
    finally:
        torch.random.set_rng_state(gen_state)
    return net
