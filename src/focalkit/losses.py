"""The registry of focalkit's losses, and their NumPy mathematics (public).

Every loss is one *spec* (a class in :mod:`focalkit._core.losses`), registered once; the
torch losses, the booster objectives (``loss=...``), ``FocalMLPClassifier(loss=...)`` and
the bench's method grammar all read this registry, so a name means the same everywhere.

>>> from focalkit.losses import loss_names, make_loss
>>> "varifocal" in loss_names("sigmoid")
True
>>> spec = make_loss("focal", "sigmoid", gamma=2.0)
>>> round(float(spec.loss(0.0, 1.0)), 4)
0.1733

The elementwise NumPy functions of the alternatives (``weighted_bce_loss``,
``asymmetric_grad_hess``, ...) are re-exported here from :mod:`focalkit._core.alternatives`.
"""

from __future__ import annotations

from typing import Any

from focalkit._core import alternatives as _alternatives
from focalkit._core.alternatives import *  # noqa: F403  (the NumPy functions, public here)
from focalkit._core.losses import (
    KINDS,
    REQUIRED,
    LossSpec,
    Param,
    SigmoidLoss,
    SoftmaxLoss,
    canonical_name,
    get_loss,
    loss_names,
    make_loss,
    register,
    specs,
)

__all__ = [
    "KINDS",
    "REQUIRED",
    "LossSpec",
    "Param",
    "SigmoidLoss",
    "SoftmaxLoss",
    "canonical_name",
    "describe",
    "get_loss",
    "loss_names",
    "make_loss",
    "register",
    "specs",
    *_alternatives.__all__,
]


def describe() -> list[dict[str, Any]]:
    """One JSON-able row per registered loss form: name, kind, parameters, neutral setting.

    Examples
    --------
    >>> rows = describe()
    >>> sorted({r["kind"] for r in rows})
    ['sigmoid', 'softmax']
    """
    return [cls.describe() for cls in specs()]
