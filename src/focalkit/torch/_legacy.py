"""Two historic torch signatures that parametrise a registered loss differently.

* ``ldam_loss(input, target, *, margins, scale=30.0, ...)`` takes the per-class margins
  themselves (``ldam_margins(class_counts, max_margin)``), where the ``ldam`` spec takes
  the class counts: :class:`GivenMarginsLDAM` is the ``ldam`` spec with given margins.
* ``label_smoothing_bce_with_logits(..., pos_weight=None)`` also takes PyTorch's
  ``pos_weight`` (on the smoothed targets): :class:`PosWeightLabelSmoothing` is the sigmoid
  ``label_smoothing`` spec with that parameter.

Both compose the ``_core`` functions of their registered spec (no formula of their own)
and are not registered: the registry has one spec per loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit._core.alternatives import smooth_binary_targets
from focalkit._core.binary import binary_focal_loss_grad
from focalkit._core.losses import REQUIRED, LossSpec, Param, get_loss
from focalkit._core.losses._params import POS_WEIGHT
from focalkit._core.losses._spec import float_in

__all__ = ["GivenMarginsLDAM", "PosWeightLabelSmoothing"]

_LDAM = get_loss("ldam", "softmax")
_SMOOTHING = get_loss("label_smoothing", "sigmoid")


def _param(cls: type[LossSpec], name: str) -> Param:
    return next(p for p in cls.params if p.name == name)


class GivenMarginsLDAM(_LDAM):  # type: ignore[misc, valid-type]
    """The ``ldam`` spec at given per-class margins (``ldam_loss``'s historic parameters)."""

    params = (
        Param("margins", REQUIRED, float_in("margins", -np.inf, vector=True),
              "per-class margins, e.g. ldam_margins(class_counts, max_margin)"),
        _param(_LDAM, "scale"),
        _param(_LDAM, "class_weight"),
    )
    from_labels = ()
    neutral = {"margins": 0.0, "scale": 1.0}

    def _unresolved(self, key: str) -> bool:
        return False

    @property
    def margins(self) -> np.ndarray:
        """The given margins."""
        return np.asarray(self.values["margins"], dtype=float)


class PosWeightLabelSmoothing(_SMOOTHING):  # type: ignore[misc, valid-type]
    """Label-smoothed BCE with PyTorch's ``pos_weight`` on the smoothed targets."""

    params = (*_SMOOTHING.params, POS_WEIGHT)
    from_labels = ()

    def loss_grad(self, z: Any, y: Any) -> tuple[Any, Any]:
        """BCE with ``pos_weight`` at the smoothed targets."""
        return binary_focal_loss_grad(z, smooth_binary_targets(y, self.values["smoothing"]),
                                      gamma=0.0, pos_weight=self.values["pos_weight"])
