r"""Logit-adjusted cross-entropy (Menon et al. 2021): CE at :math:`z + \\tau \\log \\pi`."""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit._core import alternatives as alt
from focalkit._core.init_score import softmax_focal_init_score
from focalkit._core.losses._hessian_matrix import focal_grad_hess_matrix, matrix_policy
from focalkit._core.losses._params import CLASS_WEIGHT, PRIOR, TAU
from focalkit._core.losses._registry import register
from focalkit._core.losses._shared import class_prior, positive_rate, sigmoid_pair, softmax_pair
from focalkit._core.losses._spec import SigmoidLoss, SoftmaxLoss
from focalkit._core.weights import resolve_class_weight
from focalkit.exceptions import InvalidParameterError

_MENON = "Menon, Jayasumana, Rawat, Jain, Veit, Kumar. Long-tail learning via logit " \
    "adjustment. ICLR 2021."


@register
class LogitAdjustedBCELoss(SigmoidLoss):
    r"""BCE at :math:`z + \tau \log(\pi / (1 - \pi))`."""

    name = "logit_adjusted"
    aliases = ("logit_adjusted_bce",)
    title = "logit-adjusted BCE"
    reference = _MENON
    params = (PRIOR, TAU)
    neutral = {"tau": 0.0}
    hessians = ("irls", "clipped", "exact")
    from_labels = ("prior",)
    torch_function = "logit_adjusted_bce_with_logits"
    torch_module = "LogitAdjustedBCEWithLogitsLoss"

    loss_grad = sigmoid_pair(alt.logit_adjusted_bce_loss, alt.logit_adjusted_bce_grad,
                             ("prior", "tau"))

    def resolve(self, y: Any, *, sample_weight: Any = None,
                n_classes: int | None = None) -> LogitAdjustedBCELoss:
        """``prior``: the weighted positive rate of ``y`` (per label for 2-D ``y``)."""
        if self.values["prior"] is not None:
            return self
        return type(self)(owner=self.owner, tau=self.values["tau"],
                          prior=positive_rate(y, sample_weight))

    def grad_hess(self, z: Any, y: Any, *, hessian: str | None = None,
                  hessian_floor: float = 1e-6) -> tuple[Any, Any]:
        """Gradient and (exact, positive) Hessian."""
        self._ready()
        kind = self.check_hessian(hessian)
        g, h = alt.logit_adjusted_bce_grad_hess(z, y, prior=self.values["prior"],
                                                tau=self.values["tau"])
        return g, (np.maximum(h, hessian_floor) if kind == "clipped" else h)

    def posterior_map(self) -> tuple[str, dict[str, Any]] | None:
        r"""The adjustment inflates the odds by :math:`((1-\\pi)/\\pi)^\\tau`."""
        pi, tau = self.values["prior"], self.values["tau"]
        if pi is None or np.ndim(pi):
            return None
        return "odds", {"pos_weight": ((1.0 - pi) / pi) ** tau, "alpha": None}


@register
class LogitAdjustedCELoss(SoftmaxLoss):
    r"""Cross-entropy at :math:`z_k + \tau \log \pi_k`."""

    name = "logit_adjusted"
    aliases = ("logit_adjusted_ce",)
    title = "logit-adjusted cross-entropy"
    reference = _MENON
    params = (PRIOR, TAU, CLASS_WEIGHT)
    neutral = {"tau": 0.0, "class_weight": None}
    hessians = ("irls", "clipped", "exact")
    from_labels = ("prior", "class_weight")
    dense_targets = True
    torch_function = "logit_adjusted_cross_entropy"
    torch_module = "LogitAdjustedCrossEntropyLoss"

    loss_grad = softmax_pair(alt.logit_adjusted_ce_loss, alt.logit_adjusted_ce_grad,
                             ("prior", "tau", "class_weight"))

    def _unresolved(self, key: str) -> bool:
        v = self.values.get(key)
        return isinstance(v, (str, dict)) or (key == "prior" and v is None)

    def resolve(self, y: Any, *, sample_weight: Any = None,
                n_classes: int | None = None) -> LogitAdjustedCELoss:
        """``prior``: the class frequencies of ``y``; ``class_weight`` as in focal loss."""
        v = dict(self.values)
        if v["prior"] is None:
            v["prior"] = class_prior(y, n_classes, sample_weight)
        if isinstance(v["class_weight"], (str, dict)):
            v["class_weight"] = resolve_class_weight(v["class_weight"], y, n_classes=n_classes,
                                                     sample_weight=sample_weight,
                                                     owner=self.owner)
        return type(self)(owner=self.owner, **v)

    def init_score(self, y: Any, *, sample_weight: Any = None,
                   n_classes: int | None = None) -> np.ndarray:
        """Closed form: the (class-weighted) cross-entropy optimum minus the adjustment."""
        self._ready()
        base = softmax_focal_init_score(y, n_classes, gamma=0.0, sample_weight=sample_weight,
                                        class_weight=self.values["class_weight"])
        out = base - np.asarray(alt.logit_adjustment(self.values["prior"], tau=self.values["tau"]))
        return out - out.mean()

    def grad_hess(self, z: Any, y: Any, *, hessian: str | None = None,
                  hessian_floor: float = 1e-6, axis: int = -1) -> tuple[Any, Any]:
        """Gradient and diagonal Hessian :math:`a_y p_k (1 - p_k)`."""
        self._ready()
        kind = self.check_hessian(hessian)
        g, h = alt.logit_adjusted_ce_grad_hess(z, y, axis=axis, prior=self.values["prior"],
                                               tau=self.values["tau"],
                                               class_weight=self.values["class_weight"])
        return g, (np.maximum(h, hessian_floor) if kind == "clipped" else h)

    def grad_hess_matrix(self, z: Any, y: Any, *, hessian: str | None = None,
                         hessian_floor: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and full Hessian: cross-entropy's at the adjusted logits."""
        self._ready()
        z = np.asarray(z, dtype=np.float64)
        adj = np.asarray(alt.logit_adjustment(np.asarray(self.values["prior"], dtype=float)
                                              .reshape(-1), tau=self.values["tau"]))
        if adj.shape[0] != z.shape[-1]:
            raise InvalidParameterError(
                f"prior has {adj.shape[0]} classes but logits have {z.shape[-1]}."
            )
        return matrix_policy(focal_grad_hess_matrix, z + adj, y, self.check_hessian(hessian),
                             hessian_floor, class_weight=self.values["class_weight"])
