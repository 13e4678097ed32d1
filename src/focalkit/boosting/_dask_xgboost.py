"""``DaskXGBoostClassifier``: :class:`~focalkit.boosting.XGBoostClassifier` on ``xgboost.dask``."""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit.boosting._dask_data import init_rows_like
from focalkit.boosting._dask_estimator import DaskClassifierMixin
from focalkit.boosting._objective import BoosterLoss, adapter
from focalkit.boosting.xgboost import XGBoostClassifier, XGBoostObjective, _xgb
from focalkit.exceptions import require

__all__ = ["DaskXGBoostClassifier"]


class DaskXGBoostClassifier(DaskClassifierMixin, XGBoostClassifier):
    """:class:`~focalkit.boosting.XGBoostClassifier` trained with ``xgboost.dask``.

    Binary and multi-class ``y`` (dask arrays or DataFrames, see ``fit``). The classes, the
    label-dependent loss parameters and the initial score come from a Dask reduction of
    the (weighted) class totals, so they equal those of the single-process estimator on
    the same data; the initial score is each row's ``base_margin`` (``base_score`` 0, not
    XGBoost's 0.5). ``predict_proba`` returns a lazy (n, 2) or (n, C) dask array of
    probabilities (the loss's posterior map with ``calibration``), not raw scores.

    Parameters
    ----------
    loss, gamma, alpha, class_weight, loss_params, hessian, calibration, n_estimators, \
learning_rate, max_depth, min_child_weight, reg_lambda, max_delta_step, multi_strategy, \
n_jobs, random_state, params
        As in :class:`~focalkit.boosting.XGBoostClassifier` (``n_jobs``: XGBoost's
        ``nthread`` on each worker). ``early_stopping_rounds`` must stay None.
    client : distributed.Client, optional
        The cluster; None uses the current client (``distributed.get_client()``) at fit
        and predict time.

    Attributes
    ----------
    classes_, loss_, loss_params_, init_score_, booster_, best_iteration_, alpha_, \
class_weight_, posterior_map_
        As in :class:`~focalkit.boosting.XGBoostClassifier`; ``export_booster`` and
        ``save_model`` work the same way.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from distributed import Client, LocalCluster
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3)); y = (X[:, 0] + rng.normal(size=400) > 1).astype(int)
    >>> with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
    ...                   dashboard_address=":0") as cluster, Client(cluster) as client:
    ...     clf = DaskXGBoostClassifier("focal", gamma=2.0, n_estimators=10, client=client)
    ...     proba = clf.fit(da.from_array(X, chunks=200), da.from_array(y, chunks=200)
    ...                     ).predict_proba(da.from_array(X, chunks=200)).compute()
    >>> proba.shape, bool(np.allclose(proba.sum(axis=1), 1.0))
    ((400, 2), True)
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
        max_depth: int = 6,
        min_child_weight: float = 1.0,
        reg_lambda: float = 1.0,
        max_delta_step: float = 0.0,
        multi_strategy: str = "one_output_per_tree",
        early_stopping_rounds: int | None = None,
        n_jobs: int | None = None,
        random_state: int | None = None,
        params: dict[str, Any] | None = None,
        client: Any = None,
    ) -> None:
        super().__init__(
            loss, gamma=gamma, alpha=alpha, class_weight=class_weight,
            loss_params=loss_params, hessian=hessian, calibration=calibration,
            n_estimators=n_estimators, learning_rate=learning_rate, max_depth=max_depth,
            min_child_weight=min_child_weight, reg_lambda=reg_lambda,
            max_delta_step=max_delta_step, multi_strategy=multi_strategy,
            early_stopping_rounds=early_stopping_rounds, n_jobs=n_jobs,
            random_state=random_state, params=params,
        )
        self.client = client

    def _train_dask(self, client, X, codes, weight, init, form, *, any_zero_weight):
        _xgb()
        dxgb = require("xgboost.dask", "xgboost", feature="focalkit.boosting.dask")
        # XGBoostClassifier._train's defaults (kept equal: the tests compare both models)
        defaults: dict[str, Any] = {
            "tree_method": "hist",
            "eta": self.learning_rate,
            "max_depth": self.max_depth,
            "min_child_weight": self.min_child_weight,
            "lambda": self.reg_lambda,
            "max_delta_step": self.max_delta_step,
            "base_score": 0.0,
            "disable_default_eval_metric": 1,
            "seed": self._seed(),
        }
        if self.n_jobs is not None:
            defaults["nthread"] = int(self.n_jobs)
        if self.task_ == "multiclass":
            defaults["num_class"] = len(self.classes_)
        params = self._booster_params(defaults)
        dtrain = dxgb.DaskDMatrix(client, X, codes, weight=weight,
                                  base_margin=init_rows_like(codes, init))
        loss = BoosterLoss.of(form, self.loss_)
        out = dxgb.train(client, params, dtrain, int(self.n_estimators),
                         obj=adapter(XGBoostObjective, loss), verbose_eval=False)
        self.booster_ = out["booster"]
        self.evals_result_ = dict(out.get("history", {}))
        self.best_iteration_ = int(self.n_estimators) - 1

    def _raw_margin_dask(self, client, X):
        dxgb = require("xgboost.dask", "xgboost", feature="focalkit.boosting.dask")
        out = dxgb.predict(client, self.booster_, X, output_margin=True,
                           iteration_range=(0, self.best_iteration_ + 1))
        return out.astype(np.float64)
