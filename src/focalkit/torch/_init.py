"""Output-layer initialisation for imbalanced targets: the prior bias (Lin et al. 2017)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from focalkit._core import alternatives as _alt
from focalkit._core._validation import param_error

__all__ = ["prior_bias_init_", "softmax_prior_bias_init_"]


def prior_bias_init_(linear: nn.Linear, prior: float = 0.01) -> nn.Linear:
    r"""Set a sigmoid head's bias to :math:`-\log((1-\pi)/\pi)` in place (Lin et al. 2017).

    An untrained network then predicts :math:`\pi` everywhere, which removes the large,
    majority-dominated loss of the first steps (use the training prevalence, or 0.01 as in
    RetinaNet). For focal loss the loss-optimal constant is
    :func:`focalkit.binary_focal_init_score`.

    Parameters
    ----------
    linear : torch.nn.Linear
        The output layer (its bias must exist).
    prior : float, default=0.01
        Prior probability of the positive class, in (0, 1).

    Returns
    -------
    torch.nn.Linear
        ``linear``, modified.

    Examples
    --------
    >>> import torch
    >>> head = prior_bias_init_(torch.nn.Linear(4, 1), prior=0.1)
    >>> round(head.bias.item(), 4)
    -2.1972
    """
    if not isinstance(linear, nn.Linear) or linear.bias is None:
        raise param_error("linear", "prior_bias_init_", "a torch.nn.Linear with a bias",
                          type(linear).__name__)
    value = _alt.prior_bias(prior)
    with torch.no_grad():
        linear.bias.fill_(value)
    return linear


def softmax_prior_bias_init_(linear: nn.Linear, priors: Any) -> nn.Linear:
    r"""Set a softmax head's bias to :math:`\log \pi_k` (centred) in place.

    Parameters
    ----------
    linear : torch.nn.Linear
        The output layer with ``out_features == len(priors)``.
    priors : sequence of float
        Class priors (> 0; normalised to sum to 1).

    Returns
    -------
    torch.nn.Linear

    Examples
    --------
    >>> import torch
    >>> head = softmax_prior_bias_init_(torch.nn.Linear(4, 2), [0.9, 0.1])
    >>> [round(v, 3) for v in torch.softmax(head.bias, 0).tolist()]
    [0.9, 0.1]
    """
    if not isinstance(linear, nn.Linear) or linear.bias is None:
        raise param_error("linear", "softmax_prior_bias_init_",
                          "a torch.nn.Linear with a bias", type(linear).__name__)
    value = _alt.prior_bias(list(priors) if not hasattr(priors, "shape") else priors)
    if not hasattr(value, "shape") or value.shape != (linear.out_features,):
        raise param_error("priors", "softmax_prior_bias_init_",
                          f"a vector of {linear.out_features} class priors > 0", priors)
    with torch.no_grad():
        linear.bias.copy_(torch.as_tensor(value, dtype=linear.bias.dtype))
    return linear


