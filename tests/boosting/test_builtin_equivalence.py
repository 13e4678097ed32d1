"""Base margins and initial scores with the boosters' own training loops (focal loss).

That every loss's neutral setting reproduces the built-in objectives is tested for every
registered loss in test_registry.py."""

import numpy as np
import pytest
from scipy.special import expit

xgb = pytest.importorskip("xgboost")

from focalkit.boosting.xgboost import (  # noqa: E402
    XGBoostFocalClassifier,
    XGBoostFocalObjective,
)

XGB = {"tree_method": "hist", "max_depth": 3, "eta": 0.3, "seed": 0, "nthread": 1}


def test_focal_differs_from_logloss_when_gamma_positive(binary_data):
    # guards the equivalence tests against comparing a model with itself
    X, y = binary_data
    obj0 = XGBoostFocalObjective(gamma=0.0)
    obj2 = XGBoostFocalObjective(gamma=2.0)
    d = xgb.DMatrix(X, y)
    m0 = xgb.train({**XGB, "base_score": obj0.init_score(y)}, d, 10, obj=obj0)
    m2 = xgb.train({**XGB, "base_score": obj2.init_score(y)}, d, 10, obj=obj2)
    diff = np.abs(m0.predict(xgb.DMatrix(X), output_margin=True)
                  - m2.predict(xgb.DMatrix(X), output_margin=True))
    assert diff.max() > 0.1


@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_xgboost_base_margin_and_base_score_routes_agree(binary_data, gamma):
    X, y = binary_data
    obj = XGBoostFocalObjective(gamma=gamma, alpha=0.25)
    init = obj.init_score(y)
    with_margin = xgb.train({**XGB, "base_score": 0.0},
                            xgb.DMatrix(X, y, base_margin=obj.base_margin(y)), 20, obj=obj)
    with_score = xgb.train({**XGB, "base_score": init}, xgb.DMatrix(X, y), 20, obj=obj)
    a = with_margin.predict(xgb.DMatrix(X), output_margin=True) + init
    b = with_score.predict(xgb.DMatrix(X), output_margin=True)
    np.testing.assert_allclose(a, b, atol=1e-5)
    # and the estimator, which adds init_score_ itself, gives the same probabilities
    clf = XGBoostFocalClassifier(gamma=gamma, alpha=0.25, n_estimators=20, max_depth=3,
                                 learning_rate=0.3, min_child_weight=1.0, n_jobs=1,
                                 random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], expit(b), atol=1e-5)


def test_custom_objective_without_init_starts_from_base_score_05(binary_data):
    # the failure mode the estimator avoids: xgb.train starts a custom objective at 0.5
    X, y = binary_data
    obj = XGBoostFocalObjective(gamma=2.0)
    bst = xgb.train(XGB, xgb.DMatrix(X, y), 0, obj=obj)
    np.testing.assert_allclose(bst.predict(xgb.DMatrix(X), output_margin=True), 0.5)


# CatBoost picks other bootstrap / backtracking defaults for its built-in losses than for
# Python objectives; the reference gets the settings the classifier's model used.
_CB_SHARED = ("bootstrap_type", "subsample", "leaf_estimation_backtracking", "depth",
              "learning_rate", "l2_leaf_reg", "leaf_estimation_method", "random_seed",
              "iterations", "border_count")


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_catboost_gamma0_is_builtin_logloss_and_multiclass(task, binary_data, multiclass_data):
    # multi-class: CatBoost's Newton step solves with the full Hessian matrix; the diagonal
    # softmax Hessian it was given before differed from MultiClass by up to 0.33
    cb = pytest.importorskip("catboost")
    from scipy.special import softmax

    from focalkit.boosting import CatBoostClassifier

    X, y = binary_data if task == "binary" else multiclass_data
    clf = CatBoostClassifier("focal", gamma=0.0, n_estimators=20, depth=4, learning_rate=0.3,
                             n_jobs=1, random_state=0).fit(X, y)
    used = clf.models_[0].get_all_params()
    params = {k: used[k] for k in _CB_SHARED if k in used}
    builtin = "MultiClass" if task == "multiclass" else "Logloss"
    if task == "multiclass":
        params["classes_count"] = 3
    pool = cb.Pool(X, y, baseline=np.tile(clf.init_score_, (len(y), 1)) if task ==
                   "multiclass" else np.full(len(y), float(clf.init_score_)))
    ref = cb.CatBoost({**params, "loss_function": builtin, "thread_count": 1,
                       "allow_writing_files": False, "verbose": False}).fit(pool)
    z = ref.predict(pool, prediction_type="RawFormulaVal")
    want = softmax(z, axis=1) if task == "multiclass" else np.column_stack(
        [1 - expit(z), expit(z)])
    np.testing.assert_allclose(clf.predict_proba(X), want, atol=1e-9)
