"""Distributed training of the focalkit booster classifiers on a Dask cluster.

* :class:`DaskXGBoostClassifier` -- :class:`~focalkit.boosting.XGBoostClassifier` on
  ``xgboost.dask`` (needs the ``xgboost`` and ``dask`` extras);
* :class:`DaskLightGBMClassifier` -- :class:`~focalkit.boosting.LightGBMClassifier` on
  ``lightgbm.dask`` (the ``lightgbm`` and ``dask`` extras).

Both take dask arrays (or dask DataFrames / Series), binary or multi-class labels, and a
``distributed.Client`` (``client=``, or the current one). The labels never leave the
workers: the classes, the label-dependent loss parameters and the loss's optimal initial
score come from a Dask reduction of the weighted class totals, so they equal the
single-process estimator's. ``predict_proba`` / ``predict`` / ``decision_function``
return lazy dask arrays. Each class is imported on first use, with its booster.
See docs/boosting.md, "Distributed training (Dask)".
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES = {"DaskXGBoostClassifier": "_dask_xgboost", "DaskLightGBMClassifier": "_dask_lightgbm"}
#: computed, not literal: the docs build then imports the module to list the lazy names
__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        module = importlib.import_module(f"focalkit.boosting.{_MODULES[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'focalkit.boosting.dask' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
