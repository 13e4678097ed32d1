"""Focal-loss objectives, metrics and classifiers for XGBoost, LightGBM and CatBoost.

Importing this package imports no booster; each adapter module imports its own library:

* :mod:`focalkit.boosting.xgboost` -- ``XGBoostFocalObjective``, ``XGBoostFocalMetric``,
  ``XGBoostSoftmaxFocalObjective``, ``XGBoostSoftmaxFocalMetric``, ``XGBoostFocalClassifier``
* :mod:`focalkit.boosting.lightgbm` -- the ``LightGBM*`` twins
* :mod:`focalkit.boosting.catboost` -- the ``CatBoost*`` twins
* :mod:`focalkit.boosting.alternatives` -- ``XGBoostObjective(loss=...)`` and twins for the
  alternatives to focal loss

The names are also available here, lazily (``from focalkit.boosting import
XGBoostFocalClassifier`` imports xgboost at that moment). See docs/boosting.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "XGBoostFocalObjective": "xgboost",
    "XGBoostFocalMetric": "xgboost",
    "XGBoostSoftmaxFocalObjective": "xgboost",
    "XGBoostSoftmaxFocalMetric": "xgboost",
    "XGBoostFocalClassifier": "xgboost",
    "LightGBMFocalObjective": "lightgbm",
    "LightGBMFocalMetric": "lightgbm",
    "LightGBMSoftmaxFocalObjective": "lightgbm",
    "LightGBMSoftmaxFocalMetric": "lightgbm",
    "LightGBMFocalClassifier": "lightgbm",
    "CatBoostFocalObjective": "catboost",
    "CatBoostFocalMetric": "catboost",
    "CatBoostSoftmaxFocalObjective": "catboost",
    "CatBoostSoftmaxFocalMetric": "catboost",
    "CatBoostFocalClassifier": "catboost",
    # alternatives to focal loss (weighted BCE, logit-adjusted, asymmetric, FL*)
    "XGBoostObjective": "alternatives",
    "XGBoostMetric": "alternatives",
    "XGBoostSoftmaxObjective": "alternatives",
    "XGBoostSoftmaxMetric": "alternatives",
    "LightGBMObjective": "alternatives",
    "LightGBMMetric": "alternatives",
    "LightGBMSoftmaxObjective": "alternatives",
    "LightGBMSoftmaxMetric": "alternatives",
    "CatBoostObjective": "alternatives",
    "CatBoostMetric": "alternatives",
    "CatBoostSoftmaxObjective": "alternatives",
    "CatBoostSoftmaxMetric": "alternatives",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f"focalkit.boosting.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'focalkit.boosting' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
