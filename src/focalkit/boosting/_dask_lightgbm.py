"""``DaskLightGBMClassifier``: :class:`~focalkit.boosting.LightGBMClassifier` on ``lightgbm.dask``.

``lightgbm.dask.DaskLGBMClassifier`` label-encodes each worker's part on its own (a part
without some class would silently get other codes) and returns raw scores from
``predict_proba`` with a custom objective. Here the classes are encoded once for the
whole data (:mod:`._dask_data`) and the codes train a ``DaskLGBMRegressor`` with the
focalkit objective and ``num_class``; probabilities are mapped by focalkit.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from focalkit.boosting._dask_data import init_rows_like
from focalkit.boosting._dask_estimator import DaskClassifierMixin
from focalkit.boosting._objective import BoosterLoss, adapter
from focalkit.boosting.lightgbm import LightGBMClassifier, LightGBMObjective, _lgb
from focalkit.exceptions import require

__all__ = ["DaskLightGBMClassifier"]


def _raw_block(X: np.ndarray, booster: Any, n_iter: int) -> np.ndarray:
    return np.asarray(booster.predict(X, raw_score=True, num_iteration=n_iter),
                      dtype=np.float64)


class DaskLightGBMClassifier(DaskClassifierMixin, LightGBMClassifier):
    """:class:`~focalkit.boosting.LightGBMClassifier` trained with ``lightgbm.dask``.

    Binary and multi-class ``y`` (dask arrays or DataFrames). The classes, the
    label-dependent loss parameters and the initial score come from a Dask reduction of
    the (weighted) class totals; the initial score is every row's ``init_score``.
    ``predict_proba`` returns a lazy (n, 2) or (n, C) dask array of probabilities, not
    ``DaskLGBMClassifier``'s raw scores. Rows of weight 0 are dropped before training, as
    :class:`~focalkit.boosting.LightGBMClassifier` does.

    Parameters
    ----------
    loss, gamma, alpha, class_weight, loss_params, hessian, calibration, n_estimators, \
learning_rate, num_leaves, max_depth, min_child_samples, min_sum_hessian_in_leaf, \
reg_lambda, max_delta_step, random_state, params
        As in :class:`~focalkit.boosting.LightGBMClassifier`. ``early_stopping_rounds``
        must stay None; ``n_jobs`` is ignored (``lightgbm.dask`` uses each worker's
        threads).
    client : distributed.Client, optional
        The cluster; None uses the current client at fit and predict time.

    Attributes
    ----------
    classes_, loss_, loss_params_, init_score_, boosters_, best_iteration_, alpha_, \
class_weight_, posterior_map_
        As in :class:`~focalkit.boosting.LightGBMClassifier` (``boosters_`` holds the
        one trained booster); ``export_booster`` and ``save_model`` work the same way.

    Notes
    -----
    LightGBM's data-parallel learner builds each feature's bins from one worker's part and
    counts a leaf's rows for ``min_child_samples`` otherwise than the serial learner, so
    the model differs from the single-process one about as much as from a Dask fit on
    another partitioning (see docs/boosting.md); on shared bins, stumps agree exactly.
    """

    def __init__(
        self,
        loss: str = "focal",
        *,
        gamma: Any = None,
        alpha: Any = None,
        class_weight: Any = None,
        loss_params: dict[str, Any] | None = None,
        hessian: str | None = None,
        calibration: str | None = None,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        num_leaves: int = 31,
        max_depth: int = -1,
        min_child_samples: int = 20,
        min_sum_hessian_in_leaf: float = 1e-3,
        reg_lambda: float = 1.0,
        max_delta_step: float = 0.0,
        early_stopping_rounds: int | None = None,
        n_jobs: int | None = None,
        random_state: int | None = None,
        params: dict[str, Any] | None = None,
        client: Any = None,
    ) -> None:
        super().__init__(
            loss, gamma=gamma, alpha=alpha, class_weight=class_weight,
            loss_params=loss_params, hessian=hessian, calibration=calibration,
            n_estimators=n_estimators, learning_rate=learning_rate, num_leaves=num_leaves,
            max_depth=max_depth, min_child_samples=min_child_samples,
            min_sum_hessian_in_leaf=min_sum_hessian_in_leaf, reg_lambda=reg_lambda,
            max_delta_step=max_delta_step, early_stopping_rounds=early_stopping_rounds,
            n_jobs=n_jobs, random_state=random_state, params=params,
        )
        self.client = client

    def _train_dask(self, client, X, codes, weight, init, form, *, any_zero_weight):
        _lgb()
        dlgb = require("lightgbm.dask", "lightgbm", feature="focalkit.boosting.dask")
        if any_zero_weight:  # as LightGBMClassifier: weight 0 is the row removed
            keep = weight > 0
            X, codes, weight = X[keep], codes[keep], weight[keep]
        # LightGBMClassifier._train's defaults (kept equal: the tests compare both models);
        # no num_threads: lightgbm.dask sets it from each worker
        defaults: dict[str, Any] = {
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "max_depth": self.max_depth,
            "min_data_in_leaf": self.min_child_samples,
            "min_sum_hessian_in_leaf": self.min_sum_hessian_in_leaf,
            "lambda_l2": self.reg_lambda,
            "max_delta_step": self.max_delta_step,
            "metric": "None",
            "verbosity": -1,
            "deterministic": True,
        }
        if self.task_ == "multiclass":
            defaults["num_class"] = len(self.classes_)
        params = self._booster_params(defaults)
        loss = BoosterLoss.of(form, self.loss_)
        model = dlgb.DaskLGBMRegressor(
            client=client, objective=adapter(LightGBMObjective, loss),
            n_estimators=int(self.n_estimators), random_state=self._seed(), **params,
        )
        with warnings.catch_warnings():
            # lightgbm.dask always drops the estimator's n_jobs (each worker sets its own
            # threads) and says so, even for the default None
            warnings.filterwarnings("ignore", "Parameter n_jobs will be ignored", UserWarning)
            model.fit(X, codes.astype(np.float64), sample_weight=weight,
                      init_score=init_rows_like(codes, init))
        booster = model.to_local().booster_
        self.boosters_ = [booster]
        self.best_iteration_ = booster.current_iteration() - 1

    def _raw_margin_dask(self, client, X):
        n_iter = int(self.best_iteration_) + 1
        booster = self.boosters_[0]
        # meta given: dask would otherwise call LightGBM on an empty block to infer it
        if self.task_ == "multiclass":
            return X.map_blocks(_raw_block, booster, n_iter, dtype=np.float64,
                                chunks=(X.chunks[0], (len(self.classes_),)),
                                meta=np.empty((0, 0), dtype=np.float64))
        return X.map_blocks(_raw_block, booster, n_iter, dtype=np.float64, drop_axis=1,
                            meta=np.empty((0,), dtype=np.float64))
