"""LDAM (Cao et al. 2019): cross-entropy with class-dependent margins, and DRW."""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit._core import alternatives as alt
from focalkit._core.losses._params import CLASS_WEIGHT
from focalkit._core.losses._registry import register
from focalkit._core.losses._spec import REQUIRED, Param, SoftmaxLoss, float_in
from focalkit._core.weights import _weights
from focalkit.exceptions import InvalidParameterError


def _start(value: Any, owner: str) -> Any:
    if value is None or (isinstance(value, (int, np.integer)) and not isinstance(value, bool)
                         and value >= 0):
        return None if value is None else int(value)
    from focalkit._core._validation import param_error

    raise param_error("drw_start", owner, "None or an epoch (int >= 0)", value)


@register
class LDAMLoss(SoftmaxLoss):
    r"""CE at :math:`s (z - \Delta_y e_y)`, :math:`\Delta_j \propto n_j^{-1/4}`; DRW weights."""

    name = "ldam"
    title = "LDAM (+ deferred re-weighting)"
    reference = "Cao, Wei, Gaidon, Arechiga, Ma. Learning Imbalanced Datasets with " \
        "Label-Distribution-Aware Margin Loss. NeurIPS 2019."
    params = (
        Param("class_counts", REQUIRED, float_in("class_counts", 0.0, open_low=True,
                                                  vector=True),
              "training count per class; computed from the labels if omitted"),
        Param("max_margin", 0.5, float_in("max_margin"), "margin of the rarest class"),
        Param("scale", 30.0, float_in("scale", 0.0, open_low=True), "logit scale s (> 0)"),
        CLASS_WEIGHT,
        Param("drw_start", None, _start, "first epoch of deferred re-weighting (None: never)"),
        Param("drw_beta", 0.9999, float_in("drw_beta", 0.0, 1.0), "DRW effective-number beta"),
    )
    neutral = {"max_margin": 0.0, "scale": 1.0, "class_weight": None, "drw_start": None}
    from_labels = ("class_counts",)
    torch_function = "ldam_loss"
    torch_module = "LDAMLoss"

    def _unresolved(self, key: str) -> bool:
        return self.values.get(key) is None

    def resolve(self, y: Any, *, sample_weight: Any = None,
                n_classes: int | None = None) -> LDAMLoss:
        """``class_counts``: the (weighted) count of each class in ``y``."""
        if self.values["class_counts"] is not None:
            return self
        labels = np.asarray(y).astype(np.int64)
        c = int(n_classes) if n_classes is not None else int(labels.max()) + 1
        counts = np.bincount(labels, weights=_weights(sample_weight, labels.shape[0]),
                             minlength=c)[:c]
        if np.any(counts <= 0):
            raise InvalidParameterError(f"{self.owner}: LDAM needs every class in y.")
        return type(self)(owner=self.owner, **{**self.values, "class_counts": counts})

    @property
    def margins(self) -> np.ndarray:
        """The per-class margins (:func:`~focalkit._core.alternatives.ldam_margins`)."""
        self._ready()
        return alt.ldam_margins(self.values["class_counts"], max_margin=self.values["max_margin"])

    def at_epoch(self, epoch: int) -> LDAMLoss:
        """The loss to use in ``epoch``: DRW class weights from ``drw_start`` on."""
        start = self.values["drw_start"]
        if start is None or epoch < start:
            return self
        drw = alt.DeferredReweighting(self.values["class_counts"], start_epoch=start,
                                      beta=self.values["drw_beta"])
        cw = drw.class_weight(epoch)
        if self.values["class_weight"] is not None:
            cw = cw * np.asarray(self.values["class_weight"], dtype=float)
        return type(self)(owner=self.owner, **{**self.values, "class_weight": cw,
                                               "drw_start": None})

    def loss_grad(self, z: Any, y: Any, *, axis: int = -1) -> tuple[Any, Any]:
        """Loss and gradient (:func:`~focalkit._core.alternatives.ldam_loss`)."""
        kw = {"margins": self.margins, "scale": self.values["scale"],
              "class_weight": self.values["class_weight"], "axis": axis}
        return alt.ldam_loss(z, y, **kw), alt.ldam_grad(z, y, **kw)
