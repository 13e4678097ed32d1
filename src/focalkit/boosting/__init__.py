"""Any focalkit loss as objective, metric and classifier of XGBoost, LightGBM and CatBoost.

Importing this package imports no booster; each adapter module imports its own library:

* :mod:`focalkit.boosting.xgboost` -- ``XGBoostObjective(loss=..., **params)``,
  ``XGBoostMetric``, ``XGBoostClassifier``
* :mod:`focalkit.boosting.lightgbm` -- the ``LightGBM*`` twins
* :mod:`focalkit.boosting.catboost` -- the ``CatBoost*`` twins

Every registered loss (:func:`focalkit.losses.loss_names`) works with every booster:
its sigmoid form for binary and multi-label data, its softmax form for multi-class data.
The older names (``XGBoostFocalObjective``, ``XGBoostSoftmaxFocalObjective``,
``XGBoostFocalMetric``, ``XGBoostFocalClassifier``, ``XGBoostSoftmaxObjective``, ... and
the module :mod:`focalkit.boosting.alternatives`) are thin aliases.

The names are also available here, lazily (``from focalkit.boosting import
XGBoostClassifier`` imports xgboost at that moment). See docs/boosting.md.
"""

from __future__ import annotations

import importlib
from typing import Any

#: the one Objective / Metric / Classifier per booster, then the older aliases
_NAMES = ("Objective", "Metric", "Classifier",
          "FocalObjective", "FocalMetric", "SoftmaxFocalObjective", "SoftmaxFocalMetric",
          "FocalClassifier", "SoftmaxObjective", "SoftmaxMetric")
_LAZY = {
    f"{prefix}{name}": module
    for prefix, module in (("XGBoost", "xgboost"), ("LightGBM", "lightgbm"),
                           ("CatBoost", "catboost"))
    for name in _NAMES
}
_LAZY.update(DaskXGBoostClassifier="dask", DaskLightGBMClassifier="dask")  # boosting.dask

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f"focalkit.boosting.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'focalkit.boosting' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
