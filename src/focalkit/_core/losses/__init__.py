"""Loss specs, one module per loss, registered once (see :mod:`._spec`).

Importing this package registers every loss. Adding a loss is one new module here (a
:class:`~._spec.SigmoidLoss` or :class:`~._spec.SoftmaxLoss` subclass decorated with
:func:`register`) plus its oracle tests; every adapter reads the registry.
"""

from focalkit._core.losses._registry import (
    KINDS,
    canonical_name,
    get_loss,
    loss_names,
    make_loss,
    register,
    specs,
)
from focalkit._core.losses._spec import REQUIRED, LossSpec, Param, SigmoidLoss, SoftmaxLoss

# one import per loss module: each registers its specs
from focalkit._core.losses import (  # noqa: E402, F401  isort: skip
    asymmetric,
    flsd,
    focal,
    focal_star,
    label_smoothing,
    ldam,
    logit_adjusted,
    poly1,
    varifocal,
    weighted,
)

__all__ = [
    "KINDS",
    "REQUIRED",
    "LossSpec",
    "Param",
    "SigmoidLoss",
    "SoftmaxLoss",
    "canonical_name",
    "get_loss",
    "loss_names",
    "make_loss",
    "register",
    "specs",
]
