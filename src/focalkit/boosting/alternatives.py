"""Older home of the ``loss=`` booster classes: a thin re-export.

Every loss of the registry (:mod:`focalkit.losses`) is an objective, a metric and a
classifier of each booster: :class:`~focalkit.boosting.XGBoostObjective`,
:class:`~focalkit.boosting.LightGBMObjective`, :class:`~focalkit.boosting.CatBoostObjective`
and their ``*Metric`` / ``*Classifier`` twins, in :mod:`focalkit.boosting.xgboost`,
:mod:`~focalkit.boosting.lightgbm` and :mod:`~focalkit.boosting.catboost`. The names
below are imported from there on first use (each imports only its own booster).

``BINARY_LOSSES`` / ``SOFTMAX_LOSSES`` map the accepted ``loss=`` names (aliases
included, e.g. ``"logit_adjusted_bce"``) of the sigmoid / softmax form to their spec
classes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from focalkit._core.losses import get_loss, loss_names
from focalkit.boosting._objective import BoosterLoss

if TYPE_CHECKING:  # imported lazily at run time (each name imports only its booster)
    from focalkit.boosting.catboost import (
        CatBoostMetric,
        CatBoostObjective,
        CatBoostSoftmaxMetric,
        CatBoostSoftmaxObjective,
    )
    from focalkit.boosting.lightgbm import (
        LightGBMMetric,
        LightGBMObjective,
        LightGBMSoftmaxMetric,
        LightGBMSoftmaxObjective,
    )
    from focalkit.boosting.xgboost import (
        XGBoostMetric,
        XGBoostObjective,
        XGBoostSoftmaxMetric,
        XGBoostSoftmaxObjective,
    )

__all__ = [
    "BINARY_LOSSES",
    "SOFTMAX_LOSSES",
    "CatBoostMetric",
    "CatBoostObjective",
    "CatBoostSoftmaxMetric",
    "CatBoostSoftmaxObjective",
    "LightGBMMetric",
    "LightGBMObjective",
    "LightGBMSoftmaxMetric",
    "LightGBMSoftmaxObjective",
    "SigmoidAlternative",
    "SoftmaxAlternative",
    "XGBoostMetric",
    "XGBoostObjective",
    "XGBoostSoftmaxMetric",
    "XGBoostSoftmaxObjective",
]

#: ``loss=`` names of the sigmoid form (binary, multi-label) -> spec class.
BINARY_LOSSES = {n: get_loss(n, "sigmoid") for n in loss_names("sigmoid", aliases=True)}
#: ``loss=`` names of the softmax form (multi-class) -> spec class.
SOFTMAX_LOSSES = {n: get_loss(n, "softmax") for n in loss_names("softmax", aliases=True)}

_BOOSTER = {"XGBoost": "xgboost", "LightGBM": "lightgbm", "CatBoost": "catboost"}


def SigmoidAlternative(loss: str, params: dict[str, Any], *, owner: str) -> BoosterLoss:  # noqa: N802
    """The sigmoid form of ``loss`` for boosters (older name)."""
    return BoosterLoss(loss, params, owner=owner, kind="sigmoid")


def SoftmaxAlternative(loss: str, params: dict[str, Any], *, hessian_scale: float,  # noqa: N802
                       owner: str) -> BoosterLoss:
    """The softmax form of ``loss`` for boosters (older name)."""
    return BoosterLoss(loss, params, owner=owner, kind="softmax", hessian_scale=hessian_scale)


def __getattr__(name: str) -> Any:
    prefix = next((p for p in _BOOSTER if name.startswith(p)), None)
    if prefix is not None and name in __all__:
        return getattr(importlib.import_module(f"focalkit.boosting.{_BOOSTER[prefix]}"), name)
    raise AttributeError(f"module 'focalkit.boosting.alternatives' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
