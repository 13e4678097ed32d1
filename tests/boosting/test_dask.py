"""The XGBoost focal objective with xgboost.dask on a 2-worker LocalCluster."""

import numpy as np
import pytest
from scipy.special import expit

xgb = pytest.importorskip("xgboost")
pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

from focalkit.boosting.xgboost import XGBoostFocalObjective  # noqa: E402


@pytest.mark.slow
def test_dask_training_matches_single_process(binary_data):
    from xgboost import dask as dxgb

    X, y = binary_data
    obj = XGBoostFocalObjective(gamma=2.0, alpha=0.25)
    init = obj.init_score(y)  # from the full training labels, once
    params = {"tree_method": "hist", "max_depth": 3, "eta": 0.3, "base_score": init,
              "max_bin": 64}
    dtrain_local = xgb.DMatrix(X, y)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        dX = da.from_array(X, chunks=(300, X.shape[1]))
        dy = da.from_array(y, chunks=300)
        dtrain = dxgb.DaskDMatrix(client, dX, dy)
        probs = {}
        for rounds in (1, 20):
            single = xgb.train(params, dtrain_local, rounds, obj=obj)
            out = dxgb.train(client, params, dtrain, rounds, obj=obj)
            p_dask = dxgb.predict(client, out["booster"], dX, output_margin=True).compute()
            p_single = single.predict(xgb.DMatrix(X), output_margin=True)
            probs[rounds] = expit(p_dask), expit(p_single)
    # one round: the same gradients (gathered over both workers) give the same tree
    np.testing.assert_allclose(*probs[1], atol=1e-6)
    # later rounds: allreduce summation order flips a few near-tied splits on 600 rows
    p_dask, p_single = probs[20]
    assert np.corrcoef(p_single, p_dask)[0, 1] > 0.97
    np.testing.assert_allclose(p_dask.mean(), p_single.mean(), atol=0.01)
    assert np.max(np.abs(p_dask - p_single)) < 0.15
