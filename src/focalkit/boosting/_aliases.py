"""The older booster names, as thin aliases of each booster's one Objective / Metric.

Each booster module builds its aliases from these mixins, e.g.
``class XGBoostFocalObjective(FocalObjective, XGBoostObjective)``: the mixin only fixes
the loss, its form and the old keyword arguments; everything else is the booster's class.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "FocalMetric",
    "FocalObjective",
    "SoftmaxFocalMetric",
    "SoftmaxFocalObjective",
    "SoftmaxMetric",
    "SoftmaxObjective",
]


class FocalObjective:
    """``Objective(loss="focal", kind="sigmoid", gamma=..., alpha=..., ...)``."""

    _loss: Any

    def __init__(self, *, gamma: Any = 2.0, alpha: Any = None, hessian: str = "irls",
                 hessian_floor: float = 1e-6, n_threads: int | None = None) -> None:
        super().__init__("focal", kind="sigmoid", gamma=gamma, alpha=alpha,  # type: ignore[call-arg]
                         hessian=hessian, hessian_floor=hessian_floor, n_threads=n_threads)

    @property
    def gamma(self) -> Any:
        """The focusing parameter (float or per-label vector)."""
        return self._loss.form("sigmoid").spec.values["gamma"]

    @property
    def alpha(self) -> Any:
        """The positive weight as given (``"balanced"`` unresolved)."""
        return self._loss.form("sigmoid").spec.values["alpha"]


class SoftmaxFocalObjective:
    """``Objective(loss="focal", kind="softmax", gamma=..., class_weight=..., ...)``."""

    def __init__(self, *, gamma: Any = 2.0, class_weight: Any = None, hessian: str = "irls",
                 hessian_floor: float = 1e-6, hessian_scale: float | None = None) -> None:
        super().__init__("focal", kind="softmax", gamma=gamma,  # type: ignore[call-arg]
                         class_weight=class_weight, hessian=hessian,
                         hessian_floor=hessian_floor, hessian_scale=hessian_scale)


class SoftmaxObjective:
    """``Objective(loss, kind="softmax", ...)``, logit-adjusted cross-entropy by default."""

    def __init__(self, loss: str = "logit_adjusted_ce", *, hessian_scale: float | None = None,
                 **params: Any) -> None:
        super().__init__(loss, kind="softmax", hessian_scale=hessian_scale,  # type: ignore[call-arg]
                         **params)


class FocalMetric:
    """``Metric(loss="focal", kind="sigmoid", gamma=..., alpha=...)``, named "focal"."""

    def __init__(self, *, gamma: Any = 2.0, alpha: Any = None, name: str | None = None) -> None:
        super().__init__("focal", kind="sigmoid", name=name or "focal",  # type: ignore[call-arg]
                         gamma=gamma, alpha=alpha)


class SoftmaxFocalMetric:
    """``Metric(loss="focal", kind="softmax", ...)``, named "softmax_focal"."""

    def __init__(self, *, gamma: Any = 2.0, class_weight: Any = None,
                 name: str | None = None) -> None:
        super().__init__("focal", kind="softmax", name=name or "softmax_focal",  # type: ignore[call-arg]
                         gamma=gamma, class_weight=class_weight)


class SoftmaxMetric:
    """``Metric(loss, kind="softmax", ...)``, logit-adjusted cross-entropy by default."""

    def __init__(self, loss: str = "logit_adjusted_ce", *, name: str | None = None,
                 **params: Any) -> None:
        super().__init__(loss, kind="softmax", name=name, **params)  # type: ignore[call-arg]
