"""The three scikit-learn estimators: probabilities, labels, pandas, clone, early stopping,
multi-label, calibration, errors, and scikit-learn's estimator checks."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import average_precision_score

from focalkit import focal_to_posterior
from focalkit.exceptions import InvalidParameterError

pytest.importorskip("xgboost")
pytest.importorskip("lightgbm")
pytest.importorskip("catboost")

from focalkit.boosting import (  # noqa: E402
    CatBoostFocalClassifier,
    LightGBMFocalClassifier,
    XGBoostFocalClassifier,
)

FAST = {"n_estimators": 15, "n_jobs": 1, "random_state": 0}
ESTIMATORS = [XGBoostFocalClassifier, LightGBMFocalClassifier, CatBoostFocalClassifier]
IDS = ["xgboost", "lightgbm", "catboost"]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_binary_probabilities_labels_and_string_classes(cls, binary_data):
    X, y = binary_data
    labels = np.array(["neg", "pos"])[y]
    clf = cls(alpha="balanced", **FAST).fit(X, labels)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all((proba > 0) & (proba < 1))
    assert list(clf.classes_) == ["neg", "pos"]
    assert set(clf.predict(X)) <= {"neg", "pos"}
    assert clf.alpha_ == pytest.approx(1 - y.mean())
    assert average_precision_score(y, proba[:, 1]) > 0.6
    # margins include the initial score; probabilities are their sigmoid
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-clf.decision_function(X))))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_multiclass(cls, multiclass_data):
    X, y = multiclass_data
    clf = cls(class_weight="balanced", **FAST).fit(X, y + 10)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (clf.predict(X) == y + 10).mean() > 0.5
    assert clf.init_score_.shape == (3,)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_multilabel_shapes_range_and_per_label_metric(cls, multilabel_data):
    X, Y = multilabel_data
    clf = cls(gamma=[2.0, 1.0, 0.0], alpha=[0.75, 0.5, 0.25], **FAST).fit(X, Y)
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape
    assert np.all((proba >= 0) & (proba <= 1))
    assert clf.predict(X).shape == Y.shape
    assert clf.init_score_.shape == (3,)
    ap = [average_precision_score(Y[:, j], proba[:, j]) for j in range(3)]
    assert min(ap) > 0.5


@pytest.mark.parametrize("strategy", ["one_output_per_tree", "multi_output_tree"])
def test_xgboost_multilabel_strategies(strategy, multilabel_data):
    X, Y = multilabel_data
    clf = XGBoostFocalClassifier(multi_strategy=strategy, alpha="balanced", **FAST).fit(X, Y)
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape
    assert np.all((proba >= 0) & (proba <= 1))
    assert clf.booster_.num_boosted_rounds() == FAST["n_estimators"]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_pandas_input_clone_and_params_pass_through(cls, binary_data):
    pd = pytest.importorskip("pandas")
    X, y = binary_data
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    extra = {"border_count": 64} if cls is CatBoostFocalClassifier else {"seed": 3}
    clf = cls(params=extra, **FAST)
    clf.fit(df, pd.Series(y))
    assert list(clf.feature_names_in_) == list(df.columns)
    with pytest.warns(UserWarning, match="does not have valid feature names"):  # sklearn's
        np.testing.assert_allclose(clf.predict_proba(df), clf.predict_proba(X))
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    assert not hasattr(twin, "init_score_")


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_early_stopping_best_iteration_is_used(cls, binary_data):
    X, y = binary_data
    Xtr, ytr, Xva, yva = X[:400], y[:400], X[400:], y[400:]
    clf = cls(n_estimators=300, learning_rate=0.5, early_stopping_rounds=5, n_jobs=1,
              random_state=0).fit(Xtr, ytr, eval_set=[(Xva, yva)])
    best = int(clf.best_iteration_)
    assert 0 <= best < 299
    short = cls(n_estimators=best + 1, learning_rate=0.5, n_jobs=1, random_state=0)
    short.fit(Xtr, ytr)
    np.testing.assert_allclose(clf.predict_proba(Xva), short.predict_proba(Xva), atol=1e-6)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_focal_posterior_calibration(cls, binary_data):
    X, y = binary_data
    raw = cls(gamma=2.0, alpha=0.25, **FAST).fit(X, y)
    cal = cls(gamma=2.0, alpha=0.25, calibration="focal_posterior", **FAST).fit(X, y)
    want = focal_to_posterior(raw.predict_proba(X)[:, 1], gamma=2.0, alpha=0.25)
    np.testing.assert_allclose(cal.predict_proba(X)[:, 1], want)


# LightGBM bins features over all rows whatever their weight, so the estimator drops
# zero-weight rows itself; XGBoost's weighted quantile sketch needs nothing.
@pytest.mark.parametrize("cls", ESTIMATORS[:2], ids=IDS[:2])
def test_sample_weight_zero_equals_dropping_rows(cls, binary_data):
    X, y = binary_data
    w = np.ones(len(y))
    w[::3] = 0.0
    keep = w > 0
    a = cls(**FAST).fit(X, y, sample_weight=w)
    b = cls(**FAST).fit(X[keep], y[keep])
    np.testing.assert_allclose(a.init_score_, b.init_score_, atol=1e-9)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_bad_input_raises_clear_errors(cls, binary_data, multiclass_data):
    X, y = binary_data
    with pytest.raises(InvalidParameterError, match="at least two classes"):
        cls(**FAST).fit(X, np.zeros(len(y)))
    with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
        cls(alpha=1.5, **FAST).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'gamma' parameter"):
        cls(gamma=-1.0, **FAST).fit(X, y)
    with pytest.raises(InvalidParameterError, match="same number of rows"):
        cls(**FAST).fit(X, y[:-1])
    with pytest.raises(InvalidParameterError, match="type_of_target"):
        cls(**FAST).fit(X, np.linspace(0, 1, len(y)))
    with pytest.raises(InvalidParameterError, match="use class_weight"):
        cls(alpha=0.25, **FAST).fit(*multiclass_data)
    with pytest.raises(InvalidParameterError, match="needs an eval_set"):
        cls(early_stopping_rounds=3, **FAST).fit(X, y)
    with pytest.raises(InvalidParameterError, match="not seen in the training"):
        cls(**FAST).fit(X, y, eval_set=[(X, y + 5)])
    clf = cls(**FAST).fit(X, y)
    with pytest.raises(InvalidParameterError, match="features"):
        clf.predict_proba(X[:, :2])


@pytest.mark.parametrize("value", [0, 1])
@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_multilabel_constant_label_is_a_constant_as_in_sklearn(cls, value, multilabel_data):
    # scikit-learn's OneVsRestClassifier: a label column with one value is predicted as
    # that constant, with a warning; the other labels are trained as without it
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    X, Y = multilabel_data
    Y = Y.copy()
    Y[:, 1] = value
    with pytest.warns(UserWarning, match=f"label column 1 of y is {value} in every"):
        clf = cls(gamma=[2.0, 1.0, 0.0], alpha="balanced", **FAST).fit(X, Y)
    proba = clf.predict_proba(X)
    assert np.all(proba[:, 1] == value)
    assert clf.init_score_[1] == (np.inf if value else -np.inf)
    assert np.isnan(clf.alpha_[1])
    np.testing.assert_array_equal(clf.constant_labels_, [np.nan, value, np.nan])
    ref = cls(gamma=[2.0, 0.0], alpha="balanced", **FAST).fit(X, Y[:, [0, 2]])
    np.testing.assert_allclose(proba[:, [0, 2]], ref.predict_proba(X), rtol=1e-12)
    with pytest.warns(UserWarning, match="present in all training examples"):
        ovr = OneVsRestClassifier(LogisticRegression()).fit(X, Y)
    np.testing.assert_array_equal(ovr.predict_proba(X)[:, 1], proba[:, 1])


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_multilabel_one_or_no_label_left_to_train(cls, multilabel_data):
    X, Y = multilabel_data
    Y2 = np.column_stack([Y[:, 0], np.zeros(len(Y), dtype=int)])
    with pytest.warns(UserWarning, match="label column 1"):
        clf = cls(**FAST).fit(X, Y2)
    ref = cls(**FAST).fit(X, Y[:, 0])
    np.testing.assert_allclose(clf.predict_proba(X)[:, 0], ref.predict_proba(X)[:, 1],
                               rtol=1e-12)
    Y0 = np.column_stack([np.ones(len(Y), dtype=int), np.zeros(len(Y), dtype=int)])
    with pytest.warns(UserWarning, match="label column"):
        clf = cls(**FAST).fit(X, Y0)
    np.testing.assert_array_equal(clf.predict_proba(X), np.tile([1.0, 0.0], (len(Y), 1)))
    np.testing.assert_array_equal(clf.predict(X), Y0)


def test_catboost_does_not_try_to_jit_the_objective(binary_data):
    # CatBoost would numba.njit Python objectives and warn (an error under our pytest
    # settings) because the methods use `self`; `no_jit` switches that off.
    pytest.importorskip("numba")
    X, y = binary_data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = CatBoostFocalClassifier(**FAST).fit(X, y, eval_set=[(X, y)])
    assert not hasattr(clf.models_[0].get_params()["loss_function"], "_jited")


@pytest.mark.slow
# sklearn announces the checks it skips (array API without SCIPY_ARRAY_API) as a warning
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@pytest.mark.parametrize(("cls", "small_leaves"),
                         [(c, False) for c in ESTIMATORS] + [(LightGBMFocalClassifier, True)],
                         ids=[*IDS, "lightgbm-small-leaves"])
def test_sklearn_estimator_checks(cls, small_leaves):
    from sklearn.utils.estimator_checks import check_estimator

    expected_failed = {
        # docs/boosting.md: binary / multi-label weighting is `alpha`; `class_weight` is the
        # multi-class argument, so a binary class_weight is refused with a clear error
        "check_class_weight_classifiers": "binary y takes alpha, not class_weight",
    }
    kwargs = {"n_estimators": 5, "n_jobs": 1, "random_state": 0}
    # LightGBM at its defaults splits nothing on the checks' tiny data sets (it used to
    # abort there); with small leaves the trees are real
    if small_leaves:
        kwargs.update(min_child_samples=1, params={"min_data_in_bin": 1})
        # LightGBM passes custom gradients as float32: weight 4 * g != g + g + g + g to
        # ~2e-7 relative (margins differ by 1e-8; the check wants 1e-7). Zero weights are
        # exact: test_sample_weight_zero_equals_dropping_rows.
        expected_failed["check_sample_weight_equivalence_on_dense_data"] = "float32 gradients"
        expected_failed["check_sample_weight_equivalence_on_sparse_data"] = "float32 gradients"
    if cls is CatBoostFocalClassifier:
        # CatBoost's ordered boosting permutes rows, so weight 2 != a duplicated row
        expected_failed["check_sample_weight_equivalence_on_dense_data"] = "ordered boosting"
        expected_failed["check_sample_weight_equivalence_on_sparse_data"] = "ordered boosting"
    result = check_estimator(cls(**kwargs), expected_failed_checks=expected_failed, on_fail=None)
    failed = [(r["check_name"], repr(r["exception"])[:200])
              for r in result if r["status"] == "failed"]
    assert failed == [], failed


@pytest.mark.parametrize("n_classes", [2, 3])
def test_lightgbm_tiny_data_trains_like_lgbmclassifier(n_classes):
    # LightGBM drops every feature of < 2 * min_child_samples rows at Dataset construction;
    # a custom objective then aborted ("Check failed: (train_data->num_features()) > (0)")
    lgb = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = np.arange(30) % n_classes
    clf = LightGBMFocalClassifier("bce", n_estimators=5, n_jobs=1, random_state=0).fit(X, y)
    ref = lgb.LGBMClassifier(n_estimators=5, n_jobs=1, verbose=-1).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    prior = np.tile(np.bincount(y) / 30, (30, 1))
    np.testing.assert_allclose(clf.predict_proba(X), prior, atol=1e-9)  # no split possible
    # constant features: the optimal constant too, and it exports
    const = LightGBMFocalClassifier("bce", n_estimators=5, n_jobs=1).fit(np.ones((30, 2)), y)
    np.testing.assert_allclose(const.predict_proba(X[:, :2]), prior, atol=1e-9)
    native = const.export_booster().predict(X[:, :2])
    np.testing.assert_allclose(native if n_classes > 2 else np.column_stack(
        [1 - native, native]), prior, atol=1e-9)
    # feature_pre_filter=True forced: nothing left to train; the constant, not exportable
    forced = LightGBMFocalClassifier("bce", n_estimators=5, n_jobs=1,
                                     params={"feature_pre_filter": True}).fit(X, y)
    np.testing.assert_allclose(forced.predict_proba(X), prior, atol=1e-9)
    with pytest.raises(InvalidParameterError, match="no trees"):
        forced.export_booster()
    # enough rows: splits are found (the focal model is not a constant)
    big = LightGBMFocalClassifier(n_estimators=5, n_jobs=1).fit(np.tile(X, (3, 1)),
                                                                np.tile(y, 3))
    assert np.ptp(big.predict_proba(X)[:, 0]) > 1e-3
